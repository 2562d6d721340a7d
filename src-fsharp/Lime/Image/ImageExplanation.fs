/// What an image explanation shows: the superpixels that pushed a label up or down, painted on
/// the image — LIME's `ImageExplanation.get_image_and_mask`. Layer: Lime/Image.
/// Read next: ImageExplainer.fs (how the weights are found).
namespace ScratchML.Lime.Image

open System

/// Which superpixels `getImageAndMask` shows, and how (LIME's keyword arguments).
type MaskOptions =
    { /// Only features with weight > 0 (and > MinWeight), mask 1.
      PositiveOnly: bool
      /// Only features with weight < 0 (and |w| > MinWeight), mask 1.
      NegativeOnly: bool
      /// At most this many features (the first ones of the explanation's |weight| order).
      NumFeatures: int
      /// Start from a black image instead of the original, so only the shown segments remain.
      HideRest: bool
      /// Features with |weight| below this are not shown.
      MinWeight: float }

    /// LIME's defaults: positive_only=True, negative_only=False, num_features=5, hide_rest=False,
    /// min_weight=0.
    static member Defaults =
        { PositiveOnly = true; NegativeOnly = false; NumFeatures = 5; HideRest = false
          MinWeight = 0.0 }

[<RequireQualifiedAccess>]
module ImageMask =
    /// The (image, mask) LIME returns for one label's `localExp` = [(segment, weight)] sorted by
    /// |weight|, descending:
    /// - positive_only: segments with w > 0 and w > min_weight, then the first num_features;
    ///   mask 1.
    /// - negative_only: segments with w < 0 and |w| > min_weight, then the first num_features;
    ///   mask 1.
    /// - otherwise: the first num_features, skipping |w| < min_weight; mask sign(w) (1 for w = 0),
    ///   and channel 1 (w ≥ 0) or 0 (w < 0) of the segment set to max(image).
    /// The image starts as the original, or as zeros with hide_rest; shown segments get their
    /// pixels.
    let getImageAndMask (image: RgbImage) (segments: Segments) (localExp: (int * float) list)
                        (options: MaskOptions) : RgbImage * int[] =
        if options.PositiveOnly && options.NegativeOnly then
            invalidArg "options" "PositiveOnly and NegativeOnly cannot both be true"
        if segments.Height <> image.Height || segments.Width <> image.Width then
            invalidArg "segments"
                $"a {segments.Height}×{segments.Width} label map for a {image.Height}×{image.Width} image"
        let mask = Array.zeroCreate<int> image.PixelCount
        let out =
            if options.HideRest then Array.zeroCreate image.Pixels.Length else Array.copy image.Pixels
        let brightest = RgbImage.max image
        // Pixels of each segment, found once.
        let members = Array.init segments.Count (fun _ -> Collections.Generic.List<int>())
        segments.Labels |> Array.iteri (fun p l -> members[l].Add p)
        let pixelsOf f =
            if f < 0 || f >= segments.Count then
                invalidArg "localExp" $"segment {f} is not in 0..{segments.Count - 1}"
            members[f]
        let show f (value: int) =
            for p in pixelsOf f do
                mask[p] <- value
                for k in 0 .. 2 do out[p * 3 + k] <- image.Pixels[p * 3 + k]
        let first n xs = List.truncate (max 0 n) xs
        if options.PositiveOnly || options.NegativeOnly then
            localExp
            |> List.filter (fun (_, w) ->
                if options.PositiveOnly then w > 0.0 && w > options.MinWeight
                else w < 0.0 && abs w > options.MinWeight)
            |> first options.NumFeatures
            |> List.iter (fun (f, _) -> show f 1)
        else
            for f, w in first options.NumFeatures localExp do
                if not (abs w < options.MinWeight) then
                    show f (if w < 0.0 then -1 else 1)
                    let c = if w < 0.0 then 0 else 1
                    for p in pixelsOf f do out[p * 3 + c] <- brightest
        { image with Pixels = out }, mask

/// An image explanation: the base `Explanation` (one local model per label, feature id = segment
/// id) together with the image and its superpixels, so it can be painted.
type ImageExplanation =
    { Image: RgbImage
      Segments: Segments
      Explanation: ScratchML.Lime.Explanation }

    /// LIME's `get_image_and_mask(label, ...)`: see `ImageMask.getImageAndMask`.
    member e.GetImageAndMask(label: int, options: MaskOptions) =
        let localExp = List.ofArray (e.Explanation.For label).Weights
        ImageMask.getImageAndMask e.Image e.Segments localExp options
