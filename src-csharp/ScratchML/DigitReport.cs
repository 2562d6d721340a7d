// The HTML page of a digit explanation: LIME's common report (probabilities, weight bars, the
// superpixels tinted by weight) followed by figures drawn for a 28×28 digit, where superpixel
// outlines would cover most of the image: the digit, its superpixels as colours, and the digit
// with the top superpixels tinted orange (for the prediction) or blue (against), as in the weight
// bars, opacity ∝ |weight|.
// Layer: facade, over ScratchML.Lime (Report) and ScratchML.Lime.Image (ImageReport.imgTag).
using System.Net;
using System.Text;
using Microsoft.FSharp.Collections;
using FsLime = ScratchML.Lime;
using FsImage = ScratchML.Lime.Image;

namespace ScratchML;

/// <summary>Builds the self-contained HTML page of a <see cref="DigitExplanation"/>.</summary>
internal static class DigitReport
{
    /// <summary>The page: the common report restricted to the top <paramref name="numFeatures"/>
    /// superpixels, then the digit figures. No scripts, no network (images are PNG data URIs).</summary>
    internal static string Html(FsImage.ImageExplanation e, int label, int numFeatures)
    {
        var x = e.Explanation;
        var top = ListModule.OfSeq(x.Labels.Select(l => new FsLime.LabelExplanation(
            l.Label, l.Intercept, l.Weights.Take(numFeatures).ToArray(), l.Score, l.LocalPrediction, l.UsedFeatures)));
        var page = FsLime.Report.html(new FsLime.Explanation(x.Mode, x.ClassNames, x.FeatureNames, x.Domain,
            x.Prediction, x.MinValue, x.MaxValue, x.TopLabels, top));
        var local = x.Labels.Head;
        var sb = new StringBuilder();
        sb.Append("<style>").Append(FsImage.ImageReport.style).Append("</style><h2>Digit</h2>")
          .Append("<section class=\"lime-image-section\">")
          .Append(Figure(e.Image, $"test digit, label {label}"))
          .Append(Figure(Superpixels(e), $"{e.Segments.Count} superpixels"))
          .Append(Figure(Overlay(e, local.Weights.Take(numFeatures).ToArray()),
              $"top {Math.Min(numFeatures, local.Weights.Length)} for {local.Label} (orange) and against (blue)"))
          .Append("</section>");
        var at = page.LastIndexOf("</body>", StringComparison.Ordinal);
        return page[..at] + sb + page[at..];
    }

    private static string Figure(FsImage.RgbImage image, string caption) =>
        $"<figure>{FsImage.ImageReport.imgTag(caption, image)}<figcaption>{WebUtility.HtmlEncode(caption)}</figcaption></figure>";

    /// <summary>Each superpixel in its own hue (golden-angle steps), darkened where the digit is
    /// dark: colour = hue·(0.35 + 0.65·grey).</summary>
    private static FsImage.RgbImage Superpixels(FsImage.ImageExplanation e)
    {
        var pixels = new double[e.Image.Pixels.Length];
        for (var p = 0; p < e.Segments.Labels.Length; p++)
        {
            var hue = e.Segments.Labels[p] * 137.508 % 360;
            var (r, g, b) = Hue(hue);
            var shade = 0.35 + 0.65 * e.Image.Pixels[p * 3];
            pixels[p * 3] = r * shade; pixels[p * 3 + 1] = g * shade; pixels[p * 3 + 2] = b * shade;
        }
        return FsImage.RgbImageModule.create(e.Image.Height, e.Image.Width, pixels);
    }

    /// <summary>The digit with superpixel j blended towards orange (wⱼ &gt; 0) or blue (wⱼ &lt; 0)
    /// with opacity 0.2 + 0.6·|wⱼ|/max|w| over the shown superpixels.</summary>
    private static FsImage.RgbImage Overlay(FsImage.ImageExplanation e, Tuple<int, double>[] shown)
    {
        var pixels = (double[])e.Image.Pixels.Clone();
        var maxAbs = shown.Select(w => Math.Abs(w.Item2)).DefaultIfEmpty(0).Max();
        var weight = shown.ToDictionary(w => w.Item1, w => w.Item2);
        for (var p = 0; p < e.Segments.Labels.Length; p++)
        {
            if (!weight.TryGetValue(e.Segments.Labels[p], out var w) || maxAbs == 0) continue;
            var alpha = 0.2 + 0.6 * Math.Abs(w) / maxAbs;
            double[] colour = w >= 0 ? [1.0, 0.5, 0.055] : [0.12, 0.47, 0.71]; // LIME's orange, blue
            for (var k = 0; k < 3; k++) pixels[p * 3 + k] = (1 - alpha) * pixels[p * 3 + k] + alpha * colour[k];
        }
        return FsImage.RgbImageModule.create(e.Image.Height, e.Image.Width, pixels);
    }

    /// <summary>Fully saturated colour of a hue in degrees (HSV with S = V = 1).</summary>
    private static (double, double, double) Hue(double degrees)
    {
        var h = degrees / 60;
        var x = 1 - Math.Abs(h % 2 - 1);
        return ((int)h) switch
        {
            0 => (1, x, 0), 1 => (x, 1, 0), 2 => (0, 1, x), 3 => (0, x, 1), 4 => (x, 0, 1), _ => (1, 0, x),
        };
    }
}
