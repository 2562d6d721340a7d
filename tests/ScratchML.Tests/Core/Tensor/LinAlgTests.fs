/// matmul against a naive triple loop: 2-d, batched with broadcast batch axes, 1-d operands as in
/// torch.matmul, 1-sized and odd sizes, transposed and strided views, float32 and float64.
module ScratchML.Tests.Core.Tensor.LinAlgTests

open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML
open ScratchML.Tests.Core.Tensor.TensorGens

/// Sizes often 1, sometimes around 8 (odd edges for a blocked GEMM).
let genSize = Gen.frequency [ 2, Gen.constant 1; 3, Gen.choose (2, 5); 1, Gen.elements [ 7; 8; 9; 17 ] ]

/// Shapes of a and b for a matmul: each 1-d, 2-d or batched, batch axes broadcasting.
let genMatmul =
    gen {
        let! m = genSize
        let! n = genSize
        let! k = genSize
        let! batch = genShape 0 2
        let batchOf =
            gen {
                let! drop = Gen.choose (0, batch.Length)
                let! ones = Gen.arrayOfLength (batch.Length - drop) (Gen.elements [ false; true ])
                return Array.mapi (fun i d -> if ones[i] then 1 else d) batch[drop..]
            }
        let! ba = batchOf
        let! bb = batchOf
        let! aKind = Gen.frequency [ 1, Gen.constant 1; 4, Gen.constant 2 ]
        let! bKind = Gen.frequency [ 1, Gen.constant 1; 4, Gen.constant 2 ]
        let sa = if aKind = 1 then [| k |] else Array.append ba [| m; k |]
        let sb = if bKind = 1 then [| k |] else Array.append bb [| k; n |]
        let! dtype = genDType
        let! seed = Gen.choose (0, 1_000_000)
        return sa, sb, dtype, seed
    }

/// torch.matmul by definition: promote 1-d operands, broadcast batches, triple loop in float64.
let naiveMatmul (a: Tensor) (b: Tensor) =
    let a2 = if a.Rank = 1 then Tensor.unsqueeze 0 a else a
    let b2 = if b.Rank = 1 then Tensor.unsqueeze 1 b else b
    let m, k, n = a2.Shape[a2.Rank - 2], a2.Shape[a2.Rank - 1], b2.Shape[b2.Rank - 1]
    let batch = (naiveBroadcast a2.Shape[.. a2.Rank - 3] b2.Shape[.. b2.Rank - 3]).Value
    let shape = Array.append batch [| m; n |]
    let values =
        indices shape |> Array.map (fun ix ->
            let bi = ix[.. batch.Length - 1]
            let i, j = ix[batch.Length], ix[batch.Length + 1]
            let mutable s = 0.0
            for p in 0 .. k - 1 do
                s <- s + broadcastAt a2 (Array.append bi [| i; p |]) * broadcastAt b2 (Array.append bi [| p; j |])
            s)
    let shape =
        shape |> Array.indexed
        |> Array.filter (fun (d, _) -> not (a.Rank = 1 && d = shape.Length - 2) && not (b.Rank = 1 && d = shape.Length - 1))
        |> Array.map snd
    shape, values

[<Tests>]
let tests =
    testList "Tensor.LinAlg" [
        testPropertyWithConfig config "matmul = naive triple loop (batched, broadcast, 1-d, any layout)" <|
            Prop.forAll (Arb.fromGen genMatmul) (fun (sa, sb, dtype, seed) ->
                let a, b = randomView dtype seed sa, randomView dtype (seed + 1) sb
                let c = Tensor.matmul a b
                let shape, expected = naiveMatmul a b
                Expect.equal c.Shape shape $"shape of {Shape.show sa}·{Shape.show sb}"
                let k = sa[sa.Length - 1]
                let scale = if dtype = DType.Float64 then 1.0 else float k
                let c' = Tensor.toArray c
                for i in 0 .. c'.Length - 1 do
                    if abs (c'[i] - expected[i]) > tol dtype * scale * (4.0 + abs expected[i]) then
                        failtest $"{Shape.show sa}·{Shape.show sb} {dtype} seed {seed}: [{i}] {c'[i]} vs {expected[i]}")

        test "a transposed operand is read in place (no copy) and gives aᵀ·b" {
            let a = random DType.Float64 1 [| 5; 3 |]
            let b = random DType.Float64 2 [| 5; 4 |]
            let at = Tensor.transpose 0 1 a
            Expect.isTrue (obj.ReferenceEquals(at.Storage, a.Storage)) "transpose is a view"
            let _, expected = naiveMatmul at b
            expectClose DType.Float64 (Tensor.matmul at b) expected "aᵀ·b"
        }
        test "matmul shape errors name the op and both shapes" {
            let a, b = Tensor.zeros DType.Float32 [| 2; 3 |], Tensor.zeros DType.Float32 [| 4; 5 |]
            try
                Tensor.matmul a b |> ignore
                failtest "no error"
            with ShapeError (op, detail) ->
                Expect.equal op "matmul" "op"
                Expect.stringContains detail "[2; 3]" "a"
                Expect.stringContains detail "[4; 5]" "b"
            Expect.throwsT<ShapeError>
                (fun () -> Tensor.matmul (Tensor.zeros DType.Float32 [| 2; 2; 3 |]) (Tensor.zeros DType.Float32 [| 3; 3; 1 |]) |> ignore)
                "batch axes 2 and 3 do not broadcast"
        }
        test "1-d · 1-d is a 0-d dot product" {
            let c = Tensor.matmul (Tensor.ofArray [| 3 |] [| 1.0; 2.0; 3.0 |]) (Tensor.ofArray [| 3 |] [| 4.0; 5.0; 6.0 |])
            Expect.equal c.Shape [||] "shape"
            Expect.equal (Tensor.item c) 32.0 "value"
        }
    ]
