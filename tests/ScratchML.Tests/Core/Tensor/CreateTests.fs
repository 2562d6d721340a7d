/// Making and reading tensors: copies versus wrapping, scalars, dtype conversion, seeded random
/// fills, contiguous copies.
module ScratchML.Tests.Core.Tensor.CreateTests

open Expecto
open ScratchML

[<Tests>]
let tests =
    testList "Tensor.Create" [
        test "ofArray copies, ofStorage wraps, toArray copies" {
            let data = [| 1.0; 2.0; 3.0; 4.0 |]
            let a = Tensor.ofArray [| 2; 2 |] data
            data[0] <- 99.0
            Expect.equal (Tensor.get [| 0; 0 |] a) 1.0 "ofArray copied"
            let s = Tensor.ofStorage [| 4 |] (Storage.F64 data)
            Expect.equal (Tensor.get [| -4 |] s) 99.0 "ofStorage wraps (negative index counts from the end)"
            let out = Tensor.toArray s
            out[1] <- -1.0
            Expect.equal (Tensor.get [| 1 |] s) 2.0 "toArray copied"
            Expect.throwsT<ShapeError> (fun () -> Tensor.ofStorage [| 3 |] (Storage.F64 data) |> ignore) "length check"
        }
        test "scalar, full, arange, item, astype round trip" {
            Expect.equal (Tensor.scalar DType.Float32 2.5).Shape [||] "scalar shape"
            Expect.equal (Tensor.item (Tensor.scalar DType.Float32 2.5)) 2.5 "item"
            Expect.equal (Tensor.toArray (Tensor.arange DType.Float64 4)) [| 0.0; 1.0; 2.0; 3.0 |] "arange"
            Expect.equal (Tensor.toArray32 (Tensor.full DType.Float64 [| 2 |] 0.1)) [| 0.1f; 0.1f |] "toArray32 rounds"
            let x = Tensor.ofArray [| 2 |] [| 0.1; 1e300 |]
            let y = Tensor.astype DType.Float32 x
            Expect.equal y.DType DType.Float32 "astype"
            Expect.equal (Tensor.toArray y) [| float 0.1f; infinity |] "float32 rounding (overflow → ∞)"
            Expect.isTrue (obj.ReferenceEquals(Tensor.astype DType.Float64 x, x)) "same dtype: itself"
        }
        test "randn and uniform: same seed, same bits; moments roughly right" {
            let a = Tensor.randn DType.Float64 (SplitMix64 5) [| 20000 |]
            let b = Tensor.randn DType.Float64 (SplitMix64 5) [| 20000 |]
            Expect.equal (Tensor.toArray a) (Tensor.toArray b) "deterministic"
            let m = Tensor.item (Tensor.mean [] false a)
            let v = Tensor.item (Tensor.mean [] false (Tensor.square a))
            Expect.isLessThan (abs m) 0.03 "mean ≈ 0"
            Expect.isLessThan (abs (v - 1.0)) 0.05 "variance ≈ 1"
            let u = Tensor.uniform DType.Float32 (SplitMix64 9) -1.0 3.0 [| 1000 |] |> Tensor.toArray
            Expect.isTrue (u |> Array.forall (fun x -> x >= -1.0 && x < 3.0)) "in [lo, hi)"
        }
        test "contiguous returns the tensor itself when already row-major, else a copy" {
            let x = Tensor.ofArray [| 2; 3 |] [| 1.0; 2.0; 3.0; 4.0; 5.0; 6.0 |]
            Expect.isTrue (obj.ReferenceEquals(Tensor.contiguous x, x)) "itself"
            let t = Tensor.contiguous (Tensor.transpose 0 1 x)
            Expect.isTrue t.IsContiguous "copy is row-major"
            Expect.equal (Tensor.toArray t) [| 1.0; 4.0; 2.0; 5.0; 3.0; 6.0 |] "values"
        }
    ]
