/// The segmentation an image explainer uses, as a closed choice (LIME's `SegmentationAlgorithm`).
/// Layer: Lime/Image. Read next: ImageFile.fs (loading images), ImageExplanation.fs.
namespace ScratchML.Lime.Image

/// Which superpixel algorithm splits the image into LIME's interpretable features.
[<RequireQualifiedAccess>]
type Segmentation =
    | Quickshift of QuickshiftOptions
    | Slic of SlicOptions
    | Felzenszwalb of FelzenszwalbOptions
    /// Any function image → label map (labels must be 0..k−1 contiguous).
    | Custom of (RgbImage -> Segments)

[<RequireQualifiedAccess>]
module Segmentation =
    /// LIME's default: quickshift with kernel_size 4, max_dist 200, ratio 0.2 and the given seed.
    let limeDefault (seed: int) = Segmentation.Quickshift(Quickshift.limeDefaults seed)

    /// Run the chosen algorithm (quickshift on up to `threads` threads).
    let runWith (threads: int) (segmentation: Segmentation) (image: RgbImage) : Segments =
        match segmentation with
        | Segmentation.Quickshift o -> Quickshift.segmentWith threads o image
        | Segmentation.Slic o -> Slic.segment o image
        | Segmentation.Felzenszwalb o -> Felzenszwalb.segment o image
        | Segmentation.Custom f ->
            let s = f image
            if s.Height <> image.Height || s.Width <> image.Width then
                invalidArg "segmentation"
                    $"the custom segmentation returned a {s.Height}×{s.Width} map for a {image.Height}×{image.Width} image"
            Segments.create s.Height s.Width s.Labels

    /// Run the chosen algorithm on all cores.
    let run (segmentation: Segmentation) (image: RgbImage) =
        runWith System.Environment.ProcessorCount segmentation image
