/// Tests of Lime/Image/ImageExplanation.fs beyond the fixture: argument checks.
module ScratchML.Tests.Lime.Image.ImageExplanationTests

open System
open Expecto
open ScratchML.Lime.Image

let private image = RgbImage.create 2 2 [| for i in 0 .. 11 -> float i / 11.0 |]
let private segments = Segments.create 2 2 [| 0; 0; 1; 1 |]

[<Tests>]
let tests =
    testList "Lime.Image.ImageExplanation" [
        test "positive_only and negative_only together are an error" {
            Expect.throwsT<ArgumentException> (fun () ->
                ImageMask.getImageAndMask image segments [ 0, 1.0 ]
                    { MaskOptions.Defaults with NegativeOnly = true } |> ignore) "both"
        }
        test "a weight of exactly 0 shows as positive (mask 1, green channel) when not filtering" {
            let out, mask = ImageMask.getImageAndMask image segments [ 1, 0.0 ] { MaskOptions.Defaults with PositiveOnly = false }
            Expect.sequenceEqual mask [| 0; 0; 1; 1 |] "mask"
            Expect.equal out.Pixels[2 * 3 + 1] 1.0 "channel 1 set to max(image)"
        }
        test "a segment id outside the label map is an error naming it" {
            let e = Expect.throwsC (fun () -> ImageMask.getImageAndMask image segments [ 7, 1.0 ] MaskOptions.Defaults |> ignore) id
            Expect.stringContains e.Message "segment 7" "names the segment"
        }
    ]
