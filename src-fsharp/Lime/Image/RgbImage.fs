/// The two arrays image LIME works on: an RGB image and a label map of its superpixels.
/// Layer: Lime/Image (above Core). Read next: Color.fs (RGB → Lab), then the segmentations.
namespace ScratchML.Lime.Image

open System

/// An RGB image, H×W×3 float64 in row-major (HWC) order as NumPy stores it:
/// channel k of pixel (r, c) is `Pixels[(r·W + c)·3 + k]`; values are intensities in [0, 1].
type RgbImage =
    { Height: int
      Width: int
      Pixels: float[] }

    /// Pixel count H·W.
    member image.PixelCount = image.Height * image.Width

/// A superpixel label map: `Labels[r·W + c]` ∈ 0..Count−1, every label used (contiguous).
type Segments =
    { Height: int
      Width: int
      Labels: int[]
      Count: int }

[<RequireQualifiedAccess>]
module RgbImage =
    /// An image from row-major HWC pixels; checks the length is H·W·3 and every value is finite.
    let create (height: int) (width: int) (pixels: float[]) : RgbImage =
        if height < 1 || width < 1 then
            invalidArg "height" $"an image needs at least 1×1 pixels, got {height}×{width}"
        if pixels.Length <> height * width * 3 then
            invalidArg "pixels"
                $"expected {height}·{width}·3 = {height * width * 3} values (H×W×3 RGB), got {pixels.Length}"
        match Array.tryFindIndex (fun (v: float) -> not (Double.IsFinite v)) pixels with
        | Some i -> invalidArg "pixels" $"pixel value {i} is {pixels[i]}; an image must be finite"
        | None -> { Height = height; Width = width; Pixels = pixels }

    /// An image from a NumPy-style shape [H; W; 3] (a wrong rank or channel count is an error).
    let ofShape (shape: int[]) (pixels: float[]) : RgbImage =
        if shape.Length <> 3 || shape[2] <> 3 then
            invalidArg "shape" $"an RGB image has shape [H; W; 3], got %A{shape}"
        create shape[0] shape[1] pixels

    /// A greyscale H×W image as RGB with R = G = B (LIME's gray2rgb for a 2-d input).
    let ofGray (height: int) (width: int) (gray: float[]) : RgbImage =
        if gray.Length <> height * width then
            invalidArg "gray"
                $"expected {height}·{width} = {height * width} grey values (H×W), got {gray.Length}"
        create height width (Array.init (gray.Length * 3) (fun i -> gray[i / 3]))

    /// Channel k of pixel p (p = r·W + c).
    let inline channel (image: RgbImage) (p: int) (k: int) = image.Pixels[p * 3 + k]

    /// The largest value over all pixels and channels (np.max(image)).
    let max (image: RgbImage) = Array.max image.Pixels

[<RequireQualifiedAccess>]
module Segments =
    /// Label map from arbitrary integer ids: ids are renumbered 0..k−1 in increasing order of id,
    /// exactly as `np.unique(ids, return_inverse=True)[1]` does.
    let ofIds (height: int) (width: int) (ids: int[]) : Segments =
        let distinct = Array.distinct ids |> Array.sort
        let rank = Collections.Generic.Dictionary<int, int>(distinct.Length)
        distinct |> Array.iteri (fun i id -> rank[id] <- i)
        { Height = height; Width = width; Labels = Array.map (fun id -> rank[id]) ids
          Count = distinct.Length }

    /// Label map from labels already in 0..k−1; checks size, range and that every label occurs.
    let create (height: int) (width: int) (labels: int[]) : Segments =
        if labels.Length <> height * width then
            invalidArg "labels"
                $"expected {height}·{width} = {height * width} labels, got {labels.Length}"
        let count = if labels.Length = 0 then 0 else Array.max labels + 1
        if labels |> Array.exists (fun l -> l < 0) then invalidArg "labels" "labels must be ≥ 0"
        let seen = Array.zeroCreate<bool> count
        for l in labels do seen[l] <- true
        match Array.tryFindIndex not seen with
        | Some l -> invalidArg "labels" $"label {l} is unused: labels must be 0..k−1 contiguous"
        | None -> { Height = height; Width = width; Labels = labels; Count = count }

    /// Pixels per segment.
    let sizes (segments: Segments) =
        let n = Array.zeroCreate<int> segments.Count
        for l in segments.Labels do n[l] <- n[l] + 1
        n

    /// Per segment s, the mean RGB colour over its pixels: mean_{p ∈ s} image[p, k], k = 0, 1, 2
    /// (what LIME paints a hidden superpixel with when hide_color is None).
    let meanColors (image: RgbImage) (segments: Segments) : float[][] =
        let sums = Array.init segments.Count (fun _ -> Array.zeroCreate<float> 3)
        let counts = sizes segments
        // Summed in pixel order like NumPy's pairwise sum would not; the difference is ~1 ulp.
        segments.Labels |> Array.iteri (fun p l ->
            for k in 0..2 do sums[l][k] <- sums[l][k] + image.Pixels[p * 3 + k])
        sums |> Array.mapi (fun l s -> s |> Array.map (fun v -> v / float counts[l]))
