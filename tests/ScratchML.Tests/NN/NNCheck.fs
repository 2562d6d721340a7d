/// Helpers for the NN tests: float64 tensors from arrays, evaluation, and a finite-difference
/// gradient check of any scalar graph with respect to several named variables.
module ScratchML.Tests.NN.NNCheck

open Expecto
open ScratchML
open ScratchML.NN

/// A contiguous float64 tensor of a shape over row-major values.
let tensor (shape: int[]) (values: float[]) =
    Tensor(Storage.F64 (Array.copy values), Array.copy shape, Shape.rowMajorStrides shape, 0)

/// Values of a shape drawn U(lo, hi) from a seeded SplitMix64 stream.
let random (seed: int) (lo: float) (hi: float) (shape: int[]) =
    let rng = SplitMix64(uint64 seed)
    tensor shape (Array.init (Shape.numel shape) (fun _ -> lo + (hi - lo) * rng.Uniform()))

/// Every element of a tensor, row-major.
let values (t: Tensor) = Array.init t.Numel (Buffers.at t)

/// The value of a scalar expression.
let scalarOf (env: Map<string, Tensor>) (e: Expr) = Buffers.at (Eval.run env e) 0

/// Central differences (h = 1e-6) of a scalar graph against Grad.grad for each named variable
/// in env; pass when |a − n| ≤ 1e-6 + 1e-4·max(|a|, |n|) (STYLE §7).
let gradCheck (env: Map<string, Tensor>) (wrt: Expr list) (loss: Expr) =
    let analytic = Grad.grad loss wrt |> List.map (Eval.run env >> values)
    for v, a in List.zip wrt analytic do
        let name = match v with Var n -> n | _ -> failwith "wrt must be variables"
        let x0 = values env[name]
        let at (x: float[]) = scalarOf (env.Add(name, tensor v.Shape x)) loss
        for i in 0 .. x0.Length - 1 do
            let bump h = Array.mapi (fun j x -> if j = i then x + h else x) x0
            let numeric = (at (bump 1e-6) - at (bump -1e-6)) / 2e-6
            Expect.isTrue (abs (a[i] - numeric) <= 1e-6 + 1e-4 * max (abs a[i]) (abs numeric))
                $"∂/∂{name}[{i}]: analytic {a[i]}, numeric {numeric}"

/// A random projection Σ u ⊙ f to a scalar, so a non-scalar output can be gradient-checked.
let project (seed: int) (e: Expr) =
    Expr.sumAll (Expr.constant (random seed -1.0 1.0 e.Shape) * e)
