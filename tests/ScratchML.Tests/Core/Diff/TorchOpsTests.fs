/// PyTorch's values and gradients for every op the core has (fixtures/torch_ops, float64):
/// forward outputs and ∂L/∂input with L = Σₖ Σ outₖ ⊙ upstreamₖ, at rtol 1e-9, atol 1e-12,
/// through the interpreter and through the compiled program. Shapes and hyper-parameters are
/// read from each file; recurrent files run the cells and unrolled stacks of ScratchML.NN
/// (RecurrentCells, Recurrent).
module ScratchML.Tests.Core.Diff.TorchOpsTests

open System
open System.Text.Json
open Expecto
open ScratchML
open ScratchML.NN
open ScratchML.Tests

let private tensorOf (a: Fixtures.Array) = Tensor.ofArray a.Shape a.Data

/// "x[1:3, ::2]" → [Range(1, 3, 1); Range(None, None, 2)]; "x[1]" → [Index 1] (Python basic indexing).
let parseSlice (python: string) =
    let inside = python.Substring(python.IndexOf '[' + 1).TrimEnd(']')
    [ for part in inside.Split ',' ->
        let part = part.Trim()
        if part.Contains ':' then
            let bound (s: string) = if String.IsNullOrWhiteSpace s then None else Some (int s)
            match part.Split ':' with
            | [| a; b |] -> Slice.Range (bound a, bound b, 1)
            | [| a; b; c |] -> Slice.Range (bound a, bound b, defaultArg (bound c) 1)
            | _ -> failwith $"cannot parse slice '{part}'"
        else Slice.Index (int part) ]

/// Axes of a `dim` parameter: null → all, an int or a list of ints.
let private dims (p: JsonElement) =
    match p.ValueKind with
    | JsonValueKind.Null -> []
    | JsonValueKind.Array -> [ for d in p.EnumerateArray() -> d.GetInt32() ]
    | _ -> [ p.GetInt32() ]

/// The recurrence of a PyTorch op name (rnn_tanh, rnn_relu_cell, lstm, gru_cell, …).
let private cellKind (op: string) =
    if op.StartsWith "lstm" then CellKind.Lstm
    elif op.StartsWith "gru" then CellKind.Gru
    elif op.StartsWith "rnn_relu" then CellKind.RnnRelu
    else CellKind.RnnTanh

/// The float outputs (name, expression) and integer outputs (name, ArgMax expression) of an op
/// applied to its inputs (vars) and constants, or why it cannot be built yet.
let build (op: string) (prm: JsonElement) (inputs: Map<string, Expr>) (inputOrder: string list)
          (constants: Map<string, Expr>) : Result<(string * Expr) list * (string * Expr) list, string> =
    let arg i = inputs[inputOrder[i]]
    let x () = arg 0
    let param (name: string) = prm.GetProperty name
    let has (name: string) = match prm.TryGetProperty name with | true, v -> v.ValueKind <> JsonValueKind.Null | _ -> false
    let keepdim () = has "keepdim" && (param "keepdim").GetBoolean()
    let target () = constants["target"]
    let out e = Ok ([ "out", e ], [])
    let linear (input: Expr) (w: Expr) (b: Expr) = Expr.matmul input (Expr.transpose 0 1 w) + b
    /// An (H, W) parameter given as [h, w] or one int for both; `fallback` when absent.
    let pair (name: string) (fallback: int) =
        if not (has name) then fallback, fallback
        else
            match (param name).ValueKind with
            | JsonValueKind.Array -> let v = [| for d in (param name).EnumerateArray() -> d.GetInt32() |] in v[0], v[1]
            | _ -> let v = (param name).GetInt32() in v, v
    /// Pooling options; stride defaults to the kernel size (PyTorch's stride=None).
    let pool () =
        let kernel = pair "kernel_size" 1
        let emptyStride = has "stride" && (param "stride").ValueKind = JsonValueKind.Array && (param "stride").GetArrayLength() = 0
        let stride = if has "stride" && not emptyStride then pair "stride" 1 else kernel
        let ceil = has "ceil_mode" && (param "ceil_mode").GetBoolean()
        ({ Kernel = kernel; Stride = stride; Padding = pair "padding" 0; CeilMode = ceil } : Pool2dSpec)
    match op with
    | _ when has "reduction" && (param "reduction").GetString() <> "mean" ->
        Error $"""reduction={(param "reduction").GetString()} is not built (only mean)"""
    | "matmul" -> out (Expr.matmul (arg 0) (arg 1))
    | "linear" -> out (linear (arg 0) (arg 1) (arg 2))    // y = x·Wᵀ + b
    | "add" -> out (arg 0 + arg 1)
    | "sub" -> out (arg 0 - arg 1)
    | "mul" -> out (arg 0 * arg 1)
    | "div" -> out (arg 0 / arg 1)
    | "exp" -> out (Expr.exp (x ()))
    | "log" -> out (Expr.log (x ()))
    | "tanh" -> out (Expr.tanh (x ()))
    | "sigmoid" -> out (Expr.sigmoid (x ()))
    | "relu" -> out (Expr.relu (x ()))
    | "leaky_relu" -> out (Expr.leakyRelu ((param "negative_slope").GetDouble()) (x ()))
    | "softplus" ->
        // PyTorch's threshold shortcut (x itself above it) is invisible at 1e-9 (README)
        let beta = if has "beta" then (param "beta").GetDouble() else 1.0
        out (if beta = 1.0 then Expr.softplus (x ()) else Expr.softplus (beta * x ()) / beta)
    | "softmax" -> out (Expr.softmax ((param "dim").GetInt32()) (x ()))
    | "log_softmax" -> out (Expr.logSoftmax ((param "dim").GetInt32()) (x ()))
    | "logsumexp" -> out (Expr.logSumExp (dims (param "dim")) (keepdim ()) (x ()))
    | "sum" -> out (Expr.sum (if has "dim" then dims (param "dim") else []) (keepdim ()) (x ()))
    | "mean" -> out (Expr.mean (if has "dim" then dims (param "dim") else []) (keepdim ()) (x ()))
    | "max" when not (has "dim") -> out (Expr.max [] false (x ()))
    | "max" ->
        let dim = (param "dim").GetInt32()
        Ok ([ "values", Expr.max [ dim ] (keepdim ()) (x ()) ], [ "indices", Expr.argmax dim (keepdim ()) (x ()) ])
    | "transpose" -> out (Expr.transpose ((param "dim0").GetInt32()) ((param "dim1").GetInt32()) (x ()))
    | "permute" -> out (Expr.permute [| for d in (param "dims").EnumerateArray() -> d.GetInt32() |] (x ()))
    | "reshape" -> out (Expr.reshape [| for d in (param "shape").EnumerateArray() -> d.GetInt32() |] (x ()))
    | "concat" ->
        let order = [ for t in (param "tensors").EnumerateArray() -> inputs[t.GetString()] ]
        out (Expr.concat ((param "dim").GetInt32()) order)
    | "slice" -> out (Expr.slice (parseSlice ((param "python").GetString())) (x ()))
    | "cross_entropy" -> out (ReferenceLosses.crossEntropy (x ()) (target ()))
    | "mse_loss" -> out (ReferenceLosses.mse (x ()) (target ()))
    | "binary_cross_entropy_with_logits" -> out (ReferenceLosses.binaryCrossEntropyWithLogits (x ()) (target ()))
    | "embedding" -> out (Expr.indexSelect 0 constants["indices"] inputs["weight"])
    | "mlp_composite" ->
        let hidden = Expr.tanh (linear inputs["x"] inputs["w1"] inputs["b1"])
        out (ReferenceLosses.crossEntropy (linear hidden inputs["w2"] inputs["b2"]) (target ()))
    | "conv2d" ->
        let groups = if has "groups" then (param "groups").GetInt32() else 1
        let spec : Conv2dSpec =
            { Stride = pair "stride" 1; Padding = pair "padding" 0; Dilation = pair "dilation" 1; Groups = groups }
        let y = Expr.conv2d spec inputs["input"] inputs["weight"]
        out (match inputs.TryFind "bias" with Some b -> y + Expr.reshape [| 1; b.Shape[0]; 1; 1 |] b | None -> y)
    | "max_pool2d" | "avg_pool2d" when has "dilation" && pair "dilation" 1 <> (1, 1) ->
        Error $"{op} with dilation is not built"
    | "avg_pool2d" when has "divisor_override" -> Error "avg_pool2d with divisor_override is not built"
    | "max_pool2d" -> out (Expr.maxPool2d (pool ()) (x ()))
    | "avg_pool2d" ->
        let includePad = not (has "count_include_pad") || (param "count_include_pad").GetBoolean()
        out (Expr.avgPool2d (pool ()) includePad (x ()))
    | "cnn_composite" ->
        // conv2d(3×3, stride 1, no padding) → relu → max_pool2d(2, 2) → flatten → linear → CE (README)
        let conv = Expr.conv2dBias Conv2dSpec.Default inputs["x"] inputs["conv_weight"] inputs["conv_bias"]
        let pooled = Expr.maxPool2d (Pool2dSpec.Square 2) (Expr.relu conv)
        let logits = linear (Expr.flatten pooled) inputs["fc_weight"] inputs["fc_bias"]
        out (ReferenceLosses.crossEntropy logits (target ()))
    | "rnn_tanh_cell" | "rnn_relu_cell" | "lstm_cell" | "gru_cell" ->
        // cells: input [N; I], hx (and cx) [N; H], PyTorch-named weights without a layer suffix
        let kind = cellKind op
        let p = { WeightIh = inputs["weight_ih"]; WeightHh = inputs["weight_hh"]
                  BiasIh = inputs.TryFind "bias_ih"; BiasHh = inputs.TryFind "bias_hh" }
        let next = Cell.step kind p inputs["input"] { H = inputs["hx"]; C = inputs.TryFind "cx" }
        Ok ([ yield "h1", next.H
              match next.C with Some c -> yield "c1", c | None -> () ], [])
    | "rnn_tanh" | "rnn_relu" | "lstm" | "gru" ->
        let flag name = has name && (param name).GetBoolean()
        let spec =
            { Kind = cellKind op; InputSize = (param "input_size").GetInt32()
              HiddenSize = (param "hidden_size").GetInt32()
              NumLayers = (if has "num_layers" then (param "num_layers").GetInt32() else 1)
              Bidirectional = flag "bidirectional"; BatchFirst = flag "batch_first"
              Bias = inputs.ContainsKey "bias_ih_l0" }
        let r = Recurrent.run spec inputs inputs["input"] (inputs.TryFind "h0") (inputs.TryFind "c0") None
        Ok ([ yield "output", r.Output
              yield "h_n", r.HN
              match r.CN with Some c -> yield "c_n", c | None -> () ], [])
    | other -> Error $"unknown op {other}"

/// The first element where actual and expected differ beyond the tolerance.
let private mismatch (what: string) (actual: Tensor) (expected: Fixtures.Array) =
    if actual.Shape <> expected.Shape then Some $"{what}: shape {Shape.show actual.Shape}, expected {Shape.show expected.Shape}"
    else
        let a = Tensor.toArray actual
        Array.zip a expected.Data |> Array.tryFindIndex (fun (a, e) -> not (Tolerance.torchOps a e))
        |> Option.map (fun i -> $"{what}[{i}]: {a[i]:R}, expected {expected.Data[i]:R}")

/// The check of one fixture file.
let handler (_: string) (root: JsonElement) : Result<unit -> unit, string> =
    let op = root.GetProperty("op").GetString()
    let inputs = Fixtures.arrays (root.GetProperty "inputs")
    let constants = Fixtures.arrays (root.GetProperty "constants")
    let outputs = Fixtures.arrays (root.GetProperty "outputs") |> Map
    let upstream = Fixtures.arrays (root.GetProperty "upstream") |> Map
    let grads = Fixtures.arrays (root.GetProperty "grads") |> Map
    let vars = inputs |> List.map (fun (name, a) -> name, Expr.var name a.Shape)
    let consts = constants |> List.map (fun (name, a) -> name, Expr.constant (tensorOf a)) |> Map
    match build op (root.GetProperty "params") (Map vars) (List.map fst inputs) consts with
    | Error reason -> Error reason
    | Ok (floats, integers) ->
        Ok (fun () ->
            // L = Σₖ Σ outₖ ⊙ upstreamₖ over float outputs; its gradient is the fixtures' vjp
            let loss = floats |> List.map (fun (name, e) -> Expr.sumAll (e * Expr.constant (tensorOf upstream[name]))) |> List.reduce (+)
            let wrt = List.map snd vars
            let gradients = Grad.grad loss wrt
            let all = List.map snd floats @ List.map snd integers @ gradients
            let names = List.map fst floats @ List.map fst integers @ [ for name, _ in vars -> $"grad {name}" ]
            let expected = [ for n, _ in floats -> outputs[n] ] @ [ for n, _ in integers -> outputs[n] ] @ [ for n, _ in vars -> grads[n] ]
            let env = inputs |> List.map (fun (name, a) -> name, tensorOf a) |> Map
            for how, values in [ "interpreted", Eval.runMany env all; "compiled", (Compile.program all).Run env ] do
                for name, value, e in List.zip3 names values expected do
                    // integer outputs (argmax indices) must be exact; tolerance 0 keeps them so
                    let ok = if e.DType = "int64" then (if Tensor.toArray value = e.Data then None else Some $"{name}: {Tensor.toArray value} vs {e.Data}")
                             else mismatch name value e
                    ok |> Option.iter (fun m -> failtest $"{how} {m}"))

[<Tests>]
let tests = Fixtures.family "torch_ops" handler
