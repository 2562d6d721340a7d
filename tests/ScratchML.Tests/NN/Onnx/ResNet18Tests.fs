/// Tests of NN/Onnx/ResNet18.fs: the imported ResNet-18 (preprocessing + trunk, compiled through
/// the expression graph) gives the features ONNX Runtime computes from the same files, on real
/// photos (data/photos/chelsea.png, dog.jpg).
module ScratchML.Tests.NN.Onnx.ResNet18Tests

open System.IO
open Expecto
open Microsoft.ML.OnnxRuntime
open Microsoft.ML.OnnxRuntime.Tensors
open ScratchML
open ScratchML.NN
open ScratchML.NN.Onnx
open ScratchML.Lime.Image

/// The folder holding DnnImageModels/ (copied beside the test program by the build).
let folder = lazy (ResNet18.find () |> Option.defaultWith (fun () -> failwith "DnnImageModels/ not copied beside the tests"))
let backbone = lazy (ResNet18.load (folder.Force()))

/// A photo resized to 224×224 as the float32 planes [1; 3; 224; 224] of RGB values 0…255.
let photo (name: string) : float32[] =
    let path = ShippedData.find "photos" name |> Option.defaultWith (fun () -> failwith $"data/photos/{name} not found")
    let image = Resize.image ResNet18.Side ResNet18.Side (ImageFile.load path)
    let plane = ResNet18.Side * ResNet18.Side
    Array.init (3 * plane) (fun k -> float32 (255.0 * image.Pixels[(k % plane) * 3 + k / plane]))

/// ONNX Runtime's output of one model file for one float32 input (graph optimisations off, so
/// it computes each node as written, e.g. BatchNormalization not folded into the convolution).
let runtime (file: string) (input: float32[]) (shape: int[]) : float32[] =
    use options = new SessionOptions(GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1)
    use session = new InferenceSession(Path.Combine(folder.Force(), file), options)
    let name = Seq.head session.InputMetadata.Keys
    let tensor = DenseTensor<float32>(System.Memory<float32>(input), System.ReadOnlySpan<int>(shape))
    use results = session.Run([ NamedOnnxValue.CreateFromTensor(name, tensor) ])
    (Seq.head results).AsEnumerable<float32>() |> Array.ofSeq

/// The reference: ONNX Runtime on the preprocessing graph, then on the trunk.
let reference (pixels: float32[]) =
    let shape = [| 1; 3; ResNet18.Side; ResNet18.Side |]
    runtime ResNet18.TrunkFile (runtime ResNet18.PreprocessFile pixels shape) shape

/// max |a − b| and that maximum relative to the largest |b|.
let errors (a: float32[]) (b: float32[]) =
    let worst = Array.map2 (fun (x: float32) y -> abs (float x - float y)) a b |> Array.max
    worst, worst / (b |> Array.map (fun v -> abs (float v)) |> Array.max)

[<Tests>]
let tests =
    testList "NN.Onnx.ResNet18" [
        test "the shipped files decode: a CNTK ResNet-18 of 22 convolutions on 224×224 RGB" {
            let trunk = OnnxModel.load (Path.Combine(folder.Force(), ResNet18.TrunkFile))
            Expect.equal trunk.Producer "CNTK" "producer"
            let count op = trunk.Graph.Nodes |> List.filter (fun n -> n.OpType = op) |> List.length
            Expect.equal (count "Conv", count "BatchNormalization", count "Add") (22, 22, 9) "conv, bn, residual adds"
            Expect.equal (backbone.Force().Features) 512 "features"
            let parameters = trunk.Graph.Initializers |> List.sumBy (fun t -> Shape.numel t.Dims)
            Expect.isGreaterThan parameters 11_000_000 "ResNet-18 holds ~11.7 M numbers"
        }

        // Tolerance: float32 through 22 convolutions whose GEMMs sum up to 4,608 products in
        // another order than ONNX Runtime's MLAS: the differences stay ~1e-6 of the largest
        // feature; 1e-4 of it leaves room for another GEMM kernel and catches any wrong op
        // (a missed pad or a BN with the wrong eps moves features by far more).
        for name in [ "chelsea.png"; "dog.jpg" ] do
            test $"the features of {name} are ONNX Runtime's to 1e-4 of the largest" {
                let pixels = photo name
                let shape = [| 1; 3; ResNet18.Side; ResNet18.Side |]
                let input = Tensor(Storage.F32 pixels, shape, Shape.rowMajorStrides shape, 0)
                let ours = ResNet18.features (backbone.Force()) (fun _ _ -> ()) input |> Tensor.toArray32
                let theirs = reference pixels
                Expect.equal ours.Length theirs.Length "512 features"
                let absolute, relative = errors ours theirs
                printfn $"ResNet-18 features of {name} vs ONNX Runtime: max abs error {absolute:E2}, {relative:E2} of the largest ({Array.max theirs:F3})"
                Expect.isLessThan relative 1e-4 "relative to the largest feature"
            }
    ]
