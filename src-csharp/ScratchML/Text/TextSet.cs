using Fs = ScratchML.NN;

namespace ScratchML;

/// <summary>Labelled texts: <see cref="Texts"/>[i] belongs to class <see cref="Labels"/>[i], whose
/// name is <see cref="ClassNames"/>[Labels[i]].</summary>
/// <example><code>TextSet test = MailingLists.Test(); Console.WriteLine($"{test.Count} messages in {test.ClassNames.Count} lists");</code></example>
public sealed class TextSet
{
    internal TextSet(Fs.TextDataset data) => Data = data;

    internal Fs.TextDataset Data { get; }

    /// <summary>Creates a text set from texts, their class ids and the class names.</summary>
    /// <param name="texts">The texts.</param>
    /// <param name="labels">Class id of each text, in 0 … classNames.Count − 1.</param>
    /// <param name="classNames">Name of each class id.</param>
    /// <exception cref="ArgumentException">Counts differ, a label is out of range or a text is null.</exception>
    /// <example><code>var set = new TextSet(new[] { "cheap pills", "meeting at noon" }, new[] { 1, 0 }, new[] { "ham", "spam" });</code></example>
    public TextSet(IReadOnlyList<string> texts, IReadOnlyList<int> labels, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (texts.Count != labels.Count) throw new ArgumentException($"{labels.Count} labels for {texts.Count} texts", nameof(labels));
        if (classNames.Count < 2) throw new ArgumentException($"need at least 2 classes, got {classNames.Count}", nameof(classNames));
        for (var i = 0; i < labels.Count; i++)
            if (labels[i] < 0 || labels[i] >= classNames.Count)
                throw new ArgumentException($"label {labels[i]} of text {i} is not in 0..{classNames.Count - 1}", nameof(labels));
        if (texts.Any(t => t is null)) throw new ArgumentException("a text is null", nameof(texts));
        Data = new Fs.TextDataset(texts.Select((_, i) => i.ToString()).ToArray(), texts.ToArray(), labels.ToArray(), classNames.ToArray());
    }

    /// <summary>Number of texts.</summary>
    /// <example><code>int n = MailingLists.Test().Count; // 530</code></example>
    public int Count => Data.Count;

    /// <summary>The texts.</summary>
    /// <example><code>string first = MailingLists.Test().Texts[0];</code></example>
    public IReadOnlyList<string> Texts => Data.Texts;

    /// <summary>The class id of every text.</summary>
    /// <example><code>int label = MailingLists.Test().Labels[0];</code></example>
    public IReadOnlyList<int> Labels => Data.Labels;

    /// <summary>The class names, by class id.</summary>
    /// <example><code>var names = MailingLists.Test().ClassNames; // exmh, fork, ilug, razor-users, rpm-list, spamassassin</code></example>
    public IReadOnlyList<string> ClassNames => Data.ClassNames;

    /// <summary>The first <paramref name="count"/> texts (all when count ≥ Count).</summary>
    /// <param name="count">How many to keep (at least 1).</param>
    /// <returns>A smaller set with the same class names.</returns>
    /// <exception cref="ArgumentException">count is below 1.</exception>
    /// <example><code>var small = MailingLists.Train().Take(200);</code></example>
    public TextSet Take(int count)
    {
        if (count < 1) throw new ArgumentException($"count must be at least 1, got {count}", nameof(count));
        return new TextSet(Fs.TextDatasetModule.take(count, Data));
    }
}

/// <summary>The SpamAssassin mailing-list set shipped with the repository
/// (data/spamassassin/lists.jsonl.gz): 2,652 message bodies from six lists (exmh, fork, ilug,
/// razor-users, rpm-list, spamassassin), headers and list footers removed, with a fixed
/// stratified split (20% of each list for testing, SplitMix64 seed 2026).</summary>
/// <example><code>var train = MailingLists.Train(); var test = MailingLists.Test();</code></example>
public static class MailingLists
{
    /// <summary>The 2,122 training messages of the fixed split.</summary>
    /// <returns>The messages and their lists.</returns>
    /// <example><code>TextSet train = MailingLists.Train();</code></example>
    public static TextSet Train() => new(Fs.MailingLists.split().Item1);

    /// <summary>The 530 test messages of the fixed split.</summary>
    /// <returns>The messages and their lists.</returns>
    /// <example><code>TextSet test = MailingLists.Test();</code></example>
    public static TextSet Test() => new(Fs.MailingLists.split().Item2);
}
