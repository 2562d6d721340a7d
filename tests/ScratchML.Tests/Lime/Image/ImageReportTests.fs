/// Tests of Lime/Image/ImageReport.fs: boundaries, the overlay, and a self-contained HTML page
/// whose inlined PNGs decode to the image's size.
module ScratchML.Tests.Lime.Image.ImageReportTests

open System
open System.Text.RegularExpressions
open Expecto
open ScratchML.Lime.Image
open ScratchML.Tests.Lime.Image.Synthetic

[<Tests>]
let tests =
    testList "Lime.Image.ImageReport" [
        test "boundaries are the pixels with a 4-neighbour of another label" {
            // 1×4 map 0 0 1 1: pixels 1 and 2 touch the other label.
            Expect.sequenceEqual (ImageReport.boundaries 1 4 [| 0; 0; 1; 1 |]) [| false; true; true; false |] "row"
        }
        test "the overlay outlines the shown segment in yellow and keeps its inside" {
            let n = 32
            let image = quadrants n 0.0 0
            let classify (batch: RgbImage[]) =
                Array2D.init batch.Length 2 (fun i j ->
                    let p1 = if batch[i].Pixels[((n / 4) * n + n / 4) * 3] = image.Pixels[((n / 4) * n + n / 4) * 3] then 0.8 else 0.2
                    if j = 1 then p1 else 1.0 - p1)
            let e =
                ImageExplainer.explain { ImageExplainerOptions.Defaults with Seed = 1 }
                    { ImageExplainOptions.Defaults with
                        Segmentation = Some(Segmentation.Slic { Slic.defaults with NSegments = 4 })
                        NumSamples = 100; HideColor = HideColor.Rgb(0.0, 0.0, 0.0) } classify image
            let out = ImageReport.overlay e 1 { MaskOptions.Defaults with NumFeatures = 1; HideRest = true }
            let at r c k = out.Pixels[(r * n + c) * 3 + k]
            Expect.sequenceEqual [ at 15 5 0; at 15 5 1; at 15 5 2 ] [ 1.0; 1.0; 0.0 ] "edge of quadrant 0 is yellow"
            Expect.sequenceEqual [ at 8 8 0; at 8 8 1; at 8 8 2 ] [ 0.9; 0.1; 0.1 ] "inside keeps its colour"
            Expect.sequenceEqual [ at 24 24 0; at 24 24 1; at 24 24 2 ] [ 0.0; 0.0; 0.0 ] "the rest is hidden"
            let html = ImageReport.page e 1
            let uris = Regex.Matches(html, "data:image/png;base64,([A-Za-z0-9+/=]+)")
            Expect.equal uris.Count (1 + 2 * 2) "original + 2 figures per explained label"
            for m in uris do
                use bitmap = SkiaSharp.SKBitmap.Decode(Convert.FromBase64String m.Groups[1].Value)
                Expect.equal (bitmap.Width, bitmap.Height) (n, n) "decodes to the image size"
            Expect.isFalse (html.Contains "http") "self-contained: no network reference"
            let full = e.ToHtml(1)
            Expect.stringContains full "data-label=\"1\"" "the common report's label sections"
            Expect.equal (Regex.Matches(full, "data:image/png;base64,").Count) 5 "plus the image figures"
            Expect.isTrue (full.TrimEnd().EndsWith "</html>") "one well-formed page"
        }
    ]
