/// Tests of NN/Augment.fs and NN/AugmentedTraining.fs: a flip undone by a flip, shifts that move
/// pixels where the formula says and fill with zeros, draws fixed by the seed, and a tiny CNN
/// that learns a colour task from augmented images.
module ScratchML.Tests.NN.AugmentTests

open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML
open ScratchML.NN

let private images (shape: int[]) (values: float32[]) =
    Tensor(Storage.F32 values, shape, Shape.rowMajorStrides shape, 0)

let private config = { FsCheckConfig.defaultConfig with maxTest = 100 }

/// A random [n; c; h; w] float32 batch (n, c ≤ 3; h, w ≤ 6) with its seed.
let private batches =
    gen {
        let! n = Gen.choose (1, 3)
        let! c = Gen.choose (1, 3)
        let! h = Gen.choose (1, 6)
        let! w = Gen.choose (1, 6)
        let! seed = Gen.choose (0, 100000)
        let rng = SplitMix64(seed)
        let values = Array.init (n * c * h * w) (fun _ -> float32 (rng.Uniform()))
        return images [| n; c; h; w |] values, seed
    }

let private applyOne (a: Augmentation) (x: Tensor) =
    let n, c, h, w = x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
    let source = Tensor.toArray32 x
    let target = Array.zeroCreate (source.Length)
    for i in 0 .. n - 1 do Augment.image c h w a source (i * c * h * w) target (i * c * h * w)
    images x.Shape target

[<Tests>]
let tests =
    testList "NN.Augment" [
        testPropertyWithConfig config "a flip flipped again is the image, bit for bit" <|
            Prop.forAll (Arb.fromGen batches) (fun (x, _) ->
                let flip = { Flipped = true; Dy = 0; Dx = 0 }
                Tensor.toArray32 (applyOne flip (applyOne flip x)) = Tensor.toArray32 x)
        testPropertyWithConfig config "no flip and no shift is the identity" <|
            Prop.forAll (Arb.fromGen batches) (fun (x, _) ->
                Tensor.toArray32 (applyOne { Flipped = false; Dy = 0; Dx = 0 } x) = Tensor.toArray32 x)
        test "a flip mirrors columns: y[c, r, k] = x[c, r, W − 1 − k]" {
            let x = images [| 1; 1; 2; 3 |] [| 1.0f; 2.0f; 3.0f; 4.0f; 5.0f; 6.0f |]
            let y = applyOne { Flipped = true; Dy = 0; Dx = 0 } x
            Expect.sequenceEqual (Tensor.toArray32 y) [| 3.0f; 2.0f; 1.0f; 6.0f; 5.0f; 4.0f |] "mirrored rows"
        }
        test "a shift by (dy, dx) reads x[r + dy, k + dx] and fills zeros outside" {
            // 3×3 image 1..9 shifted by dy = 1, dx = −1: row r reads row r + 1, column k reads k − 1.
            let x = images [| 1; 1; 3; 3 |] (Array.init 9 (fun i -> float32 (i + 1)))
            let y = applyOne { Flipped = false; Dy = 1; Dx = -1 } x
            Expect.sequenceEqual (Tensor.toArray32 y) [| 0.0f; 4.0f; 5.0f; 0.0f; 7.0f; 8.0f; 0.0f; 0.0f; 0.0f |] "shifted"
        }
        test "flip then shift: the shift applies to the mirrored image" {
            let x = images [| 1; 1; 1; 4 |] [| 1.0f; 2.0f; 3.0f; 4.0f |]
            let y = applyOne { Flipped = true; Dy = 0; Dx = 1 } x
            Expect.sequenceEqual (Tensor.toArray32 y) [| 3.0f; 2.0f; 1.0f; 0.0f |] "mirrored [4 3 2 1], read from k + 1"
        }
        testPropertyWithConfig config "the same seed gives the same augmented batch" <|
            Prop.forAll (Arb.fromGen batches) (fun (x, seed) ->
                let a = Augment.batch (SplitMix64(seed)) Augment.cifar x
                let b = Augment.batch (SplitMix64(seed)) Augment.cifar x
                Tensor.toArray32 a = Tensor.toArray32 b)
        test "draws cover every shift in −m..m and flip about half the time" {
            let rng = SplitMix64(7)
            let draws = Array.init 4000 (fun _ -> Augment.draw rng { Flip = true; MaxShift = 2 })
            Expect.sequenceEqual (draws |> Array.map (fun d -> d.Dy) |> Array.distinct |> Array.sort) [| -2 .. 2 |] "dy values"
            Expect.sequenceEqual (draws |> Array.map (fun d -> d.Dx) |> Array.distinct |> Array.sort) [| -2 .. 2 |] "dx values"
            let flips = draws |> Array.filter (fun d -> d.Flipped) |> Array.length
            Expect.isTrue (flips > 1800 && flips < 2200) $"{flips} flips of 4000"
            let still = Augment.draw (SplitMix64(7)) { Flip = false; MaxShift = 0 }
            Expect.equal still { Flipped = false; Dy = 0; Dx = 0 } "a policy without flips or shifts changes nothing"
        }
        test "a tiny CNN learns reddish vs bluish 8×8 images from augmented batches" {
            // Class 0: red channel brighter on a random half of the image; class 1: blue. Noise
            // everywhere, and the bright half is left or right, so flips and shifts keep the class.
            let rng = SplitMix64(3)
            let make n =
                let labels = Array.init n (fun i -> i % 2)
                let values = Array.zeroCreate<float32> (n * 3 * 64)
                for i in 0 .. n - 1 do
                    let channel = if labels[i] = 0 then 0 else 2
                    let left = rng.Below 2 = 0
                    for c in 0 .. 2 do
                        for p in 0 .. 63 do
                            let bright = c = channel && ((p % 8 < 4) = left)
                            values[(i * 3 + c) * 64 + p] <- float32 (rng.Normal() * 0.5 + (if bright then 1.0 else 0.0))
                Train.classification DType.Float32 2 (images [| n; 3; 8; 8 |] values) labels
            let train, test = make 200, make 100
            let conv = { Conv2dSpec.Default with Padding = (1, 1) }
            let specs =
                [ LayerSpec.Conv2d (3, 4, (3, 3), conv); LayerSpec.Activation Activation.Relu
                  LayerSpec.MaxPool2d (Pool2dSpec.Square 2); LayerSpec.Flatten; LayerSpec.Dense (64, 2) ]
            let model = Model.create (Sequential.ofSpecs specs) [| 3; 8; 8 |] DType.Float32 InitScheme.PyTorch 0
            let options =
                { Train.defaults (Loss.CrossEntropy Reduction.Mean) (Optimizer.Adam { AdamOptions.Defaults with LearningRate = 0.01 }) with
                    Epochs = 8; BatchSize = 20 }
            let history = AugmentedTraining.fit { Flip = true; MaxShift = 1 } Schedule.Constant 5 options model train
            let _, accuracy = Train.evaluate model options.Loss Regularizer.None 100 test
            Expect.isLessThan (List.last history).Loss (List.head history).Loss "the loss falls"
            Expect.isGreaterThanOrEqual accuracy 0.95 "held-out accuracy"
        }
        test "cosine annealing starts at the full rate, halves mid-way and only scales the rate" {
            let f = AugmentedTraining.factor Schedule.Cosine 10
            Expect.equal (f 1) 1.0 "epoch 1"
            Expect.floatClose Accuracy.veryHigh (f 6) 0.5 "epoch 6 of 10"
            Expect.isTrue ([ 1 .. 10 ] |> List.pairwise |> List.forall (fun (a, b) -> f b < f a && f b > 0.0)) "falls, stays positive"
            match AugmentedTraining.scaled 0.25 (Optimizer.Adam { AdamOptions.Defaults with Beta1 = 0.8 }) with
            | Optimizer.Adam o -> Expect.equal (o.LearningRate, o.Beta1) (0.25e-3, 0.8) "rate scaled, the rest kept"
            | other -> failtest $"{other}"
        }
        test "augmented training with the same seeds is bit-for-bit repeatable" {
            let rng = SplitMix64(11)
            let x = images [| 16; 3; 4; 4 |] (Array.init (16 * 48) (fun _ -> float32 (rng.Normal())))
            let data = Train.classification DType.Float32 2 x (Array.init 16 (fun i -> i % 2))
            let specs = [ LayerSpec.Conv2d (3, 2, (3, 3), Conv2dSpec.Default); LayerSpec.Flatten; LayerSpec.Dense (8, 2) ]
            let run () =
                let model = Model.create (Sequential.ofSpecs specs) [| 3; 4; 4 |] DType.Float32 InitScheme.PyTorch 1
                let options = { Train.defaults (Loss.CrossEntropy Reduction.Mean) (Optimizer.Adam AdamOptions.Defaults) with Epochs = 2; BatchSize = 4 }
                AugmentedTraining.fit Augment.cifar Schedule.Cosine 9 options model data |> ignore
                model.Values |> List.map Tensor.toArray32
            Expect.equal (run ()) (run ()) "same weights"
        }
    ]
