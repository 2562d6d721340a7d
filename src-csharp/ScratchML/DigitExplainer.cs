// Explaining an MNIST prediction with LIME image: the 28×28 digit is split into superpixels, LIME
// hides random subsets of them (painted black, the digits' background) and fits a local linear
// model of the predicted class's probability on which superpixels were kept.
// Layer: facade, over ScratchML.Lime.Image (ImageExplainer, ImageReport). Read next: the CLI's
// ExplainCommand.
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using FsLime = ScratchML.Lime;
using FsImage = ScratchML.Lime.Image;

namespace ScratchML;

/// <summary>Which superpixel algorithm splits a digit into LIME's interpretable features.</summary>
/// <example><code>var e = DigitExplanations.Explain(model, Mnist.Test(), 0, segmentation: DigitSegmentation.Quickshift);</code></example>
public enum DigitSegmentation
{
    /// <summary>SLIC k-means superpixels: n_segments 40, compactness 0.5 (on a grey digit the
    /// Lab lightness spans 0–100, so a small compactness lets strokes, not the grid, shape the
    /// segments); 25–43 superpixels (mean 33.5) on the first 100 test digits.</summary>
    Slic,
    /// <summary>Quickshift with a small kernel (kernel_size 1, max_dist 4, ratio 0.5): LIME's
    /// default algorithm scaled down to a 28×28 image (LIME's kernel_size 4, max_dist 200 gives
    /// 1–3 segments there); 20–52 superpixels (mean 39.6) on the first 100 test digits.</summary>
    Quickshift,
    /// <summary>Felzenszwalb's graph segmentation (scale 0.2, sigma 0.3, min_size 4): pieces of
    /// the stroke, while the uniform black background stays one segment; 5–28 superpixels
    /// (mean 16.2) on the first 100 test digits.</summary>
    Felzenszwalb,
}

/// <summary>The weight of one superpixel in the local linear model of the explained class.</summary>
/// <param name="Superpixel">Superpixel id (0..SuperpixelCount−1, as in <see cref="DigitExplanation.Superpixels"/>).</param>
/// <param name="Weight">Change of the class probability when the superpixel is kept rather than hidden.</param>
/// <param name="Pixels">Number of pixels in the superpixel.</param>
/// <example><code>foreach (SuperpixelWeight w in e.Weights.Take(5)) Console.WriteLine($"{w.Superpixel}: {w.Weight:+0.000;-0.000}");</code></example>
public sealed record SuperpixelWeight(int Superpixel, double Weight, int Pixels);

/// <summary>A LIME explanation of a model's prediction for one MNIST digit.</summary>
/// <example><code>
/// var e = DigitExplanations.Explain(Model.Load("models/mnist.safetensors"), Mnist.Test(), 0, seed: 0);
/// Console.WriteLine($"predicted {e.Predicted} (p = {e.Probability:F3}), {e.SuperpixelCount} superpixels");
/// File.WriteAllText("report.html", e.ToHtml());
/// </code></example>
public sealed class DigitExplanation
{
    private readonly FsImage.ImageExplanation _explanation;

    internal DigitExplanation(int index, int label, FsImage.ImageExplanation explanation)
    {
        _explanation = explanation;
        Index = index;
        Label = label;
        var local = explanation.Explanation.Labels.Head;
        Predicted = local.Label;
        Probabilities = explanation.Explanation.Prediction.ToArray();
        var sizes = FsImage.SegmentsModule.sizes(explanation.Segments);
        Weights = local.Weights.Select(w => new SuperpixelWeight(w.Item1, w.Item2, sizes[w.Item1])).ToArray();
        Intercept = local.Intercept;
        Score = local.Score;
        LocalPrediction = local.LocalPrediction;
    }

    /// <summary>Index of the digit in its set.</summary>
    /// <example><code>int i = e.Index;</code></example>
    public int Index { get; }

    /// <summary>The digit's true label.</summary>
    /// <example><code>bool right = e.Label == e.Predicted;</code></example>
    public int Label { get; }

    /// <summary>The explained class: the model's most probable class for the digit.</summary>
    /// <example><code>Console.WriteLine(e.Predicted);</code></example>
    public int Predicted { get; }

    /// <summary>The model's probability of <see cref="Predicted"/>.</summary>
    /// <example><code>Console.WriteLine($"{e.Probability:P1}");</code></example>
    public double Probability => Probabilities[Predicted];

    /// <summary>The model's probabilities of the 10 classes for the digit.</summary>
    /// <example><code>double p3 = e.Probabilities[3];</code></example>
    public IReadOnlyList<double> Probabilities { get; }

    /// <summary>Number of superpixels the digit was split into.</summary>
    /// <example><code>Console.WriteLine(e.SuperpixelCount);</code></example>
    public int SuperpixelCount => _explanation.Segments.Count;

    /// <summary>The superpixel id of each of the 784 pixels, row-major (row 0 at the top).</summary>
    /// <example><code>int centre = e.Superpixels[14 * 28 + 14];</code></example>
    public IReadOnlyList<int> Superpixels => _explanation.Segments.Labels;

    /// <summary>Every superpixel's weight for the predicted class, largest |weight| first.</summary>
    /// <example><code>var top = e.Weights[0]; // the most influential superpixel</code></example>
    public IReadOnlyList<SuperpixelWeight> Weights { get; }

    /// <summary>Intercept b of the local model p ≈ b + Σ wⱼ·zⱼ (zⱼ = 1 when superpixel j is kept).</summary>
    /// <example><code>double b = e.Intercept;</code></example>
    public double Intercept { get; }

    /// <summary>Weighted R² of the local model on the perturbed digits.</summary>
    /// <example><code>Console.WriteLine($"fit R² {e.Score:F3}");</code></example>
    public double Score { get; }

    /// <summary>The local model's prediction for the unperturbed digit, b + Σ wⱼ.</summary>
    /// <example><code>Console.WriteLine(e.LocalPrediction - e.Probability);</code></example>
    public double LocalPrediction { get; }

    /// <summary>The explanation as one self-contained HTML page (inline SVG and PNG data URIs, no
    /// network): the probabilities, the weight bars of the top superpixels, the superpixels tinted
    /// by weight, the digit, its superpixels, and the digit with the top superpixels tinted orange
    /// (for the prediction) or blue (against).</summary>
    /// <param name="numFeatures">Superpixels shown in the bars and the overlay (at least 1).</param>
    /// <returns>The HTML page.</returns>
    /// <example><code>File.WriteAllText("report.html", e.ToHtml(numFeatures: 5));</code></example>
    public string ToHtml(int numFeatures = 5)
    {
        if (numFeatures < 1) throw new ArgumentException($"numFeatures must be at least 1, got {numFeatures}", nameof(numFeatures));
        return DigitReport.Html(_explanation, Label, numFeatures);
    }
}

/// <summary>LIME image explanations of MNIST predictions (superpixels of the 28×28 digit).</summary>
/// <example><code>
/// var model = Model.Load("models/mnist.safetensors");
/// DigitExplanation e = DigitExplanations.Explain(model, Mnist.Test(), index: 0, seed: 0);
/// foreach (var w in e.Weights.Take(5)) Console.WriteLine($"superpixel {w.Superpixel}: {w.Weight:F4}");
/// </code></example>
public static class DigitExplanations
{
    /// <summary>Explains the model's prediction for digit <paramref name="index"/> of
    /// <paramref name="digits"/>: the grey digit becomes an RGB image (R = G = B), is segmented,
    /// and <paramref name="samples"/> perturbed digits (random superpixels painted black, the first
    /// one unperturbed) are classified in batches of <paramref name="batchSize"/>; LIME then fits
    /// p(predicted class) ≈ b + Σ wⱼ·zⱼ weighted by the kernel sqrt(exp(−d²/0.25²)) of the cosine
    /// distance d of z to the all-ones row.</summary>
    /// <param name="model">A trained model with one output per class, taking a digit as 784
    /// inputs (an MLP) or as a [1, 28, 28] image (a CNN: each 784-pixel row fills one image).</param>
    /// <param name="digits">The digits (e.g. <see cref="Mnist.Test"/>).</param>
    /// <param name="index">0 ≤ index &lt; digits.Count.</param>
    /// <param name="seed">Seed of every random draw (null: 0); the same seed gives the same weights.</param>
    /// <param name="segmentation">How the digit is split into superpixels.</param>
    /// <param name="samples">Perturbed digits (at least 2).</param>
    /// <param name="batchSize">Digits per call of the model.</param>
    /// <returns>The explanation of the predicted class.</returns>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    /// <example><code>var e = DigitExplanations.Explain(model, Mnist.Test(), 7, seed: 1, segmentation: DigitSegmentation.Slic, samples: 500);</code></example>
    public static DigitExplanation Explain(Model model, DigitSet digits, int index, int? seed = null,
        DigitSegmentation segmentation = DigitSegmentation.Slic, int samples = 1000, int batchSize = 250)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(digits);
        if (index < 0 || index >= digits.Count)
            throw new ArgumentException($"index must be in 0..{digits.Count - 1}, got {index}", nameof(index));
        if (samples < 2) throw new ArgumentException($"samples must be at least 2, got {samples}", nameof(samples));
        if (batchSize < 1) throw new ArgumentException($"batchSize must be at least 1, got {batchSize}", nameof(batchSize));
        var grey = digits.Image(index).Select(v => (double)v).ToArray();
        var image = FsImage.RgbImageModule.ofGray(28, 28, grey);
        var probabilities = model.PredictProbabilities(Row(grey));
        var predicted = Enumerable.Range(0, probabilities.GetLength(1)).MaxBy(c => probabilities[0, c]);
        var options = new FsImage.ImageExplainerOptions(FsLime.Kernels.ImageWidth, FsLime.FeatureSelection.Auto,
            seed ?? 0, Environment.ProcessorCount);
        var args = new FsImage.ImageExplainOptions(
            FsLime.LabelChoice.NewLabels(ListModule.OfSeq(new[] { predicted })),
            FsImage.HideColor.NewRgb(0, 0, 0),
            100000, samples, batchSize,
            FSharpOption<FsImage.Segmentation>.Some(Segmenter(segmentation, seed ?? 0)),
            FsLime.Distance.Cosine,
            FSharpOption<int>.Some(seed ?? 0));
        var classifier = FuncConvert.FromFunc<FsImage.RgbImage[], double[,]>(batch => model.PredictProbabilities(Rows(batch)));
        var e = FsImage.ImageExplainer.explain(options, args, classifier, image);
        return new DigitExplanation(index, digits.Labels[index], Named(e));
    }

    /// <summary>The segmentation parameters for a 28×28 digit (see <see cref="DigitSegmentation"/>).</summary>
    private static FsImage.Segmentation Segmenter(DigitSegmentation segmentation, int seed) => segmentation switch
    {
        DigitSegmentation.Slic => FsImage.Segmentation.NewSlic(new FsImage.SlicOptions(40, 0.5, 10, 0.0, true)),
        DigitSegmentation.Quickshift => FsImage.Segmentation.NewQuickshift(new FsImage.QuickshiftOptions(1.0, 4.0, 0.5, true, 0.0, seed)),
        DigitSegmentation.Felzenszwalb => FsImage.Segmentation.NewFelzenszwalb(new FsImage.FelzenszwalbOptions(0.2, 0.3, 4)),
        _ => throw new ArgumentException($"unknown segmentation {segmentation}", nameof(segmentation)),
    };

    /// <summary>The explanation with readable names: classes "digit k", features "superpixel j".</summary>
    private static FsImage.ImageExplanation Named(FsImage.ImageExplanation e)
    {
        var x = e.Explanation;
        var classes = Enumerable.Range(0, x.Prediction.Length).Select(c => $"digit {c}").ToArray();
        var features = x.FeatureNames.Select(f => $"superpixel {f}").ToArray();
        var named = new FsLime.Explanation(x.Mode, classes, features, x.Domain, x.Prediction, x.MinValue, x.MaxValue, x.TopLabels, x.Labels);
        return new FsImage.ImageExplanation(e.Image, e.Segments, named);
    }

    private static double[,] Row(double[] grey)
    {
        var x = new double[1, grey.Length];
        Buffer.BlockCopy(grey, 0, x, 0, grey.Length * sizeof(double));
        return x;
    }

    /// <summary>Perturbed RGB digits back to grey rows (channel 0; the three channels are equal).</summary>
    private static double[,] Rows(FsImage.RgbImage[] batch)
    {
        var x = new double[batch.Length, 784];
        for (var i = 0; i < batch.Length; i++)
            for (var p = 0; p < 784; p++) x[i, p] = batch[i].Pixels[p * 3];
        return x;
    }
}
