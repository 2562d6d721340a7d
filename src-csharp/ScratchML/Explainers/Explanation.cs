namespace ScratchML;

using L = ScratchML.Lime;

/// <summary>A LIME explanation of one prediction: per explained label a local linear model
/// ŷ = intercept + Σⱼ wⱼ·zⱼ fitted on perturbed samples weighted by the kernel
/// π(d) = sqrt(exp(−d²/width²)).</summary>
/// <example><code>
/// Explanation e = explainer.Explain(row, model.PredictProbabilities, numFeatures: 5);
/// foreach (FeatureWeight f in e.Weights) Console.WriteLine($"{f.Feature}: {f.Weight:F3}");
/// e.SaveHtml("report.html");
/// </code></example>
public sealed class Explanation
{
    private readonly L.Explanation _explanation;
    private readonly L.Image.ImageExplanation? _image;
    private readonly int _imageFeatures;

    internal Explanation(L.Explanation explanation)
    {
        _explanation = explanation;
        Labels = explanation.Labels.Select(l => l.Label).ToArray();
        Label = Labels[0];
    }

    internal Explanation(L.Image.ImageExplanation image, int numFeatures) : this(image.Explanation)
    {
        _image = image;
        _imageFeatures = numFeatures;
    }

    /// <summary>The label <see cref="Weights"/>, <see cref="Intercept"/>, <see cref="Score"/> and
    /// <see cref="LocalPrediction"/> describe: the first explained label.</summary>
    /// <example><code>Console.WriteLine(e.ClassNames[e.Label]);</code></example>
    public int Label { get; }

    /// <summary>Every explained label, in the order they were explained.</summary>
    /// <example><code>foreach (int label in e.Labels) Console.WriteLine(e.WeightsFor(label).Count);</code></example>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>The class names (the explainer's, or "0", "1", … when none were given).</summary>
    /// <example><code>string predicted = e.ClassNames[e.Label];</code></example>
    public IReadOnlyList<string> ClassNames => _explanation.ClassNames;

    /// <summary>The model's output at the explained instance (class probabilities).</summary>
    /// <example><code>double p = e.Prediction[e.Label];</code></example>
    public IReadOnlyList<double> Prediction => _explanation.Prediction;

    /// <summary>The weights of <see cref="Label"/>'s local model, largest |weight| first.</summary>
    /// <example><code>FeatureWeight top = e.Weights[0];</code></example>
    public IReadOnlyList<FeatureWeight> Weights => WeightsFor(Label);

    /// <summary>The intercept b of <see cref="Label"/>'s local model ŷ = b + Σⱼ wⱼ·zⱼ.</summary>
    /// <example><code>Console.WriteLine(e.Intercept);</code></example>
    public double Intercept => _explanation.For(Label).Intercept;

    /// <summary>The weighted R² of <see cref="Label"/>'s local model on the neighbourhood:
    /// 1 − Σπᵢ(yᵢ − ŷᵢ)² / Σπᵢ(yᵢ − ȳ)².</summary>
    /// <example><code>if (e.Score &lt; 0.5) Console.WriteLine("the local model fits poorly");</code></example>
    public double Score => _explanation.For(Label).Score;

    /// <summary>The local model's prediction ŷ at the explained instance.</summary>
    /// <example><code>Console.WriteLine($"{e.LocalPrediction} vs {e.Prediction[e.Label]}");</code></example>
    public double LocalPrediction => _explanation.For(Label).LocalPrediction;

    /// <summary>The weights of one explained label's local model, largest |weight| first.</summary>
    /// <param name="label">One of <see cref="Labels"/>.</param>
    /// <exception cref="ArgumentException">The label was not explained.</exception>
    /// <example><code>var weights = e.WeightsFor(0);</code></example>
    public IReadOnlyList<FeatureWeight> WeightsFor(int label)
    {
        if (!Labels.Contains(label))
            throw new ArgumentException(
                $"label {label} was not explained (explained: {string.Join(", ", Labels)})", nameof(label));
        return _explanation.For(label).Weights
            .Select(fw => new FeatureWeight(_explanation.FeatureNames[fw.Item1], fw.Item1, fw.Item2))
            .ToArray();
    }

    /// <summary>The explanation as one self-contained HTML page (inline SVG and CSS, no network):
    /// the prediction, bars of the weights per label, and the highlighted text or the image with
    /// its superpixel overlay.</summary>
    /// <example><code>string html = e.ToHtml();</code></example>
    public string ToHtml() =>
        _image is null ? L.Report.html(_explanation) : L.Image.ImageReport.html(_image, _imageFeatures);

    /// <summary>Writes <see cref="ToHtml"/> to a file atomically: a temporary file in the same
    /// folder, then a rename over the target, so readers never see half a report.</summary>
    /// <param name="path">The file to write (its folder must exist).</param>
    /// <exception cref="ArgumentException">The path is empty or its folder does not exist.</exception>
    /// <example><code>e.SaveHtml("report.html");</code></example>
    public void SaveHtml(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException("path is empty", nameof(path));
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(folder))
            throw new ArgumentException($"the folder of {path} does not exist", nameof(path));
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, ToHtml());
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
