/// Test helpers for gradients: random tensors from a seed, and the finite-difference check.
/// Everything a case needs is drawn from SplitMix64(seed), so a failure replays from its seed.
module ScratchML.Tests.Core.Diff.Check

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML
open ScratchML.Tests

/// A float64 tensor of a shape with elements from `draw`.
let tensor (shape: int[]) (draw: unit -> float) = Tensor.ofArray shape (Array.init (Shape.numel shape) (fun _ -> draw ()))

/// Uniform in [lo, hi).
let uniform (rng: SplitMix64) lo hi () = lo + (hi - lo) * rng.Uniform()

/// ±[lo, hi): away from 0 (off the kinks of relu, abs, sign…).
let offZero (rng: SplitMix64) lo hi () =
    let v = lo + (hi - lo) * rng.Uniform()
    if rng.Below 2 = 0 then v else -v

/// A random shape: 1–3 axes of sizes 1–4.
let shape (rng: SplitMix64) = Array.init (1 + rng.Below 3) (fun _ -> 1 + rng.Below 4)

/// A shape that broadcasts to `shape`: some axes set to 1, some leading axes dropped.
let broadcastable (rng: SplitMix64) (shape: int[]) =
    let dropped = rng.Below (shape.Length + 1)
    shape[dropped..] |> Array.map (fun d -> if rng.Below 3 = 0 then 1 else d)

/// |a − n| ≤ 1e-6 + 1e-4·max(|a|, |n|) for every element; the first offender otherwise.
let compare (analytic: Tensor) (numeric: Tensor) =
    let a, n = Tensor.toArray analytic, Tensor.toArray numeric
    if a.Length <> n.Length then Some $"sizes differ: {a.Length} vs {n.Length}"
    else
        Array.zip a n |> Array.tryFindIndex (fun (a, n) -> not (Tolerance.grad a n))
        |> Option.map (fun i -> $"element {i}: analytic {a[i]} numeric {n[i]}")

/// Central differences of the scalar `at` around x0 for every element of x0 (h = 1e-6).
let numericGradient (at: Tensor -> float) (x0: Tensor) =
    let data = Tensor.toArray x0
    let bumped i (h: float) = let d = Array.copy data in d[i] <- d[i] + h; Tensor.ofArray x0.Shape d
    Tensor.ofArray x0.Shape (Array.init data.Length (fun i -> (at (bumped i 1e-6) - at (bumped i -1e-6)) / 2e-6))

/// The symbolic gradient of Σ u ⊙ f(vars) (u random: a projection to a scalar) against central
/// differences, for every input. None when all agree, else what differs.
let gradientError (seed: int) (f: Expr list -> Expr) (inputs: (string * Tensor) list) =
    let vars = inputs |> List.map (fun (name, t) -> Expr.var name t.Shape)
    let y = f vars
    let rng = SplitMix64(uint64 seed + 7UL)
    let u = Expr.constant (tensor y.Shape (uniform rng -1.0 1.0))
    let s = Expr.sumAll (u * y)
    let env = Map inputs
    let grads = Grad.grad s vars
    let analytic = Eval.runMany env grads
    List.zip3 inputs grads analytic |> List.tryPick (fun ((name, x0), g, a) ->
        if g.Shape <> x0.Shape then Some $"d/d{name}: gradient shape {Shape.show g.Shape}, input {Shape.show x0.Shape}"
        else
            let at t = Eval.run (Map.add name t env) s |> Tensor.item
            compare a (numericGradient at x0) |> Option.map (fun m -> $"d/d{name} {Shape.show x0.Shape}: {m}"))

/// The configuration of the property tests: about 100 cases.
let config = { FsCheckConfig.defaultConfig with maxTest = 100 }

/// A property over a seed: `case seed` returns None (pass) or a message; failures print the seed.
let seeded name (case: int -> string option) =
    testPropertyWithConfig config name <| Prop.forAll (Arb.fromGen (Gen.choose (0, Int32.MaxValue))) (fun seed ->
        match case seed with
        | None -> true
        | Some message -> failtest $"seed {seed}: {message}")

/// The gradient check of `f` on inputs drawn from a seed.
let gradCheck name (draw: SplitMix64 -> (Expr list -> Expr) * (string * Tensor) list) =
    seeded name (fun seed ->
        let f, inputs = draw (SplitMix64(uint64 seed))
        gradientError seed f inputs)

/// A random well-shaped graph on x [a; b], y [b], z [a; b] composing 4–11 smooth primitives in
/// a chain (depth ≥ 4), each also reading a random earlier node. Values stay O(1) (tanh,
/// sigmoid, softplus guard exp, log and pow); no kinks, so finite differences apply.
let randomGraph (rng: SplitMix64) : (Expr list -> Expr) * (string * Tensor) list =
    let a, b = 1 + rng.Below 4, 1 + rng.Below 4
    let graphSeed = rng.Next()
    let steps = 4 + rng.Below 8
    let build (vars: Expr list) =
        let rng = SplitMix64 graphSeed
        let pool = ResizeArray<Expr>(vars)
        let full (e: Expr) = if e.Shape = [| a; b |] then e else Expr.broadcastTo [| a; b |] e
        let mutable cur = vars.Head
        for _ in 1 .. steps do
            let other = pool[rng.Below pool.Count]
            let next =
                match rng.Below 19 with
                | 0 -> cur + other
                | 1 -> cur - other
                | 2 -> cur * Expr.tanh other
                | 3 -> Expr.tanh cur
                | 4 -> 2.0 * Expr.sigmoid cur
                | 5 -> Expr.softplus cur
                | 6 -> Expr.sin cur + Expr.cos other
                | 7 -> Expr.exp (Expr.tanh cur)
                | 8 -> Expr.log (Expr.softplus cur + 0.5)
                | 9 -> cur + Expr.sum [ rng.Below 2 ] true (full other)
                | 10 -> cur - Expr.logSumExp [ rng.Below 2 ] true cur
                | 11 -> Expr.logSoftmax (rng.Below 2) cur
                | 12 -> 0.3 * Expr.matmul (Expr.matmul cur (Expr.transpose 0 1 (full other))) (Expr.tanh cur)
                | 13 -> Expr.transpose 0 1 (Expr.reshape [| b; a |] cur) + other
                | 14 when a >= 2 ->
                    let top = Expr.slice [ Slice.Range (None, Some 1, 1) ] cur
                    let rest = Expr.slice [ Slice.Range (Some 1, None, 1) ] cur
                    Expr.concat 0 [ Expr.tanh rest; top ]
                | 15 -> cur / (1.0 + Expr.square other)
                | 16 -> Expr.pow (Expr.softplus cur + 0.5) (0.5 * Expr.tanh other)
                | 17 ->
                    let idx = Expr.constant (tensor [| b |] (fun () -> float (rng.Below b)))
                    Expr.indexSelect 1 idx cur * other
                | _ ->
                    let mask = Expr.constant (tensor [| a; b |] (fun () -> float (rng.Below 2)))
                    Expr.where mask cur (Expr.tanh other)
            pool.Add next
            cur <- next
        cur
    build,
    [ "x", tensor [| a; b |] (uniform rng -1.5 1.5)
      "y", tensor [| b |] (uniform rng -1.5 1.5)
      "z", tensor [| a; b |] (uniform rng -1.5 1.5) ]
