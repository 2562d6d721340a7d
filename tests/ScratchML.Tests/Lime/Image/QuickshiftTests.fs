/// Tests of Lime/Image/Quickshift.fs: against a plain scalar port of skimage's Cython loops, on
/// obvious regions, label contiguity, determinism (same seed; any thread count).
module ScratchML.Tests.Lime.Image.QuickshiftTests

open System
open Expecto
open ScratchML
open ScratchML.Lime.Image
open ScratchML.Tests.Lime.Image.Synthetic

/// skimage 0.19.3's `_quickshift_cython`, loop for loop with Math.Exp, on the same features and
/// the same SplitMix64 noise: the fast vectorised version must give the same label map.
let referenceQuickshift (options: QuickshiftOptions) (image: RgbImage) =
    let h, w = image.Height, image.Width
    let x = Quickshift.features options image
    let inv = -0.5 / (options.KernelSize * options.KernelSize)
    let kw = int (ceil (3.0 * options.KernelSize))
    let dist r c r' c' =
        let mutable d = 0.0
        for k in 0 .. 2 do
            let t = x[(r * w + c) * 3 + k] - x[(r' * w + c') * 3 + k]
            d <- d + t * t
        let tr, tc = float (r - r'), float (c - c')
        d <- d + tr * tr
        d + tc * tc
    let density = Array.zeroCreate<float> (h * w)
    for r in 0 .. h - 1 do
        for c in 0 .. w - 1 do
            for r' in max (r - kw) 0 .. min (r + kw + 1) h - 1 do
                for c' in max (c - kw) 0 .. min (c + kw + 1) w - 1 do
                    density[r * w + c] <- density[r * w + c] + exp (dist r c r' c' * inv)
    let rng = SplitMix64(options.RandomSeed)
    for i in 0 .. h * w - 1 do density[i] <- density[i] + Quickshift.noiseScale * rng.Normal()
    let parent = Array.init (h * w) id
    for r in 0 .. h - 1 do
        for c in 0 .. w - 1 do
            let mutable closest = Double.MaxValue
            for r' in max (r - kw) 0 .. min (r + kw + 1) h - 1 do
                for c' in max (c - kw) 0 .. min (c + kw + 1) w - 1 do
                    if density[r' * w + c'] > density[r * w + c] then
                        let d = dist r c r' c'
                        if d < closest then
                            closest <- d
                            parent[r * w + c] <- r' * w + c'
            if sqrt closest > options.MaxDist then parent[r * w + c] <- r * w + c
    let rec root i = if parent[i] = i then i else root parent[i]
    Segments.ofIds h w (Array.init (h * w) root)

/// A smooth random-looking test image: sums of a few sinusoids per channel (SplitMix64 phases).
let wavy (h: int) (w: int) (seed: int) =
    let rng = SplitMix64(seed)
    let phase = Array.init 9 (fun _ -> 6.283 * rng.Uniform())
    RgbImage.create h w [| for r in 0 .. h - 1 do
                             for c in 0 .. w - 1 do
                                 for k in 0 .. 2 ->
                                     0.5 + 0.2 * sin (0.31 * float r + phase[k]) + 0.2 * cos (0.23 * float c + phase[3 + k])
                                     + 0.1 * sin (0.17 * float (r + c) + phase[6 + k]) |]

let private fine seed = { Quickshift.limeDefaults seed with KernelSize = 2.0; MaxDist = 6.0; Ratio = 0.5 }

[<Tests>]
let tests =
    testList "Lime.Image.Quickshift" [
        test "equals the scalar port of skimage's loops (fine parameters, 2 images, 3 sizes)" {
            for (h, w, seed) in [ 17, 23, 1; 20, 20, 2; 9, 31, 3 ] do
                let image = wavy h w seed
                let fast = Quickshift.segmentWith 2 (fine seed) image
                let slow = referenceQuickshift (fine seed) image
                Expect.isGreaterThan fast.Count 1 "a fine quickshift gives several segments"
                Expect.sequenceEqual fast.Labels slow.Labels $"labels {h}×{w} seed {seed}"
        }
        test "equals the scalar port with LIME's defaults" {
            let image = wavy 30 26 5
            let o = Quickshift.limeDefaults 0
            Expect.sequenceEqual (Quickshift.segmentWith 2 o image).Labels (referenceQuickshift o image).Labels "labels"
        }
        test "four flat quadrants give exactly the four quadrants (LIME's defaults)" {
            let s = Quickshift.segment (Quickshift.limeDefaults 0) (quadrants 64 0.0 0)
            Expect.equal s.Count 4 "segments"
            Expect.equal (adjustedRand s.Labels (quadrantLabels 64)) 1.0 "ARI"
        }
        test "noisy quadrants (±0.05) still give the four quadrants" {
            let s = Quickshift.segment (Quickshift.limeDefaults 3) (quadrants 64 0.05 9)
            Expect.equal s.Count 4 "segments"
            Expect.equal (adjustedRand s.Labels (quadrantLabels 64)) 1.0 "ARI"
        }
        test "labels are 0..k−1, all used" {
            let s = Quickshift.segment (fine 4) (wavy 25 25 4)
            Segments.create s.Height s.Width s.Labels |> ignore   // throws on a gap
            Expect.equal (Array.max s.Labels + 1) s.Count "count"
        }
        test "deterministic: same seed, 1 or 2 threads → identical labels" {
            let image = wavy 40 36 8
            let a = Quickshift.segmentWith 1 (fine 8) image
            let b = Quickshift.segmentWith 2 (fine 8) image
            let c = Quickshift.segmentWith 2 (fine 8) image
            Expect.sequenceEqual a.Labels b.Labels "1 vs 2 threads"
            Expect.sequenceEqual b.Labels c.Labels "repeat"
        }
        test "kernel_size below 1 is rejected" {
            Expect.throwsT<ArgumentException> (fun () ->
                Quickshift.segment { Quickshift.limeDefaults 0 with KernelSize = 0.5 } (wavy 5 5 0) |> ignore) "kernel"
        }
    ]
