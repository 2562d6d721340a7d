/// The Tensor module's signatures, exactly as the shared contract states them: this file stops
/// compiling if a name or a type drifts. Plus the creation/conversion basics.
module ScratchML.Tests.Core.Tensor.ContractTests

open Expecto
open ScratchML

type private T = Tensor

/// Every contract value bound at its contract type (checked by the compiler).
let private contract : obj list =
    [ box (Tensor.zeros : DType -> int[] -> T)
      box (Tensor.ones : DType -> int[] -> T)
      box (Tensor.full : DType -> int[] -> float -> T)
      box (Tensor.scalar : DType -> float -> T)
      box (Tensor.ofArray : int[] -> float[] -> T)
      box (Tensor.ofArray32 : int[] -> float32[] -> T)
      box (Tensor.ofStorage : int[] -> Storage -> T)
      box (Tensor.toArray : T -> float[])
      box (Tensor.toArray32 : T -> float32[])
      box (Tensor.item : T -> float)
      box (Tensor.get : int[] -> T -> float)
      box (Tensor.astype : DType -> T -> T)
      box (Tensor.contiguous : T -> T)
      box (Tensor.randn : DType -> SplitMix64 -> int[] -> T)
      box (Tensor.uniform : DType -> SplitMix64 -> float -> float -> int[] -> T)
      box (Tensor.oneHot : DType -> int -> int[] -> T)
      box (Tensor.arange : DType -> int -> T)
      box (Tensor.map : (float -> float) -> T -> T)
      box (Tensor.map2 : (float -> float -> float) -> T -> T -> T)
      for f in [ Tensor.neg; Tensor.exp; Tensor.log; Tensor.sqrt; Tensor.abs; Tensor.sin; Tensor.cos
                 Tensor.tan; Tensor.tanh; Tensor.sigmoid; Tensor.relu; Tensor.sign; Tensor.square
                 Tensor.reciprocal; Tensor.log1p; Tensor.softplus; Tensor.step ] do
          box (f : T -> T)
      for f in [ Tensor.add; Tensor.sub; Tensor.mul; Tensor.div; Tensor.pow; Tensor.maximum; Tensor.minimum
                 Tensor.gt; Tensor.ge; Tensor.lt; Tensor.le; Tensor.eq ] do
          box (f : T -> T -> T)
      box (Tensor.addScalar : float -> T -> T)
      box (Tensor.mulScalar : float -> T -> T)
      box (Tensor.powScalar : float -> T -> T)
      box (Tensor.where : T -> T -> T -> T)
      for f in [ Tensor.sum; Tensor.mean; Tensor.max; Tensor.min; Tensor.logSumExp ] do
          box (f : int list -> bool -> T -> T)
      box (Tensor.argmax : int -> bool -> T -> T)
      box (Tensor.softmax : int -> T -> T)
      box (Tensor.logSoftmax : int -> T -> T)
      box (Tensor.sumTo : int[] -> T -> T)
      box (Tensor.matmul : T -> T -> T)
      box (Tensor.reshape : int[] -> T -> T)
      box (Tensor.transpose : int -> int -> T -> T)
      box (Tensor.permute : int[] -> T -> T)
      box (Tensor.broadcastTo : int[] -> T -> T)
      box (Tensor.unsqueeze : int -> T -> T)
      box (Tensor.squeeze : int -> T -> T)
      box (Tensor.slice : Slice[] -> T -> T)
      box (Tensor.sliceBackward : int[] -> Slice[] -> T -> T)
      box (Tensor.concat : int -> T list -> T)
      box (Tensor.stack : int -> T list -> T)
      box (Tensor.split : int -> int[] -> T -> T list)
      box (Tensor.indexSelect : int -> T -> T -> T)
      box (Tensor.indexAdd : int -> int -> T -> T -> T)
      box (Tensor.gather : int -> T -> T -> T)
      box (Tensor.scatterAdd : int[] -> int -> T -> T -> T)
      box (Tensor.allClose : float -> float -> T -> T -> bool)
      box (Gemm.sgemm : int -> int -> int -> int -> float32[] -> int -> int -> int -> float32[] -> int -> int -> int -> float32[] -> int -> int -> unit)
      box (Gemm.dgemm : int -> int -> int -> int -> float[] -> int -> int -> int -> float[] -> int -> int -> int -> float[] -> int -> int -> unit) ]

[<Tests>]
let tests =
    testList "Tensor.Create" [
        test "the contract's values all exist at their contract types" {
            Expect.equal contract.Length 80 "count"
        }
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
        test "allClose: tolerance rule, NaN is never close, shapes must match" {
            let a = Tensor.ofArray [| 2 |] [| 1.0; 2.0 |]
            Expect.isTrue (Tensor.allClose 1e-9 0.0 a (Tensor.ofArray [| 2 |] [| 1.0 + 1e-10; 2.0 |])) "close"
            Expect.isFalse (Tensor.allClose 1e-9 0.0 a (Tensor.ofArray [| 2 |] [| 1.0 + 1e-8; 2.0 |])) "not close"
            Expect.isFalse (Tensor.allClose 1.0 1.0 a (Tensor.ofArray [| 2 |] [| nan; 2.0 |])) "NaN"
            Expect.throwsT<ShapeError> (fun () -> Tensor.allClose 1.0 1.0 a (Tensor.zeros DType.Float64 [| 3 |]) |> ignore) "shapes"
        }
    ]
