/// The Tensor module as a whole: its signatures exactly as the shared contract states them (this
/// file stops compiling if a name or a type drifts), and allClose, the helper tests lean on.
module ScratchML.Tests.Core.Tensor.OpsTests

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
    testList "Tensor.Ops" [
        test "the contract's values all exist at their contract types" {
            Expect.equal contract.Length 80 "count"
        }
        test "allClose: tolerance rule, NaN is never close, shapes must match" {
            let a = Tensor.ofArray [| 2 |] [| 1.0; 2.0 |]
            Expect.isTrue (Tensor.allClose 1e-9 0.0 a (Tensor.ofArray [| 2 |] [| 1.0 + 1e-10; 2.0 |])) "close"
            Expect.isFalse (Tensor.allClose 1e-9 0.0 a (Tensor.ofArray [| 2 |] [| 1.0 + 1e-8; 2.0 |])) "not close"
            Expect.isFalse (Tensor.allClose 1.0 1.0 a (Tensor.ofArray [| 2 |] [| nan; 2.0 |])) "NaN"
            Expect.throwsT<ShapeError> (fun () -> Tensor.allClose 1.0 1.0 a (Tensor.zeros DType.Float64 [| 3 |]) |> ignore) "shapes"
        }
    ]
