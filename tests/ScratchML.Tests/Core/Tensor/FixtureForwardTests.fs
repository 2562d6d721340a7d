/// Forward values of the PyTorch torch_ops fixtures, computed with Tensor ops alone (no graph,
/// no gradients: the graph's fixtures/torch_ops tests check those). Composites (linear, losses,
/// RNN/LSTM/GRU cells and sequences, the MLP) are written out from the README's formulas. Shapes and parameters are read
/// from each file; a `slice` fixture's Python string ("x[1:3, ::2]") is parsed into Slice specs.
module ScratchML.Tests.Core.Tensor.FixtureForwardTests

open System
open System.Text.Json
open Expecto
open ScratchML
open ScratchML.Tests

/// A fixture array as a float64 tensor.
let tensor (a: Fixtures.Array) = Tensor.ofArray a.Shape a.Data

/// One Python index expression: "1", "1:3", "::2", "-2:", ":".
let parseSpec (s: string) =
    let s = s.Trim()
    if not (s.Contains ':') then Slice.Index(int s)
    else
        let parts = s.Split ':' |> Array.map (fun p -> p.Trim())
        let num (p: string) = if p = "" then None else Some(int p)
        let step = if parts.Length > 2 && parts[2] <> "" then int parts[2] else 1
        if parts.Length = 2 && parts[0] = "" && parts[1] = "" then Slice.All
        else Slice.Range(num parts[0], num parts[1], step)

/// "x[1:3, ::2]" → [| Range(1, 3, 1); Range(None, None, 2) |].
let parsePython (python: string) =
    let inside = python.Substring(python.IndexOf '[' + 1).TrimEnd(']')
    inside.Split ',' |> Array.map parseSpec

/// Optional integer parameter (null → None).
let intParam (p: JsonElement) (name: string) =
    match p.TryGetProperty name with
    | true, v when v.ValueKind = JsonValueKind.Number -> Some(v.GetInt32())
    | _ -> None

let boolParam (p: JsonElement) (name: string) =
    match p.TryGetProperty name with
    | true, v when v.ValueKind = JsonValueKind.True -> true
    | _ -> false

/// x·Wᵀ + b (PyTorch's Linear: W is [out; in]).
let linear x w b = Tensor.add (Tensor.matmul x (Tensor.transpose 0 1 w)) b

/// One tanh-RNN step: h₁ = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh).
let rnnStep (ps: Tensor list) x h =
    match ps with
    | [ wih; whh; bih; bhh ] -> Tensor.tanh (Tensor.add (linear x wih bih) (linear h whh bhh))
    | _ -> failwith "rnn parameters"

/// One LSTM step, gate rows i, f, g, o: c₁ = σ(f)·c + σ(i)·tanh(g), h₁ = σ(o)·tanh(c₁).
let lstmStep (ps: Tensor list) x h c =
    match ps with
    | [ wih; whh; bih; bhh ] ->
        let gates = Tensor.add (linear x wih bih) (linear h whh bhh)
        let size = gates.Shape[1] / 4
        match Tensor.split 1 (Array.create 4 size) gates with
        | [ i; f; g; o ] ->
            let c1 = Tensor.add (Tensor.mul (Tensor.sigmoid f) c) (Tensor.mul (Tensor.sigmoid i) (Tensor.tanh g))
            Tensor.mul (Tensor.sigmoid o) (Tensor.tanh c1), c1
        | _ -> failwith "four gates"
    | _ -> failwith "lstm parameters"

/// One GRU step, gate rows r, z, n: n = tanh(xₙ + r·(h·W_hnᵀ + b_hn)), h₁ = (1 − z)·n + z·h.
let gruStep (ps: Tensor list) x h =
    match ps with
    | [ wih; whh; bih; bhh ] ->
        let size = wih.Shape[0] / 3
        match Tensor.split 1 (Array.create 3 size) (linear x wih bih),
              Tensor.split 1 (Array.create 3 size) (linear h whh bhh) with
        | [ xr; xz; xn ], [ hr; hz; hn ] ->
            let r = Tensor.sigmoid (Tensor.add xr hr)
            let z = Tensor.sigmoid (Tensor.add xz hz)
            let n = Tensor.tanh (Tensor.add xn (Tensor.mul r hn))
            Tensor.add (Tensor.mul (Tensor.addScalar 1.0 (Tensor.neg z)) n) (Tensor.mul z h)
        | _ -> failwith "three gates"
    | _ -> failwith "gru parameters"

/// Run a step over input [T; N; I] from the initial states [1; N; H]; the outputs stacked, and
/// the final states with their leading axis back.
let sequence (step: Tensor -> Tensor list -> Tensor list) (input: Tensor) (states: Tensor list) =
    let mutable s = states |> List.map (Tensor.squeeze 0)
    let outputs =
        [ for t in 0 .. input.Shape[0] - 1 do
            s <- step (Tensor.slice [| Slice.Index t |] input) s
            s.Head ]
    Tensor.stack 0 outputs, s |> List.map (Tensor.unsqueeze 0)

/// The fixture's outputs computed with Tensor ops, or None for ops this layer does not cover.
let forward (op: string) (p: JsonElement) (inputs: (string * Tensor) list) (consts: (string * Tensor) list) =
    let x () = snd inputs.Head
    let arg i = snd inputs[i]
    let c name = consts |> List.find (fst >> (=) name) |> snd
    let axes () = match intParam p "dim" with Some d -> [ d ] | None -> []
    let dim () = (intParam p "dim").Value
    let out t = Some [ "out", t ]
    match op with
    | "matmul" -> out (Tensor.matmul (arg 0) (arg 1))
    | "add" -> out (Tensor.add (arg 0) (arg 1))
    | "sub" -> out (Tensor.sub (arg 0) (arg 1))
    | "mul" -> out (Tensor.mul (arg 0) (arg 1))
    | "div" -> out (Tensor.div (arg 0) (arg 1))
    | "exp" -> out (Tensor.exp (x ()))
    | "log" -> out (Tensor.log (x ()))
    | "tanh" -> out (Tensor.tanh (x ()))
    | "sigmoid" -> out (Tensor.sigmoid (x ()))
    | "relu" -> out (Tensor.relu (x ()))
    | "leaky_relu" ->
        let slope = p.GetProperty("negative_slope").GetDouble()
        out (Tensor.where (Tensor.gt (x ()) (Tensor.scalar DType.Float64 0.0)) (x ()) (Tensor.mulScalar slope (x ())))
    | "softplus" ->
        // torch: log1p(exp(βx))/β, and x itself where βx > threshold
        let beta, threshold = p.GetProperty("beta").GetDouble(), p.GetProperty("threshold").GetDouble()
        let bx = Tensor.mulScalar beta (x ())
        let soft = Tensor.mulScalar (1.0 / beta) (Tensor.softplus bx)
        out (Tensor.where (Tensor.gt bx (Tensor.scalar DType.Float64 threshold)) (x ()) soft)
    | "softmax" -> out (Tensor.softmax (dim ()) (x ()))
    | "log_softmax" -> out (Tensor.logSoftmax (dim ()) (x ()))
    | "logsumexp" -> out (Tensor.logSumExp (axes ()) (boolParam p "keepdim") (x ()))
    | "sum" -> out (Tensor.sum (axes ()) (boolParam p "keepdim") (x ()))
    | "mean" -> out (Tensor.mean (axes ()) (boolParam p "keepdim") (x ()))
    | "max" ->
        match intParam p "dim" with
        | None -> out (Tensor.max [] false (x ()))
        | Some d ->
            let keep = boolParam p "keepdim"
            Some [ "values", Tensor.max [ d ] keep (x ()); "indices", Tensor.argmax d keep (x ()) ]
    | "transpose" -> out (Tensor.transpose (intParam p "dim0").Value (intParam p "dim1").Value (x ()))
    | "permute" -> out (Tensor.permute [| for d in p.GetProperty("dims").EnumerateArray() -> d.GetInt32() |] (x ()))
    | "reshape" -> out (Tensor.reshape [| for d in p.GetProperty("shape").EnumerateArray() -> d.GetInt32() |] (x ()))
    | "concat" ->
        let names = [ for n in p.GetProperty("tensors").EnumerateArray() -> n.GetString() ]
        out (Tensor.concat (dim ()) [ for n in names -> inputs |> List.find (fst >> (=) n) |> snd ])
    | "slice" -> out (Tensor.slice (parsePython (p.GetProperty("python").GetString())) (x ()))
    | "embedding" -> out (Tensor.indexSelect 0 (c "indices") (x ()))
    | "linear" -> // y = x·Wᵀ + b
        out (Tensor.add (Tensor.matmul (arg 0) (Tensor.transpose 0 1 (arg 1))) (arg 2))
    | "mse_loss" -> out (Tensor.mean [] false (Tensor.square (Tensor.sub (x ()) (c "target"))))
    | "cross_entropy" -> // mean over n of logsumexp(zₙ) − zₙ[yₙ]
        let z = x ()
        let target = Tensor.unsqueeze 1 (c "target")
        let picked = Tensor.gather 1 target (Tensor.logSoftmax 1 z)
        out (Tensor.neg (Tensor.mean [] false picked))
    | "binary_cross_entropy_with_logits" -> // mean of max(z, 0) − z·y + log1p(e^−|z|) = softplus(z) − z·y
        let z = x ()
        out (Tensor.mean [] false (Tensor.sub (Tensor.softplus z) (Tensor.mul z (c "target"))))
    | "mlp_composite" -> // linear → tanh → linear → mean cross-entropy
        match List.map snd inputs with
        | [ x; w1; b1; w2; b2 ] ->
            let z = linear (Tensor.tanh (linear x w1 b1)) w2 b2
            let picked = Tensor.gather 1 (Tensor.unsqueeze 1 (c "target")) (Tensor.logSoftmax 1 z)
            out (Tensor.neg (Tensor.mean [] false picked))
        | _ -> None
    | "rnn_tanh_cell" -> Some [ "h1", rnnStep (List.map snd inputs[2..]) (arg 0) (arg 1) ]
    | "lstm_cell" ->
        let h1, c1 = lstmStep (List.map snd inputs[3..]) (arg 0) (arg 1) (arg 2)
        Some [ "h1", h1; "c1", c1 ]
    | "gru_cell" -> Some [ "h1", gruStep (List.map snd inputs[2..]) (arg 0) (arg 1) ]
    | "rnn_tanh" ->
        let ps = List.map snd inputs[2..]
        let output, last = sequence (fun x s -> [ rnnStep ps x s.Head ]) (arg 0) [ arg 1 ]
        Some [ "output", output; "h_n", last.Head ]
    | "gru" ->
        let ps = List.map snd inputs[2..]
        let output, last = sequence (fun x s -> [ gruStep ps x s.Head ]) (arg 0) [ arg 1 ]
        Some [ "output", output; "h_n", last.Head ]
    | "lstm" ->
        let ps = List.map snd inputs[3..]
        let step x (s: Tensor list) = let h, c = lstmStep ps x s[0] s[1] in [ h; c ]
        let output, last = sequence step (arg 0) [ arg 1; arg 2 ]
        Some [ "output", output; "h_n", last[0]; "c_n", last[1] ]
    | _ -> None

/// One test per torch_ops file whose op this layer covers: every output at rtol 1e-9, atol 1e-12
/// (integer outputs exactly).
let cases =
    [ for file, load in Fixtures.files "torch_ops" do
        let root = load ()
        let op = root.GetProperty("op").GetString()
        let p = root.GetProperty "params"
        let inputs = Fixtures.arrays (root.GetProperty "inputs") |> List.map (fun (n, a) -> n, tensor a)
        let consts = Fixtures.arrays (root.GetProperty "constants") |> List.map (fun (n, a) -> n, tensor a)
        match forward op p inputs consts with
        | None -> ()
        | Some _ ->
            testCase $"fixture-forward/{file}" (fun () ->
                let outputs = (forward op p inputs consts).Value
                for name, expected in Fixtures.arrays (root.GetProperty "outputs") do
                    let actual = outputs |> List.find (fst >> (=) name) |> snd
                    Expect.equal actual.Shape expected.Shape $"{name} shape"
                    let a = Tensor.toArray actual
                    for i in 0 .. a.Length - 1 do
                        let ok =
                            if expected.DType = "int64" then a[i] = expected.Data[i]
                            else Tolerance.torchOps a[i] expected.Data[i]
                        if not ok then failtest $"{file} {name}[{i}] = {a[i]:R}, expected {expected.Data[i]:R}") ]

[<Tests>]
let tests = testList "Tensor" cases
