/// Tests of Lime/Image/Slic.fs: obvious regions, grid placement, contiguity, determinism.
module ScratchML.Tests.Lime.Image.SlicTests

open Expecto
open ScratchML.Lime.Image
open ScratchML.Tests.Lime.Image.Synthetic

[<Tests>]
let tests =
    testList "Lime.Image.Slic" [
        test "four flat quadrants with n_segments 4 give the four quadrants" {
            let s = Slic.segment { Slic.defaults with NSegments = 4 } (quadrants 64 0.0 0)
            Expect.equal s.Count 4 "segments"
            Expect.equal (adjustedRand s.Labels (quadrantLabels 64)) 1.0 "ARI"
        }
        test "noisy quadrants with many superpixels never cross a quadrant border" {
            let s = Slic.segment { Slic.defaults with NSegments = 36 } (quadrants 48 0.05 1)
            // Each superpixel lies inside one quadrant (agreement of ours → quadrants), up to the
            // connectivity clean-up, which may hand a tiny piece to a neighbour across the border
            // (measured 0.99957: one pixel).
            Expect.isGreaterThan (pixelAgreement s.Labels (quadrantLabels 48)) 0.995 "nested in quadrants"
            Expect.isGreaterThan s.Count 8 "several superpixels"
        }
        test "the grid is skimage's regular_grid: 64×64, n = 50 → 7×7 centres from 4, step 9" {
            let seeds, step = Slic.grid 64 64 50
            Expect.equal step 9 "step"
            Expect.equal seeds.Length 49 "centres"
            Expect.equal seeds[0] (4, 4) "first"
            Expect.equal seeds[48] (58, 58) "last"
        }
        test "labels are 0..k−1 and the run is deterministic" {
            let image = QuickshiftTests.wavy 30 40 2
            let a = Slic.segment { Slic.defaults with NSegments = 20 } image
            let b = Slic.segment { Slic.defaults with NSegments = 20 } image
            Segments.create a.Height a.Width a.Labels |> ignore
            Expect.sequenceEqual a.Labels b.Labels "same input, same labels"
        }
    ]
