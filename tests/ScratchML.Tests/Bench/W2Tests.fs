/// W2 (../shared/bench/WORKLOADS.md): the CNN's parameters and init are the reference's, a short
/// training run reproduces PyTorch's loss in both precisions, and digit rows feed the CNN as images.
module ScratchML.Tests.Bench.W2Tests

open Expecto
open ScratchML
open ScratchML.NN
open ScratchML.Bench

/// SplitMix64 written out from common.py (state seed + k·golden, then the two mixes), so the
/// test does not lean on the library's generator: output k (1-based) of the stream.
let private splitmix (seed: uint64) (k: uint64) =
    let mutable z = seed + k * 0x9E3779B97F4A7C15UL
    z <- (z ^^^ (z >>> 30)) * 0xBF58476D1CE4E5B9UL
    z <- (z ^^^ (z >>> 27)) * 0x94D049BB133111EBUL
    z ^^^ (z >>> 31)

/// common.py's symmetric: float32((2·(z >> 40)·2⁻²⁴ − 1)·bound).
let private symmetric (k: uint64) (bound: float) =
    float32 ((2.0 * float (splitmix 42UL k >>> 40) * (2.0 ** -24) - 1.0) * bound)

let private digits = lazy (Mnist.w1 (Mnist.defaultFolder ()))

/// The first `n` training digits of W1's fixed order.
let private firstDigits n =
    let train, _ = digits.Force()
    let pixels = match train.Images.Storage with Storage.F32 a -> Array.sub a 0 (n * 784) | Storage.F64 _ -> failwith "float32"
    let shape = [| n; 784 |]
    { Images = Tensor(Storage.F32 pixels, shape, Shape.rowMajorStrides shape, 0); Labels = train.Labels[.. n - 1] }

[<Tests>]
let tests =
    testList "Bench.W2" [
        test "parameters are WORKLOADS.md's, in its init order" {
            let parameters = (W2.network ()).Parameters
            let expected =
                [ "conv1.weight", [| 8; 1; 5; 5 |], 25; "conv1.bias", [| 8 |], 25
                  "conv2.weight", [| 16; 8; 5; 5 |], 200; "conv2.bias", [| 16 |], 200
                  "fc.weight", [| 10; 256 |], 256; "fc.bias", [| 10 |], 256 ]
            Expect.equal [ for p in parameters -> p.Name, p.Shape, p.FanIn ] expected "names, shapes, fan-ins"
        }

        test "splitmix init: each tensor continues the one stream of seed 42" {
            let model = Model.create (W2.network ()) W2.inputShape DType.Float32 InitScheme.Splitmix 0
            // draw number (1-based) of each tensor's first element, and its bound 1/√fan_in
            let starts = [ 1, 25; 201, 25; 209, 200; 3409, 200; 3425, 256; 5985, 256 ]
            for (name, value), (start, fanIn) in List.zip model.Named starts do
                for i in 0 .. 1 do
                    let expected = symmetric (uint64 (start + i)) (1.0 / sqrt (float fanIn))
                    Expect.equal (float32 (value.At i)) expected $"{name}[{i}]"
        }

        test "five batches of the first 320 digits give PyTorch's mean loss, f32 and f64" {
            let subset = firstDigits 320
            let loss dtype = (snd (W2.train dtype subset 1)).Head.Loss
            // PyTorch 1.13, same init, data and SGD (w2 reference, first 320 digits, 1 thread)
            let l32, l64 = loss DType.Float32, loss DType.Float64
            Expect.floatClose { absolute = 0.0; relative = 1e-5 } l32 2.2927740097045897 "float32"
            Expect.floatClose { absolute = 0.0; relative = 1e-10 } l64 2.29277401544231 "float64"
            Expect.equal (loss DType.Float32) l32 "float32 rerun is bit-identical"
        }

        test "784-pixel rows feed a [1; 28; 28] model as images; another width is refused" {
            let model = Model.create (W2.network ()) W2.inputShape DType.Float32 InitScheme.Splitmix 0
            let rows = (firstDigits 5).Images
            let asRows = Model.predict model rows
            let asImages = Model.predict model (W2.images rows)
            Expect.equal (Tensor.toArray asRows) (Tensor.toArray asImages) "same logits"
            Expect.throwsT<System.ArgumentException> (fun () ->
                Model.predict model (Tensor.zeros DType.Float32 [| 2; 783 |]) |> ignore) "783 numbers"
        }
    ]
