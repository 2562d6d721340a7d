/// Each rule on its own: the identity it names, its guard, and the shape it keeps.
module ScratchML.Tests.Core.Simplify.RulesTests

open Expecto
open ScratchML

let private x, y, z = Expr.scalarVar "x", Expr.scalarVar "y", Expr.scalarVar "z"
let private rule name = Rules.all |> List.find (fun (n, _) -> n = name) |> snd

/// The rule rewrites `input` once, to `expected` (infix).
let private fires name (input: Expr) (expected: string) =
    test $"{name}: {Print.infix input} → {expected}" {
        match rule name input with
        | Some r -> Expect.equal (Print.infix r) expected "rewritten"
        | None -> failtest $"{name} did not fire on {Print.infix input}"
    }

/// The rule's guard keeps it from rewriting `input`.
let private holds name (input: Expr) =
    test $"{name} leaves {Print.infix input}" {
        Expect.isNone (rule name input |> Option.map Print.infix) "no rewrite"
    }

[<Tests>]
let tests =
    testList "Simplify.Rules" [
        fires "fold" (Expr.scalar 2.0 * 3.0) "6"
        fires "fold" (Expr.scalar 1.0 / 4.0) "0.25"
        holds "fold" (Expr.scalar 1.0 / 3.0)                             // 1/3 stays exact
        holds "fold" (Expr.log (Expr.scalar 2.0))
        fires "fold" (Expr.exp (Expr.scalar 0.0)) "1"
        fires "add-zero" (x + 0.0) "x"
        fires "add-zero" (0.0 + x) "x"
        fires "sub-zero" (x - 0.0) "x"
        fires "zero-sub" (0.0 - x) "-x"
        fires "mul-one" (x * 1.0) "x"
        fires "mul-one" (1.0 * x) "x"
        fires "mul-zero" (Expr.sin x * 0.0) "0"
        fires "div-one" (x / 1.0) "x"
        fires "zero-div" (0.0 / Expr.exp x) "0"
        holds "zero-div" (0.0 / x)                                         // 0/0 is NaN
        fires "sub-self" (Expr.sin x - Expr.sin x) "0"
        fires "div-self" (Expr.exp x / Expr.exp x) "1"
        holds "div-self" (x / x)                                           // x may be 0
        fires "neg-neg" (-(-x)) "x"
        fires "log-exp" (Expr.log (Expr.exp x)) "x"
        fires "exp-log" (Expr.exp (Expr.log (Expr.sqrt x + 1.0))) "sqrt(x) + 1"
        fires "exp-log" (Expr.exp (Expr.log (Expr.sigmoid x))) "sigmoid(x)"
        holds "exp-log" (Expr.exp (Expr.log x))                            // x may be ≤ 0
        holds "exp-log" (Expr.exp (Expr.log (Expr.sqrt x)))                // sqrt(0) = 0
        fires "pow-one" (Expr.Pow(x, 1.0)) "x"
        fires "pow-zero" (Expr.Pow(x, 0.0)) "1"
        fires "one-pow" (Expr.Pow(Expr.scalar 1.0, x)) "1"
        fires "mul-self" (Expr.tanh x * Expr.tanh x) "tanh(x)^2"
        fires "pow-mul" (Expr.Pow(x, 2.0) * Expr.Pow(x, 3.0)) "x^(2 + 3)"
        fires "pow-mul" (x * Expr.Pow(x, x - 1.0)) "x^(1 + (x - 1))"
        fires "pow-div" (Expr.Pow(x, 3.0) / x) "x^2"
        fires "pow-pow" (Expr.Pow(Expr.Pow(x, 0.5), 2.0)) "x^(0.5*2)"
        holds "pow-pow" (Expr.Pow(Expr.Pow(x, 2.0), 0.5))                  // √(x²) = |x|
        fires "pow-pow" (Expr.Pow(Expr.Pow(Expr.exp x, 2.0), 0.5)) "exp(x)^(2*0.5)"
        fires "pow-neg-even" (Expr.Pow(-x, 2.0)) "x^2"
        holds "pow-neg-even" (Expr.Pow(-x, 3.0))
        fires "mul-const-first" (x * 2.0) "2*x"
        fires "mul-consts" (Expr.scalar 2.0 * (Expr.scalar 3.0 * x)) "6*x"
        fires "mul-assoc-const" ((Expr.scalar 2.0 * x) * y) "2*(x*y)"
        fires "mul-minus-one" (Expr.scalar -1.0 * x) "-x"
        fires "mul-neg-const" (Expr.scalar -2.0 * x) "-2*x"
        fires "mul-reciprocal" (Expr.scalar 0.25 * x) "x/4"
        fires "div-const" ((Expr.scalar 3.0 * x) / 2.0) "1.5*x"
        fires "add-neg" (x + -y) "x - y"
        fires "add-neg" (-x + y) "y - x"
        fires "sub-neg" (x - -y) "x + y"
        fires "neg-sub-left" (-x - y) "-(x + y)"
        fires "neg-sub" (-(x - y)) "y - x"
        fires "add-neg-const" (x + -2.0) "x - 2"
        fires "add-neg-const" (x - -2.0) "x + 2"
        fires "mul-neg" (-x * y) "-x*y"                                      // −(x·y), printed minimally
        fires "div-neg" (x / -y) "-x/y"
        fires "neg-into" (-(x * (y - z))) "x*(z - y)"
        fires "mul-div" (x * (y / z)) "x*y/z"
        fires "div-div" ((x / y) / z) "x/(y*z)"
        fires "div-div" (x / (y / z)) "x*z/y"
        fires "mul-div-cancel" ((x * Expr.exp y) / Expr.exp y) "x"
        holds "mul-div-cancel" ((x * y) / y)
        fires "like-terms" (x + x) "2*x"
        fires "like-terms" (2.0 * x + 3.0 * x) "5*x"
        fires "like-terms" (x / 4.0 - x) "-0.75*x"
        fires "cancel" (1.0 + (x - 1.0)) "x"
        fires "cancel" ((x + y) - y) "x"
        fires "factor" (x * y + x * z) "x*(y + z)"
        fires "factor" (y * x - z * x) "(y - z)*x"
        fires "factor" (Expr.exp x + Expr.exp x * y) "exp(x)*(y + 1)"
        fires "factor" (x / z + y / z) "(x + y)/z"
        test "x·0 keeps the broadcast shape of the result" {
            let v = Expr.var "v" [| 3 |]
            let r = (rule "mul-zero" (v * Expr.zeros [| 2; 1 |])).Value
            Expect.equal r.Shape [| 2; 3 |] "shape"
            Expect.equal (Print.infix r) "broadcast_to(0, shape=[2, 3])" "zeros"
        }
        test "x + 0 broadcasts x when the zeros were stretching it" {
            let v = Expr.var "v" [| 3 |]
            let r = (rule "add-zero" (v + Expr.zeros [| 2; 3 |])).Value
            Expect.equal r.Shape [| 2; 3 |] "shape"
            Expect.equal (Print.infix r) "broadcast_to(v, shape=[2, 3])" "broadcast"
        }
        fires "same-shape" (Expr.sumTo [| 2; 3 |] (Expr.var "m" [| 2; 3 |])) "m"
        fires "same-shape" (Expr.reshape [| 2; 3 |] (Expr.var "m" [| 2; 3 |])) "m"
        fires "permute-identity" (Expr.permute [| 0; 1 |] (Expr.var "m" [| 2; 3 |])) "m"
        fires "permute-permute" (Expr.transpose 0 1 (Expr.transpose 0 1 (Expr.var "m" [| 2; 3 |]))) "permute(m, dims=[0, 1])"
        fires "layout-twice" (Expr.reshape [| 6 |] (Expr.reshape [| 3; 2 |] (Expr.var "m" [| 2; 3 |]))) "reshape(m, shape=[6])"
        fires "sumto-broadcast" (Expr.sumTo [| 3 |] (Expr.broadcastTo [| 4; 3 |] (Expr.var "v" [| 3 |]))) "4*v"
        fires "sumto-all" (Expr.sumTo [||] (Expr.var "v" [| 3 |])) "sum(v)"
        fires "sum-trivial" (Expr.sum [ 1 ] true (Expr.var "c" [| 3; 1 |])) "c"
        fires "sum-scale" (Expr.sumAll (2.0 * Expr.var "v" [| 3 |])) "2*sum(v)"
        fires "drop-broadcast" (Expr.broadcastTo [| 3 |] (Expr.scalar 2.0) * Expr.var "v" [| 3 |]) "2*v"
        test "every rule has a distinct name" {
            let names = Rules.all |> List.map fst
            Expect.equal (List.distinct names) names "distinct"
        }
    ]
