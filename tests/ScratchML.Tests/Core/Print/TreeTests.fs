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
        test "a deep chain's indentation stops growing and shows the level" {
            let mutable e = Expr.scalarVar "x"
            for _ in 1 .. 100 do e <- Expr.sin e
            let lines = (Print.tree e).Split('\n')
            Expect.equal lines.Length 101 "one line per node"
            Expect.equal lines[100] (String.replicate Tree.maxIndent "  " + "[100] x") "level shown"
        }
    ]
