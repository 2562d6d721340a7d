/// LaTeX output, one golden line each.
module ScratchML.Tests.Core.Print.LatexTests

open Expecto
open ScratchML

let private x = Expr.scalarVar "x"

let private renders (e: Expr) (expected: string) =
    test expected { Expect.equal (Print.latex e) expected "latex" }

[<Tests>]
let tests =
    testList "Print.Latex" [
        renders (Expr.exp (-x) / Expr.Pow(1.0 + Expr.exp (-x), 2.0)) @"\frac{\exp\left(-x\right)}{{\left(1 + \exp\left(-x\right)\right)}^{2}}"
        renders (1.0 - Expr.Pow(Expr.tanh x, 2.0)) @"1 - {\tanh\left(x\right)}^{2}"
        renders (Expr.sqrt (x + 1.0) * Expr.sigmoid x) @"\sqrt{x + 1} \cdot \sigma\left(x\right)"
        renders (Expr.Pow(x, -(x + 1.0))) @"{x}^{-\left(x + 1\right)}"
        renders (Expr.abs (Expr.scalarVar "w1") + Expr.scalarVar "alpha" * 1e-5) @"\left|w_{1}\right| + \alpha \cdot 1 \cdot 10^{-5}"
        renders (Expr.log (Expr.scalarVar "loss")) @"\log\left(\mathrm{loss}\right)"
        renders (Expr.softmax 1 (Expr.var "z" [| 2; 3 |])) @"\operatorname{softmax}\left(z\right)"
        renders (Expr.transpose 0 1 (Expr.var "W" [| 2; 3 |])) @"{W}^{\top}"
    ]
