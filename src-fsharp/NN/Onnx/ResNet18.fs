/// The ImageNet ResNet-18 trunk of the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18
/// (a CNTK export, MIT) imported as an image feature extractor: photo → 512 numbers.
/// Layer: NN, ONNX import (last file). Read next: the facade's ImageClassifier (a linear head).
///
/// The package ships two graphs that ML.NET runs one after the other:
///   ResNetPreprocess.onnx  x [n; 3; 224; 224], RGB planes of 0…255 values (ML.NET's
///                          ExtractPixels) → BGR planes minus a stored mean image (Split,
///                          Concat, Sub), the input convention of the Caffe/CNTK models
///   ResNet18.onnx          → conv 7×7/2, BN, ReLU, max pool 3×3/2, then 9 residual blocks
///                          y = relu(x + BN(conv(relu(BN(conv(x)))))) (a strided 1×1 conv + BN
///                          on the shortcut where the size halves), 64 → 512 channels at 7×7,
///                          and a 7×7 average pool: [n; 512; 1; 1]
/// Both are imported (OnnxImport.run) into one expression, compiled once per batch size.
/// About 1.8 GFLOP per image, ~85% of it in the 22 convolutions: measured 140–170 ms per image
/// on one core of this (heavily shared) machine, ONNX Runtime 55 ms on the same files.
namespace ScratchML.NN.Onnx

open System
open System.Collections.Generic
open System.IO
open ScratchML

/// A frozen feature extractor imported from ONNX: images [n; 3; Side; Side] (RGB planes of
/// 0…255 values) → features [n; Features], evaluated through compiled programs.
type Backbone(name: string, side: int, build: Expr -> Expr, weights: Map<string, Tensor>) =
    let programs = Dictionary<int, Compiled>()
    let features = (build (Expr.var "images" [| 1; 3; side; side |])).Shape[1]
    /// The backbone's name (e.g. "resnet18").
    member _.Name = name
    /// Side of the square images it reads (224).
    member _.Side = side
    /// Number of features per image (512).
    member _.Features = features
    /// The features of images x [n; 3; Side; Side] as an expression [n; Features].
    member _.Expression(x: Expr) = build x
    /// The values of the variables the expression reads.
    member _.Weights = weights
    /// The compiled program for batches of n images (built on first use).
    member internal _.Program(n: int) =
        match programs.TryGetValue n with
        | true, p -> p
        | _ ->
            let p = Compile.program [ build (Expr.var "images" [| n; 3; side; side |]) ]
            programs[n] <- p
            p

/// Loading ResNet-18 and computing features.
[<RequireQualifiedAccess>]
module ResNet18 =
    /// The trunk, relative to the package's tools/ folder (and to a program's output folder,
    /// where the build copies it).
    let TrunkFile = Path.Combine("DnnImageModels", "ResNet18Onnx", "ResNet18.onnx")
    /// The preprocessing graph, alike.
    let PreprocessFile = Path.Combine("DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx")
    /// Side of the input images.
    [<Literal>]
    let Side = 224
    /// Images per compiled batch: large enough for efficient GEMMs, small enough that the
    /// im2col matrices stay ~60 MB.
    [<Literal>]
    let Batch = 8

    /// The folder holding DnnImageModels/: the program's own folder (the build copies the
    /// models from the NuGet package there), then the working directory.
    let find () : string option =
        [ AppContext.BaseDirectory; Environment.CurrentDirectory ]
        |> List.tryFind (fun folder -> File.Exists(Path.Combine(folder, TrunkFile)))

    /// The features expression of the two imported graphs, x → preprocess → trunk → [n; 512],
    /// as a builder for any batch size, and the weights both graphs read.
    let private compose (preprocess: OnnxModel) (trunk: OnnxModel) =
        let single (g: ImportedGraph) = match g.Outputs with [ _, e ] -> e | o -> failwith $"{o.Length} outputs, expected 1"
        let inputName (m: OnnxModel) =
            let stored = m.Graph.Initializers |> List.map (fun t -> t.Name) |> Set.ofList
            match m.Graph.Inputs |> List.filter (fun i -> not (stored.Contains i.Name)) with
            | [ i ] -> i.Name
            | inputs -> raise (OnnxError(m.File, $"{inputs.Length} graph inputs, expected one image"))
        let build (x: Expr) =
            let p = OnnxImport.run "prep/" preprocess (Map [ inputName preprocess, x ])
            let t = OnnxImport.run "resnet18/" trunk (Map [ inputName trunk, single p ])
            let y = single t   // [n; 512; 1; 1]
            Expr.reshape [| y.Shape[0]; Shape.numel y.Shape[1..] |] y, Map.foldBack Map.add p.Weights t.Weights
        let _, weights = build (Expr.var "images" [| 1; 3; Side; Side |])
        build >> fst, weights

    /// Load the backbone from a folder holding DnnImageModels/ (see `find`).
    let load (folder: string) : Backbone =
        let preprocess = OnnxModel.load (Path.Combine(folder, PreprocessFile))
        let trunk = OnnxModel.load (Path.Combine(folder, TrunkFile))
        let build, weights = compose preprocess trunk
        Backbone("resnet18", Side, build, weights)

    /// The backbone from the program's folder, or an error saying how to get it.
    let loadDefault () =
        match find () with
        | Some folder -> load folder
        | None ->
            failwith ($"{TrunkFile} not found beside the program or in the working directory: it comes "
                      + "from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18, which the build copies")

    /// Features [n; Features] (float32) of images [n; 3; Side; Side] (RGB planes, 0…255), in
    /// batches of `Batch`; `progress done total` is called after each batch. Thread-safe (a
    /// lock on the backbone: the compiled programs write into their own buffers).
    let features (backbone: Backbone) (progress: int -> int -> unit) (images: Tensor) : Tensor =
        let side = backbone.Side
        if images.Shape.Length <> 4 || images.Shape[1..] <> [| 3; side; side |] then
            invalidArg "images" $"expected [n; 3; {side}; {side}], got {Shape.show images.Shape}"
        let n = images.Shape[0]
        let pixels = Tensor.toArray32 images
        let width = 3 * side * side
        let result = Array.zeroCreate<float32> (n * backbone.Features)
        lock backbone (fun () ->
            let mutable start = 0
            while start < n do
                let count = min Batch (n - start)
                let shape = [| count; 3; side; side |]
                let chunk = Tensor(Storage.F32 pixels[start * width .. (start + count) * width - 1], shape, Shape.rowMajorStrides shape, 0)
                let env = backbone.Weights |> Map.add "images" chunk
                let out = (backbone.Program count).Run env |> List.head |> Tensor.toArray32
                Array.blit out 0 result (start * backbone.Features) out.Length
                start <- start + count
                progress start n)
        let shape = [| n; backbone.Features |]
        Tensor(Storage.F32 result, shape, Shape.rowMajorStrides shape, 0)
