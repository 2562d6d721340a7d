using Spec = ScratchML.NN.LayerSpec;
using Fs = ScratchML.NN;

namespace ScratchML;

/// <summary>An embedding table (nn.Embedding): token ids [batch, T] → rows of a learnt
/// [vocabulary, dimension] matrix, [batch, T, dimension]; entries start N(0, 1).</summary>
/// <example><code>var net = new Sequential(new Embedding(5000, 32), new Lstm(32, 64), new Dense(64, 4));</code></example>
public sealed class Embedding : Layer
{
    /// <summary>Creates an embedding table.</summary>
    /// <param name="vocabulary">Number of token ids (ids are 0 … vocabulary − 1).</param>
    /// <param name="dimension">Length of each vector.</param>
    /// <exception cref="ArgumentException">A size is below 1.</exception>
    /// <example><code>var embed = new Embedding(vocabulary: 5000, dimension: 32);</code></example>
    public Embedding(int vocabulary, int dimension)
    {
        if (vocabulary < 1 || dimension < 1) throw new ArgumentException($"an embedding needs positive sizes, got {vocabulary} × {dimension}");
        (Vocabulary, Dimension) = (vocabulary, dimension);
    }

    /// <summary>Number of token ids.</summary>
    /// <example><code>int v = new Embedding(5000, 32).Vocabulary; // 5000</code></example>
    public int Vocabulary { get; }
    /// <summary>Vector length.</summary>
    /// <example><code>int d = new Embedding(5000, 32).Dimension; // 32</code></example>
    public int Dimension { get; }

    internal override Spec Spec => Spec.NewEmbedding(Vocabulary, Dimension);

    /// <inheritdoc/>
    public override string ToString() => $"Embedding({Vocabulary} × {Dimension})";
}

/// <summary>A recurrent stack (PyTorch's nn.LSTM / nn.GRU / nn.RNN equations and parameter
/// names, batch-first): input [batch, T, inputSize] → the last step's hidden state
/// [batch, directions·hidden] or, with <c>returnSequences</c>, every step's [batch, T, directions·hidden].
/// Parameters start U(±1/√hidden) as PyTorch. The unrolled sequence is one expression graph;
/// its gradient (backpropagation through time) is derived like any other.</summary>
/// <example><code>Layer lstm = new Lstm(inputSize: 32, hiddenSize: 64);</code></example>
public abstract class RecurrentLayer : Layer
{
    private protected RecurrentLayer(int inputSize, int hiddenSize, int layers, bool bidirectional, bool returnSequences)
    {
        if (inputSize < 1 || hiddenSize < 1 || layers < 1)
            throw new ArgumentException($"a recurrent layer needs positive sizes, got input {inputSize}, hidden {hiddenSize}, layers {layers}");
        (InputSize, HiddenSize, Layers, Bidirectional, ReturnSequences) = (inputSize, hiddenSize, layers, bidirectional, returnSequences);
    }

    /// <summary>Features per step of the input.</summary>
    /// <example><code>int i = new Lstm(32, 64).InputSize; // 32</code></example>
    public int InputSize { get; }
    /// <summary>Hidden state size.</summary>
    /// <example><code>int h = new Lstm(32, 64).HiddenSize; // 64</code></example>
    public int HiddenSize { get; }
    /// <summary>Stacked layers.</summary>
    /// <example><code>int n = new Gru(32, 64, layers: 2).Layers; // 2</code></example>
    public int Layers { get; }
    /// <summary>Whether a reverse direction runs beside the forward one (outputs concatenated).</summary>
    /// <example><code>bool b = new Lstm(32, 64, bidirectional: true).Bidirectional; // true</code></example>
    public bool Bidirectional { get; }
    /// <summary>Whether the output is every step's state instead of the last one.</summary>
    /// <example><code>bool s = new Lstm(32, 64, returnSequences: true).ReturnSequences; // true</code></example>
    public bool ReturnSequences { get; }

    private protected abstract Fs.CellKind Kind { get; }

    internal override Spec Spec =>
        Spec.NewRecurrent(new Fs.RecurrentSpec(Kind, InputSize, HiddenSize, Layers, Bidirectional, true, true),
                          ReturnSequences ? Fs.Readout.Sequence : Fs.Readout.Last);

    internal static Layer FromSpec(Spec.Recurrent r)
    {
        var s = r.spec;
        var sequences = r.readout.IsSequence;
        return s.Kind.Tag switch
        {
            Fs.CellKind.Tags.Lstm => new Lstm(s.InputSize, s.HiddenSize, s.NumLayers, s.Bidirectional, sequences),
            Fs.CellKind.Tags.Gru => new Gru(s.InputSize, s.HiddenSize, s.NumLayers, s.Bidirectional, sequences),
            _ => new Rnn(s.InputSize, s.HiddenSize, s.NumLayers, s.Bidirectional, sequences, relu: s.Kind.IsRnnRelu),
        };
    }

    private protected string Describe(string name) => $"{name}({InputSize} → {HiddenSize}"
        + (Layers != 1 ? $", {Layers} layers" : "") + (Bidirectional ? ", bidirectional" : "")
        + (ReturnSequences ? ", sequences" : "") + ")";
}

/// <summary>Long short-term memory (nn.LSTM: gates i, f, g, o; c_t = f⊙c_{t−1} + i⊙g, h_t = o⊙tanh c_t).</summary>
/// <example><code>var net = new Sequential(new Embedding(5000, 32), new Lstm(32, 64), new Dense(64, 4));</code></example>
public sealed class Lstm : RecurrentLayer
{
    /// <summary>Creates an LSTM stack.</summary>
    /// <param name="inputSize">Features per input step.</param>
    /// <param name="hiddenSize">Hidden (and cell) state size.</param>
    /// <param name="layers">Stacked layers.</param>
    /// <param name="bidirectional">Also run the sequence backwards.</param>
    /// <param name="returnSequences">Output every step instead of the last state.</param>
    /// <exception cref="ArgumentException">A size is below 1.</exception>
    /// <example><code>var lstm = new Lstm(32, 64, layers: 2);</code></example>
    public Lstm(int inputSize, int hiddenSize, int layers = 1, bool bidirectional = false, bool returnSequences = false)
        : base(inputSize, hiddenSize, layers, bidirectional, returnSequences) { }

    private protected override Fs.CellKind Kind => Fs.CellKind.Lstm;

    /// <inheritdoc/>
    public override string ToString() => Describe("Lstm");
}

/// <summary>Gated recurrent unit (nn.GRU: r, z, n with b_hn inside r⊙(…); h_t = (1 − z)⊙n + z⊙h_{t−1}).</summary>
/// <example><code>var net = new Sequential(new Embedding(5000, 32), new Gru(32, 64), new Dense(64, 4));</code></example>
public sealed class Gru : RecurrentLayer
{
    /// <summary>Creates a GRU stack.</summary>
    /// <param name="inputSize">Features per input step.</param>
    /// <param name="hiddenSize">Hidden state size.</param>
    /// <param name="layers">Stacked layers.</param>
    /// <param name="bidirectional">Also run the sequence backwards.</param>
    /// <param name="returnSequences">Output every step instead of the last state.</param>
    /// <exception cref="ArgumentException">A size is below 1.</exception>
    /// <example><code>var gru = new Gru(32, 64);</code></example>
    public Gru(int inputSize, int hiddenSize, int layers = 1, bool bidirectional = false, bool returnSequences = false)
        : base(inputSize, hiddenSize, layers, bidirectional, returnSequences) { }

    private protected override Fs.CellKind Kind => Fs.CellKind.Gru;

    /// <inheritdoc/>
    public override string ToString() => Describe("Gru");
}

/// <summary>The plain (Elman) recurrent layer (nn.RNN): h_t = tanh(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh), or relu.</summary>
/// <example><code>Layer rnn = new Rnn(8, 16);</code></example>
public sealed class Rnn : RecurrentLayer
{
    /// <summary>Creates a plain recurrent stack.</summary>
    /// <param name="inputSize">Features per input step.</param>
    /// <param name="hiddenSize">Hidden state size.</param>
    /// <param name="layers">Stacked layers.</param>
    /// <param name="bidirectional">Also run the sequence backwards.</param>
    /// <param name="returnSequences">Output every step instead of the last state.</param>
    /// <param name="relu">Use relu instead of tanh.</param>
    /// <exception cref="ArgumentException">A size is below 1.</exception>
    /// <example><code>var rnn = new Rnn(8, 16, relu: true);</code></example>
    public Rnn(int inputSize, int hiddenSize, int layers = 1, bool bidirectional = false, bool returnSequences = false, bool relu = false)
        : base(inputSize, hiddenSize, layers, bidirectional, returnSequences) => Relu = relu;

    /// <summary>Whether the nonlinearity is relu (else tanh).</summary>
    /// <example><code>bool r = new Rnn(8, 16).Relu; // false</code></example>
    public bool Relu { get; }

    private protected override Fs.CellKind Kind => Relu ? Fs.CellKind.RnnRelu : Fs.CellKind.RnnTanh;

    /// <inheritdoc/>
    public override string ToString() => Describe(Relu ? "Rnn(relu)" : "Rnn");
}

/// <summary>Pooling over time: a sequence [batch, T, features] (a recurrent layer with
/// <c>returnSequences: true</c>) → [batch, features], the maximum over the T steps of each
/// feature (or the mean). Every step then reaches the loss directly, which makes a recurrent text
/// classifier learn much faster than reading the last state only.</summary>
/// <example><code>var net = new Sequential(new Embedding(5000, 32), new Lstm(32, 64, returnSequences: true), new PoolOverTime(), new Dense(64, 4));</code></example>
public sealed class PoolOverTime : Layer
{
    /// <summary>Creates a pooling-over-time layer.</summary>
    /// <param name="mean">Average over time instead of taking the maximum.</param>
    /// <example><code>var pool = new PoolOverTime(mean: true);</code></example>
    public PoolOverTime(bool mean = false) => Mean = mean;

    /// <summary>Whether the layer averages (true) or takes the maximum (false).</summary>
    /// <example><code>bool mean = new PoolOverTime().Mean; // false</code></example>
    public bool Mean { get; }

    internal override Spec Spec => Spec.NewPoolOverTime(Mean ? Fs.TimePooling.Mean : Fs.TimePooling.Max);

    /// <inheritdoc/>
    public override string ToString() => Mean ? "PoolOverTime(mean)" : "PoolOverTime(max)";
}
