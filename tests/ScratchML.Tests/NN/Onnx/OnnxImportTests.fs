/// Tests of NN/Onnx/Wire.fs, OnnxModel.fs and OnnxImport.fs on small models written here byte by
/// byte: the imported graph computes what ONNX Runtime computes from the same bytes, and broken
/// files or unsupported nodes are errors naming the file, the node and what is wrong.
module ScratchML.Tests.NN.Onnx.OnnxImportTests

open System
open System.IO
open System.Text
open Expecto
open Microsoft.ML.OnnxRuntime
open Microsoft.ML.OnnxRuntime.Tensors
open ScratchML
open ScratchML.NN.Onnx

/// Protocol-buffers encoding, the inverse of WireReader: just enough to write ONNX messages.
module Proto =
    let varint (v: uint64) =
        [| let mutable v = v
           while v >= 0x80UL do
               yield byte (v &&& 0x7FUL) ||| 0x80uy
               v <- v >>> 7
           yield byte v |]
    let key field wire = varint (uint64 (field * 8 + wire))
    let int field (v: int64) = Array.append (key field 0) (varint (uint64 v))
    let bytes field (b: byte[]) = Array.concat [ key field 2; varint (uint64 b.Length); b ]
    let string field (s: string) = bytes field (Encoding.UTF8.GetBytes s)
    let message field (parts: byte[] list) = bytes field (Array.concat parts)
    let float field (v: float32) = Array.append (key field 5) (BitConverter.GetBytes v)

    /// TensorProto with float data as raw_data (or packed float_data when `packed`).
    let tensor field (name: string) (dims: int list) (values: float32[]) (packed: bool) =
        message field [
            for d in dims do yield int 1 (int64 d)
            yield int 2 1L
            yield string 8 name
            let data = values |> Array.collect BitConverter.GetBytes
            yield (if packed then bytes 4 data else bytes 9 data) ]
    /// An int64 TensorProto (shapes), as int64_data.
    let int64Tensor field (name: string) (values: int64[]) =
        message field [ int 1 (int64 values.Length); int 2 7L; string 8 name
                        bytes 7 (values |> Array.collect (uint64 >> varint)) ]
    let attrInts (name: string) (values: int64 list) =
        message 5 [ yield string 1 name; yield int 20 7L; for v in values do yield int 8 v ]
    let attrInt (name: string) (v: int64) = message 5 [ string 1 name; int 20 2L; int 3 v ]
    let attrFloat (name: string) (v: float32) = message 5 [ string 1 name; int 20 1L; float 2 v ]
    let node (op: string) (name: string) (inputs: string list) (outputs: string list) (attributes: byte[] list) =
        message 1 [ yield! inputs |> List.map (string 1); yield! outputs |> List.map (string 2)
                    yield string 3 name; yield string 4 op; yield! attributes ]
    let valueInfo field (name: string) (dims: int list) =
        message field [ string 1 name
                        message 2 [ message 1 [ int 1 1L; message 2 [ for d in dims -> message 1 [ int 1 (int64 d) ] ] ] ] ]
    let model (opset: int64) (graph: byte[] list) =
        Array.concat [ int 1 8L; string 2 "scratchml-tests"; message 8 [ string 1 ""; int 2 opset ]; message 7 graph ]

/// Deterministic values in [−1, 1).
let values seed n =
    let rng = SplitMix64(uint64 seed)
    Array.init n (fun _ -> float32 (2.0 * rng.Uniform() - 1.0))

/// A Constant node's `value` attribute: the tensor [2].
let private two = Proto.message 5 [ Proto.string 1 "value"; Proto.int 20 4L; Proto.tensor 5 "k" [ 1 ] [| 2.0f |] false ]

/// A small network through every op the ResNet-18 import needs and a few more: RGB → BGR minus a
/// mean (Split, Concat, Sub), a strided convolution with CNTK-style asymmetric pads and a bias,
/// batch norm, relu, max pooling with asymmetric pads, a residual Add, a 1×1 convolution on
/// the shortcut, average pooling, Reshape, Flatten, Gemm (transB) and a Mul by a Constant.
let network (side: int) (reluOp: string) =
    let bn name c seed =
        [ Proto.tensor 5 $"{name}.scale" [ c ] (values seed c |> Array.map (fun v -> 1.0f + 0.5f * v)) false
          Proto.tensor 5 $"{name}.bias" [ c ] (values (seed + 1) c) true
          Proto.tensor 5 $"{name}.mean" [ c ] (values (seed + 2) c) false
          Proto.tensor 5 $"{name}.var" [ c ] (values (seed + 3) c |> Array.map (fun v -> 1.2f + v)) false ]
    Proto.model 11L [
        Proto.string 2 "tiny"
        Proto.node "Split" "split" [ "x" ] [ "r"; "g"; "b" ] [ Proto.attrInt "axis" 1L; Proto.attrInts "split" [ 1L; 1L; 1L ] ]
        Proto.node "Concat" "bgr" [ "b"; "g"; "r" ] [ "xb" ] [ Proto.attrInt "axis" 1L ]
        Proto.node "Sub" "centre" [ "xb"; "mean" ] [ "x0" ] []
        Proto.node "Conv" "conv1" [ "x0"; "w1"; "b1" ] [ "c1" ]
            [ Proto.attrInts "kernel_shape" [ 3L; 3L ]; Proto.attrInts "strides" [ 2L; 2L ]
              Proto.attrInts "pads" [ 1L; 1L; 0L; 0L ] ]
        Proto.node "BatchNormalization" "bn1" [ "c1"; "bn1.scale"; "bn1.bias"; "bn1.mean"; "bn1.var" ] [ "n1" ]
            [ Proto.attrFloat "epsilon" 1e-5f ]
        Proto.node reluOp "relu1" [ "n1" ] [ "h1" ] []
        Proto.node "MaxPool" "pool1" [ "h1" ] [ "p1" ]
            [ Proto.attrInts "kernel_shape" [ 3L; 3L ]; Proto.attrInts "strides" [ 2L; 2L ]; Proto.attrInts "pads" [ 1L; 1L; 0L; 0L ] ]
        Proto.node "Conv" "conv2" [ "p1"; "w2" ] [ "c2" ] [ Proto.attrInts "pads" [ 1L; 1L; 1L; 1L ]; Proto.attrInt "group" 2L ]
        Proto.node "Conv" "shortcut" [ "p1"; "w3" ] [ "s" ] []
        Proto.node "Add" "residual" [ "c2"; "s" ] [ "a" ] []
        Proto.node "AveragePool" "avg" [ "a" ] [ "v" ]
            [ Proto.attrInts "kernel_shape" [ 2L; 2L ]; Proto.attrInts "pads" [ 1L; 1L; 1L; 1L ] ]
        Proto.node "GlobalAveragePool" "gap" [ "v" ] [ "gp" ] []
        Proto.node "Reshape" "reshape" [ "gp"; "shape" ] [ "rs" ] []
        Proto.node "Flatten" "flatten" [ "rs" ] [ "f" ] []
        Proto.node "Gemm" "fc" [ "f"; "wf"; "bf" ] [ "logits" ] [ Proto.attrInt "transB" 1L; Proto.attrFloat "alpha" 0.5f ]
        Proto.node "Constant" "two" [] [ "k" ] [ two ]
        Proto.node "Mul" "scale" [ "logits"; "k" ] [ "y" ] []
        Proto.tensor 5 "mean" [ 1; 3; 1; 1 ] [| 0.1f; 0.2f; 0.3f |] false
        Proto.tensor 5 "w1" [ 4; 3; 3; 3 ] (values 1 108) true
        Proto.tensor 5 "b1" [ 4 ] (values 2 4) false
        yield! bn "bn1" 4 10
        Proto.tensor 5 "w2" [ 4; 2; 3; 3 ] (values 3 72) false
        Proto.tensor 5 "w3" [ 4; 4; 1; 1 ] (values 4 16) false
        Proto.int64Tensor 5 "shape" [| 0L; -1L |]
        Proto.tensor 5 "wf" [ 3; 4 ] (values 5 12) false
        Proto.tensor 5 "bf" [ 3 ] (values 6 3) false
        Proto.valueInfo 11 "x" [ 1; 3; side; side ]
        Proto.valueInfo 12 "y" [ 1; 3 ] ]

/// ONNX Runtime's output for one input (graph optimisations off).
let private runtime (model: byte[]) (input: float32[]) (shape: int[]) =
    use options = new SessionOptions(GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1)
    use session = new InferenceSession(model, options)
    let tensor = DenseTensor<float32>(Memory<float32>(input), ReadOnlySpan<int>(shape))
    use results = session.Run([ NamedOnnxValue.CreateFromTensor("x", tensor) ])
    (Seq.head results).AsEnumerable<float32>() |> Array.ofSeq

/// Our import of `bytes` run on one input through the compiled graph.
let private imported (bytes: byte[]) (input: float32[]) (shape: int[]) =
    let model = OnnxModel.ofBytes "tiny.onnx" bytes
    let graph = OnnxImport.run "" model (Map [ "x", Expr.var "x" shape ])
    let env = graph.Weights |> Map.add "x" (Tensor(Storage.F32 input, shape, Shape.rowMajorStrides shape, 0))
    (Compile.program [ snd graph.Outputs.Head ]).Run env |> List.head |> Tensor.toArray32

/// The OnnxError `f` raises; its message contains each fragment.
let private failsWith (fragments: string list) (f: unit -> 'a) =
    let e = Expect.throwsC (fun () -> f () |> ignore) id
    match e with
    | :? OnnxError -> for fragment in fragments do Expect.stringContains e.Message fragment "the message says"
    | _ -> failtestf "an OnnxError, got %s: %s" (e.GetType().Name) e.Message

[<Tests>]
let tests =
    testList "NN.Onnx.OnnxImport" [
        test "varints round-trip through the reader, negatives as ten bytes" {
            for v in [ 0L; 1L; 127L; 128L; 300L; 1L <<< 40; -1L; Int64.MinValue ] do
                let bytes = Proto.int 1 v
                let r = WireReader("v", bytes)
                Expect.equal (r.Next()) (Some (1, WireType.Varint)) "key"
                Expect.equal (r.Int64()) v "value"
                Expect.isTrue r.AtEnd "all read"
            Expect.equal (Proto.varint (uint64 -1L)).Length 10 "ten bytes"
        }

        test "a model decodes: opset, nodes in order, attributes, raw and packed tensors, declared shapes" {
            let model = OnnxModel.ofBytes "tiny.onnx" (network 16 "Relu")
            Expect.equal (OnnxModel.opset model) 11L "opset"
            Expect.equal (model.Graph.Nodes |> List.map (fun n -> n.OpType) |> List.take 4) [ "Split"; "Concat"; "Sub"; "Conv" ] "order"
            let conv = model.Graph.Nodes[3]
            Expect.equal (conv.Attributes.TryFind "pads") (Some (OnnxAttribute.Ints [| 1L; 1L; 0L; 0L |])) "pads"
            let find name = model.Graph.Initializers |> List.find (fun t -> t.Name = name)
            Expect.equal (find "w1").Data (OnnxData.Floats (values 1 108)) "packed float_data"
            Expect.equal (find "b1").Data (OnnxData.Floats (values 2 4)) "raw_data"
            Expect.equal (find "shape").Data (OnnxData.Int64s [| 0L; -1L |]) "int64_data"
            Expect.equal model.Graph.Inputs [ { Name = "x"; ElementType = 1; Dims = [ for d in [ 1; 3; 16; 16 ] -> OnnxDim.Fixed d ] } ] "input"
        }

        test "the imported network computes ONNX Runtime's outputs (asymmetric pads, BN, residual, Gemm)" {
            let bytes = network 16 "Relu"
            let shape = [| 1; 3; 16; 16 |]
            let input = values 99 (Shape.numel shape)
            let ours, theirs = imported bytes input shape, runtime bytes input shape
            Expect.equal ours.Length 3 "three logits"
            let worst = Array.map2 (fun (a: float32) b -> abs (a - b)) ours theirs |> Array.max
            Expect.isLessThan worst 1e-5f $"max |ours − ONNX Runtime| ({ours} vs {theirs})"
        }

        test "a truncated file is an error naming the file and saying where" {
            let bytes = network 16 "Relu"
            failsWith [ "cut.onnx"; "truncated" ] (fun () -> OnnxModel.ofBytes "cut.onnx" bytes[.. bytes.Length - 40])
        }

        test "bytes that are no model are an error naming the file" {
            failsWith [ "text.onnx" ] (fun () -> OnnxModel.ofBytes "text.onnx" (Encoding.UTF8.GetBytes "hello, world"))
        }

        test "an unsupported op is an error naming the op and the node" {
            let model = OnnxModel.ofBytes "soft.onnx" (network 16 "Softmax")
            failsWith [ "soft.onnx"; "'relu1'"; "op 'Softmax' is not supported" ]
                (fun () -> OnnxImport.run "" model (Map [ "x", Expr.var "x" [| 1; 3; 16; 16 |] ]))
        }

        test "pads that change the output size are refused, naming the node" {
            // on 13×13, pads (1, 0) give 6 outputs but symmetric (1, 1) would give 7
            let model = OnnxModel.ofBytes "odd.onnx" (network 13 "Relu")
            failsWith [ "'conv1'"; "pads (begin 1, end 0)" ]
                (fun () -> OnnxImport.run "" model (Map [ "x", Expr.var "x" [| 1; 3; 13; 13 |] ]))
        }

        test "an input of another shape is refused, naming the input" {
            let model = OnnxModel.ofBytes "tiny.onnx" (network 16 "Relu")
            failsWith [ "graph input 'x'" ] (fun () -> OnnxImport.run "" model (Map [ "x", Expr.var "x" [| 1; 3; 8; 8 |] ]))
        }
    ]
