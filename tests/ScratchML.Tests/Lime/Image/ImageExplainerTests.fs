/// Tests of Lime/Image/ImageExplainer.fs: a classifier with known superpixel effects is explained
/// with the right signs and ranking; batching, hide colours, determinism, bad classifiers.
module ScratchML.Tests.Lime.Image.ImageExplainerTests

open System
open Expecto
open ScratchML
open ScratchML.Lime
open ScratchML.Lime.Image
open ScratchML.Tests.Lime.Image.Synthetic

let private n = 32
let private image = quadrants n 0.0 0
/// The pixel index at the centre of quadrant q.
let private centre q = (if q < 2 then n / 4 else 3 * n / 4) * n + (if q % 2 = 0 then n / 4 else 3 * n / 4)
/// Is quadrant q shown with its original colour in this image?
let private visible (img: RgbImage) q = img.Pixels[centre q * 3] = image.Pixels[centre q * 3]

/// p(class 1) = 0.1 + 0.6·[quadrant 0 shown] + 0.2·[quadrant 3 shown]; p(class 0) = 1 − p1.
let private known (batch: RgbImage[]) =
    Array2D.init batch.Length 2 (fun i j ->
        let p1 = 0.1 + (if visible batch[i] 0 then 0.6 else 0.0) + (if visible batch[i] 3 then 0.2 else 0.0)
        if j = 1 then p1 else 1.0 - p1)

let private quadrantSegmentation = Some(Segmentation.Slic { Slic.defaults with NSegments = 4 })
let private args = { ImageExplainOptions.Defaults with Segmentation = quadrantSegmentation; NumSamples = 200; HideColor = HideColor.Rgb(0.0, 0.0, 0.0) }
let private options = { ImageExplainerOptions.Defaults with Seed = 3 }

[<Tests>]
let tests =
    testList "Lime.Image.ImageExplainer" [
        test "a known classifier: quadrant 0 first, quadrant 3 second, both positive for class 1" {
            let e = ImageExplainer.explain options args known image
            let segmentOf q = e.Segments.Labels[centre q]
            let w1 = (e.Explanation.For 1).Weights
            Expect.equal (fst w1[0]) (segmentOf 0) "top feature"
            Expect.equal (fst w1[1]) (segmentOf 3) "second feature"
            Expect.isGreaterThan (snd w1[0]) 0.4 "≈ 0.6, shrunk a little by Ridge(α=1)"
            Expect.isGreaterThan (snd w1[1]) 0.1 "≈ 0.2"
            Expect.isLessThan (abs (snd w1[2])) 0.05 "the others ≈ 0"
            let w0 = (e.Explanation.For 0).Weights
            Expect.isLessThan (snd w0[0]) -0.4 "class 0 mirrors class 1"
            Expect.equal e.Explanation.TopLabels [| 1; 0 |] "p1 = 0.9 > p0 = 0.1 at the instance"
        }
        test "same seed → bit-identical explanation; another seed → other samples" {
            let a = ImageExplainer.explain options args known image
            let b = ImageExplainer.explain options args known image
            let c = ImageExplainer.explain { options with Seed = 4 } args known image
            Expect.equal a.Explanation.Labels b.Explanation.Labels "same seed (MinValue is NaN, so not the whole record)"
            Expect.equal a.Segments b.Segments "same segments"
            Expect.notEqual (a.Explanation.For 1).Weights (c.Explanation.For 1).Weights "other seed"
        }
        test "1 or 2 threads give the bit-identical explanation (quickshift and perturbation)" {
            let img = QuickshiftTests.wavy 24 24 3
            let classify (batch: RgbImage[]) =
                Array2D.init batch.Length 2 (fun i j ->
                    let p1 = 0.5 + 0.4 * (batch[i].Pixels[0] - 0.5)
                    if j = 1 then p1 else 1.0 - p1)
            let run threads =
                ImageExplainer.explain { options with Threads = threads } { ImageExplainOptions.Defaults with NumSamples = 60 } classify img
            let a, b = run 1, run 2
            Expect.equal a.Segments b.Segments "segments"
            Expect.equal a.Explanation.Labels b.Explanation.Labels "weights"
        }
        test "a greyscale image becomes R = G = B" {
            let img = RgbImage.ofGray 1 2 [| 0.25; 0.5 |]
            Expect.sequenceEqual img.Pixels [| 0.25; 0.25; 0.25; 0.5; 0.5; 0.5 |] "gray2rgb"
        }
        test "batches of batch_size, num_samples images in all, row 0 is the instance" {
            let sizes = Collections.Generic.List<int>()
            let mutable first = None
            let record (batch: RgbImage[]) =
                if sizes.Count = 0 then first <- Some(Array.copy batch[0].Pixels)
                sizes.Add batch.Length
                known batch
            ImageExplainer.explain options { args with NumSamples = 25; BatchSize = 10 } record image |> ignore
            Expect.sequenceEqual sizes [ 10; 10; 5 ] "batch sizes"
            Expect.equal first (Some image.Pixels) "row 0 = the original image"
        }
        test "hide colour None paints hidden segments with their mean colour" {
            let img = QuickshiftTests.wavy 8 8 1
            let segments = Segments.create 8 8 [| for p in 0 .. 63 -> if p < 24 then 0 else 1 |]
            let hidden = ImageExplainer.hiddenImage HideColor.SegmentMean img segments
            let data = array2D [ [ 0.0; 1.0 ] ]
            let target = Array.zeroCreate img.Pixels.Length
            ImageExplainer.perturb (ImageExplainer.runs segments) img.Pixels hidden data 0 target
            let mean k = Seq.average [ for p in 0 .. 23 -> img.Pixels[p * 3 + k] ]
            for k in 0 .. 2 do Expect.floatClose Accuracy.veryHigh target[5 * 3 + k] (mean k) "hidden → mean"
            Expect.sequenceEqual target[24 * 3 ..] img.Pixels[24 * 3 ..] "kept → original"
        }
        test "sampled rows are 0/1 with row 0 all ones" {
            let data = ImageExplainer.sampleRows (SplitMix64 5) 50 7
            Expect.isTrue (Seq.forall (fun j -> data[0, j] = 1.0) [ 0 .. 6 ]) "row 0"
            let values = [ for i in 0 .. 49 do for j in 0 .. 6 -> data[i, j] ]
            Expect.isTrue (values |> List.forall (fun v -> v = 0.0 || v = 1.0)) "binary"
            Expect.isGreaterThan (values |> List.filter ((=) 0.0) |> List.length) 100 "about half zeros"
        }
        test "a classifier returning the wrong shape or non-probabilities is rejected" {
            let wrongRows (batch: RgbImage[]) = Array2D.create (batch.Length + 1) 2 0.5
            let notProbabilities (batch: RgbImage[]) = Array2D.create batch.Length 2 0.7
            let e1 = Expect.throwsC (fun () -> ImageExplainer.explain options args wrongRows image |> ignore) id
            Expect.stringContains e1.Message "rows" "wrong row count"
            let e2 = Expect.throwsC (fun () -> ImageExplainer.explain options args notProbabilities image |> ignore) id
            Expect.stringContains e2.Message "sum to" "rows must sum to 1"
        }
        test "get_image_and_mask on an explanation shows the top positive quadrant" {
            let e = ImageExplainer.explain options args known image
            let _, mask = e.GetImageAndMask(1, { MaskOptions.Defaults with NumFeatures = 1 })
            Expect.equal mask[centre 0] 1 "quadrant 0 shown"
            Expect.equal (Array.sum mask) (n * n / 4) "only it"
        }
    ]
