/// ONNX nodes → the library's expression graph: each node becomes the primitive ops (or layer)
/// that compute it, so an imported network is compiled and run like every other model.
/// Layer: NN, ONNX import. Read next: ResNet18.fs (the ImageNet trunk as a feature extractor).
///
/// Nodes come in topological order, so one pass suffices: a table maps each value name to
/// either an expression (computed from the inputs) or a stored tensor (an initializer or a
/// Constant node, whose numbers attributes-like inputs such as Reshape's shape are read from).
/// A stored tensor that flows into arithmetic becomes a graph variable "<prefix><name>" whose
/// value is handed back in `Weights` (as a model's parameters are): the graph stays small and
/// printable, and the same program runs with other weights.
namespace ScratchML.NN.Onnx

open System.Collections.Generic
open ScratchML
open ScratchML.NN

/// An imported graph: its outputs (by the graph's output names, as expressions of the inputs
/// given to the import) and the values of the variables they read.
type ImportedGraph =
    { Outputs: (string * Expr) list
      Weights: Map<string, Tensor> }

/// Importing an ONNX graph (standard operator set) into expressions.
[<RequireQualifiedAccess>]
module OnnxImport =
    /// What a name in the graph stands for during import.
    type private Value =
        | Computed of Expr
        | Stored of OnnxTensor

    /// The ops this importer maps (anything else is an error naming the op and the node).
    let supported =
        [ "Conv"; "BatchNormalization"; "Relu"; "MaxPool"; "AveragePool"; "GlobalAveragePool"
          "Add"; "Sub"; "Mul"; "Div"; "Flatten"; "Reshape"; "Gemm"; "MatMul"; "Concat"; "Split"
          "Constant"; "Identity"; "Dropout" ]

    /// The float32 tensor of a stored ONNX tensor (int64 data converted).
    let tensorOf (t: OnnxTensor) : Tensor =
        let values = match t.Data with OnnxData.Floats a -> a | OnnxData.Int64s a -> Array.map float32 a
        Tensor(Storage.F32 values, Array.copy t.Dims, Shape.rowMajorStrides t.Dims, 0)

    /// Per axis, the symmetric padding p that gives the same result as ONNX's begin/end pads
    /// (b, e) for an input of n, a window of effective size k and stride s. With (p, p) = (b, b)
    /// every window starts at i·s − b as with (b, e); if the output sizes ⌊(n + b + e − k)/s⌋ + 1
    /// and ⌊(n + 2b − k)/s⌋ + 1 agree, the last window ends before n + min(b, e), where both
    /// paddings hold the same (zero or −∞) cells: the results are equal. CNTK exports such pads
    /// (ResNet-18: [3, 3, 2, 2] for 7×7 stride 2); pads that change the output size are refused.
    let symmetricPadding (fail: string -> int) (n: int) (k: int) (s: int) (b: int) (e: int) =
        if b = e then b
        elif (n + b + e - k) / s = (n + 2 * b - k) / s && n + 2 * b >= k then b
        else fail $"pads (begin {b}, end {e}) on an axis of {n} with window {k}, stride {s} are not \
                    equivalent to symmetric padding, which is all the convolution and pooling kernels take"

    /// The (begin, end) pads per spatial axis of a Conv or pooling node: `pads` [hb; wb; he; we],
    /// or auto_pad VALID (none), SAME_UPPER / SAME_LOWER (output ⌈n/s⌉, odd extra at the end /
    /// the beginning).
    let private padsOf (fail: string -> 'a) (attribute: string -> OnnxAttribute option)
                       (sizes: int[]) (kernel: int[]) (strides: int[]) =
        let autoPad = match attribute "auto_pad" with Some (OnnxAttribute.String s) -> s | _ -> "NOTSET"
        match autoPad with
        | "NOTSET" | "" ->
            match attribute "pads" with
            | Some (OnnxAttribute.Ints p) when p.Length = 4 -> [| (int p[0], int p[2]); (int p[1], int p[3]) |]
            | None -> [| (0, 0); (0, 0) |]
            | Some other -> fail $"pads {other} (expected 4 integers)"
        | "VALID" -> [| (0, 0); (0, 0) |]
        | "SAME_UPPER" | "SAME_LOWER" ->
            Array.init 2 (fun a ->
                let total = max 0 (((sizes[a] + strides[a] - 1) / strides[a] - 1) * strides[a] + kernel[a] - sizes[a])
                let small = total / 2
                if autoPad = "SAME_UPPER" then small, total - small else total - small, small)
        | other -> fail $"auto_pad '{other}'"

    /// Import `model`'s graph, with each graph input (that is not an initializer) bound to an
    /// expression in `inputs`. Declared input dims are checked except the first (the batch axis,
    /// often exported as 1). Weight variables are named `prefix` + the stored tensor's name.
    let run (prefix: string) (model: OnnxModel) (inputs: Map<string, Expr>) : ImportedGraph =
        let file = model.File
        let graph = model.Graph
        let values = Dictionary<string, Value>()
        let weights = Dictionary<string, Tensor>()
        for t in graph.Initializers do values[t.Name] <- Stored t
        for info in graph.Inputs do
            if not (values.ContainsKey info.Name) then
                match inputs.TryFind info.Name with
                | None -> raise (OnnxError(file, $"graph input '{info.Name}' was not given an expression"))
                | Some x ->
                    let declared = Array.ofList info.Dims
                    let fits =
                        declared.Length = x.Rank
                        && declared |> Array.indexed |> Array.forall (fun (axis, d) ->
                            match d with
                            | OnnxDim.Fixed size when axis > 0 -> size = x.Shape[axis]
                            | _ -> true)
                    if not fits then
                        raise (OnnxError(file, $"graph input '{info.Name}' is declared {info.Dims}, given {Shape.show x.Shape}"))
                    values[info.Name] <- Computed x
        for index, node in List.indexed graph.Nodes do
            let label = if node.Name = "" then $"#{index}" else $"'{node.Name}'"
            let fail (detail: string) : 'a = raise (OnnxError(file, $"node {label} ({node.OpType}): {detail}"))
            if node.Domain <> "" && node.Domain <> "ai.onnx" then
                fail $"domain '{node.Domain}' is not the standard operator set"
            let attribute name = node.Attributes.TryFind name
            let intAttr name fallback =
                match attribute name with
                | Some (OnnxAttribute.Int v) -> int v
                | None -> fallback
                | Some other -> fail $"attribute {name} = {other} (expected an integer)"
            let floatAttr name fallback =
                match attribute name with
                | Some (OnnxAttribute.Float v) -> float v
                | None -> fallback
                | Some other -> fail $"attribute {name} = {other} (expected a float)"
            let intsAttr name (fallback: int[]) =
                match attribute name with
                | Some (OnnxAttribute.Ints v) -> Array.map int v
                | None -> fallback
                | Some other -> fail $"attribute {name} = {other} (expected integers)"
            let value (name: string) =
                match values.TryGetValue name with
                | true, v -> v
                | _ -> fail $"input '{name}' is not computed by any earlier node"
            /// A stored tensor read as numbers at import time (shapes, split sizes).
            let stored (i: int) =
                match value node.Inputs[i] with
                | Stored t -> t
                | Computed _ -> fail $"input {i} ('{node.Inputs[i]}') must be a stored tensor"
            let storedInts i =
                match (stored i).Data with
                | OnnxData.Int64s a -> Array.map int a
                | OnnxData.Floats a -> Array.map int a
            /// Input i as an expression: a stored tensor becomes a weight variable.
            let input (i: int) : Expr =
                if i >= node.Inputs.Length || node.Inputs[i] = "" then fail $"input {i} is missing"
                match value node.Inputs[i] with
                | Computed e -> e
                | Stored t ->
                    let name = prefix + t.Name
                    if not (weights.ContainsKey name) then weights[name] <- tensorOf t
                    Expr.var name t.Dims
            let hasInput i = i < node.Inputs.Length && node.Inputs[i] <> ""
            let image (x: Expr) = if x.Rank <> 4 then fail $"expects an NCHW image, got {Shape.show x.Shape}"
            let single (e: Expr) = [ Computed e ]
            let outputs : Value list =
                match node.OpType with
                | "Conv" ->
                    let x, w = input 0, input 1
                    image x
                    let kernel = intsAttr "kernel_shape" w.Shape[2..]
                    let strides, dilations = intsAttr "strides" [| 1; 1 |], intsAttr "dilations" [| 1; 1 |]
                    let effective = Array.init 2 (fun a -> dilations[a] * (kernel[a] - 1) + 1)
                    let pads = padsOf fail attribute x.Shape[2..] effective strides
                    let pad a = symmetricPadding fail x.Shape[2 + a] effective[a] strides[a] (fst pads[a]) (snd pads[a])
                    let spec =
                        { Stride = (strides[0], strides[1]); Padding = (pad 0, pad 1)
                          Dilation = (dilations[0], dilations[1]); Groups = intAttr "group" 1 }
                    single (if hasInput 2 then Expr.conv2dBias spec x w (input 2) else Expr.conv2d spec x w)
                | "BatchNormalization" ->
                    // inference: y = (x − mean)/√(var + eps)·scale + B, the library's BatchNorm2d
                    // in evaluation mode, its four vectors bound to the stored ones
                    let x = input 0
                    image x
                    if intAttr "spatial" 1 <> 1 then fail "spatial = 0 (per-activation statistics) is not supported"
                    if intAttr "training_mode" 0 <> 0 then fail "training_mode = 1 is not supported"
                    let name = $"{prefix}bn{index}"
                    let layer = BatchNorm2d.layer name x.Shape[1] (floatAttr "epsilon" 1e-5) 0.1
                    for suffix, i in [ "weight", 1; "bias", 2; "running_mean", 3; "running_var", 4 ] do
                        weights[$"{name}.{suffix}"] <- tensorOf (stored i)
                    single (layer.Forward Mode.Eval x)
                | "Relu" -> single (Expr.relu (input 0))
                | "MaxPool" | "AveragePool" ->
                    let x = input 0
                    image x
                    let kernel = intsAttr "kernel_shape" [||]
                    if kernel.Length <> 2 then fail $"kernel_shape {kernel} (a 2-d window is needed)"
                    if intsAttr "dilations" [| 1; 1 |] <> [| 1; 1 |] then fail "dilated pooling is not supported"
                    if node.Outputs.Length > 1 && node.Outputs[1] <> "" then fail "the Indices output is not supported"
                    let strides = intsAttr "strides" [| 1; 1 |]
                    let pads = padsOf fail attribute x.Shape[2..] kernel strides
                    let ceil = intAttr "ceil_mode" 0 = 1
                    if ceil && pads |> Array.exists (fun (b, e) -> b <> e) then fail "ceil_mode with asymmetric pads"
                    let pad a = symmetricPadding fail x.Shape[2 + a] kernel[a] strides[a] (fst pads[a]) (snd pads[a])
                    let spec =
                        { Kernel = (kernel[0], kernel[1]); Stride = (strides[0], strides[1])
                          Padding = (pad 0, pad 1); CeilMode = ceil }
                    if node.OpType = "MaxPool" then single (Expr.maxPool2d spec x)
                    else single (Expr.avgPool2d spec (intAttr "count_include_pad" 0 = 1) x)   // ONNX's default: 0
                | "GlobalAveragePool" ->
                    let x = input 0
                    image x
                    single (Expr.mean [ 2; 3 ] true x)
                | "Add" -> single (input 0 + input 1)
                | "Sub" -> single (input 0 - input 1)
                | "Mul" -> single (input 0 * input 1)
                | "Div" -> single (input 0 / input 1)
                | "Flatten" ->
                    let x = input 0
                    let axis = let a = intAttr "axis" 1 in if a < 0 then a + x.Rank else a
                    single (Expr.reshape [| Shape.numel x.Shape[.. axis - 1]; Shape.numel x.Shape[axis..] |] x)
                | "Reshape" ->
                    let x = input 0
                    let target = if hasInput 1 then storedInts 1 else intsAttr "shape" [||]
                    // 0 copies the input's dim, −1 takes what is left
                    let copied = target |> Array.mapi (fun i d -> if d = 0 then x.Shape[i] else d)
                    let known = copied |> Array.filter (fun d -> d <> -1) |> Array.fold (*) 1
                    single (Expr.reshape (copied |> Array.map (fun d -> if d = -1 then Shape.numel x.Shape / known else d)) x)
                | "Gemm" ->
                    // y = α·A'·B' + β·C, A' = Aᵀ when transA, B' = Bᵀ when transB
                    let a, b = input 0, input 1
                    let a = if intAttr "transA" 0 = 1 then Expr.transpose 0 1 a else a
                    let b = if intAttr "transB" 0 = 1 then Expr.transpose 0 1 b else b
                    let alpha, beta = floatAttr "alpha" 1.0, floatAttr "beta" 1.0
                    let product = if alpha = 1.0 then Expr.matmul a b else alpha * Expr.matmul a b
                    single (if not (hasInput 2) then product
                            elif beta = 1.0 then product + input 2
                            else product + beta * input 2)
                | "MatMul" -> single (Expr.matmul (input 0) (input 1))
                | "Concat" ->
                    let parts = [ for i in 0 .. node.Inputs.Length - 1 -> input i ]
                    single (Expr.concat (intAttr "axis" 0) parts)
                | "Split" ->
                    let x = input 0
                    let axis = let a = intAttr "axis" 0 in if a < 0 then a + x.Rank else a
                    let count = node.Outputs.Length
                    let sizes =
                        if hasInput 1 then storedInts 1
                        else intsAttr "split" (Array.create count (x.Shape[axis] / count))
                    if sizes.Length <> count || Array.sum sizes <> x.Shape[axis] then
                        fail $"split sizes {sizes} do not cut axis {axis} of {Shape.show x.Shape} into {count} parts"
                    let starts = Array.scan (+) 0 sizes
                    [ for k in 0 .. count - 1 ->
                        let specs = [ for a in 0 .. axis -> if a < axis then Slice.All else Slice.Range (Some starts[k], Some starts[k + 1], 1) ]
                        Computed (Expr.slice specs x) ]
                | "Constant" ->
                    match attribute "value" with
                    | Some (OnnxAttribute.Tensor t) -> [ Stored { t with Name = node.Outputs[0] } ]
                    | _ -> fail "only a tensor 'value' is supported"
                | "Identity" | "Dropout" -> [ value node.Inputs[0] ]   // Dropout at inference: y = x
                | op -> let known = String.concat ", " supported in fail $"op '{op}' is not supported (supported: {known})"
            for name, v in List.zip (List.truncate outputs.Length node.Outputs) outputs do
                if name <> "" then values[name] <- v
        let outputs =
            [ for info in graph.Outputs ->
                match values.TryGetValue info.Name with
                | true, Computed e -> info.Name, e
                | true, Stored t -> info.Name, Expr.constant (tensorOf t)
                | _ -> raise (OnnxError(file, $"graph output '{info.Name}' is computed by no node")) ]
        { Outputs = outputs; Weights = weights |> Seq.map (fun kv -> kv.Key, kv.Value) |> Map.ofSeq }
