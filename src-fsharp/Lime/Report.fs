/// A self-contained HTML page for an explanation, in the spirit of LIME's notebook view: the
/// prediction, per explained label a bar chart of feature weights (inline SVG), and the text with
/// its words highlighted or the superpixels tinted by weight. No scripts, no network.
/// Layer: Lime (top). Read next: the facade.
namespace ScratchML.Lime

open System
open System.Globalization
open System.Net
open System.Text

[<RequireQualifiedAccess>]
module Report =
    let private inv = CultureInfo.InvariantCulture
    let private esc (s: string) = WebUtility.HtmlEncode s
    let private num (x: float) = x.ToString("0.####", inv)

    /// Positive weights orange, negative blue (LIME's colours).
    let private colour (w: float) = if w >= 0.0 then "#ff7f0e" else "#1f77b4"

    /// rgba tint with opacity |w| / max|w| (0.1 … 0.8).
    let private tint (w: float) (maxAbs: float) =
        let a = if maxAbs > 0.0 then 0.1 + 0.7 * abs w / maxAbs else 0.0
        let r, g, b = if w >= 0.0 then 255, 127, 14 else 31, 119, 180
        let alpha = a.ToString("0.###", inv)
        $"rgba({r},{g},{b},{alpha})"

    /// Horizontal bars of the prediction probabilities (or the predicted value for regression).
    let private predictionSvg (e: Explanation) =
        let sb = StringBuilder()
        match e.Mode with
        | Mode.Regression ->
            sb.Append($"<p class=\"pred\">Predicted value <b>{num e.Prediction[0]}</b> (neighbourhood min {num e.MinValue}, max {num e.MaxValue})</p>") |> ignore
        | Mode.Classification ->
            let rowH, width = 22, 360
            sb.Append($"<svg class=\"proba\" width=\"{width + 200}\" height=\"{rowH * e.Prediction.Length + 4}\" role=\"img\" aria-label=\"prediction probabilities\">") |> ignore
            e.Prediction |> Array.iteri (fun k p ->
                let name = if k < e.ClassNames.Length then e.ClassNames[k] else string k
                let y = k * rowH + 2
                let w = int (Math.Round(p * float width))
                sb.Append($"<text x=\"0\" y=\"{y + 15}\">{esc name}</text>")
                  .Append($"<rect x=\"120\" y=\"{y}\" width=\"{w}\" height=\"{rowH - 6}\" fill=\"#8c8c8c\"/>")
                  .Append($"<text x=\"{124 + w}\" y=\"{y + 15}\">{num p}</text>") |> ignore)
            sb.Append("</svg>") |> ignore
        sb.ToString()

    /// One label's weights as a bar chart centred on zero, largest |weight| first.
    let weightsSvg (e: Explanation) (l: LabelExplanation) =
        let rowH, half, labelW = 24, 180, 260
        let maxAbs = l.Weights |> Array.fold (fun m (_, w) -> max m (abs w)) 1e-300
        let sb = StringBuilder()
        sb.Append($"<svg class=\"weights\" width=\"{labelW + 2 * half + 80}\" height=\"{rowH * l.Weights.Length + 4}\" role=\"img\" aria-label=\"feature weights\">")
          .Append($"<line x1=\"{labelW + half}\" y1=\"0\" x2=\"{labelW + half}\" y2=\"{rowH * l.Weights.Length + 4}\" stroke=\"#444\"/>") |> ignore
        l.Weights |> Array.iteri (fun k (f, w) ->
            let y = k * rowH + 2
            let len = abs w / maxAbs * float half
            let x = if w >= 0.0 then float (labelW + half) else float (labelW + half) - len
            sb.Append($"<text x=\"{labelW - 6}\" y=\"{y + 16}\" text-anchor=\"end\">{esc e.FeatureNames[f]}</text>")
              .Append($"<rect class=\"bar\" x=\"{num x}\" y=\"{y}\" width=\"{num len}\" height=\"{rowH - 6}\" fill=\"{colour w}\"/>")
              .Append($"<text x=\"{labelW + 2 * half + 6}\" y=\"{y + 16}\">{num w}</text>") |> ignore)
        sb.Append("</svg>").ToString()

    /// The text with each explained word's occurrences highlighted by its weight for `l`.
    let private textHtml (text: string) (spans: (int * int)[][]) (l: LabelExplanation) =
        let maxAbs = l.Weights |> Array.fold (fun m (_, w) -> max m (abs w)) 1e-300
        let marks =
            [| for f, w in l.Weights do for s, len in spans[f] -> s, len, w |] |> Array.sortBy (fun (s, _, _) -> s)
        let sb = StringBuilder("<p class=\"text\">")
        let mutable at = 0
        for s, len, w in marks do
            if s >= at then
                sb.Append(esc text[at .. s - 1])
                  .Append($"<mark style=\"background:{tint w maxAbs}\" title=\"{num w}\">{esc (text.Substring(s, len))}</mark>") |> ignore
                at <- s + len
        sb.Append(esc text[at ..]).Append("</p>").ToString()

    /// The segment map tinted by each segment's weight for `l` (one cell per pixel, sub-sampled
    /// to at most 112 cells a side).
    let private segmentsSvg (segments: int[,]) (l: LabelExplanation) =
        let h, w = Array2D.length1 segments, Array2D.length2 segments
        let step = max 1 ((max h w + 111) / 112)
        let weights = dict l.Weights
        let maxAbs = l.Weights |> Array.fold (fun m (_, x) -> max m (abs x)) 1e-300
        let cell = 4
        let sb = StringBuilder($"<svg class=\"segments\" width=\"{(w / step) * cell}\" height=\"{(h / step) * cell}\" role=\"img\" aria-label=\"superpixel weights\">")
        for i in 0 .. step .. h - step do
            for j in 0 .. step .. w - step do
                let s = segments[i, j]
                let fill = match weights.TryGetValue s with | true, v -> tint v maxAbs | _ -> "#eee"
                sb.Append($"<rect x=\"{(j / step) * cell}\" y=\"{(i / step) * cell}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\"/>") |> ignore
        sb.Append("</svg>").ToString()

    /// The whole page.
    let html (e: Explanation) =
        let sb = StringBuilder()
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>LIME explanation</title><style>")
          .Append("body{font-family:sans-serif;margin:1.5em;color:#222}svg text{font-size:13px;font-family:sans-serif}")
          .Append("section{margin:1em 0;padding:.5em 1em;border:1px solid #ddd;border-radius:6px}")
          .Append("mark{padding:0 2px;border-radius:3px}p.text{line-height:1.8;max-width:60em}.meta{color:#555}")
          .Append("</style></head><body><h1>LIME explanation</h1>")
          .Append("<section class=\"prediction\"><h2>Prediction</h2>").Append(predictionSvg e).Append("</section>") |> ignore
        for l in e.Labels do
            let title =
                match e.Mode with
                | Mode.Classification when l.Label < e.ClassNames.Length -> e.ClassNames[l.Label]
                | Mode.Regression -> if l.Label = 1 then "value (positive)" else "value (negative)"
                | _ -> string l.Label
            sb.Append($"<section class=\"label\" data-label=\"{l.Label}\"><h2>{esc title}</h2>")
              .Append($"<p class=\"meta\">intercept {num l.Intercept} · local prediction {num l.LocalPrediction} · weighted R² {num l.Score}</p>")
              .Append(weightsSvg e l) |> ignore
            match e.Domain with
            | Domain.Text (text, spans) -> sb.Append(textHtml text spans l) |> ignore
            | Domain.Image segments -> sb.Append(segmentsSvg segments l) |> ignore
            | Domain.Features -> ()
            sb.Append("</section>") |> ignore
        sb.Append("</body></html>").ToString()

/// `explanation.ToHtml()` for F# callers.
[<AutoOpen>]
module ExplanationReport =
    type Explanation with
        /// The explanation as one self-contained HTML page (Report.html).
        member e.ToHtml() = Report.html e
