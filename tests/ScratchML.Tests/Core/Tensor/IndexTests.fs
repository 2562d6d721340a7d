/// Gather and scatter: indexSelect against its definition and indexAdd as its adjoint, gather
/// against torch.gather's definition and scatterAdd as its adjoint, oneHot; bad indices fail.
module ScratchML.Tests.Core.Tensor.IndexTests

open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML
open ScratchML.Tests.Core.Tensor.TensorGens

/// x's shape, an axis (maybe negative), an index shape, dtype and seed.
let genSelect =
    gen {
        let! shape = genShape 1 3
        let! axis = Gen.choose (-shape.Length, shape.Length - 1)
        let! idxShape = genShape 0 2
        let! dtype = genDType
        let! seed = Gen.choose (0, 1_000_000)
        return shape, axis, idxShape, dtype, seed
    }

/// Random integral indices in [0, n) with the given shape (repeats likely).
let randomIndices (seed: int) (n: int) (shape: int[]) =
    let rng = SplitMix64(seed + 31)
    Tensor.ofArray shape (Array.init (Shape.numel shape) (fun _ -> float (rng.Below n)))

[<Tests>]
let tests =
    testList "Tensor.Index" [
        testPropertyWithConfig config "indexSelect picks rows; indexAdd is its adjoint ⟨sel x, g⟩ = ⟨x, add g⟩" <|
            Prop.forAll (Arb.fromGen genSelect) (fun (shape, axis, idxShape, dtype, seed) ->
                let k = (axis + shape.Length) % shape.Length
                let x = randomView dtype seed shape
                let idx = randomIndices seed shape[k] idxShape
                let y = Tensor.indexSelect axis idx x
                let expectedShape = Array.concat [ shape[.. k - 1]; idxShape; shape[k + 1 ..] ]
                Expect.equal y.Shape expectedShape "shape"
                for ix in indices expectedShape do
                    let j = Tensor.get ix[k .. k + idxShape.Length - 1] idx |> int
                    let src = Array.concat [ ix[.. k - 1]; [| j |]; ix[k + idxShape.Length ..] ]
                    Expect.equal (at y ix) (at x src) "y = x[…, idx, …]"
                let g = random dtype (seed + 1) expectedShape
                let back = Tensor.indexAdd axis shape[k] idx g
                Expect.equal back.Shape shape "indexAdd shape"
                let lhs, rhs = dot y g, dot x back
                Expect.isTrue (abs (lhs - rhs) <= tol dtype * (1.0 + abs lhs) * 10.0) $"{lhs} vs {rhs}")

        testPropertyWithConfig config "gather = torch.gather; scatterAdd is its adjoint" <|
            Prop.forAll (Arb.fromGen genSelect) (fun (shape, axis, _, dtype, seed) ->
                let k = (axis + shape.Length) % shape.Length
                let x = randomView dtype seed shape
                let rng = SplitMix64 seed
                // index shape: ≤ x's sizes off the axis, any size along it
                let idxShape = shape |> Array.mapi (fun d n -> if d = k then 1 + rng.Below 4 else 1 + rng.Below n)
                let index = randomIndices seed shape[k] idxShape
                let y = Tensor.gather axis index x
                Expect.equal y.Shape idxShape "shape"
                for ix in indices idxShape do
                    let src = Array.copy ix
                    src[k] <- int (Tensor.get ix index)
                    Expect.equal (at y ix) (at x src) "out[p] = x[p with p[axis] = index[p]]"
                let g = random dtype (seed + 1) idxShape
                let back = Tensor.scatterAdd shape axis index g
                let lhs, rhs = dot y g, dot x back
                Expect.isTrue (abs (lhs - rhs) <= tol dtype * (1.0 + abs lhs) * 10.0) $"{lhs} vs {rhs}")

        testPropertyWithConfig config "scatterAdd along the last axis of a row-spanning index (max pooling's backward) = its definition, bit for bit" <|
            Prop.forAll (Arb.fromGen (Gen.zip3 (genShape 1 3) genDType (Gen.choose (0, 1_000_000)))) (fun (shape, dtype, seed) ->
                let last = shape.Length - 1
                let rng = SplitMix64 seed
                let idxShape = Array.copy shape
                idxShape[last] <- 1 + rng.Below 5          // more picks than cells: repeats add up
                let index = Tensor.astype (if rng.Below 2 = 0 then dtype else DType.Float64)
                                          (randomIndices seed shape[last] idxShape)
                let src = randomView dtype seed idxShape
                let axis = if rng.Below 2 = 0 then last else -1
                let actual = Tensor.scatterAdd shape axis index src
                // the definition, in the dtype: out[p with p[last] = index[p]] += src[p], p in order
                let ids, values = Tensor.toArray index, Tensor.toArray src
                let width, size = idxShape[last], shape[last]
                let expected =
                    if dtype = DType.Float64 then
                        let out = Array.zeroCreate<float> (Shape.numel shape)
                        for p in 0 .. ids.Length - 1 do
                            let o = p / width * size + int ids[p] in out[o] <- out[o] + values[p]
                        out
                    else
                        let out = Array.zeroCreate<float32> (Shape.numel shape)
                        for p in 0 .. ids.Length - 1 do
                            let o = p / width * size + int ids[p] in out[o] <- out[o] + float32 values[p]
                        Array.map float out
                Expect.equal actual.Shape shape "shape"
                Expect.equal actual.DType dtype "dtype"
                Expect.equal (Tensor.toArray actual) expected "values")

        test "embedding forward: indexSelect 0 idx W, repeated rows; indexAdd accumulates repeats" {
            let w = Tensor.ofArray [| 3; 2 |] [| 1.0; 2.0; 3.0; 4.0; 5.0; 6.0 |]
            let idx = Tensor.ofArray [| 2; 2 |] [| 2.0; 0.0; 2.0; 2.0 |]
            let e = Tensor.indexSelect 0 idx w
            Expect.equal e.Shape [| 2; 2; 2 |] "shape"
            Expect.equal (Tensor.toArray e) [| 5.0; 6.0; 1.0; 2.0; 5.0; 6.0; 5.0; 6.0 |] "rows"
            let g = Tensor.ones DType.Float64 [| 2; 2; 2 |]
            Expect.equal (Tensor.toArray (Tensor.indexAdd 0 3 idx g)) [| 1.0; 1.0; 0.0; 0.0; 3.0; 3.0 |] "scatter-add"
        }
        test "oneHot and class-score picking" {
            let h = Tensor.oneHot DType.Float32 3 [| 2; 0 |]
            Expect.equal h.DType DType.Float32 "dtype"
            Expect.equal (Tensor.toArray h) [| 0.0; 0.0; 1.0; 1.0; 0.0; 0.0 |] "oneHot"
            let scores = Tensor.ofArray [| 2; 3 |] [| 0.1; 0.2; 0.3; 0.4; 0.5; 0.6 |]
            let picked = Tensor.gather 1 (Tensor.ofArray [| 2; 1 |] [| 2.0; 0.0 |]) scores
            Expect.equal (Tensor.toArray picked) [| 0.3; 0.4 |] "gather"
        }
        test "indices out of range or not integral fail naming the op" {
            let w = Tensor.zeros DType.Float64 [| 3; 2 |]
            for bad in [ 3.0; -1.0; 0.5 ] do
                Expect.throwsC (fun () -> Tensor.indexSelect 0 (Tensor.ofArray [| 1 |] [| bad |]) w |> ignore)
                    (fun e -> Expect.stringContains e.Message "indexSelect" "op named")
            for bad in [ 3.0; -1.0; 0.5; nan; infinity ] do
                Expect.throwsC (fun () ->
                    Tensor.scatterAdd [| 2; 3 |] 1 (Tensor.ofArray [| 2; 1 |] [| 0.0; bad |]) (Tensor.zeros DType.Float32 [| 2; 1 |]) |> ignore)
                    (fun e -> Expect.stringContains e.Message "scatterAdd" $"scatterAdd names itself for {bad}")
            Expect.throwsT<ShapeError> (fun () -> Tensor.oneHot DType.Float64 3 [| 3 |] |> ignore) "oneHot"
            Expect.throwsT<ShapeError>
                (fun () -> Tensor.gather 0 (Tensor.zeros DType.Float64 [| 1; 3 |]) w |> ignore) "gather off-axis size"
        }
    ]
