/// The reverse sweep: gradients of random graphs, second derivatives (the gradient is itself an
/// expression), vector-Jacobian products, and the size of gradient graphs (O(N)).
module ScratchML.Tests.Core.Diff.GradTests

open Expecto
open ScratchML
open ScratchML.Tests.Core.Diff.Check

/// Hessian-vector product H·v of s = Σ u ⊙ f(vars) w.r.t. the first input, symbolically
/// (grad of ⟨∇s, v⟩) against central differences of the symbolic gradient (h = 1e-5).
let private hvpError seed (f: Expr list -> Expr) (inputs: (string * Tensor) list) =
    let vars = inputs |> List.map (fun (name, t) -> Expr.var name t.Shape)
    let x = vars.Head
    let name, x0 = inputs.Head
    let rng = SplitMix64(uint64 seed + 11UL)
    let y = f vars
    let s = Expr.sumAll (Expr.constant (tensor y.Shape (uniform rng -1.0 1.0)) * y)
    let v = tensor x.Shape (uniform rng -1.0 1.0)
    let g = Grad.grad s [ x ] |> List.head
    let hv = Grad.grad (Expr.sumAll (g * Expr.constant v)) [ x ] |> List.head
    let env = Map inputs
    let analytic = Eval.run env hv
    let h = 1e-5
    let gradAt (t: Tensor) = Eval.run (Map.add name t env) g |> Tensor.toArray
    let shifted sign = Tensor.ofArray x0.Shape (Array.map2 (fun a b -> a + sign * h * b) (Tensor.toArray x0) (Tensor.toArray v))
    let numeric = Tensor.ofArray x0.Shape (Array.map2 (fun p m -> (p - m) / (2.0 * h)) (gradAt (shifted 1.0)) (gradAt (shifted -1.0)))
    compare analytic numeric

/// Nodes of the DAG below some outputs.
let count (outputs: Expr list) = (Order.topological outputs).Length

/// A random graph of at least n nodes: a chain of smooth ops on [2; 3] values, each step also
/// reading a random earlier node.
let bigGraph (n: int) =
    let rng = SplitMix64 2024UL
    let x = Expr.var "x" [| 2; 3 |]
    let w = Expr.var "w" [| 3 |]
    let pool = ResizeArray [ x; x * w ]
    let mutable cur = x
    let mutable k = 0
    while k % 64 <> 0 || count [ cur ] < n do   // count now and then: counting is O(N)
        let other = pool[rng.Below pool.Count]
        k <- k + 1
        cur <-
            match rng.Below 8 with
            | 0 -> cur + other
            | 1 -> cur * Expr.tanh other
            | 2 -> Expr.tanh cur
            | 3 -> Expr.sigmoid (cur - other)
            | 4 -> cur + Expr.sum [ 1 ] true other
            | 5 -> Expr.logSoftmax 1 cur
            | 6 -> cur / (1.0 + Expr.square other) + float k   // a fresh constant keeps nodes distinct
            | _ -> Expr.matmul (Expr.matmul cur (Expr.transpose 0 1 other)) cur * 0.1
        pool.Add cur
    Expr.sumAll cur, [ x; w ]

/// MLP loss with the W1 shapes: x [64; 784] → Linear 256 → relu → Linear 10 → mean cross-entropy.
let mlp () =
    let x = Expr.var "x" [| 64; 784 |]
    let w1, b1 = Expr.var "w1" [| 784; 256 |], Expr.var "b1" [| 256 |]
    let w2, b2 = Expr.var "w2" [| 256; 10 |], Expr.var "b2" [| 10 |]
    let target = Expr.var "target" [| 64 |]
    let logits = Expr.matmul (Expr.relu (Expr.matmul x w1 + b1)) w2 + b2
    ReferenceLosses.crossEntropy logits target, [ w1; b1; w2; b2 ]

[<Tests>]
let tests =
    testList "Diff.Grad" [
        seeded "random graphs: gradient matches finite differences" (fun seed ->
            let f, inputs = randomGraph (SplitMix64(uint64 seed))
            gradientError seed f inputs)
        seeded "random graphs: Hessian-vector product matches differences of the gradient" (fun seed ->
            let f, inputs = randomGraph (SplitMix64(uint64 seed))
            hvpError seed f inputs)
        test "second derivatives of scalar functions" {
            let x = Expr.scalarVar "x"
            let second f = Grad.grad (Grad.grad (f x) [ x ] |> List.head) [ x ] |> List.head
            let at v e = Eval.run (Map [ "x", Tensor.scalar DType.Float64 v ]) e |> Tensor.item
            for v in [ -1.3; 0.4; 2.1 ] do
                let t = tanh v
                Expect.floatClose Accuracy.high (at v (second Expr.tanh)) (-2.0 * t * (1.0 - t * t)) "tanh''"
                let s = 1.0 / (1.0 + exp -v)
                Expect.floatClose Accuracy.high (at v (second Expr.sigmoid)) (s * (1.0 - s) * (1.0 - 2.0 * s)) "sigmoid''"
                Expect.floatClose Accuracy.high (at v (second (fun x -> Expr.exp (Expr.sin x))))
                    (exp (sin v) * (cos v * cos v - sin v)) "(e^sin)''"
                Expect.floatClose Accuracy.high (at v (second (fun x -> Expr.log (1.0 + x * x))))
                    ((2.0 - 2.0 * v * v) / ((1.0 + v * v) ** 2.0)) "log(1+x²)''"
            // x^x: both arguments of pow depend on x; (x^x)'' = x^x ((1 + ln x)² + 1/x)
            for v in [ 0.5; 1.7 ] do
                Expect.floatClose Accuracy.high (at v (second (fun x -> Expr.pow x x)))
                    (v ** v * ((1.0 + log v) ** 2.0 + 1.0 / v)) "(x^x)''"
        }
        test "vjp of a non-scalar output equals grad of the projected sum" {
            let x = Expr.var "x" [| 2; 3 |]
            let y = Expr.tanh (Expr.matmul x (Expr.transpose 0 1 x))
            let u = Expr.constant (Tensor.ofArray [| 2; 2 |] [| 1.0; -2.0; 0.5; 3.0 |])
            let env = Map [ "x", Tensor.ofArray [| 2; 3 |] [| 0.1; 0.2; -0.3; 0.4; -0.5; 0.6 |] ]
            let viaVjp = Eval.run env (Grad.vjp y u [ x ] |> List.head)
            let viaGrad = Eval.run env (Grad.grad (Expr.sumAll (u * y)) [ x ] |> List.head)
            Expect.isTrue (Tensor.allClose 1e-14 1e-15 viaVjp viaGrad) "same values"
        }
        test "a variable the loss does not depend on gets zeros of its shape" {
            let x, w = Expr.var "x" [| 3 |], Expr.var "w" [| 2; 2 |]
            let g = Grad.grad (Expr.sumAll (Expr.exp x)) [ w ] |> List.head
            Expect.equal g.Shape [| 2; 2 |] "shape"
            Expect.equal (Tensor.toArray (Eval.run (Map [ "x", Tensor.zeros DType.Float64 [| 3 |] ]) g)) (Array.zeroCreate 4) "zeros"
        }
        test "a broadcast argument gets its gradient summed back to its shape" {
            let x, b = Expr.var "x" [| 2; 3 |], Expr.var "b" [| 3 |]
            let g = Grad.grad (Expr.sumAll (x * b)) [ b ] |> List.head
            Expect.equal g.Shape [| 3 |] "shape"
            let env = Map [ "x", Tensor.ofArray [| 2; 3 |] [| 1.0; 2.0; 3.0; 4.0; 5.0; 6.0 |]; "b", Tensor.ones DType.Float64 [| 3 |] ]
            Expect.equal (Tensor.toArray (Eval.run env g)) [| 5.0; 7.0; 9.0 |] "column sums"
        }
        test "grad of a non-scalar output is an error that points at vjp" {
            let x = Expr.var "x" [| 3 |]
            let e = Expect.throwsC (fun () -> Grad.grad (Expr.exp x) [ x ] |> ignore) id
            Expect.stringContains e.Message "vjp" "hint"
        }
        test "the gradient with respect to an intermediate node is the upstream reaching it" {
            let x = Expr.var "x" [| 3 |]
            let h = Expr.tanh x
            let loss = Expr.sumAll (h * h)
            let dh, dx = match Grad.grad loss [ h; x ] with [ a; b ] -> a, b | _ -> failwith "two"
            let env = Map [ "x", Tensor.ofArray [| 3 |] [| 0.5; -1.0; 2.0 |] ]
            let hv = Eval.run env h |> Tensor.toArray
            Expect.equal (Eval.run env dh |> Tensor.toArray) (hv |> Array.map (fun v -> 2.0 * v)) "2h"
            let expected = hv |> Array.map (fun v -> 2.0 * v * (1.0 - v * v))
            Expect.isTrue (Tensor.allClose 1e-15 1e-15 (Eval.run env dx) (Tensor.ofArray [| 3 |] expected)) "2h·(1 − h²)"
        }
        test "an upstream of the wrong shape is an error naming both shapes" {
            let x = Expr.var "x" [| 2; 3 |]
            let e = Expect.throwsC (fun () -> Grad.vjp (Expr.exp x) (Expr.var "u" [| 3; 2 |]) [ x ] |> ignore) id
            Expect.stringContains e.Message "[3; 2]" "upstream"
            Expect.stringContains e.Message "[2; 3]" "output"
        }
        test "gradient graphs are O(N): MLP and random graphs of 2,500 to 10,000 nodes" {
            let ratio (loss: Expr) wrt =
                let clock = System.Diagnostics.Stopwatch.StartNew()
                let grads = Grad.grad loss wrt
                let ms = clock.Elapsed.TotalMilliseconds
                let forward = count [ loss ]
                let added = count (loss :: grads) - forward
                forward, added, float added / float forward, ms
            let mf, mg, mr, _ = (mlp ()) ||> ratio
            printfn $"gradient size: MLP forward {mf} nodes, gradient adds {mg} (ratio {mr:F2})"
            let ratios =
                [ for n in [ 2_500; 5_000; 10_000 ] ->
                    let f, g, r, ms = bigGraph n ||> ratio
                    printfn $"gradient size: random graph forward {f} nodes, gradient adds {g} (ratio {r:F2}, Grad.grad {ms:F0} ms)"
                    r ]
            Expect.isLessThan mr 8.0 "linear in N"
            for r in ratios do Expect.isLessThan r 8.0 "linear in N"
            // O(N): the ratio does not grow with N (a tree expansion would grow exponentially)
            Expect.isLessThan (List.max ratios / List.min ratios) 1.5 "constant ratio"
        }
    ]
