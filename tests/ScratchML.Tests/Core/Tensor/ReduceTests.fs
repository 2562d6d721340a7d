/// Reductions against naive loops over multi-indices: several axes, negative axes, keepdim, any
/// layout, both dtypes; argmax ties; the log-sum-exp family at ±1000; sumTo as broadcastTo's adjoint.
module ScratchML.Tests.Core.Tensor.ReduceTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML
open ScratchML.Tests.Core.Tensor.TensorGens

/// A shape, a random subset of its axes (each written as a positive or a negative axis, or [] for
/// all), keepdim, dtype and seed.
let genReduction =
    gen {
        let! shape = genShape 1 4
        let! picks = Gen.arrayOfLength shape.Length (Gen.elements [ 0; 1; 2 ]) // 0 skip, 1 +axis, 2 −axis
        let! all = Gen.frequency [ 1, Gen.constant true; 4, Gen.constant false ]
        let axes =
            if all then []
            else [ for d in 0 .. shape.Length - 1 do
                       if picks[d] = 1 then d elif picks[d] = 2 then d - shape.Length ]
        let! keepdim = Gen.elements [ true; false ]
        let! dtype = genDType
        let! seed = Gen.choose (0, 1_000_000)
        return shape, axes, keepdim, dtype, seed
    }

/// reduce f over the axes by grouping elements on their kept coordinates.
let naiveReduce (f: float[] -> float) (axes: int list) (keepdim: bool) (x: Tensor) =
    let r = x.Rank
    let ax = if axes.IsEmpty then [ 0 .. r - 1 ] else axes |> List.map (fun a -> (a + r) % r)
    let outShape =
        [| for d in 0 .. r - 1 do
             if not (List.contains d ax) then x.Shape[d]
             elif keepdim then 1 |]
    let key (ix: int[]) =
        [| for d in 0 .. r - 1 do
             if not (List.contains d ax) then ix[d]
             elif keepdim then 0 |]
    let groups = indices x.Shape |> Array.groupBy key |> dict
    outShape, indices outShape |> Array.map (fun k -> groups[k] |> Array.map (at x) |> f)

let reductions : (string * (int list -> bool -> Tensor -> Tensor) * (float[] -> float)) list =
    [ "sum", Tensor.sum, Array.sum
      "mean", Tensor.mean, Array.average
      "max", Tensor.max, Array.max
      "min", Tensor.min, Array.min
      "logSumExp", Tensor.logSumExp, (fun xs -> let m = Array.max xs in m + log (Array.sumBy (fun v -> exp (v - m)) xs)) ]

[<Tests>]
let tests =
    testList "Tensor.Reduce" [
        for name, op, f in reductions do
            testPropertyWithConfig config $"{name} over several axes (negative, keepdim, any layout)" <|
                Prop.forAll (Arb.fromGen genReduction) (fun (shape, axes, keepdim, dtype, seed) ->
                    let x = randomView dtype seed shape
                    let y = op axes keepdim x
                    let outShape, expected = naiveReduce f axes keepdim x
                    Expect.equal y.Shape outShape $"{name} shape of {Shape.show shape} over %A{axes}"
                    expectClose dtype y expected $"{name} {Shape.show shape} %A{axes} keepdim={keepdim} seed {seed}")

        testPropertyWithConfig config "argmax is the first index of the max (ties from a coarse grid)" <|
            Prop.forAll (Arb.fromGen genReduction) (fun (shape, _, keepdim, dtype, seed) ->
                // values in {−1, 0, 1}: ties are frequent
                let x = Tensor.sign (randomView dtype seed shape |> Tensor.addScalar 0.5 |> Tensor.map Math.Round)
                let axis = seed % shape.Length - (if seed % 2 = 0 then shape.Length else 0)
                let y = Tensor.argmax axis keepdim x
                let a = (axis + shape.Length) % shape.Length
                let outShape, firsts =
                    let r = x.Rank
                    let key (ix: int[]) = [| for d in 0 .. r - 1 do if d <> a then ix[d] elif keepdim then 0 |]
                    let groups = indices x.Shape |> Array.groupBy key |> dict
                    let outShape = Shape.reduced x.Shape [ a ] keepdim
                    outShape, indices outShape |> Array.map (fun k ->
                        let vs = groups[k] |> Array.map (at x)
                        float (Array.findIndex ((=) (Array.max vs)) vs))
                Expect.equal y.Shape outShape "shape"
                Expect.equal (Tensor.toArray y) firsts $"argmax {Shape.show shape} axis {axis} seed {seed}")

        testPropertyWithConfig config "softmax rows sum to 1 and logSoftmax = log softmax" <|
            Prop.forAll (Arb.fromGen genReduction) (fun (shape, _, _, dtype, seed) ->
                let x = randomView dtype seed shape |> Tensor.mulScalar 50.0
                let axis = -1
                let s = Tensor.softmax axis x
                expectClose dtype (Tensor.sum [ axis ] false s) (Array.create (Shape.numel shape / shape[shape.Length - 1]) 1.0) "Σ softmax"
                let ls = Tensor.logSoftmax axis x
                let expected = Tensor.sub x (Tensor.logSumExp [ axis ] true x)
                expectClose dtype ls (Tensor.toArray expected) "logSoftmax = x − lse"
                expectClose dtype (Tensor.exp ls) (Tensor.toArray s) "exp logSoftmax = softmax")

        test "log-sum-exp family at ±1000 is finite and exact" {
            let x = Tensor.ofArray [| 2; 3 |] [| 1000.0; 1000.0; -1000.0; -1000.0; -1000.0; -1001.0 |]
            let lse = Tensor.logSumExp [ -1 ] false x |> Tensor.toArray
            Expect.floatClose Accuracy.veryHigh lse[0] (1000.0 + log (2.0 + exp -2000.0)) "row 1"
            Expect.floatClose Accuracy.veryHigh lse[1] (-1000.0 + log (2.0 + exp -1.0)) "row 2"
            let s = Tensor.softmax 1 x |> Tensor.toArray
            Expect.floatClose Accuracy.veryHigh s[0] 0.5 "softmax"
            Expect.equal s[2] 0.0 "softmax underflows to 0, not NaN"
            let ls = Tensor.logSoftmax 1 x |> Tensor.toArray
            Expect.floatClose Accuracy.veryHigh ls[2] -2000.6931471805599 "logSoftmax far from the max"
            let inf = Tensor.logSumExp [] false (Tensor.ofArray [| 2 |] [| -infinity; -infinity |]) |> Tensor.item
            Expect.equal inf -infinity "log Σ e^−∞ = −∞"
        }

        testPropertyWithConfig config "sumTo is the adjoint of broadcastTo: ⟨broadcastTo s x, g⟩ = ⟨x, sumTo (shape x) g⟩" <|
            Prop.forAll (Arb.fromGen ElementwiseTests.genBroadcastPair) (fun (sa, sb, dtype, seed) ->
                let shape = (naiveBroadcast sa sb).Value
                let x = randomView dtype seed sa
                let g = randomView dtype (seed + 1) shape
                let back = Tensor.sumTo sa g
                Expect.equal back.Shape sa "shape"
                let lhs, rhs = dot (Tensor.broadcastTo shape x) g, dot x back
                Expect.isTrue (abs (lhs - rhs) <= tol dtype * (1.0 + abs lhs) * 10.0) $"{lhs} vs {rhs}")

        test "empty reductions: sum is 0, max fails naming the op" {
            let e = Tensor.zeros DType.Float64 [| 2; 0 |]
            Expect.equal (Tensor.toArray (Tensor.sum [ 1 ] false e)) [| 0.0; 0.0 |] "sum"
            Expect.throwsC (fun () -> Tensor.max [ 1 ] false e |> ignore) (fun ex -> Expect.stringContains ex.Message "max" "names op")
        }
        test "repeated or out-of-range axes fail naming the op" {
            let x = Tensor.zeros DType.Float64 [| 2; 3 |]
            Expect.throwsT<ShapeError> (fun () -> Tensor.sum [ 0; -2 ] false x |> ignore) "repeated"
            Expect.throwsT<ShapeError> (fun () -> Tensor.mean [ 2 ] false x |> ignore) "out of range"
            Expect.throwsT<ShapeError> (fun () -> Tensor.sumTo [| 3; 2 |] x |> ignore) "not a broadcast"
        }
    ]
