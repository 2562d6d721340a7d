/// Simplified derivatives read like a computer algebra system's, and simplifying a gradient
/// graph keeps its values (evaluated with Eval) and never grows it.
module ScratchML.Tests.Core.Simplify.DerivativesTests

open System
open Expecto
open ScratchML
open ScratchML.Tests.Core
open ScratchML.Tests.Core.Diff

let private x = Expr.scalarVar "x"

/// d/dx f, simplified and printed.
let private derivative (f: Expr) = Print.infix (Simplify.run (Grad.grad f [ x ] |> List.exactlyOne))

let private golden (f: Expr) (expected: string) =
    test $"d/dx {Print.infix f} = {expected}" { Expect.equal (derivative f) expected "simplified derivative" }

/// The nodes of a DAG.
let private size (e: Expr) = (Order.topological [ e ]).Length

[<Tests>]
let tests =
    testList "Simplify.Derivatives" [
        golden (Expr.tanh x) "1 - tanh(x)^2"
        golden (1.0 / (1.0 + Expr.exp (-x))) "exp(-x)/(1 + exp(-x))^2"
        golden (Expr.sigmoid x) "sigmoid(x)*(1 - sigmoid(x))"
        golden (Expr.Pow(x, x)) "x^x*(log(x) + 1)"
        golden (Expr.sin x * Expr.cos x) "cos(x)^2 - sin(x)^2"
        golden (Expr.log (Expr.Pow(x, 2.0) + 1.0)) "2*x/(x^2 + 1)"
        golden (x * Expr.exp x) "exp(x)*(x + 1)"
        golden (x / (x + 1.0)) "1/(x + 1) - x/(x + 1)^2"
        golden (Expr.sqrt (x * x + 1.0)) "x/sqrt(x^2 + 1)"
        golden (Expr.Pow(x, 3.0) - 2.0 * x) "3*x^2 - 2"
        golden (Expr.exp (2.0 * x)) "2*exp(2*x)"
        golden (Expr.log (Expr.sin x)) "cos(x)/sin(x)"
        golden (Expr.softplus x) "sigmoid(x)"
        golden (Expr.exp (Expr.log x)) "exp(log(x))/x"
        test "softmax + cross-entropy, one-hot targets: (softmax(z) − y)/n" {
            let z = Expr.var "z" [| 2; 3 |]
            let y = Expr.constant (Tensor.oneHot DType.Float64 3 [| 0; 2 |])
            let loss = -(Expr.sumAll (y * Expr.logSoftmax 1 z)) / 2.0
            let g = Simplify.run (Grad.grad loss [ z ] |> List.exactlyOne)
            Expect.equal (Print.infix g) "(softmax(z) - [[1, 0, 0], [0, 0, 1]])/2" "gradient"
        }
        test "softmax + cross-entropy, any targets y: rows of y need not sum to 1" {
            let z = Expr.var "z" [| 4; 3 |]
            let y = Expr.var "y" [| 4; 3 |]
            let loss = -(Expr.sumAll (y * Expr.logSoftmax 1 z)) / 4.0
            let g = Simplify.run (Grad.grad loss [ z ] |> List.exactlyOne)
            Expect.equal (Print.infix g) "(softmax(z)*sum(y, axis=1, keepdim=true) - y)/4" "gradient"
        }
        test "an MLP's output-layer gradient, as a listing" {
            let x = Expr.var "x" [| 64; 784 |]
            let w1, b1 = Expr.var "w1" [| 784; 256 |], Expr.var "b1" [| 256 |]
            let w2, b2 = Expr.var "w2" [| 256; 10 |], Expr.var "b2" [| 10 |]
            let y = Expr.var "y" [| 64; 10 |]
            let logits = Expr.matmul (Expr.tanh (Expr.matmul x w1 + b1)) w2 + b2
            let loss = -(Expr.sumAll (y * Expr.logSoftmax 1 logits)) / 64.0
            let dw2 = Simplify.run (Grad.grad loss [ w2 ] |> List.exactlyOne)
            Expect.equal (Print.listing dw2)
                ("let t1 = tanh(x @ w1 + b1)\n"
                 + "t1.T @ ((softmax(t1 @ w2 + b2)*sum(y, axis=1, keepdim=true) - y)/64)") "listing"
        }
        test "the sigmoid's derivative in LaTeX" {
            let d = Simplify.run (Grad.grad (1.0 / (1.0 + Expr.exp (-x))) [ x ] |> List.exactlyOne)
            Expect.equal (Print.latex d)
                @"\frac{\exp\left(-x\right)}{{\left(1 + \exp\left(-x\right)\right)}^{2}}" "latex"
        }
        Check.seeded "simplified gradients of random tensor graphs keep their values" (fun seed ->
            let f, inputs = Check.randomGraph (SplitMix64(uint64 seed))
            let vars = inputs |> List.map (fun (name, t) -> Expr.var name t.Shape)
            let out = f vars
            let u = Expr.constant (Check.tensor out.Shape (Check.uniform (SplitMix64(uint64 seed + 1UL)) -1.0 1.0))
            let raw = Grad.grad (Expr.sumAll (u * out)) vars
            let simplified = raw |> List.map Simplify.run
            let env = Map inputs
            List.zip3 vars raw simplified |> List.tryPick (fun (v, r, s) ->
                let a, b = Tensor.toArray (Eval.run env r), Tensor.toArray (Eval.run env s)
                let scale = 1.0 + (Array.append a b |> Array.map abs |> Array.max)
                let bad = Array.exists2 (fun p q -> Double.IsFinite p && not (abs (p - q) <= 1e-9 * scale)) a b
                if bad then Some $"d/d{Print.infix v}: {Print.infix r}\n→ {Print.infix s}\n{a}\nvs {b}" else None))
        // a rule may add a node or two (a new constant, a factored sum whose old terms are still
        // used elsewhere), never a copy of a sub-graph: growth stays a small fraction
        Check.seeded "simplifying a gradient is idempotent and grows it by at most 10% + 3 nodes" (fun seed ->
            let f, inputs = Check.randomGraph (SplitMix64(uint64 seed))
            let vars = inputs |> List.map (fun (name, t) -> Expr.var name t.Shape)
            let loss = Expr.sumAll (f vars)
            Grad.grad loss vars |> List.tryPick (fun r ->
                let s = Simplify.run r
                if (Simplify.run s).Id <> s.Id then Some $"not idempotent: {Print.infix s}"
                elif size s > size r + size r / 10 + 3 then Some $"grew from {size r} to {size s} nodes: {Print.listing s}"
                else None))
    ]
