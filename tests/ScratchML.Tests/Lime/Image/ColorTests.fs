/// Tests of Lime/Image/Color.fs: rgb2lab on colours whose Lab values are known.
module ScratchML.Tests.Lime.Image.ColorTests

open Expecto
open ScratchML.Lime.Image

let private lab r g b = let struct (l, a, b) = Color.pixelToLab r g b in [| l; a; b |]

[<Tests>]
let tests =
    testList "Lime.Image.Color" [
        test "white is L=100 and a, b near 0 (skimage's matrix rows miss the white by ~1e-5)" {
            let v = lab 1.0 1.0 1.0
            Expect.floatClose Accuracy.high v[0] 100.0 "L"
            Expect.floatClose Accuracy.high v[1] -0.0024549378620508655 "a"
            Expect.floatClose Accuracy.high v[2] 0.004653421154054982 "b"
        }
        test "black is 0, 0, 0" {
            Expect.sequenceEqual (lab 0.0 0.0 0.0) [| 0.0; 0.0; 0.0 |] "black"
        }
        // Expected values: skimage's formulas and constants evaluated in Python floats.
        test "pure red is (53.2406, 80.0923, 67.2028) with skimage 0.19.3's constants" {
            let v = lab 1.0 0.0 0.0
            Expect.floatClose Accuracy.high v[0] 53.2405879437449 "L"
            Expect.floatClose Accuracy.high v[1] 80.0923082256922 "a"
            Expect.floatClose Accuracy.high v[2] 67.2027510444287 "b"
        }
        test "the image conversion is per pixel, HWC" {
            let image = RgbImage.create 1 2 [| 1.0; 0.0; 0.0; 1.0; 1.0; 1.0 |]
            let out = Color.rgbToLab image
            Expect.sequenceEqual out[0..2] (lab 1.0 0.0 0.0) "pixel 0"
            Expect.sequenceEqual out[3..5] (lab 1.0 1.0 1.0) "pixel 1"
        }
    ]
