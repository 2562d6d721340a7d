/// Indented trees: shared nodes expanded once.
module ScratchML.Tests.Core.Print.TreeTests

open Expecto
open ScratchML

[<Tests>]
let tests =
    testList "Print.Tree" [
        test "structure, shapes and shared nodes" {
            let x = Expr.var "x" [| 2 |]
            let t = Expr.tanh x
            Expect.equal (Print.tree (Expr.sumAll (t * t))) "sum\n  * [2]\n    tanh [2] #1\n      x [2]\n    #1" "tree"
        }
    ]
