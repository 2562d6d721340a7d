namespace ScratchML;

using L = ScratchML.Lime;

/// <summary>LIME for text (LimeTextExplainer): removes random subsets of the words, asks the
/// classifier about the shortened texts, weights each by π(d) = sqrt(exp(−d²/25²)) with d the
/// cosine distance ×100 of its word mask to the full text, and fits a weighted ridge model whose
/// weights say how much each word pushes towards the label.</summary>
/// <example><code>
/// var explainer = new TextExplainer(classNames: new[] { "ham", "spam" }, seed: 42);
/// Explanation e = explainer.Explain("win a free prize now", texts => spamModel.Predict(texts), numFeatures: 3);
/// Console.WriteLine(e.Weights[0].Feature);
/// </code></example>
public sealed class TextExplainer
{
    private readonly L.TextOptions _options;
    private readonly int? _seed;

    /// <summary>Creates a text explainer with LIME's defaults (split on non-word characters,
    /// kernel width 25, automatic feature selection).</summary>
    /// <param name="classNames">Names of the classifier's outputs (null: "0", "1", …).</param>
    /// <param name="bagOfWords">True: a feature is a word and removing it removes every occurrence;
    /// false: a feature is one occurrence.</param>
    /// <param name="seed">Seed of every explanation's samples (null: a fresh seed per call).</param>
    /// <example><code>var explainer = new TextExplainer(new[] { "ham", "spam" }, bagOfWords: false, seed: 1);</code></example>
    public TextExplainer(IReadOnlyList<string>? classNames = null, bool bagOfWords = true, int? seed = null)
    {
        var defaults = L.Text.defaults;
        _options = new L.TextOptions(classNames?.ToArray() ?? Array.Empty<string>(), defaults.KernelWidth,
            bagOfWords, defaults.SplitExpression, defaults.MaskString, defaults.CharLevel, defaults.FeatureSelection);
        _seed = seed;
    }

    /// <summary>Explains the classifier's prediction for one text.</summary>
    /// <param name="text">The text, with at least one word.</param>
    /// <param name="classifier">Maps n texts to an n × classes matrix of probabilities.</param>
    /// <param name="numFeatures">Words in the local model (at most the distinct words of the text).</param>
    /// <param name="numSamples">Perturbed texts, the text itself being the first.</param>
    /// <param name="label">The class to explain (null: the most probable one for the text).</param>
    /// <param name="seed">Seed of this explanation's samples (null: the explainer's).</param>
    /// <param name="batchSize">Texts per classifier call (null: all in one call).</param>
    /// <exception cref="ArgumentException">Empty text, bad counts, or a classifier returning the
    /// wrong shape or non-probabilities (named "classifier").</exception>
    /// <example><code>Explanation e = explainer.Explain("free money", model.Predict, numFeatures: 2, numSamples: 500);</code></example>
    public Explanation Explain(string text, Func<IReadOnlyList<string>, double[,]> classifier, int numFeatures = 10,
        int numSamples = 5000, int? label = null, int? seed = null, int? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(classifier);
        if (string.IsNullOrWhiteSpace(text))
            throw new ArgumentException("text is empty: there is nothing to explain", nameof(text));
        Checks.Positive(numFeatures, nameof(numFeatures));
        Checks.Positive(numSamples, nameof(numSamples));
        if (batchSize is int b) Checks.Positive(b, nameof(batchSize));
        if (label is int l && l < 0)
            throw new ArgumentException($"label must be non-negative, got {l}", nameof(label));
        var options = new L.TextExplainOptions(
            Checks.Labels(label), numFeatures, numSamples, L.Distance.Cosine,
            new L.Batching(batchSize ?? int.MaxValue, false), Checks.Seed(seed, _seed));
        var names = new Dictionary<string, string> { ["labels"] = nameof(label) };
        var explanation = Checks.Rename(
            () => L.Text.explain(_options, text, Checks.Func<string[], double[,]>(texts => classifier(texts)), options),
            names);
        return new Explanation(explanation);
    }
}
