/// Nodes are shared (interned), shapes are inferred when built, and shape errors name the op.
module ScratchML.Tests.Core.Graph.ExprTests

open Expecto
open ScratchML

[<Tests>]
let tests =
    testList "Graph.Expr" [
        test "equal sub-graphs are one node" {
            let x = Expr.var "x" [| 2; 3 |]
            let a = Expr.tanh (x * 2.0 + 1.0)
            let b = Expr.tanh (x * 2.0 + 1.0)
            Expect.isTrue (obj.ReferenceEquals(a, b)) "interned"
            Expect.equal a.Id b.Id "same id"
        }
        test "variables of one name and shape are one node; another shape is another node" {
            Expect.equal (Expr.var "w" [| 3 |]).Id (Expr.var "w" [| 3 |]).Id "same"
            Expect.notEqual (Expr.var "w" [| 3 |]).Id (Expr.var "w" [| 4 |]).Id "different shape"
        }
        test "broadcast and reduction shapes are inferred" {
            let x = Expr.var "x" [| 2; 3; 4 |]
            let b = Expr.var "b" [| 3; 1 |]
            Expect.equal (x + b).Shape [| 2; 3; 4 |] "broadcast"
            Expect.equal (Expr.sum [ -1 ] false x).Shape [| 2; 3 |] "sum last axis"
            Expect.equal (Expr.sum [ 0; 2 ] true x).Shape [| 1; 3; 1 |] "keepdim"
            Expect.equal (Expr.mean [] false x).Shape [||] "mean of all"
            Expect.equal (Expr.matmul x (Expr.var "w" [| 4; 5 |])).Shape [| 2; 3; 5 |] "batched matmul"
            Expect.equal (Expr.slice [ Slice.Index 1; Slice.Range (Some 1, None, 2) ] x).Shape [| 1; 4 |] "slice"
        }
        test "negative axes intern equal to positive ones" {
            let x = Expr.var "x" [| 2; 3 |]
            Expect.equal (Expr.sum [ -1 ] false x).Id (Expr.sum [ 1 ] false x).Id "normalised"
        }
        test "a shape mismatch names the op and both shapes" {
            let a = Expr.var "a" [| 2; 3 |]
            let b = Expr.var "b" [| 4; 5 |]
            let e = Expect.throwsC (fun () -> Expr.matmul a b |> ignore) id
            Expect.stringContains e.Message "matmul" "op"
            Expect.stringContains e.Message "[2; 3]" "left shape"
            Expect.stringContains e.Message "[4; 5]" "right shape"
            let e2 = Expect.throwsC (fun () -> (a + b) |> ignore) id
            Expect.stringContains e2.Message "add" "op"
        }
    ]
