/// Views and joins: slicing against Python's rules, permute/transpose/reshape round trips, views
/// that share storage, concat/split inverses, stack, and sliceBackward as slice's adjoint.
module ScratchML.Tests.Core.Tensor.LayoutTests

open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML
open ScratchML.Tests.Core.Tensor.TensorGens

/// Python's range(start, stop, step) of an axis of size n, as the list of positions it reads.
let pythonRange (n: int) (start: int option) (stop: int option) (step: int) =
    let norm v = if v < 0 then v + n else v
    if step > 0 then
        let s = start |> Option.map (norm >> max 0 >> min n) |> Option.defaultValue 0
        let e = stop |> Option.map (norm >> max 0 >> min n) |> Option.defaultValue n
        [ s .. step .. e - 1 ]
    else
        let s = start |> Option.map (norm >> max -1 >> min (n - 1)) |> Option.defaultValue (n - 1)
        let e = stop |> Option.map (norm >> max -1 >> min (n - 1)) |> Option.defaultValue -1
        [ s .. step .. e + 1 ]

/// A random slice spec for an axis of size n (indices in range; starts/stops may overshoot).
let genSpec n =
    let bound = Gen.choose (-n - 2, n + 2)
    Gen.frequency [
        1, Gen.constant Slice.All
        1, Gen.choose (-n, n - 1) |> Gen.map Slice.Index
        4, gen {
            let! start = Gen.optionOf bound
            let! stop = Gen.optionOf bound
            let! step = Gen.elements [ 1; 1; 2; 3; -1; -2 ]
            return Slice.Range(start, stop, step)
        } ]

let genSlice =
    gen {
        let! shape = genShape 1 4
        let! count = Gen.choose (0, shape.Length)
        let! specs = shape[.. count - 1] |> Array.map genSpec |> Array.toList |> Gen.sequenceToList
        let! dtype = genDType
        let! seed = Gen.choose (0, 1_000_000)
        return shape, Array.ofList specs, dtype, seed
    }

[<Tests>]
let tests =
    testList "Tensor.Layout" [
        testPropertyWithConfig config "slice = Python basic indexing (negatives, steps, fewer specs), a view" <|
            Prop.forAll (Arb.fromGen genSlice) (fun (shape, specs, dtype, seed) ->
                let x = randomView dtype seed shape
                let y = Tensor.slice specs x
                Expect.isTrue (obj.ReferenceEquals(y.Storage, x.Storage)) "view"
                // per axis: the positions read, and whether the axis is kept
                let axes =
                    shape |> Array.mapi (fun d n ->
                        match (if d < specs.Length then specs[d] else Slice.All) with
                        | Slice.All -> [ 0 .. n - 1 ], true
                        | Slice.Index i -> [ (if i < 0 then i + n else i) ], false
                        | Slice.Range (s, e, st) -> pythonRange n s e st, true)
                let expectedShape = axes |> Array.filter snd |> Array.map (fst >> List.length)
                Expect.equal y.Shape expectedShape $"shape of {Shape.show shape} %A{specs}"
                let rec combos d : int list list =
                    if d = shape.Length then [ [] ]
                    else [ for p in fst axes[d] do for rest in combos (d + 1) -> p :: rest ]
                let expected = combos 0 |> List.map (fun ix -> at x (Array.ofList ix)) |> Array.ofList
                Expect.equal (Tensor.toArray y) expected $"values of {Shape.show shape} %A{specs}")

        testPropertyWithConfig config "sliceBackward is slice's adjoint: ⟨slice s x, g⟩ = ⟨x, sliceBackward (shape x) s g⟩" <|
            Prop.forAll (Arb.fromGen genSlice) (fun (shape, specs, dtype, seed) ->
                let x = randomView dtype seed shape
                let g = random dtype (seed + 1) (Tensor.slice specs x).Shape
                let back = Tensor.sliceBackward shape specs g
                Expect.equal back.Shape shape "shape"
                let lhs, rhs = dot (Tensor.slice specs x) g, dot x back
                Expect.isTrue (abs (lhs - rhs) <= tol dtype * (1.0 + abs lhs) * 10.0) $"{lhs} vs {rhs}")

        testPropertyWithConfig config "permute then the inverse permutation is the identity; transpose twice too" <|
            Prop.forAll (Arb.fromGen (Gen.zip3 (genShape 1 4) genDType (Gen.choose (0, 1_000_000)))) (fun (shape, dtype, seed) ->
                let x = randomView dtype seed shape
                let rng = SplitMix64 seed
                let p = Array.init shape.Length id |> Array.sortBy (fun _ -> rng.Next())
                let y = Tensor.permute p x
                Expect.equal y.Shape (p |> Array.map (fun d -> shape[d])) "permuted shape"
                for ix in indices y.Shape do
                    let src = Array.zeroCreate shape.Length
                    p |> Array.iteri (fun k d -> src[d] <- ix[k])
                    Expect.equal (at y ix) (at x src) "y[i] = x[i∘p⁻¹]"
                let inv = Array.zeroCreate p.Length
                p |> Array.iteri (fun k d -> inv[d] <- k)
                Expect.equal (Tensor.toArray (Tensor.permute inv y)) (Tensor.toArray x) "round trip"
                let i, j = rng.Below shape.Length, rng.Below shape.Length - shape.Length
                Expect.equal (Tensor.toArray (Tensor.transpose i j (Tensor.transpose i j x))) (Tensor.toArray x) "transpose twice")

        testPropertyWithConfig config "reshape keeps row-major order; a view when the layout allows" <|
            Prop.forAll (Arb.fromGen (Gen.zip3 (genShape 0 4) genDType (Gen.choose (0, 1_000_000)))) (fun (shape, dtype, seed) ->
                let x = randomView dtype seed shape
                let n = Shape.numel shape
                let rng = SplitMix64 seed
                // a random factorisation of n, with a −1 somewhere
                let divisors = [ for d in 1 .. n do if n % d = 0 then d ]
                let first = divisors[rng.Below divisors.Length]
                let target = if rng.Below 2 = 0 then [| first; -1 |] else [| -1; 1; first |]
                let y = Tensor.reshape target x
                Expect.equal (Shape.numel y.Shape) n "numel"
                Expect.equal (Tensor.toArray y) (Tensor.toArray x) "same row-major values"
                Expect.equal (Tensor.toArray (Tensor.reshape shape y)) (Tensor.toArray x) "round trip"
                if x.IsContiguous then Expect.isTrue (obj.ReferenceEquals(y.Storage, x.Storage)) "contiguous → view")

        test "reshape of a transposed view copies; of a sliced-rows view it does not" {
            let x = random DType.Float64 3 [| 4; 6 |]
            let t = Tensor.transpose 0 1 x
            Expect.isFalse (obj.ReferenceEquals((Tensor.reshape [| 24 |] t).Storage, x.Storage)) "transposed → copy"
            let rows = Tensor.slice [| Slice.Range(Some 1, Some 3, 1) |] x
            let r = Tensor.reshape [| 2; 3; 2 |] rows
            Expect.isTrue (obj.ReferenceEquals(r.Storage, x.Storage)) "rows → view"
            Expect.equal (Tensor.toArray r) (Tensor.toArray rows) "values"
            let cols = Tensor.slice [| Slice.All; Slice.Range(None, None, 2) |] x
            Expect.equal (Tensor.toArray (Tensor.reshape [| 3; 4 |] cols)) (Tensor.toArray cols) "strided cols"
        }

        testPropertyWithConfig config "split undoes concat along any axis; stack = concat of unsqueezed" <|
            Prop.forAll (Arb.fromGen (Gen.zip3 (genShape 1 3) genDType (Gen.choose (0, 1_000_000)))) (fun (shape, dtype, seed) ->
                let rng = SplitMix64 seed
                let axis = rng.Below shape.Length - (if seed % 2 = 0 then shape.Length else 0)
                let k = (axis + shape.Length) % shape.Length
                let sizes = Array.init (1 + rng.Below 3) (fun _ -> rng.Below 3)
                let parts =
                    sizes |> Array.mapi (fun i s ->
                        let sh = Array.copy shape
                        sh[k] <- s
                        randomView dtype (seed + i) sh) |> List.ofArray
                let joined = Tensor.concat axis parts
                Expect.equal joined.Shape[k] (Array.sum sizes) "joined size"
                let back = Tensor.split axis sizes joined
                for p, q in List.zip parts back do Expect.equal (Tensor.toArray q) (Tensor.toArray p) "split ∘ concat"
                let same = [ for i in 0 .. 2 -> randomView dtype (seed + 10 + i) shape ]
                let st = Tensor.stack axis same
                let expected = Tensor.concat axis [ for t in same -> Tensor.unsqueeze axis t ]
                Expect.equal st.Shape (Array.insertAt ((axis + shape.Length + 1) % (shape.Length + 1)) 3 shape) "stack shape"
                Expect.equal (Tensor.toArray st) (Tensor.toArray expected) "stack values")

        test "broadcastTo, unsqueeze and squeeze are views; errors name the op and shapes" {
            let x = Tensor.ofArray [| 3; 1 |] [| 1.0; 2.0; 3.0 |]
            let b = Tensor.broadcastTo [| 2; 3; 4 |] x
            Expect.isTrue (obj.ReferenceEquals(b.Storage, x.Storage)) "view"
            Expect.equal b.Strides[0] 0 "stretched stride 0"
            Expect.equal (Tensor.get [| 1; 2; 3 |] b) 3.0 "value"
            Expect.equal (Tensor.squeeze -1 x).Shape [| 3 |] "squeeze"
            Expect.equal (Tensor.unsqueeze -1 x).Shape [| 3; 1; 1 |] "unsqueeze at the end"
            Expect.equal (Tensor.unsqueeze 0 x).Shape [| 1; 3; 1 |] "unsqueeze in front"
            let fails f (op: string) (parts: string list) =
                try
                    f () |> ignore
                    failtest "no error"
                with ShapeError (o, detail) ->
                    Expect.equal o op "op"
                    for p in parts do Expect.stringContains detail p "shape in message"
            fails (fun () -> Tensor.broadcastTo [| 2; 4 |] x) "broadcastTo" [ "[3; 1]"; "[2; 4]" ]
            fails (fun () -> Tensor.squeeze 0 x) "squeeze" [ "[3; 1]" ]
            fails (fun () -> Tensor.reshape [| 4 |] x) "reshape" [ "[3; 1]"; "[4]" ]
            fails (fun () -> Tensor.concat 0 [ x; Tensor.zeros DType.Float64 [| 2; 2 |] ]) "concat" [ "[3; 1]"; "[2; 2]" ]
            fails (fun () -> Tensor.split 0 [| 1; 1 |] x) "split" [ "[3; 1]" ]
        }
    ]
