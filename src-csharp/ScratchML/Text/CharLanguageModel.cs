using Fs = ScratchML.NN;

namespace ScratchML;

/// <summary>Sizes and training settings of a <see cref="CharLanguageModel"/>. The defaults train
/// in a few minutes on the State of the Union speeches.</summary>
/// <param name="Embedding">Width of each character's embedding vector.</param>
/// <param name="Hidden">LSTM hidden size.</param>
/// <param name="Layers">Stacked LSTM layers.</param>
/// <param name="Steps">Characters per chunk: the truncation length of backpropagation through time.</param>
/// <param name="BatchSize">Parallel streams of text per training step.</param>
/// <param name="LearningRate">Adam's learning rate.</param>
/// <param name="ClipNorm">Global gradient-norm clipping (0: none).</param>
/// <param name="Batches">Training steps (chunks); the streams restart when the text runs out.</param>
/// <param name="Seed">Seed of the initial weights.</param>
/// <example><code>var options = new CharLanguageModelOptions { Hidden = 128, Batches = 300 };</code></example>
public sealed record CharLanguageModelOptions(
    int Embedding = 32, int Hidden = 256, int Layers = 1, int Steps = 64, int BatchSize = 32,
    double LearningRate = 2e-3, double ClipNorm = 5.0, int Batches = 2000, int Seed = 0)
{
    internal Fs.CharLmOptions ToFSharp() =>
        new(Embedding, Hidden, Layers, Steps, BatchSize, LearningRate, ClipNorm, Batches, Seed);
}

/// <summary>A character-level language model: Embedding → LSTM → a dense layer at every step,
/// predicting each next character; trained with truncated backpropagation through time.</summary>
/// <example><code>
/// var speeches = SpeechCorpus.Load();
/// var lm = CharLanguageModel.Create(speeches.Train + speeches.HeldOut, new CharLanguageModelOptions { Batches = 300 });
/// lm.Fit(speeches.Train);
/// Console.WriteLine(lm.BitsPerCharacter(speeches.HeldOut));
/// Console.WriteLine(lm.Sample("The state of the Union is ", length: 200, temperature: 0.7, seed: 1));
/// </code></example>
public sealed class CharLanguageModel
{
    private readonly Fs.CharLm _lm;

    private CharLanguageModel(Fs.CharLm lm) => _lm = lm;

    /// <summary>A fresh model whose vocabulary is every distinct character of <paramref name="vocabularyText"/>.</summary>
    /// <param name="vocabularyText">Text holding every character the model will read (training and evaluation text).</param>
    /// <param name="options">Sizes and settings (null: the defaults).</param>
    /// <returns>The untrained model.</returns>
    /// <exception cref="ArgumentException">The text is empty or a size is not positive.</exception>
    /// <example><code>var lm = CharLanguageModel.Create("abc ", new CharLanguageModelOptions { Hidden = 16 });</code></example>
    public static CharLanguageModel Create(string vocabularyText, CharLanguageModelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabularyText);
        var o = options ?? new CharLanguageModelOptions();
        Check(o);
        return new CharLanguageModel(Fs.CharLmModule.create(o.ToFSharp(), Fs.CharVocabularyModule.ofText(vocabularyText)));
    }

    /// <summary>The characters the model knows, in id order.</summary>
    /// <example><code>Console.WriteLine(lm.Vocabulary.Length);</code></example>
    public string Vocabulary => _lm.Vocabulary.ToString();

    /// <summary>Number of trainable values (embedding, LSTM and output layer).</summary>
    /// <example><code>Console.WriteLine(lm.ParameterCount);</code></example>
    public int ParameterCount => _lm.Model.Values.Sum(t => t.Numel);

    /// <summary>LSTM hidden size.</summary>
    /// <example><code>Console.WriteLine(lm.Hidden);</code></example>
    public int Hidden => _lm.Spec.HiddenSize;

    /// <summary>Trains on <paramref name="text"/> with Adam for <c>options.Batches</c> steps.</summary>
    /// <param name="text">Training text; every character must be in <see cref="Vocabulary"/>.</param>
    /// <param name="options">Training settings (null: the defaults); the model's sizes are fixed at creation.</param>
    /// <param name="onBatch">Called after each step with (steps done, total steps, mean cross-entropy in nats).</param>
    /// <returns>Each step's mean cross-entropy (nats per character).</returns>
    /// <exception cref="ArgumentException">The text is too short or holds unknown characters.</exception>
    /// <example><code>var losses = lm.Fit(text, new CharLanguageModelOptions { Batches = 100 });</code></example>
    public IReadOnlyList<double> Fit(string text, CharLanguageModelOptions? options = null, Action<int, int, double>? onBatch = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var o = options ?? new CharLanguageModelOptions();
        Check(o);
        var callback = onBatch ?? ((_, _, _) => { });
        var fsOptions = o.ToFSharp();
        var sizes = new Fs.CharLmOptions(_lm.Spec.InputSize, _lm.Spec.HiddenSize, _lm.Spec.NumLayers, fsOptions.Steps,
            fsOptions.BatchSize, fsOptions.LearningRate, fsOptions.ClipNorm, fsOptions.Batches, fsOptions.Seed);
        return Fs.CharLmModule.fit(sizes, _lm, text,
            Microsoft.FSharp.Core.FuncConvert.FromAction<int, int, double>((done, total, loss) => callback(done, total, loss)));
    }

    /// <summary>Bits per character on <paramref name="text"/>: the mean of −log₂ p(next character).</summary>
    /// <param name="text">Held-out text; every character must be in <see cref="Vocabulary"/>.</param>
    /// <returns>Bits per character (log₂ of the vocabulary size for a uniform guess).</returns>
    /// <example><code>Console.WriteLine($"{lm.BitsPerCharacter(heldOut):F3} bits/char");</code></example>
    public double BitsPerCharacter(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Fs.CharLmModule.bitsPerChar(_lm, text);
    }

    /// <summary>Continues <paramref name="prompt"/> by <paramref name="length"/> characters, each drawn
    /// from softmax(logits / temperature) (temperature 0: always the likeliest character).</summary>
    /// <param name="prompt">Text to continue (at least one character, all in <see cref="Vocabulary"/>).</param>
    /// <param name="length">Characters to generate.</param>
    /// <param name="temperature">Below 1 sharpens, above 1 flattens the distribution.</param>
    /// <param name="seed">Seed of the draws: the same seed gives the same text.</param>
    /// <returns>The generated characters (without the prompt).</returns>
    /// <exception cref="ArgumentException">Empty prompt, unknown character, negative length or temperature.</exception>
    /// <example><code>Console.WriteLine(lm.Sample("We the people", 100, 0.8, seed: 3));</code></example>
    public string Sample(string prompt, int length = 200, double temperature = 1.0, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return Fs.CharLmModule.sample(_lm, prompt, length, temperature, seed);
    }

    /// <summary>Saves the weights, the architecture and the vocabulary to a safetensors file.</summary>
    /// <param name="path">File to write (its folder is created).</param>
    /// <example><code>lm.Save("models/charlm.safetensors");</code></example>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        Fs.CharLmModule.save(path, _lm);
    }

    /// <summary>Loads a model written by <see cref="Save"/>.</summary>
    /// <param name="path">File to read.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentException">No file at the path.</exception>
    /// <example><code>var lm = CharLanguageModel.Load("models/charlm.safetensors");</code></example>
    public static CharLanguageModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new ArgumentException($"no model file at '{path}'", nameof(path));
        return new CharLanguageModel(Fs.CharLmModule.load(path));
    }

    private static void Check(CharLanguageModelOptions o)
    {
        if (o.Embedding < 1 || o.Hidden < 1 || o.Layers < 1 || o.Steps < 1 || o.BatchSize < 1 || o.Batches < 1)
            throw new ArgumentException($"sizes, steps, batch size and batches must be positive, got {o}", nameof(o));
        if (!(o.LearningRate > 0)) throw new ArgumentException($"learning rate must be positive, got {o.LearningRate}", nameof(o));
        if (o.ClipNorm < 0) throw new ArgumentException($"clip norm must be ≥ 0, got {o.ClipNorm}", nameof(o));
    }
}

/// <summary>The State of the Union addresses from 1934 on (public domain; shipped gzipped in
/// data/sotu), split into training speeches and the last four, held out.</summary>
/// <example><code>var s = SpeechCorpus.Load(); Console.WriteLine($"{s.Train.Length:N0} training characters");</code></example>
public sealed class SpeechCorpus
{
    private SpeechCorpus(Fs.SotuSplit split) =>
        (Train, HeldOut, TrainSpeeches, HeldOutSpeeches) = (split.Train, split.HeldOut, split.TrainSpeeches, split.HeldOutSpeeches);

    /// <summary>Training text: the speeches, each ending in a newline.</summary>
    /// <example><code>Console.WriteLine(SpeechCorpus.Load().Train[..80]);</code></example>
    public string Train { get; }

    /// <summary>Held-out text: the last four speeches.</summary>
    /// <example><code>Console.WriteLine(SpeechCorpus.Load().HeldOut.Length);</code></example>
    public string HeldOut { get; }

    /// <summary>Number of training speeches.</summary>
    /// <example><code>Console.WriteLine(SpeechCorpus.Load().TrainSpeeches);</code></example>
    public int TrainSpeeches { get; }

    /// <summary>Number of held-out speeches.</summary>
    /// <example><code>Console.WriteLine(SpeechCorpus.Load().HeldOutSpeeches);</code></example>
    public int HeldOutSpeeches { get; }

    /// <summary>Reads the speeches file (null: the repository's data/sotu/speeches.txt.gz).</summary>
    /// <param name="path">A gzipped text file, one speech per line.</param>
    /// <returns>The split corpus.</returns>
    /// <example><code>var s = SpeechCorpus.Load();</code></example>
    public static SpeechCorpus Load(string? path = null)
    {
        if (path is not null && !File.Exists(path)) throw new ArgumentException($"no speeches file at '{path}'", nameof(path));
        return new SpeechCorpus(Fs.Sotu.split(path ?? Fs.Sotu.defaultFile()));
    }
}
