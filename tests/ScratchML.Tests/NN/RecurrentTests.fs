/// Recurrent cells and unrolled stacks: gradient checks against central differences, BPTT graph
/// sizes, masks, batch-first, a fixed-seed LSTM that learns a toy task; Embedding; clipping.
/// (PyTorch's values and gradients are checked by the torch_ops fixtures in Core/Diff.)
module ScratchML.Tests.NN.RecurrentTests

open Expecto
open ScratchML
open ScratchML.NN
open ScratchML.Tests

/// Random N(0, 0.5²) tensor of a shape from a seeded SplitMix64 stream.
let private random (rng: SplitMix64) (shape: int[]) =
    Tensor.ofArray shape (Array.init (Array.fold (*) 1 shape) (fun _ -> 0.5 * rng.Normal()))

/// Every input of `build` as a Var with a random value; L = Σ upstreamₖ ⊙ outputₖ; the symbolic
/// ∂L/∂input is compared with central differences (h = 1e-6) at every element of every input.
let private gradCheck (seed: uint64) (inputs: (string * int[]) list)
                      (build: Map<string, Expr> -> Expr list) =
    let rng = SplitMix64 seed
    let vars = inputs |> List.map (fun (name, shape) -> name, Expr.var name shape)
    let values = inputs |> List.map (fun (name, shape) -> name, random rng shape) |> Map
    let outputs = build (Map vars)
    let loss =
        outputs |> List.map (fun o -> Expr.sumAll (o * Expr.constant (random rng o.Shape)))
        |> List.reduce (+)
    let gradients = Eval.runMany values (Grad.grad loss (List.map snd vars))
    let lossAt env = Eval.run env loss |> Tensor.item
    for (name, _), analytic in List.zip vars gradients do
        let x0 = Tensor.toArray values[name]
        let at i delta =
            let x = Array.copy x0
            x[i] <- x[i] + delta
            lossAt (values.Add(name, Tensor.ofArray values[name].Shape x))
        let numeric = Array.init x0.Length (fun i -> (at i 1e-6 - at i -1e-6) / 2e-6)
        for i, (a, n) in Array.indexed (Array.zip (Tensor.toArray analytic) numeric) do
            Expect.isTrue (Tolerance.grad a n) $"seed {seed}: d/d{name}[{i}] analytic {a}, numeric {n}"

let private kinds = [ CellKind.RnnTanh; CellKind.RnnRelu; CellKind.Lstm; CellKind.Gru ]

/// Cell inputs of a kind: x [N; I], hx (cx) [N; H], weights and biases, PyTorch names.
let private cellInputs (kind: CellKind) n i h =
    let rows = kind.Gates * h
    [ yield "input", [| n; i |]
      yield "hx", [| n; h |]
      if kind = CellKind.Lstm then yield "cx", [| n; h |]
      yield! [ "weight_ih", [| rows; i |]; "weight_hh", [| rows; h |]; "bias_ih", [| rows |]; "bias_hh", [| rows |] ] ]

let private cell kind (v: Map<string, Expr>) =
    let p = { WeightIh = v["weight_ih"]; WeightHh = v["weight_hh"]; BiasIh = v.TryFind "bias_ih"; BiasHh = v.TryFind "bias_hh" }
    let s = Cell.step kind p v["input"] { H = v["hx"]; C = v.TryFind "cx" }
    s.H :: Option.toList s.C

/// Inputs of a stack: input, h0 (c0) [layers·D; N; H] and its parameters.
let private stackInputs (s: RecurrentSpec) steps batch =
    let input = if s.BatchFirst then [| batch; steps; s.InputSize |] else [| steps; batch; s.InputSize |]
    let state = [| s.NumLayers * s.Directions; batch; s.HiddenSize |]
    [ yield "input", input
      yield "h0", state
      if s.Kind = CellKind.Lstm then yield "c0", state
      yield! Recurrent.parameterShapes s ]

let private stack (s: RecurrentSpec) lengths (v: Map<string, Expr>) =
    let r = Recurrent.run s v v["input"] (v.TryFind "h0") (v.TryFind "c0") lengths
    r.Output :: r.HN :: Option.toList r.CN

/// Forward and gradient node counts of L = Σ output ⊙ u for a 1-layer LSTM unrolled T steps.
let private lstmSizes steps =
    let s = Recurrent.spec CellKind.Lstm 3 4
    let v = Recurrent.variables "" s
    let input = Expr.var "input" [| steps; 2; 3 |]
    let r = Recurrent.run s v input None None None
    let loss = Expr.sumAll (r.Output * Expr.constant (Tensor.ones DType.Float64 r.Output.Shape))
    let wrt = input :: [ for KeyValue (_, p) in v -> p ]
    let gradients = Grad.grad loss wrt
    (Order.topological [ loss ]).Length, (Order.topological gradients).Length

[<Tests>]
let tests =
    testList "NN.Recurrent" [
        for kind in kinds do
            test $"{kind} cell: gradients w.r.t. every input match central differences" {
                for seed in 1UL .. 3UL do gradCheck seed (cellInputs kind 2 3 2) (cell kind)
            }
            test $"{kind} sequence (T = 3, h0 given): gradients incl. input and h0 match differences" {
                let s = Recurrent.spec kind 2 2
                gradCheck 7UL (stackInputs s 3 2) (stack s None)
            }
        test "2-layer bidirectional batch-first LSTM with lengths: gradients match differences" {
            let s = { Recurrent.spec CellKind.Lstm 2 2 with NumLayers = 2; Bidirectional = true; BatchFirst = true }
            gradCheck 11UL (stackInputs s 3 2) (stack s (Some [| 3; 2 |]))
        }
        test "2-layer bidirectional GRU, zero initial state: gradients match differences" {
            let s = { Recurrent.spec CellKind.Gru 2 2 with NumLayers = 2; Bidirectional = true }
            let inputs = stackInputs s 3 2 |> List.filter (fun (n, _) -> n <> "h0")
            gradCheck 13UL inputs (stack s None)
        }
        test "zero initial state: the forward graph is already simplified, so the gradient reuses it" {
            // Simplify.run leaves every node of h_T (and c_T) as it is: a simplified gradient
            // reads these very nodes instead of a rebuilt copy of the forward pass
            for kind in kinds do
                let s = { Recurrent.spec kind 2 3 with NumLayers = 2 }
                let v = Recurrent.variables "" s
                let r = Recurrent.run s v (Expr.var "input" [| 4; 2; 2 |]) None None None
                for e in r.HN :: Option.toList r.CN do
                    Expect.equal (Simplify.run e).Id e.Id $"{kind}: a fixpoint of Simplify"
        }
        test "a one-step sequence is the cell" {
            for kind in kinds do
                let s = Recurrent.spec kind 3 2
                let v = Recurrent.variables "" s
                let rng = SplitMix64 3UL
                let env = [ for name, shape in stackInputs s 1 2 -> name, random rng shape ] |> Map
                let vars = [ for name, shape in stackInputs s 1 2 -> name, Expr.var name shape ] |> Map
                let r = Recurrent.run s v vars["input"] (Some vars["h0"]) (vars.TryFind "c0") None
                let p = { WeightIh = v["weight_ih_l0"]; WeightHh = v["weight_hh_l0"]
                          BiasIh = Some v["bias_ih_l0"]; BiasHh = Some v["bias_hh_l0"] }
                let row (e: Expr) = Expr.slice [ Slice.Index 0 ] e
                let c = Cell.step kind p (row vars["input"]) { H = row vars["h0"]; C = vars.TryFind "c0" |> Option.map row }
                let a = Eval.runMany env [ row r.Output; row r.HN ]
                let b = Eval.runMany env [ c.H; c.H ]
                for x, y in List.zip a b do
                    Expect.sequenceEqual (Tensor.toArray x) (Tensor.toArray y) $"{kind}"
        }
        test "batch-first equals time-first on the transposed input" {
            let s = { Recurrent.spec CellKind.Gru 2 3 with NumLayers = 2; Bidirectional = true }
            let v = Recurrent.variables "" s
            let env = [ for name, shape in Recurrent.parameterShapes s -> name, random (SplitMix64 5UL) shape ] |> Map
            let x = random (SplitMix64 6UL) [| 4; 2; 2 |]
            let timeFirst = Recurrent.run s v (Expr.constant x) None None None
            let batchFirst = Recurrent.run { s with BatchFirst = true } v (Expr.constant (Tensor.contiguous (Tensor.transpose 0 1 x))) None None None
            let a = Eval.runMany env [ timeFirst.Output; timeFirst.HN ]
            let b = Eval.runMany env [ Expr.transpose 0 1 batchFirst.Output; batchFirst.HN ]
            for x, y in List.zip a b do
                Expect.isTrue (Array.forall2 (Tolerance.close 1e-12 1e-14) (Tensor.toArray x) (Tensor.toArray y)) "same values"
        }
        test "with lengths, each sequence's states equal running it alone, truncated; padding outputs 0" {
            let s = { Recurrent.spec CellKind.Lstm 2 3 with NumLayers = 2; Bidirectional = true }
            let v = Recurrent.variables "" s
            let env = [ for name, shape in Recurrent.parameterShapes s -> name, random (SplitMix64 8UL) shape ] |> Map
            let x = random (SplitMix64 9UL) [| 5; 3; 2 |]
            let lengths = [| 5; 2; 4 |]
            let padded = Recurrent.run s v (Expr.constant x) None None (Some lengths)
            let full = Eval.runMany env [ padded.Output; padded.HN; padded.CN.Value ]
            for n, length in Array.indexed lengths do
                let alone = Expr.slice [ Slice.Range (None, Some length, 1); Slice.Range (Some n, Some (n + 1), 1) ] (Expr.constant x)
                let r = Recurrent.run s v alone None None None
                let mine (t: Tensor) axis = Tensor.slice [| for a in 0 .. t.Rank - 1 -> if a = axis then Slice.Range (Some n, Some (n + 1), 1) else Slice.All |] t
                let expected = Eval.runMany env [ r.Output; r.HN; r.CN.Value ]
                let ok (a: Tensor) (e: Tensor) = Array.forall2 (Tolerance.close 1e-12 1e-14) (Tensor.toArray a) (Tensor.toArray e)
                Expect.isTrue (ok (mine full[1] 1) expected[1]) $"h_n of sequence {n}"
                Expect.isTrue (ok (mine full[2] 1) expected[2]) $"c_n of sequence {n}"
                let outputs = mine full[0] 1
                Expect.isTrue (ok (Tensor.slice [| Slice.Range (None, Some length, 1) |] outputs) expected[0]) $"outputs of {n}"
                Expect.isTrue (Tensor.toArray (Tensor.slice [| Slice.Range (Some length, None, 1) |] outputs) |> Array.forall ((=) 0.0)) "padding is 0"
        }
        test "BPTT: the unrolled LSTM and its gradient graph grow linearly in T" {
            let f10, g10 = lstmSizes 10
            let f30, g30 = lstmSizes 30
            let f50, g50 = lstmSizes 50
            printfn $"LSTM(I=3, H=4, N=2) nodes: T=10 forward {f10}, gradient {g10}; T=30 {f30}, {g30}; T=50 {f50}, {g50}"
            // the same number of nodes per step, whatever T: O(T), not O(T²) or exponential
            Expect.equal (f50 - f30) (f30 - f10) "forward nodes per 20 steps"
            Expect.equal (g50 - g30) (g30 - g10) "gradient nodes per 20 steps"
            Expect.isLessThanOrEqual ((g50 - g10) / 40) 80 "at most 80 gradient nodes per step"
        }
        test "BPTT: the parameter gradient's work is linear in T (Σ elements over all nodes)" {
            // guards against O(T²) tensors in what runs. The raw gradient places each step's
            // slice of the projected inputs X·W_ihᵀ into a full-size zero tensor (T of them);
            // the compiler first merges that sum into one concatenation (SumMerge), so count there
            let elements steps =
                let s = Recurrent.spec CellKind.Lstm 3 4
                let v = Recurrent.variables "" s
                let r = Recurrent.run s v (Expr.var "input" [| steps; 2; 3 |]) None None None
                let gradients = Grad.grad (Expr.sumAll r.Output) [ for KeyValue (_, p) in v -> p ]
                Order.topological (SumMerge.run gradients) |> Array.sumBy (fun e -> Array.fold (*) 1 e.Shape)
            let e10, e30, e50 = elements 10, elements 30, elements 50
            Expect.equal (e50 - e30) (e30 - e10) "elements per 20 steps"
        }
        test "BPTT: the simplified gradient of a 10-step LSTM has the same values, compiled or not" {
            let s = Recurrent.spec CellKind.Lstm 2 3
            let v = Recurrent.variables "" s
            let input = Expr.var "input" [| 10; 2; 2 |]
            let r = Recurrent.run s v input None None None
            let rng = SplitMix64 21UL
            let loss = Expr.sumAll (r.Output * Expr.constant (random rng r.Output.Shape)) + Expr.sumAll (Expr.square r.CN.Value)
            let wrt = input :: [ for KeyValue (_, p) in v -> p ]
            let raw = Grad.grad loss wrt
            let simplified = List.map Simplify.run raw
            let env = ("input", random rng input.Shape) :: [ for name, shape in Recurrent.parameterShapes s -> name, random rng shape ] |> Map
            let sizeRaw, sizeSimplified = (Order.topological raw).Length, (Order.topological simplified).Length
            printfn $"LSTM T=10 gradient graph: raw {sizeRaw} nodes, simplified {sizeSimplified}"
            Expect.isLessThanOrEqual sizeSimplified sizeRaw "simplifying does not grow the graph"
            let reference = Eval.runMany env raw
            for how, values in [ "simplified", Eval.runMany env simplified; "compiled", (Compile.program simplified).Run env ] do
                for a, e in List.zip values reference do
                    Expect.isTrue (Array.forall2 (Tolerance.close 1e-12 1e-14) (Tensor.toArray a) (Tensor.toArray e)) how
        }
        test "a fixed-seed LSTM learns 'is the first token 1' with Adam in 150 steps" {
            let steps, hiddenSize = 6, 6
            let s = Recurrent.spec CellKind.Lstm 1 hiddenSize
            let v = Recurrent.variables "lstm." s
            let headW, headB = Expr.var "head.weight" [| 1; hiddenSize |], Expr.var "head.bias" [| 1 |]
            // every bit pattern of length T, time-first [T; 2ᵀ; 1]; target = the first bit
            let batch = 1 <<< steps
            let bit t n = float ((n >>> t) &&& 1)
            let x = Tensor.ofArray [| steps; batch; 1 |] [| for t in 0 .. steps - 1 do for n in 0 .. batch - 1 -> bit t n |]
            let y = Tensor.ofArray [| batch; 1 |] [| for n in 0 .. batch - 1 -> bit 0 n |]
            let r = Recurrent.run s v (Expr.var "x" x.Shape) None None None
            let logits = Cell.linear (Expr.slice [ Slice.Index 0 ] r.HN) headW (Some headB)
            let loss = ReferenceLosses.binaryCrossEntropyWithLogits logits (Expr.var "y" y.Shape)
            let rng = SplitMix64 2024UL
            let parameters =
                Recurrent.init rng DType.Float64 s |> List.map (fun (n, t) -> v[n], t)
                |> List.append [ headW, Init.uniform rng DType.Float64 0.4 [| 1; hiddenSize |]; headB, Tensor.zeros DType.Float64 [| 1 |] ]
            let wrt = List.map fst parameters
            let program = Compile.program (loss :: logits :: Grad.grad loss wrt)
            let tensors = parameters |> List.map snd |> Array.ofList
            let names = parameters |> List.map (fun (e, _) -> match e.Node with Node.Var n -> n | _ -> "?")
            let adam = Optimizer.Adam { AdamOptions.Defaults with LearningRate = 0.05 }
            let states = Optimizer.init adam tensors
            let env () = List.zip names (List.ofArray tensors) @ [ "x", x; "y", y ] |> Map
            let first = Tensor.item (program.Run (env ())).Head
            for _ in 1 .. 150 do
                match program.Run (env ()) with
                | _ :: _ :: grads -> Optimizer.step adam states tensors (Array.ofList grads)
                | _ -> failtest "program outputs"
            let last = program.Run (env ())
            let accuracy =
                Array.map2 (fun z t -> if (z > 0.0) = (t = 1.0) then 1.0 else 0.0) (Tensor.toArray last[1]) (Tensor.toArray y) |> Array.average
            printfn $"toy LSTM: loss {first:F4} → {Tensor.item last.Head:F4}, accuracy {accuracy}"
            Expect.equal accuracy 1.0 "every sequence classified"
            Expect.isLessThan (Tensor.item last.Head) 0.05 "loss"
        }
        test "embedding: rows by id; its gradient scatter-adds repeated ids" {
            let w = Embedding.weight "emb" 4 2
            let table = Tensor.ofArray [| 4; 2 |] [| 0.; 1.; 10.; 11.; 20.; 21.; 30.; 31. |]
            let ids = Expr.constant (Tensor.ofArray [| 3 |] [| 2.; 0.; 2. |])
            let out = Embedding.lookup w ids
            let env = Map [ "emb", table ]
            Expect.sequenceEqual (Tensor.toArray (Eval.run env out)) [| 20.; 21.; 0.; 1.; 20.; 21. |] "rows"
            let g = Eval.run env (Grad.grad (Expr.sumAll out) [ w ] |> List.exactlyOne)
            Expect.sequenceEqual (Tensor.toArray g) [| 1.; 1.; 0.; 0.; 2.; 2.; 0.; 0. |] "counts"
            let e = Embedding.init (SplitMix64 1UL) DType.Float64 5 3
            Expect.equal e.Shape [| 5; 3 |] "init shape"
        }
        test "clipping by global norm rescales all gradients together; by value clamps" {
            let a, b = Tensor.ofArray [| 2 |] [| 3.0; 0.0 |], Tensor.ofArray [| 1 |] [| 4.0 |]
            let clipped, norm = GradientClipping.byGlobalNorm 1.0 [| a; b |]
            Expect.floatClose Accuracy.veryHigh norm 5.0 "norm before"
            let c = 1.0 / (5.0 + 1e-6)
            Expect.sequenceEqual (Tensor.toArray clipped[0]) [| 3.0 * c; 0.0 |] "a rescaled"
            Expect.sequenceEqual (Tensor.toArray clipped[1]) [| 4.0 * c |] "b rescaled"
            let same, _ = GradientClipping.byGlobalNorm 10.0 [| a; b |]
            Expect.sequenceEqual (Tensor.toArray same[1]) [| 4.0 |] "under the limit: unchanged"
            let v = GradientClipping.byValue 2.0 [| Tensor.ofArray [| 3 |] [| -5.0; 1.5; 3.0 |] |]
            Expect.sequenceEqual (Tensor.toArray v[0]) [| -2.0; 1.5; 2.0 |] "clamped"
        }
    ]
