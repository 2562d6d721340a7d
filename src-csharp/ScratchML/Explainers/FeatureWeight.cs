namespace ScratchML;

/// <summary>One interpretable feature and its weight in the local linear model
/// ŷ = intercept + Σⱼ weightⱼ·xⱼ: positive weights push towards the explained label.</summary>
/// <param name="Feature">The feature as LIME names it, e.g. "mean radius &lt;= 13.37", a word, or a
/// superpixel number.</param>
/// <param name="FeatureIndex">The interpretable feature's id (column, word or superpixel).</param>
/// <param name="Weight">Its coefficient in the local model.</param>
/// <example><code>foreach (FeatureWeight f in explanation.Weights) Console.WriteLine($"{f.Feature}: {f.Weight:F3}");</code></example>
public sealed record FeatureWeight(string Feature, int FeatureIndex, double Weight);
