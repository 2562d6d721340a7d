using Spec = ScratchML.NN.LayerSpec;
using FsActivation = ScratchML.NN.Activation;

namespace ScratchML;

/// <summary>One layer of a <see cref="Sequential"/> network. Layers are immutable descriptions;
/// the library builds each one's part of the expression graph and derives its gradient.</summary>
/// <example><code>Layer hidden = new Dense(784, 256);</code></example>
public abstract class Layer
{
    private protected Layer() { }

    internal abstract Spec Spec { get; }

    /// <summary>A short description, e.g. "Dense(784 → 256)".</summary>
    /// <example><code>Console.WriteLine(new Dense(784, 256)); // Dense(784 → 256)</code></example>
    public abstract override string ToString();

    internal static Layer FromSpec(Spec spec) => spec switch
    {
        Spec.Dense d => new Dense(d.inputs, d.outputs),
        Spec.Dropout d => new Dropout(d.p),
        Spec.Activation a => new Activation(a.Item),
        Spec.Conv2d c => Conv2d.FromSpec(c),
        Spec.MaxPool2d m => new MaxPool2d(m.pool.Kernel.Item1, m.pool.Stride.Item1),
        Spec.AvgPool2d a => new AvgPool2d(a.pool.Kernel.Item1, a.pool.Stride.Item1),
        Spec.BatchNorm2d b => new BatchNorm2d(b.channels, b.eps, b.momentum),
        Spec.Embedding e => new Embedding(e.vocabulary, e.dimension),
        Spec.Recurrent r => RecurrentLayer.FromSpec(r),
        Spec.PoolOverTime p => new PoolOverTime(p.Item.IsMean),
        _ when spec.IsFlatten => new Flatten(),
        _ => throw new NotSupportedException($"no facade layer for {spec}"),
    };
}

/// <summary>A fully connected layer y = x·Wᵀ + b with PyTorch's layout: weight [outputs, inputs],
/// bias [outputs]; input [batch, inputs] → output [batch, outputs]. Weights start from PyTorch's
/// default initialisation U(±1/√inputs), drawn from the model's seed.</summary>
/// <example><code>var layer = new Dense(inputs: 784, outputs: 256);</code></example>
public sealed class Dense : Layer
{
    /// <summary>Creates a dense layer.</summary>
    /// <param name="inputs">Input features (at least 1).</param>
    /// <param name="outputs">Output features (at least 1).</param>
    /// <exception cref="ArgumentException">A size is below 1.</exception>
    /// <example><code>var output = new Dense(256, 10);</code></example>
    public Dense(int inputs, int outputs)
    {
        if (inputs < 1) throw new ArgumentException($"inputs must be at least 1, got {inputs}", nameof(inputs));
        if (outputs < 1) throw new ArgumentException($"outputs must be at least 1, got {outputs}", nameof(outputs));
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>Input features.</summary>
    /// <example><code>int n = new Dense(784, 256).Inputs; // 784</code></example>
    public int Inputs { get; }

    /// <summary>Output features.</summary>
    /// <example><code>int n = new Dense(784, 256).Outputs; // 256</code></example>
    public int Outputs { get; }

    internal override Spec Spec => Spec.NewDense(Inputs, Outputs);

    /// <inheritdoc/>
    public override string ToString() => $"Dense({Inputs} → {Outputs})";
}

/// <summary>An activation function applied element by element (softmax and log-softmax along
/// the last axis): relu max(x, 0), leaky relu, sigmoid 1/(1+e⁻ˣ), tanh, softmax, log-softmax,
/// identity. Shapes are unchanged.</summary>
/// <example><code>var net = new Sequential(new Dense(784, 256), Activation.Relu, new Dense(256, 10));</code></example>
public sealed class Activation : Layer
{
    private readonly FsActivation _activation;

    internal Activation(FsActivation activation) => _activation = activation;

    /// <summary>relu(x) = max(x, 0), with relu'(0) = 0 as PyTorch.</summary>
    /// <example><code>Layer a = Activation.Relu;</code></example>
    public static Activation Relu { get; } = new(FsActivation.Relu);

    /// <summary>sigmoid(x) = 1/(1 + e⁻ˣ), computed stably.</summary>
    /// <example><code>Layer a = Activation.Sigmoid;</code></example>
    public static Activation Sigmoid { get; } = new(FsActivation.Sigmoid);

    /// <summary>tanh(x).</summary>
    /// <example><code>Layer a = Activation.Tanh;</code></example>
    public static Activation Tanh { get; } = new(FsActivation.Tanh);

    /// <summary>softmax(x)ᵢ = eˣⁱ / Σⱼ eˣʲ along the last axis.</summary>
    /// <example><code>Layer a = Activation.Softmax;</code></example>
    public static Activation Softmax { get; } = new(FsActivation.Softmax);

    /// <summary>log-softmax(x)ᵢ = xᵢ − log Σⱼ eˣʲ along the last axis.</summary>
    /// <example><code>Layer a = Activation.LogSoftmax;</code></example>
    public static Activation LogSoftmax { get; } = new(FsActivation.LogSoftmax);

    /// <summary>identity(x) = x.</summary>
    /// <example><code>Layer a = Activation.Identity;</code></example>
    public static Activation Identity { get; } = new(FsActivation.Identity);

    /// <summary>leaky relu: x if x &gt; 0, else slope·x.</summary>
    /// <param name="slope">Slope for negative inputs (PyTorch's default 0.01).</param>
    /// <example><code>Layer a = Activation.LeakyRelu(0.1);</code></example>
    public static Activation LeakyRelu(double slope = 0.01) => new(FsActivation.NewLeakyRelu(slope));

    internal override Spec Spec => Spec.NewActivation(_activation);

    /// <inheritdoc/>
    public override string ToString() => NN.Activations.name(_activation) switch
    {
        "leaky_relu" => $"LeakyRelu({((FsActivation.LeakyRelu)_activation).slope})",
        var name => name,
    };
}

/// <summary>Dropout: in training each element is zeroed with probability p and the rest scaled
/// by 1/(1 − p) (a mask drawn from the model's seed every step); in prediction it does nothing.</summary>
/// <example><code>var net = new Sequential(new Dense(784, 256), Activation.Relu, new Dropout(0.2), new Dense(256, 10));</code></example>
public sealed class Dropout : Layer
{
    /// <summary>Creates a dropout layer.</summary>
    /// <param name="p">Drop probability in [0, 1).</param>
    /// <exception cref="ArgumentException">p is outside [0, 1).</exception>
    /// <example><code>var d = new Dropout(0.5);</code></example>
    public Dropout(double p)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentException($"p must be in [0, 1), got {p}", nameof(p));
        P = p;
    }

    /// <summary>Drop probability.</summary>
    /// <example><code>double p = new Dropout(0.5).P;</code></example>
    public double P { get; }

    internal override Spec Spec => Spec.NewDropout(P);

    /// <inheritdoc/>
    public override string ToString() => $"Dropout({P})";
}

/// <summary>Flatten: [batch, d₁, …, dₖ] → [batch, d₁·…·dₖ] (row-major).</summary>
/// <example><code>var net = new Sequential(new Flatten(), new Dense(784, 10));</code></example>
public sealed class Flatten : Layer
{
    internal override Spec Spec => Spec.Flatten;

    /// <inheritdoc/>
    public override string ToString() => "Flatten";
}

/// <summary>Layers applied one after another: y = fₙ(…f₂(f₁(x))).</summary>
/// <example><code>var net = new Sequential(new Dense(784, 256), Activation.Relu, new Dense(256, 10));</code></example>
public sealed class Sequential
{
    /// <summary>Creates a network from its layers, first to last.</summary>
    /// <param name="layers">At least one layer.</param>
    /// <exception cref="ArgumentException">No layers were given.</exception>
    /// <example><code>var net = new Sequential(new Dense(2, 8), Activation.Tanh, new Dense(8, 2));</code></example>
    public Sequential(params Layer[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Length == 0) throw new ArgumentException("a network needs at least one layer", nameof(layers));
        Layers = layers.ToArray();
    }

    /// <summary>The layers, first to last.</summary>
    /// <example><code>foreach (var layer in net.Layers) Console.WriteLine(layer);</code></example>
    public IReadOnlyList<Layer> Layers { get; }

    /// <summary>The multi-layer perceptron inputs → hidden… → outputs with relu between dense
    /// layers (each followed by dropout when <paramref name="dropout"/> &gt; 0) and none after the
    /// last (its outputs are logits).</summary>
    /// <param name="inputs">Input features.</param>
    /// <param name="hidden">Sizes of the hidden layers.</param>
    /// <param name="outputs">Output features (classes).</param>
    /// <param name="dropout">Drop probability after each hidden activation (0: no dropout layers).</param>
    /// <example><code>var net = Sequential.Mlp(784, new[] { 256 }, 10, dropout: 0.2);</code></example>
    public static Sequential Mlp(int inputs, IEnumerable<int> hidden, int outputs, double dropout = 0)
    {
        var sizes = new[] { inputs }.Concat(hidden).Append(outputs).ToArray();
        var layers = new List<Layer>();
        for (var i = 0; i + 1 < sizes.Length; i++)
        {
            layers.Add(new Dense(sizes[i], sizes[i + 1]));
            if (i + 2 < sizes.Length)
            {
                layers.Add(Activation.Relu);
                if (dropout > 0) layers.Add(new Dropout(dropout));
            }
        }
        return new Sequential(layers.ToArray());
    }

    /// <summary>One line per layer.</summary>
    /// <example><code>Console.WriteLine(net);</code></example>
    public override string ToString() => string.Join(" → ", Layers);
}
