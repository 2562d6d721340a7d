/// The reference interpreter: values, dtypes, sharing and its error messages.
module ScratchML.Tests.Core.Eval.EvalTests

open Expecto
open ScratchML

[<Tests>]
let tests =
    testList "Eval.Eval" [
        test "evaluates a small expression" {
            let x, w = Expr.var "x" [| 2 |], Expr.var "w" [| 2 |]
            let e = Expr.sumAll (x * w + 1.0)
            let env = Map [ "x", Tensor.ofArray [| 2 |] [| 1.0; 2.0 |]; "w", Tensor.ofArray [| 2 |] [| 3.0; 4.0 |] ]
            Expect.equal (Eval.run env e |> Tensor.item) 13.0 "1·3 + 2·4 + 2"
        }
        test "constants take the dtype of the bound variables" {
            let x = Expr.var "x" [| 3 |]
            let e = x * 0.1 + Expr.constant (Tensor.ofArray [| 3 |] [| 1.0; 2.0; 3.0 |])
            let r = Eval.run (Map [ "x", Tensor.ofArray32 [| 3 |] [| 1.0f; 2.0f; 3.0f |] ]) e
            Expect.equal r.DType DType.Float32 "float32 run"
            Expect.equal (Tensor.toArray32 r) [| 1.0f * 0.1f + 1.0f; 2.0f * 0.1f + 2.0f; 3.0f * 0.1f + 3.0f |] "float32 values"
        }
        test "a missing variable is named in the error" {
            let e = Expr.exp (Expr.var "weights" [| 2 |])
            let ex = Expect.throwsC (fun () -> Eval.run Map.empty e |> ignore) id
            Expect.stringContains ex.Message "'weights'" "names it"
        }
        test "a wrongly shaped binding is named with both shapes" {
            let e = Expr.exp (Expr.var "x" [| 2; 3 |])
            let ex = Expect.throwsC (fun () -> Eval.run (Map [ "x", Tensor.zeros DType.Float64 [| 3; 2 |] ]) e |> ignore) id
            Expect.stringContains ex.Message "'x'" "name"
            Expect.stringContains ex.Message "[2; 3]" "expected"
            Expect.stringContains ex.Message "[3; 2]" "actual"
        }
        test "runMany shares work and agrees with run" {
            let x = Expr.var "x" [| 4 |]
            let shared = Expr.tanh (Expr.exp x)
            let a, b = Expr.sumAll shared, Expr.max [] false shared
            let env = Map [ "x", Tensor.ofArray [| 4 |] [| 0.1; -0.2; 0.3; 0.0 |] ]
            match Eval.runMany env [ a; b ] with
            | [ ra; rb ] ->
                Expect.equal (Tensor.item ra) (Eval.run env a |> Tensor.item) "sum"
                Expect.equal (Tensor.item rb) (Eval.run env b |> Tensor.item) "max"
            | _ -> failtest "two results"
        }
        test "a deep chain (20,000 nodes) evaluates without recursion" {
            let x = Expr.var "x" [| 1 |]
            let mutable e = x
            for i in 1 .. 20_000 do e <- Expr.tanh e + 1e-3
            let r = Eval.run (Map [ "x", Tensor.ofArray [| 1 |] [| 0.5 |] ]) e
            Expect.isTrue (Tensor.item r > 0.0) "finite"
        }
    ]
