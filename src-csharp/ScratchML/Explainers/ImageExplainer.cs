namespace ScratchML;

using Microsoft.FSharp.Core;
using L = ScratchML.Lime;
using LI = ScratchML.Lime.Image;

/// <summary>How an image is cut into superpixels, LIME's interpretable image features.</summary>
/// <example><code>var explainer = new ImageExplainer(ImageSegmentation.Slic, seed: 1);</code></example>
public enum ImageSegmentation
{
    /// <summary>Quickshift with LIME's settings (kernel size 4, max distance 200, ratio 0.2).</summary>
    Quickshift,
    /// <summary>SLIC k-means superpixels (about 100 segments, compactness 10).</summary>
    Slic,
    /// <summary>Felzenszwalb's graph segmentation (scale 1, sigma 0.8, min size 20).</summary>
    Felzenszwalb,
}

/// <summary>LIME for images (LimeImageExplainer): cuts the image into superpixels, hides random
/// subsets of them (painted with each superpixel's mean colour), asks the classifier about the
/// perturbed images, weights each by π(d) = sqrt(exp(−d²/0.25²)) with d the cosine distance of its
/// on/off mask to the full image, and fits a weighted ridge model over the superpixels.</summary>
/// <remarks>Images are <c>double[height, width, channels]</c> with 3 (RGB) or 1 (grey) channels,
/// values in [0, 1]; the classifier receives a batch as <c>double[batch, height, width, 3]</c>,
/// the layout NumPy and most image models use (a grey image arrives with R = G = B).</remarks>
/// <example><code>
/// var explainer = new ImageExplainer(seed: 42);
/// Explanation e = explainer.Explain(image, batch => cnn.PredictProbabilities(batch), numFeatures: 5);
/// e.SaveHtml("digit.html");
/// </code></example>
public sealed class ImageExplainer
{
    private readonly ImageSegmentation _segmentation;
    private readonly int? _seed;

    /// <summary>Creates an image explainer.</summary>
    /// <param name="segmentation">The superpixel algorithm.</param>
    /// <param name="seed">Seed of every explanation's draws (null: a fresh seed per call).</param>
    /// <exception cref="ArgumentException">An undefined segmentation value.</exception>
    /// <example><code>var explainer = new ImageExplainer(ImageSegmentation.Quickshift, seed: 7);</code></example>
    public ImageExplainer(ImageSegmentation segmentation = ImageSegmentation.Quickshift, int? seed = null)
    {
        if (!Enum.IsDefined(segmentation))
            throw new ArgumentException($"unknown segmentation {(int)segmentation}", nameof(segmentation));
        _segmentation = segmentation;
        _seed = seed;
    }

    /// <summary>Explains the classifier's prediction for one image.</summary>
    /// <param name="image">height × width × channels (3 or 1), finite values in [0, 1].</param>
    /// <param name="classifier">Maps batch × height × width × 3 images to batch × classes probabilities.</param>
    /// <param name="numFeatures">Superpixels in the local model (more than there are means all).</param>
    /// <param name="numSamples">Perturbed images, the image itself being the first.</param>
    /// <param name="label">The class to explain (null: the most probable one for the image).</param>
    /// <param name="seed">Seed of this explanation's draws (null: the explainer's).</param>
    /// <param name="batchSize">Images per classifier call.</param>
    /// <exception cref="ArgumentException">A bad image or count, or a classifier returning the
    /// wrong shape or non-probabilities (named "classifier").</exception>
    /// <example><code>Explanation e = explainer.Explain(digit, model.Predict, numFeatures: 5, numSamples: 500);</code></example>
    public Explanation Explain(double[,,] image, Func<double[,,,], double[,]> classifier, int numFeatures = 10,
        int numSamples = 1000, int? label = null, int? seed = null, int batchSize = 10)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(classifier);
        int h = image.GetLength(0), w = image.GetLength(1), c = image.GetLength(2);
        if (h < 1 || w < 1 || (c != 3 && c != 1))
            throw new ArgumentException($"image must be height × width × 3 (RGB) or × 1 (grey), got {h}×{w}×{c}", nameof(image));
        var pixels = new double[h * w * 3];
        for (int r = 0; r < h; r++)
            for (int col = 0; col < w; col++)
                for (int k = 0; k < 3; k++)
                {
                    double v = image[r, col, c == 3 ? k : 0];
                    if (!double.IsFinite(v))
                        throw new ArgumentException($"image has {v} at [{r}, {col}, {(c == 3 ? k : 0)}]", nameof(image));
                    pixels[(r * w + col) * 3 + k] = v;
                }
        Checks.Positive(numFeatures, nameof(numFeatures));
        Checks.Positive(numSamples, nameof(numSamples));
        Checks.Positive(batchSize, nameof(batchSize));
        if (label is int l && l < 0)
            throw new ArgumentException($"label must be non-negative, got {l}", nameof(label));
        int seedValue = unchecked((int)Checks.Seed(seed, _seed));
        var explainerOptions = LI.ImageExplainerOptions.Defaults;
        explainerOptions = new LI.ImageExplainerOptions(explainerOptions.KernelWidth, explainerOptions.FeatureSelection,
            seedValue, explainerOptions.Threads);
        var defaults = LI.ImageExplainOptions.Defaults;
        var segmentation = _segmentation switch
        {
            ImageSegmentation.Slic => FSharpOption<LI.Segmentation>.Some(LI.Segmentation.NewSlic(LI.Slic.defaults)),
            ImageSegmentation.Felzenszwalb =>
                FSharpOption<LI.Segmentation>.Some(LI.Segmentation.NewFelzenszwalb(LI.Felzenszwalb.defaults)),
            _ => FSharpOption<LI.Segmentation>.None, // LIME's quickshift, seeded from the stream
        };
        var options = new LI.ImageExplainOptions(Checks.Labels(label), defaults.HideColor, numFeatures, numSamples,
            batchSize, segmentation, defaults.Distance, defaults.RandomSeed);
        Func<LI.RgbImage[], double[,]> predict = batch =>
        {
            var tensor = new double[batch.Length, h, w, 3];
            for (int i = 0; i < batch.Length; i++)
                Buffer.BlockCopy(batch[i].Pixels, 0, tensor, i * h * w * 3 * sizeof(double), h * w * 3 * sizeof(double));
            return classifier(tensor);
        };
        var names = new Dictionary<string, string> { ["labels"] = nameof(label) };
        var explanation = Checks.Rename(
            () => LI.ImageExplainer.explain(explainerOptions, options, Checks.Func(predict),
                LI.RgbImageModule.create(h, w, pixels)), names);
        return new Explanation(explanation, Math.Min(numFeatures, explanation.Segments.Count));
    }
}
