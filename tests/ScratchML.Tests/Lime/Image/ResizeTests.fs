/// Tests of Lime/Image/Resize.fs: the weights are a partition of unity, same size is the identity,
/// shrinking by 2 averages with the widened tent [1, 3, 3, 1]/8, and constant images stay constant.
module ScratchML.Tests.Lime.Image.ResizeTests

open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML
open ScratchML.Lime.Image

let private config = { FsCheckConfig.defaultConfig with maxTest = 100 }

let private sizes = Gen.choose (1, 40)

[<Tests>]
let tests =
    testList "Lime.Image.Resize" [
        testPropertyWithConfig config "weights are non-negative, sum to 1 and stay inside the input" <|
            Prop.forAll (Arb.fromGen (Gen.zip sizes sizes)) (fun (input, output) ->
                Resize.weights input output |> Array.forall (fun (first, w) ->
                    first >= 0 && first + w.Length <= input && Array.forall (fun v -> v >= 0.0) w
                    && abs (Array.sum w - 1.0) < 1e-12))
        testPropertyWithConfig config "resizing to the same size returns the image exactly" <|
            Prop.forAll (Arb.fromGen (Gen.zip3 (Gen.choose (1, 9)) (Gen.choose (1, 9)) (Gen.choose (0, 1000)))) (fun (h, w, seed) ->
                let rng = SplitMix64(seed)
                let image = RgbImage.create h w (Array.init (h * w * 3) (fun _ -> rng.Uniform()))
                (Resize.image h w image).Pixels = image.Pixels)
        testPropertyWithConfig config "a constant image stays that constant at any size" <|
            Prop.forAll (Arb.fromGen (Gen.zip (Gen.zip sizes sizes) (Gen.zip sizes sizes))) (fun ((h, w), (h2, w2)) ->
                let image = RgbImage.create h w (Array.init (h * w * 3) (fun i -> [| 0.2; 0.5; 0.9 |][i % 3]))
                (Resize.image h2 w2 image).Pixels
                |> Array.mapi (fun i v -> abs (v - [| 0.2; 0.5; 0.9 |][i % 3]) < 1e-12) |> Array.forall id)
        test "halving uses the tent widened to radius 2: weights [1, 3, 3, 1]/8 (two at the border)" {
            let w = Resize.weights 8 4
            Expect.equal (fst w[1]) 1 "output 1 starts at input 1"
            Expect.sequenceEqual (snd w[1]) [| 0.125; 0.375; 0.375; 0.125 |] "interior weights"
            Expect.equal (fst w[0]) 0 "border"
            Expect.sequenceEqual (snd w[0]) [| 3.0 / 7.0; 3.0 / 7.0; 1.0 / 7.0 |] "border weights renormalised"
        }
        test "a one-pixel line shrunk 4× is spread over its neighbours, not dropped" {
            // Point sampling at 4× could miss column 5 entirely; the filter keeps a share of it.
            let line = Array.init (16 * 3) (fun i -> if i / 3 = 5 then 1.0 else 0.0)
            let small = Resize.image 1 4 (RgbImage.create 1 16 line)
            // output 1 (centre 6, radius 4): 0.875/4 of it; output 0 (centre 2, border): 0.125/3.5
            Expect.floatClose Accuracy.veryHigh small.Pixels[3] (0.875 / 4.0) "output column 1"
            Expect.floatClose Accuracy.veryHigh small.Pixels[0] (0.125 / 3.5) "output column 0"
            Expect.equal small.Pixels[6] 0.0 "output column 2 (centre 10) is out of reach"
        }
        test "fit keeps the aspect ratio and leaves small images alone" {
            let image = RgbImage.create 300 451 (Array.zeroCreate (300 * 451 * 3))
            let small = Resize.fit 160 image
            Expect.equal (small.Height, small.Width) (106, 160) "300×451 → 106×160"
            Expect.isTrue (obj.ReferenceEquals(Resize.fit 500 image, image)) "already small"
        }
    ]
