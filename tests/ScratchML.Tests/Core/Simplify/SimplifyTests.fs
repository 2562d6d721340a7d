/// The simplifier as a whole: fixpoint results, value preservation, idempotence, the trace.
module ScratchML.Tests.Core.Simplify.SimplifyTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML
open ScratchML.Tests.Core

let private x, y = RandomScalars.x, RandomScalars.y
let private config = { FsCheckConfig.defaultConfig with maxTest = 100 }

/// (seed, size) of a random expression and a point.
let private cases = Arb.fromGen (Gen.zip (Gen.choose (0, 1_000_000)) (Gen.choose (1, 30)))

/// The interpreter's value of a scalar expression at a point.
let private evaluate (env: Map<string, float>) (e: Expr) =
    let tensors = env |> Map.map (fun _ v -> Tensor.scalar DType.Float64 v)
    Eval.run tensors e |> Tensor.item

/// The original is well conditioned at the point: every node finite and, unless exactly 0, of
/// magnitude in [1e-10, 1e10] (no rounding residue such as log(eˣ) − x, which the simplified
/// graph rightly makes an exact 0; no 10²⁰ + y − 10²⁰ that loses y), and its value barely moves
/// when the variables move by one part in 10⁹ (no sin of a huge argument).
let private wellConditioned (env: Map<string, float>) (original: Expr) =
    let inner = RandomScalars.values env original
    let moderate v = Double.IsFinite v && (v = 0.0 || (abs v > 1e-10 && abs v < 1e10))
    let a = evaluate env original
    let b = evaluate (env |> Map.map (fun _ v -> v * (1.0 + 1e-9))) original
    List.forall moderate inner && abs (a - b) <= 1e-9 + 1e-4 * abs a

/// Simplified and original agree (evaluated by Eval) wherever the original is well conditioned:
/// |a − b| ≤ 1e-9·(1 + the largest intermediate magnitude) + 1e-6·|a|, room for reassociated
/// sums and for the rounding the original does and the simplified graph does not.
let private agree (env: Map<string, float>) (original: Expr) (simplified: Expr) =
    if wellConditioned env original then
        let inner = RandomScalars.values env original @ RandomScalars.values env simplified
        let scale = inner |> List.filter Double.IsFinite |> List.map abs |> List.max
        let a, b = evaluate env original, evaluate env simplified
        abs (a - b) <= 1e-9 * (1.0 + scale) + 1e-6 * abs a
    else true

let private simplifiesTo (input: Expr) (expected: string) =
    test $"{Print.infix input} = {expected}" {
        Expect.equal (Print.infix (Simplify.run input)) expected "simplified"
    }

[<Tests>]
let tests =
    testList "Simplify.Simplify" [
        simplifiesTo (x * 1.0 + 0.0 * y) "x"
        simplifiesTo (1.0 * (1.0 - Expr.tanh x * Expr.tanh x)) "1 - tanh(x)^2"
        simplifiesTo (x * x * x / x) "x^2"
        simplifiesTo (2.0 * x + 3.0 * x - x) "4*x"
        simplifiesTo (Expr.exp (Expr.log (Expr.exp x))) "exp(x)"
        simplifiesTo (x * Expr.Pow(x, x - 1.0) + Expr.Pow(x, x) * Expr.log x) "x^x*(log(x) + 1)"
        simplifiesTo (-(-x * y) + (-y)) "y*(x - 1)"
        test "x·0 on a broadcast keeps the result's shape" {
            let v = Expr.var "v" [| 3 |]
            let r = Simplify.run (Expr.sin v * Expr.zeros [| 2; 1 |])
            Expect.equal r.Shape [| 2; 3 |] "shape"
        }
        test "trace lists the rules that fired, in order, with counts" {
            let u = Expr.scalarVar "traced"       // a fresh variable: its nodes are built in this order
            let t = Simplify.trace (1.0 * u + (u + 0.0))
            Expect.equal (Print.infix t.Result) "2*traced" "result"
            Expect.equal t.Fired [ "mul-one", 1; "add-zero", 1; "like-terms", 1 ] "fired"
        }
        test "a shared sub-expression is simplified once (memoised by node)" {
            let shared = Expr.sin (x * 1.0)
            let mutable e = shared
            for _ in 1 .. 1000 do e <- e + shared * 1.0     // 1000 uses of one node, a deep chain
            let t = Simplify.trace e
            Expect.equal (Print.infix t.Result) "1001*sin(x)" "collected"
            // x·1 inside sin and sin(x)·1 are two nodes, each simplified once however often used
            Expect.equal t.Fired [ "mul-one", 2; "like-terms", 1000 ] "fired"
        }
        testPropertyWithConfig config "never changes a value (random DAGs at random points)" <|
            Prop.forAll cases (fun (seed, size) ->
                let e = RandomScalars.expr seed size
                let s = Simplify.run e
                let env = RandomScalars.point seed
                Expect.isTrue (agree env e s) $"seed {seed} size {size}\n{Print.infix e}\n→ {Print.infix s}")
        testPropertyWithConfig config "is idempotent: run (run e) is run e, node for node" <|
            Prop.forAll cases (fun (seed, size) ->
                let s = Simplify.run (RandomScalars.expr seed size)
                Expect.isTrue ((Simplify.run s).Id = s.Id) $"seed {seed}: {Print.infix s}")
        // a rule adds at most a few nodes (a new constant; a shared node rewritten differently in
        // two contexts keeps its old form too), never a copy of a sub-graph
        testPropertyWithConfig config "grows a graph by at most a quarter + 4 nodes" <|
            Prop.forAll cases (fun (seed, size) ->
                let e = RandomScalars.expr seed size
                let s = Simplify.run e
                Expect.isTrue (RandomScalars.size s <= RandomScalars.size e + RandomScalars.size e / 4 + 4) $"seed {seed}: {RandomScalars.size e} → {RandomScalars.size s}")
    ]
