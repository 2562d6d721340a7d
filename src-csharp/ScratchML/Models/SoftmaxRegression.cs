namespace ScratchML;

/// <summary>Multinomial logistic regression trained by full-batch gradient descent on
/// standardised features: p = softmax(W·(x − μ)/σ + b), loss = mean cross-entropy
/// + (λ/2)·‖W‖², gradient ∂L/∂W = Xᵀ(P − Y)/n + λW, ∂L/∂b = Σᵢ(pᵢ − yᵢ)/n. Deterministic: zero
/// initial weights, no sampling. A small, honest model to explain.</summary>
/// <example><code>
/// var model = SoftmaxRegression.Fit(data.Rows, data.Targets, data.ClassNames.Count);
/// double[,] p = model.PredictProbabilities(data.Rows);
/// </code></example>
public sealed class SoftmaxRegression
{
    private readonly double[] _mean, _scale;
    private readonly double[,] _weights; // classes × features
    private readonly double[] _bias;

    private SoftmaxRegression(double[] mean, double[] scale, double[,] weights, double[] bias)
    {
        _mean = mean; _scale = scale; _weights = weights; _bias = bias;
    }

    /// <summary>The number of classes.</summary>
    /// <example><code>int k = model.ClassCount;</code></example>
    public int ClassCount => _bias.Length;

    /// <summary>Fits the model.</summary>
    /// <param name="rows">Training features, rows × columns, finite.</param>
    /// <param name="targets">The class of each row, in 0..classes−1.</param>
    /// <param name="classes">The number of classes (at least 2).</param>
    /// <param name="epochs">Gradient steps.</param>
    /// <param name="learningRate">Step size η of W ← W − η·∂L/∂W.</param>
    /// <param name="l2">Ridge penalty λ.</param>
    /// <exception cref="ArgumentException">Shapes or values that do not fit (names the parameter).</exception>
    /// <example><code>var model = SoftmaxRegression.Fit(x, y, 2, epochs: 300);</code></example>
    public static SoftmaxRegression Fit(double[,] rows, IReadOnlyList<int> targets, int classes,
        int epochs = 300, double learningRate = 0.5, double l2 = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(targets);
        int n = rows.GetLength(0), d = rows.GetLength(1);
        if (n == 0 || d == 0) throw new ArgumentException($"rows is {n}×{d}; it needs rows and columns", nameof(rows));
        if (targets.Count != n) throw new ArgumentException($"targets has {targets.Count} entries, rows has {n}", nameof(targets));
        if (classes < 2) throw new ArgumentException($"classes must be at least 2, got {classes}", nameof(classes));
        Checks.Positive(epochs, nameof(epochs));
        if (!(learningRate > 0)) throw new ArgumentException($"learningRate must be positive, got {learningRate}", nameof(learningRate));
        if (!(l2 >= 0)) throw new ArgumentException($"l2 must be non-negative, got {l2}", nameof(l2));
        for (int i = 0; i < n; i++)
        {
            if (targets[i] < 0 || targets[i] >= classes)
                throw new ArgumentException($"target {targets[i]} of row {i} is not in 0..{classes - 1}", nameof(targets));
            for (int j = 0; j < d; j++)
                if (!double.IsFinite(rows[i, j]))
                    throw new ArgumentException($"rows has {rows[i, j]} at row {i}, column {j}", nameof(rows));
        }
        var mean = new double[d];
        var scale = new double[d];
        for (int j = 0; j < d; j++)
        {
            double s = 0, s2 = 0;
            for (int i = 0; i < n; i++) s += rows[i, j];
            mean[j] = s / n;
            for (int i = 0; i < n; i++) s2 += (rows[i, j] - mean[j]) * (rows[i, j] - mean[j]);
            double std = Math.Sqrt(s2 / n);
            scale[j] = std > 0 ? std : 1.0; // a constant column stays 0 after centring
        }
        var model = new SoftmaxRegression(mean, scale, new double[classes, d], new double[classes]);
        var x = model.Standardise(rows);
        var gradW = new double[classes, d];
        var gradB = new double[classes];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var p = model.Softmax(x);
            Array.Clear(gradW);
            Array.Clear(gradB);
            for (int i = 0; i < n; i++)
                for (int k = 0; k < classes; k++)
                {
                    double r = (p[i, k] - (targets[i] == k ? 1.0 : 0.0)) / n; // (pᵢ − yᵢ)/n
                    gradB[k] += r;
                    for (int j = 0; j < d; j++) gradW[k, j] += r * x[i, j];
                }
            for (int k = 0; k < classes; k++)
            {
                model._bias[k] -= learningRate * gradB[k];
                for (int j = 0; j < d; j++)
                    model._weights[k, j] -= learningRate * (gradW[k, j] + l2 * model._weights[k, j]);
            }
        }
        return model;
    }

    /// <summary>Class probabilities, rows × classes; each row sums to 1.</summary>
    /// <param name="rows">Rows with the training column count.</param>
    /// <exception cref="ArgumentException">A wrong column count.</exception>
    /// <example><code>double[,] p = model.PredictProbabilities(new double[,] { { 1.0, 2.0 } });</code></example>
    public double[,] PredictProbabilities(double[,] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.GetLength(1) != _mean.Length)
            throw new ArgumentException($"rows has {rows.GetLength(1)} columns, the model {_mean.Length}", nameof(rows));
        return Softmax(Standardise(rows));
    }

    /// <summary>The fraction of rows whose most probable class is their target.</summary>
    /// <param name="rows">Features.</param>
    /// <param name="targets">The class of each row.</param>
    /// <example><code>Console.WriteLine($"accuracy {model.Accuracy(x, y):P1}");</code></example>
    public double Accuracy(double[,] rows, IReadOnlyList<int> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var p = PredictProbabilities(rows);
        if (targets.Count != p.GetLength(0))
            throw new ArgumentException($"targets has {targets.Count} entries, rows has {p.GetLength(0)}", nameof(targets));
        int right = 0;
        for (int i = 0; i < targets.Count; i++)
        {
            int best = 0;
            for (int k = 1; k < ClassCount; k++) if (p[i, k] > p[i, best]) best = k;
            if (best == targets[i]) right++;
        }
        return (double)right / targets.Count;
    }

    private double[,] Standardise(double[,] rows)
    {
        int n = rows.GetLength(0), d = rows.GetLength(1);
        var x = new double[n, d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) x[i, j] = (rows[i, j] - _mean[j]) / _scale[j];
        return x;
    }

    /// pᵢₖ = exp(zᵢₖ − maxₖ zᵢ) / Σₖ exp(zᵢₖ − maxₖ zᵢ), zᵢ = W·xᵢ + b (max subtracted: no overflow).
    private double[,] Softmax(double[,] x)
    {
        int n = x.GetLength(0), d = x.GetLength(1), classes = _bias.Length;
        var p = new double[n, classes];
        var z = new double[classes];
        for (int i = 0; i < n; i++)
        {
            double max = double.NegativeInfinity;
            for (int k = 0; k < classes; k++)
            {
                double s = _bias[k];
                for (int j = 0; j < d; j++) s += _weights[k, j] * x[i, j];
                z[k] = s;
                max = Math.Max(max, s);
            }
            double total = 0;
            for (int k = 0; k < classes; k++) { z[k] = Math.Exp(z[k] - max); total += z[k]; }
            for (int k = 0; k < classes; k++) p[i, k] = z[k] / total;
        }
        return p;
    }
}
