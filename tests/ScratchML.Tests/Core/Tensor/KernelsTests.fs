/// The strided loop nest (Plan): flattened into runs, it must visit exactly the offsets that the
/// definition Σ iⱼ·strideⱼ gives, in row-major order, for every operand at once.
module ScratchML.Tests.Core.Tensor.KernelsTests

open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML
open ScratchML.TensorOps
open ScratchML.Tests.Core.Tensor.TensorGens

/// A shape (sizes 0…4, so empty loops occur) and 1–3 operands with strides from {row-major,
/// stride 0, a random stride} and an offset.
let genNest =
    gen {
        let! rank = Gen.choose (0, 4)
        let! shape = Gen.arrayOfLength rank (Gen.frequency [ 1, Gen.constant 0; 8, Gen.choose (1, 4) ])
        let! count = Gen.choose (1, 3)
        let operand =
            gen {
                let! kind = Gen.choose (0, 2)
                let! random = Gen.arrayOfLength rank (Gen.choose (-3, 7))
                let! offset = Gen.choose (0, 50)
                let strides =
                    match kind with
                    | 0 -> Shape.rowMajorStrides shape
                    | 1 -> Shape.rowMajorStrides shape |> Array.mapi (fun i s -> if i % 2 = 0 then 0 else s)
                    | _ -> random
                return strides, offset
            }
        let! operands = Gen.arrayOfLength count operand
        return shape, operands
    }

[<Tests>]
let tests =
    testList "Tensor.Kernels" [
        testPropertyWithConfig config "Plan runs visit Σ iⱼ·strideⱼ + offset in row-major order" <|
            Prop.forAll (Arb.fromGen genNest) (fun (shape, operands) ->
                let strides, offsets = Array.map fst operands, Array.map snd operands
                let plan = Plan(shape, strides, offsets)
                let visited = ResizeArray<int[]>()
                plan.Iter(fun o ->
                    for i in 0 .. plan.Length - 1 do
                        visited.Add(Array.init o.Length (fun k -> o[k] + i * plan.Inner[k])))
                let expected =
                    indices shape |> Array.map (fun ix ->
                        Array.init operands.Length (fun k ->
                            offsets[k] + Array.fold2 (fun s i st -> s + i * st) 0 ix strides[k]))
                Expect.equal (visited.ToArray()) expected $"shape {Shape.show shape}")

        test "a row-major tensor is one run; a transposed one is not merged" {
            let p = Plan([| 2; 3; 4 |], [| Shape.rowMajorStrides [| 2; 3; 4 |] |], [| 0 |])
            Expect.equal p.Length 24 "one run of 24"
            let t = Plan([| 4; 3 |], [| [| 1; 4 |] |], [| 0 |])
            Expect.equal (t.Length, t.Inner[0]) (3, 4) "runs of 3 with stride 4"
            let b = Plan([| 5; 1; 6 |], [| [| 6; 99; 1 |]; [| 0; 0; 1 |] |], [| 0; 0 |])
            Expect.equal b.Length 6 "size-1 axis dropped, broadcast axis keeps runs of 6"
        }
    ]
