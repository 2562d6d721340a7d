using Fs = ScratchML.NN;

namespace ScratchML;

/// <summary>Multinomial naive Bayes on bags of lower-case words, with Laplace smoothing:
/// P(c | d) ∝ π_c · Π_w θ_c,w^count(w, d), θ_c,w = (n_c,w + α) / (n_c + α·|V|). A strong, fast
/// baseline for topic classification.</summary>
/// <example><code>
/// var nb = NaiveBayesClassifier.Train(MailingLists.Train());
/// Console.WriteLine(nb.Accuracy(MailingLists.Test()));
/// </code></example>
public sealed class NaiveBayesClassifier
{
    private readonly Fs.NaiveBayes _model;

    private NaiveBayesClassifier(Fs.NaiveBayes model, IReadOnlyList<string> classNames)
    {
        _model = model;
        ClassNames = classNames;
    }

    /// <summary>Counts the words of every class of a training set.</summary>
    /// <param name="data">Training texts.</param>
    /// <param name="alpha">Smoothing α (1: Laplace).</param>
    /// <returns>The classifier.</returns>
    /// <exception cref="ArgumentException">α is not positive.</exception>
    /// <example><code>var nb = NaiveBayesClassifier.Train(train, alpha: 0.5);</code></example>
    public static NaiveBayesClassifier Train(TextSet data, double alpha = 1.0)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(alpha > 0)) throw new ArgumentException($"alpha must be positive, got {alpha}", nameof(alpha));
        var words = data.Data.Texts.Select(Fs.Tokenizer.words).ToArray();
        return new NaiveBayesClassifier(Fs.NaiveBayesModule.train(alpha, data.ClassNames.Count, words, data.Data.Labels), data.ClassNames);
    }

    /// <summary>The class names, by class id.</summary>
    /// <example><code>string name = nb.ClassNames[nb.Predict("rpm build fails")];</code></example>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The most probable class of a text.</summary>
    /// <param name="text">Any text.</param>
    /// <returns>A class id.</returns>
    /// <example><code>int c = nb.Predict("razor reported it as spam");</code></example>
    public int Predict(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Fs.NaiveBayesModule.predict(_model, Fs.Tokenizer.words(text));
    }

    /// <summary>P(class | text) for every text: rows sum to 1.</summary>
    /// <param name="texts">Any texts.</param>
    /// <returns>[texts, classes] probabilities.</returns>
    /// <example><code>double[,] p = nb.PredictProbabilities(new[] { "exmh sequences window" });</code></example>
    public double[,] PredictProbabilities(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new double[texts.Count, ClassNames.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            var p = Fs.NaiveBayesModule.probabilities(_model, Fs.Tokenizer.words(texts[i] ?? throw new ArgumentException($"text {i} is null", nameof(texts))));
            for (var k = 0; k < p.Length; k++) result[i, k] = p[k];
        }
        return result;
    }

    /// <summary>Fraction of texts of a labelled set classified correctly.</summary>
    /// <param name="data">Labelled texts.</param>
    /// <returns>Accuracy in [0, 1].</returns>
    /// <example><code>double a = nb.Accuracy(MailingLists.Test());</code></example>
    public double Accuracy(TextSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var predicted = data.Texts.Select(Predict).ToArray();
        return Fs.TextClassifierModule.accuracy(data.Data.Labels, predicted);
    }
}
