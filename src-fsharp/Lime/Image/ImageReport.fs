/// The image part of an explanation report: per label, the image with the explanation's
/// superpixels painted and outlined (LIME's `mark_boundaries(get_image_and_mask(...))` figures),
/// as self-contained HTML (PNG as base64 data URIs, inline CSS, no network).
/// Layer: Lime/Image, above Report.fs: `html` adds these figures to the common explanation page.
namespace ScratchML.Lime.Image

open System
open System.Net
open System.Text

[<RequireQualifiedAccess>]
module ImageReport =
    /// Pixels where the label map changes: p is a boundary pixel when a 4-neighbour has another
    /// label (skimage's find_boundaries, mode 'thick').
    let boundaries (height: int) (width: int) (labels: int[]) =
        Array.init (height * width) (fun p ->
            let r, c = p / width, p % width
            let differs rr cc =
                rr >= 0 && rr < height && cc >= 0 && cc < width && labels[rr * width + cc] <> labels[p]
            differs (r - 1) c || differs (r + 1) c || differs r (c - 1) || differs r (c + 1))

    /// Paint `colour` on every boundary pixel of `labels` (skimage's mark_boundaries).
    let markBoundaries (colour: float[]) (labels: int[]) (image: RgbImage) =
        let edge = boundaries image.Height image.Width labels
        let out = Array.copy image.Pixels
        edge |> Array.iteri (fun p on -> if on then for k in 0 .. 2 do out[p * 3 + k] <- colour[k])
        { image with Pixels = out }

    /// The figure LIME's tutorials draw for a label: get_image_and_mask, then the mask's region
    /// outlines in yellow (1, 1, 0).
    let overlay (explanation: ImageExplanation) (label: int) (options: MaskOptions) =
        let shown, mask = explanation.GetImageAndMask(label, options)
        markBoundaries [| 1.0; 1.0; 0.0 |] mask shown

    /// `<img>` with the image inlined as a PNG data URI; `pixelated` keeps small images crisp.
    let imgTag (alt: string) (image: RgbImage) =
        let data = Convert.ToBase64String(ImageFile.toPng image)
        let scale = max 1 (256 / max image.Width image.Height)
        let size = $"width=\"{image.Width * scale}\" height=\"{image.Height * scale}\""
        $"<img class=\"lime-image\" alt=\"{WebUtility.HtmlEncode alt}\" {size} "
        + $"src=\"data:image/png;base64,{data}\">"

    /// The CSS the section needs (include once per page).
    let style =
        ".lime-image-section{font-family:sans-serif;margin:1em 0}"
        + ".lime-image-section figure{display:inline-block;margin:0 1em 1em 0;text-align:center}"
        + ".lime-image-section img{image-rendering:pixelated;border:1px solid #ccc}"

    /// One section per explained label: the image with its superpixels, the top `numFeatures`
    /// positive superpixels alone (hide_rest), and pros (green) and cons (red) over the image.
    let section (explanation: ImageExplanation) (numFeatures: int) =
        let e = explanation.Explanation
        let name label = if label < e.ClassNames.Length then e.ClassNames[label] else string label
        let sb = StringBuilder()
        sb.Append("<section class=\"lime-image-section\">") |> ignore
        let original =
            markBoundaries [| 1.0; 1.0; 0.0 |] explanation.Segments.Labels explanation.Image
        let figure (img: string) (caption: string) =
            $"<figure>{img}<figcaption>{caption}</figcaption></figure>"
        let count = explanation.Segments.Count
        sb.Append(figure (imgTag "image with superpixels" original) $"{count} superpixels") |> ignore
        for label in e.AvailableLabels do
            let title = WebUtility.HtmlEncode(name label)
            let shown = { MaskOptions.Defaults with NumFeatures = numFeatures }
            let positive = overlay explanation label { shown with HideRest = true }
            let both = overlay explanation label { shown with PositiveOnly = false }
            sb.Append(figure (imgTag ("evidence for " + title) positive) ("for " + title)) |> ignore
            let caption = title + ": pros (green), cons (red)"
            sb.Append(figure (imgTag ("pros and cons for " + title) both) caption) |> ignore
        sb.Append("</section>").ToString()

    /// A complete self-contained HTML page holding `section` (for use without the common report).
    let page (explanation: ImageExplanation) (numFeatures: int) =
        let head = "<meta charset=\"utf-8\"><title>LIME image explanation</title>"
        $"<!DOCTYPE html><html><head>{head}<style>{style}</style></head>"
        + $"<body>{section explanation numFeatures}</body></html>"

    /// The common explanation page (Report.html: prediction, weight bars, superpixels tinted by
    /// weight) with the figures of `section` added at its end.
    let html (explanation: ImageExplanation) (numFeatures: int) =
        let page = ScratchML.Lime.Report.html explanation.Explanation
        let figures = $"<style>{style}</style><h2>Image</h2>{section explanation numFeatures}"
        let at = page.LastIndexOf "</body>"
        page.Substring(0, at) + figures + page.Substring at

/// `imageExplanation.ToHtml()` for F# callers.
[<AutoOpen>]
module ImageExplanationReport =
    type ImageExplanation with
        /// The explanation as one self-contained HTML page with the image figures
        /// (ImageReport.html, the top `numFeatures` superpixels shown; default 5).
        member e.ToHtml(?numFeatures: int) = ImageReport.html e (defaultArg numFeatures 5)
