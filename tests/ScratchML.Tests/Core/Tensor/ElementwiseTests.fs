/// Elementwise ops against their one-element definitions: every layout, both dtypes, NumPy
/// broadcasting against a naive definition, stability at ±1000, and the error messages.
module ScratchML.Tests.Core.Tensor.ElementwiseTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML
open ScratchML.Tests.Core.Tensor.TensorGens

/// Two shapes that broadcast: drop some leading axes of each and set some sizes to 1.
let genBroadcastPair =
    gen {
        let! out = genShape 0 4
        let thin =
            gen {
                let! drop = Gen.choose (0, out.Length)
                let! ones = Gen.arrayOfLength (out.Length - drop) (Gen.elements [ false; false; true ])
                return Array.mapi (fun i d -> if ones[i] then 1 else d) out[drop..]
            }
        let! a = thin
        let! b = thin
        let! dtype = genDType
        let! seed = Gen.choose (0, 1_000_000)
        return a, b, dtype, seed
    }

let binaries : (string * (Tensor -> Tensor -> Tensor) * (float -> float -> float)) list =
    [ "add", Tensor.add, (+)
      "sub", Tensor.sub, (-)
      "mul", Tensor.mul, (*)
      "div", Tensor.div, (/)
      "maximum", Tensor.maximum, max
      "minimum", Tensor.minimum, min
      "pow", (fun a b -> Tensor.pow (Tensor.abs a) b), (fun a b -> Math.Pow(abs a, b))
      "gt", Tensor.gt, (fun a b -> if a > b then 1.0 else 0.0)
      "ge", Tensor.ge, (fun a b -> if a >= b then 1.0 else 0.0)
      "lt", Tensor.lt, (fun a b -> if a < b then 1.0 else 0.0)
      "le", Tensor.le, (fun a b -> if a <= b then 1.0 else 0.0)
      "eq", (fun a b -> Tensor.eq (Tensor.sign a) (Tensor.sign b)), (fun a b -> if sign a = sign b then 1.0 else 0.0) ]

let unaries : (string * (Tensor -> Tensor) * (float -> float)) list =
    [ "neg", Tensor.neg, (fun x -> -x)
      "exp", Tensor.exp, exp
      "log", (fun x -> Tensor.log (Tensor.abs x)), (fun x -> log (abs x))
      "sqrt", (fun x -> Tensor.sqrt (Tensor.abs x)), (fun x -> sqrt (abs x))
      "abs", Tensor.abs, abs
      "sin", Tensor.sin, sin
      "cos", Tensor.cos, cos
      "tan", Tensor.tan, tan
      "tanh", Tensor.tanh, tanh
      "sigmoid", Tensor.sigmoid, (fun x -> 1.0 / (1.0 + exp -x))
      "relu", Tensor.relu, (fun x -> max x 0.0)
      "sign", Tensor.sign, (fun x -> float (sign x))
      "square", Tensor.square, (fun x -> x * x)
      "reciprocal", Tensor.reciprocal, (fun x -> 1.0 / x)
      "log1p", (fun x -> Tensor.log1p (Tensor.abs x)), (fun x -> log (1.0 + abs x))
      "softplus", Tensor.softplus, (fun x -> log (1.0 + exp x))
      "step", Tensor.step, (fun x -> if x > 0.0 then 1.0 else 0.0)
      "addScalar", Tensor.addScalar 0.5, (fun x -> x + 0.5)
      "mulScalar", Tensor.mulScalar -3.0, (fun x -> -3.0 * x)
      "powScalar", (fun x -> Tensor.powScalar 3.0 x), (fun x -> x * x * x) ]

/// Inputs rounded to the dtype, then the float64 definition, in row-major order.
let naiveUnary f (x: Tensor) = indices x.Shape |> Array.map (fun ix -> f (at x ix))

[<Tests>]
let tests =
    testList "Tensor.Elementwise" [
        for name, op, f in binaries do
            testPropertyWithConfig config $"{name} broadcasts as NumPy (shape and values, any layout)" <|
                Prop.forAll (Arb.fromGen genBroadcastPair) (fun (sa, sb, dtype, seed) ->
                    let a, b = randomView dtype seed sa, randomView dtype (seed + 1) sb
                    let expectedShape = (naiveBroadcast sa sb).Value
                    let z = op a b
                    Expect.equal z.Shape expectedShape "shape"
                    let expected = indices expectedShape |> Array.map (fun ix -> f (broadcastAt a ix) (broadcastAt b ix))
                    expectClose dtype z expected $"{name} {Shape.show sa} {Shape.show sb} {dtype} seed {seed}")

        for name, op, f in unaries do
            testPropertyWithConfig config $"{name} matches its scalar definition (any layout)" <|
                Prop.forAll (Arb.fromGen (Gen.zip3 (genShape 0 4) genDType (Gen.choose (0, 1_000_000))))
                    (fun (shape, dtype, seed) ->
                        let x = randomView dtype seed shape
                        let y = op x
                        Expect.equal y.Shape shape "shape"
                        Expect.equal y.DType dtype "dtype"
                        expectClose dtype y (naiveUnary f x) $"{name} {Shape.show shape} {dtype} seed {seed}")

        testProperty "where picks a where cond ≠ 0, broadcasting all three" <|
            Prop.forAll (Arb.fromGen genBroadcastPair) (fun (sa, sb, dtype, seed) ->
                let a, b = randomView dtype seed sa, randomView dtype (seed + 1) sb
                let c = Tensor.gt (random dtype (seed + 2) sb) (Tensor.zeros dtype [||])
                let z = Tensor.where c a b
                let shape = (naiveBroadcast sa sb).Value
                let expected =
                    indices shape |> Array.map (fun ix -> if broadcastAt c ix <> 0.0 then broadcastAt a ix else broadcastAt b ix)
                expectClose dtype z expected "where")

        test "vectorised comparisons and step: every length 0…40, NaN, ±0, ties, scalar operands" {
            let specials = [| nan; 0.0; -0.0; 1.0; -1.0; infinity; -infinity; 0.5 |]
            for dtype in [ DType.Float64; DType.Float32 ] do
                for n in 0 .. 40 do
                    let pick seed = Array.init n (fun i -> specials[(i * seed + seed / 3) % specials.Length])
                    let a = Tensor.astype dtype (Tensor.ofArray [| n |] (pick 3))
                    let b = Tensor.astype dtype (Tensor.ofArray [| n |] (pick 5))
                    let s = Tensor.scalar dtype 0.5
                    let ind c = if c then 1.0 else 0.0
                    for name, op, f in List.filter (fun (nm, _, _) -> List.contains nm [ "gt"; "ge"; "lt"; "le" ]) binaries do
                        let check (z: Tensor) (x: float[]) (y: float[]) what =
                            Expect.equal (Tensor.toArray z) (Array.map2 f x y) $"{name} {what} n={n} {dtype}"
                        let xa, xb = Tensor.toArray a, Tensor.toArray b
                        check (op a b) xa xb "vector·vector"
                        check (op a s) xa (Array.create n 0.5) "vector·scalar"
                        check (op s b) (Array.create n 0.5) xb "scalar·vector"
                    Expect.equal (Tensor.toArray (Tensor.eq a b)) (Array.map2 (fun x y -> ind (x = y)) (Tensor.toArray a) (Tensor.toArray b)) "eq"
                    Expect.equal (Tensor.toArray (Tensor.step a)) (Array.map (fun x -> ind (x > 0.0)) (Tensor.toArray a)) "step"
        }
        test "stable functions at ±1000 and ±800 give finite, exact limits" {
            for dtype in [ DType.Float64; DType.Float32 ] do
                let x = Tensor.astype dtype (Tensor.ofArray [| 4 |] [| -1000.0; -800.0; 800.0; 1000.0 |])
                Expect.equal (Tensor.toArray (Tensor.sigmoid x)) [| 0.0; 0.0; 1.0; 1.0 |] $"sigmoid {dtype}"
                Expect.equal (Tensor.toArray (Tensor.softplus x)) [| 0.0; 0.0; 800.0; 1000.0 |] $"softplus {dtype}"
                Expect.equal (Tensor.toArray (Tensor.step (Tensor.ofArray [| 3 |] [| -0.0; 0.0; 1e-300 |]))) [| 0.0; 0.0; 1.0 |] "step at 0"
        }
        test "log1p and softplus keep tiny values to full precision" {
            let y = Tensor.log1p (Tensor.ofArray [| 2 |] [| 1e-20; 1e-10 |]) |> Tensor.toArray
            Expect.equal y[0] 1e-20 "log1p 1e-20"
            Expect.floatClose { absolute = 0.0; relative = 1e-15 } y[1] (1e-10 - 5e-21) "log1p 1e-10"
            let s = Tensor.softplus (Tensor.ofArray [| 1 |] [| -40.0 |]) |> Tensor.item
            Expect.floatClose { absolute = 0.0; relative = 1e-15 } s (exp -40.0) "softplus −40 = e⁻⁴⁰(1 − …)"
        }
        test "a shape error names the op and both shapes" {
            try
                Tensor.mul (Tensor.zeros DType.Float64 [| 2; 3 |]) (Tensor.zeros DType.Float64 [| 4 |]) |> ignore
                failtest "no error"
            with ShapeError (op, detail) ->
                Expect.equal op "mul" "op"
                Expect.stringContains detail "[2; 3]" "first shape"
                Expect.stringContains detail "[4]" "second shape"
        }
        test "a dtype mismatch names the op and both dtypes" {
            try
                Tensor.add (Tensor.zeros DType.Float64 [| 2 |]) (Tensor.zeros DType.Float32 [| 2 |]) |> ignore
                failtest "no error"
            with ShapeError (op, detail) ->
                Expect.equal op "add" "op"
                Expect.stringContains detail "float64" "dtype a"
                Expect.stringContains detail "float32" "dtype b"
        }
        test "inputs are never mutated and outputs are fresh" {
            let a = Tensor.ofArray [| 3 |] [| 1.0; 2.0; 3.0 |]
            let b = Tensor.exp a
            let c = Tensor.add a a
            Expect.equal (Tensor.toArray a) [| 1.0; 2.0; 3.0 |] "a unchanged"
            Expect.isFalse (obj.ReferenceEquals(b.Storage, a.Storage)) "fresh storage"
            ignore c
        }
        test "map and map2 apply float functions with broadcasting" {
            let a = Tensor.ofArray32 [| 2; 1 |] [| 1.0f; 2.0f |]
            let b = Tensor.ofArray32 [| 3 |] [| 10.0f; 20.0f; 30.0f |]
            let z = Tensor.map2 (fun x y -> x * y + 1.0) a b
            Expect.equal z.DType DType.Float32 "dtype kept"
            Expect.equal (Tensor.toArray z) [| 11.0; 21.0; 31.0; 21.0; 41.0; 61.0 |] "values"
            Expect.equal (Tensor.toArray (Tensor.map (fun x -> -x) (Tensor.transpose 0 1 a))) [| -1.0; -2.0 |] "map"
        }
    ]
