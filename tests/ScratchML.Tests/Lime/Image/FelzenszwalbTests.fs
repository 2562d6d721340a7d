/// Tests of Lime/Image/Felzenszwalb.fs: obvious regions, min_size, contiguity, determinism.
module ScratchML.Tests.Lime.Image.FelzenszwalbTests

open Expecto
open ScratchML.Lime.Image
open ScratchML.Tests.Lime.Image.Synthetic

[<Tests>]
let tests =
    testList "Lime.Image.Felzenszwalb" [
        test "four flat quadrants give the four quadrants (sigma 0)" {
            let s = Felzenszwalb.segment { Felzenszwalb.defaults with Scale = 100.0; Sigma = 0.0 } (quadrants 40 0.0 0)
            Expect.equal s.Count 4 "segments"
            Expect.equal (adjustedRand s.Labels (quadrantLabels 40)) 1.0 "ARI"
        }
        test "noisy quadrants (±0.03, sigma 0) give the four quadrants" {
            let s = Felzenszwalb.segment { Scale = 300.0; Sigma = 0.0; MinSize = 50 } (quadrants 40 0.03 2)
            Expect.equal s.Count 4 "segments"
            Expect.equal (adjustedRand s.Labels (quadrantLabels 40)) 1.0 "ARI"
        }
        test "with smoothing (sigma 0.8) the blurred borders move but 4 segments remain" {
            // Blurred 2-pixel border strips are their own small components until min_size merges
            // them into one side, so pixel agreement is high but not 1 (measured 0.939).
            let s = Felzenszwalb.segment { Scale = 300.0; Sigma = 0.8; MinSize = 50 } (quadrants 40 0.03 2)
            Expect.equal s.Count 4 "segments"
            Expect.isGreaterThan (pixelAgreement (quadrantLabels 40) s.Labels) 0.9 "agreement"
        }
        test "labels are 0..k−1 in first-pixel order, no segment below min_size, deterministic" {
            let image = QuickshiftTests.wavy 30 30 6
            let o = { Felzenszwalb.defaults with Scale = 50.0; MinSize = 15 }
            let a = Felzenszwalb.segment o image
            Segments.create a.Height a.Width a.Labels |> ignore
            Expect.equal a.Labels[0] 0 "first pixel has label 0"
            Expect.isTrue (Segments.sizes a |> Array.forall (fun n -> n >= 15)) "min_size"
            Expect.sequenceEqual a.Labels (Felzenszwalb.segment o image).Labels "deterministic"
        }
    ]
