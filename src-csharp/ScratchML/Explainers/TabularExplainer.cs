namespace ScratchML;

using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using L = ScratchML.Lime;

/// <summary>LIME for rows of numbers (LimeTabularExplainer): samples around a row from the
/// training distribution (continuous columns binned into quartiles by default), asks the
/// classifier about the samples, weights them by π(d) = sqrt(exp(−d²/width²)) with
/// width = 0.75·sqrt(#columns), and fits a weighted ridge model whose weights explain the
/// prediction.</summary>
/// <example><code>
/// var explainer = new TabularExplainer(trainingRows, featureNames, classNames: new[] { "no", "yes" }, seed: 42);
/// Explanation e = explainer.Explain(row, rows => model.PredictProbabilities(rows), numFeatures: 5);
/// foreach (FeatureWeight f in e.Weights) Console.WriteLine($"{f.Feature}: {f.Weight:F3}");
/// </code></example>
public sealed class TabularExplainer
{
    private readonly L.TabularExplainer _explainer;
    private readonly int? _seed;

    /// <summary>Fits the explainer's statistics (scaler, quartiles, category frequencies) on the
    /// training rows.</summary>
    /// <param name="trainingRows">Training data, rows × columns, finite.</param>
    /// <param name="featureNames">One name per column.</param>
    /// <param name="classNames">Names of the classifier's outputs (null: "0", "1", …).</param>
    /// <param name="seed">Seed of every explanation's samples (null: a fresh seed per call).</param>
    /// <param name="categoricalFeatures">Columns holding category codes (sampled by frequency).</param>
    /// <param name="discretizeContinuous">Bin continuous columns into quartiles (LIME's default);
    /// false keeps them continuous, so a weight is per standard deviation of the column.</param>
    /// <param name="kernelWidth">Kernel width (null: 0.75·sqrt(#columns)).</param>
    /// <exception cref="ArgumentException">Empty or non-finite rows, or names not matching the columns.</exception>
    /// <example><code>var explainer = new TabularExplainer(rows, names, seed: 1, discretizeContinuous: false);</code></example>
    public TabularExplainer(double[,] trainingRows, IReadOnlyList<string> featureNames,
        IReadOnlyList<string>? classNames = null, int? seed = null,
        IEnumerable<int>? categoricalFeatures = null, bool discretizeContinuous = true,
        double? kernelWidth = null)
    {
        ArgumentNullException.ThrowIfNull(trainingRows);
        ArgumentNullException.ThrowIfNull(featureNames);
        int n = trainingRows.GetLength(0), d = trainingRows.GetLength(1);
        if (n == 0 || d == 0)
            throw new ArgumentException($"trainingRows must have at least one row and one column, got {n}×{d}", nameof(trainingRows));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                if (!double.IsFinite(trainingRows[i, j]))
                    throw new ArgumentException($"trainingRows has {trainingRows[i, j]} at row {i}, column {j}", nameof(trainingRows));
        if (featureNames.Count != d)
            throw new ArgumentException($"featureNames has {featureNames.Count} names, trainingRows has {d} columns", nameof(featureNames));
        int[] categorical = categoricalFeatures?.ToArray() ?? Array.Empty<int>();
        foreach (int c in categorical)
            if (c < 0 || c >= d)
                throw new ArgumentException($"categorical column {c} is not in 0..{d - 1}", nameof(categoricalFeatures));
        if (kernelWidth is double w && !(w > 0 && double.IsFinite(w)))
            throw new ArgumentException($"kernelWidth must be positive and finite, got {w}", nameof(kernelWidth));
        var defaults = L.Tabular.defaults;
        var options = new L.TabularOptions(
            defaults.Mode, featureNames.ToArray(), ListModule.OfSeq(categorical), defaults.CategoricalNames,
            discretizeContinuous ? L.Discretization.Quartile : L.Discretization.Continuous,
            kernelWidth is double k ? FSharpOption<double>.Some(k) : FSharpOption<double>.None,
            defaults.FeatureSelection, defaults.SampleAroundInstance,
            classNames?.ToArray() ?? Array.Empty<string>());
        _explainer = L.Tabular.create(options, trainingRows);
        _seed = seed;
    }

    /// <summary>The column names, as given.</summary>
    /// <example><code>Console.WriteLine(string.Join(", ", explainer.FeatureNames));</code></example>
    public IReadOnlyList<string> FeatureNames => _explainer.FeatureNames;

    /// <summary>Explains the classifier's prediction for one row.</summary>
    /// <param name="row">The instance, one finite value per column.</param>
    /// <param name="classifier">Maps rows × columns to rows × classes probabilities (each row sums to 1).</param>
    /// <param name="numFeatures">Features in the local model (at most the column count).</param>
    /// <param name="numSamples">Perturbed samples, the row itself being the first.</param>
    /// <param name="label">The class to explain (null: the most probable one at the row).</param>
    /// <param name="seed">Seed of this explanation's samples (null: the explainer's).</param>
    /// <param name="batchSize">Rows per classifier call (null: all in one call).</param>
    /// <exception cref="ArgumentException">A bad row or count, or a classifier returning the wrong
    /// shape, non-finite values or non-probabilities (named "classifier").</exception>
    /// <example><code>Explanation e = explainer.Explain(rows[0], model.PredictProbabilities, numFeatures: 5, seed: 7);</code></example>
    public Explanation Explain(double[] row, Func<double[,], double[,]> classifier, int numFeatures = 10,
        int numSamples = 5000, int? label = null, int? seed = null, int? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(classifier);
        int d = _explainer.FeatureNames.Length;
        if (row.Length != d)
            throw new ArgumentException($"row has {row.Length} values, the training rows {d} columns", nameof(row));
        Checks.Finite(row, nameof(row));
        Checks.Positive(numFeatures, nameof(numFeatures));
        Checks.Positive(numSamples, nameof(numSamples));
        if (numFeatures > d)
            throw new ArgumentException($"numFeatures = {numFeatures} but the data has only {d} features", nameof(numFeatures));
        if (batchSize is int b) Checks.Positive(b, nameof(batchSize));
        if (label is int l && l < 0)
            throw new ArgumentException($"label must be non-negative, got {l}", nameof(label));
        var options = new L.TabularExplainOptions(
            Checks.Labels(label), numFeatures, numSamples, L.Distance.Euclidean,
            new L.Batching(batchSize ?? int.MaxValue, false), Checks.Seed(seed, _seed));
        var names = new Dictionary<string, string> { ["instance"] = nameof(row), ["labels"] = nameof(label) };
        var explanation = Checks.Rename(
            () => L.Tabular.explain(_explainer, (double[])row.Clone(), Checks.Func(classifier), options), names);
        return new Explanation(explanation);
    }
}
