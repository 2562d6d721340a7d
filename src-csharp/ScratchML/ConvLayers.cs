using Spec = ScratchML.NN.LayerSpec;

namespace ScratchML;

/// <summary>A 2-d convolution (cross-correlation, as PyTorch's nn.Conv2d) with a bias per output
/// channel: input [batch, inChannels, H, W] → [batch, outChannels, Ho, Wo],
/// Ho = ⌊(H + 2·padding − dilation·(kernel − 1) − 1)/stride⌋ + 1. Weight [out, in/groups, k, k],
/// initialised U(±1/√(in/groups·k·k)) as PyTorch.</summary>
/// <example><code>var net = new Sequential(new Conv2d(1, 8, 5), Activation.Relu, new MaxPool2d(2), new Flatten(), new Dense(8 * 12 * 12, 10));</code></example>
public sealed class Conv2d : Layer
{
    /// <summary>Creates a convolution with a square kernel.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels (filters).</param>
    /// <param name="kernelSize">Kernel height and width.</param>
    /// <param name="stride">Step between windows.</param>
    /// <param name="padding">Zeros added on every side.</param>
    /// <param name="dilation">Spacing between kernel taps.</param>
    /// <param name="groups">Channel groups (in and out channels must be divisible by it).</param>
    /// <exception cref="ArgumentException">A size is below 1 (padding below 0) or the channels do not divide into groups.</exception>
    /// <example><code>var conv = new Conv2d(3, 16, kernelSize: 3, padding: 1);</code></example>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        if (inChannels < 1 || outChannels < 1 || kernelSize < 1 || stride < 1 || dilation < 1 || groups < 1 || padding < 0)
            throw new ArgumentException($"a convolution needs positive sizes, got {inChannels} → {outChannels}, kernel {kernelSize}, stride {stride}, padding {padding}, dilation {dilation}, groups {groups}");
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"channels {inChannels} → {outChannels} are not divisible by groups {groups}", nameof(groups));
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
    }

    /// <summary>Input channels.</summary>
    /// <example><code>int c = new Conv2d(1, 8, 5).InChannels; // 1</code></example>
    public int InChannels { get; }
    /// <summary>Output channels.</summary>
    /// <example><code>int c = new Conv2d(1, 8, 5).OutChannels; // 8</code></example>
    public int OutChannels { get; }
    /// <summary>Kernel height and width.</summary>
    /// <example><code>int k = new Conv2d(1, 8, 5).KernelSize; // 5</code></example>
    public int KernelSize { get; }
    /// <summary>Stride.</summary>
    /// <example><code>int s = new Conv2d(1, 8, 3, stride: 2).Stride; // 2</code></example>
    public int Stride { get; }
    /// <summary>Zero padding on every side.</summary>
    /// <example><code>int p = new Conv2d(1, 8, 3, padding: 1).Padding; // 1</code></example>
    public int Padding { get; }
    /// <summary>Dilation.</summary>
    /// <example><code>int d = new Conv2d(1, 8, 3).Dilation; // 1</code></example>
    public int Dilation { get; }
    /// <summary>Channel groups.</summary>
    /// <example><code>int g = new Conv2d(4, 4, 3, groups: 4).Groups; // 4</code></example>
    public int Groups { get; }

    internal override Spec Spec => Spec.NewConv2d(InChannels, OutChannels, Pair(KernelSize),
        new Conv2dSpec(Pair(Stride), Pair(Padding), Pair(Dilation), Groups));

    internal static Tuple<int, int> Pair(int n) => Tuple.Create(n, n);

    internal static Conv2d FromSpec(Spec.Conv2d c)
    {
        var k = c.kernel.Item1;
        return new Conv2d(c.inChannels, c.outChannels, k, c.conv.Stride.Item1, c.conv.Padding.Item1, c.conv.Dilation.Item1, c.conv.Groups);
    }

    /// <inheritdoc/>
    public override string ToString() => $"Conv2d({InChannels} → {OutChannels}, {KernelSize}×{KernelSize}"
        + (Stride != 1 ? $", stride {Stride}" : "") + (Padding != 0 ? $", padding {Padding}" : "")
        + (Dilation != 1 ? $", dilation {Dilation}" : "") + (Groups != 1 ? $", groups {Groups}" : "") + ")";
}

/// <summary>Max pooling (nn.MaxPool2d): the largest value of each size×size window moved by stride.</summary>
/// <example><code>Layer pool = new MaxPool2d(2);</code></example>
public sealed class MaxPool2d : Layer
{
    /// <summary>Creates a max pooling layer.</summary>
    /// <param name="size">Window height and width.</param>
    /// <param name="stride">Step between windows (default: the window size).</param>
    /// <exception cref="ArgumentException">A size is below 1.</exception>
    /// <example><code>var pool = new MaxPool2d(3, stride: 2);</code></example>
    public MaxPool2d(int size, int? stride = null)
    {
        if (size < 1 || stride is < 1) throw new ArgumentException($"pooling needs positive sizes, got {size}, stride {stride}");
        (Size, Stride) = (size, stride ?? size);
    }

    /// <summary>Window size.</summary>
    /// <example><code>int k = new MaxPool2d(2).Size; // 2</code></example>
    public int Size { get; }
    /// <summary>Stride.</summary>
    /// <example><code>int s = new MaxPool2d(2).Stride; // 2</code></example>
    public int Stride { get; }

    internal override Spec Spec => Spec.NewMaxPool2d(new Pool2dSpec(Conv2d.Pair(Size), Conv2d.Pair(Stride), Conv2d.Pair(0), false));

    /// <inheritdoc/>
    public override string ToString() => Stride == Size ? $"MaxPool2d({Size})" : $"MaxPool2d({Size}, stride {Stride})";
}

/// <summary>Average pooling (nn.AvgPool2d): the mean of each size×size window moved by stride.</summary>
/// <example><code>Layer pool = new AvgPool2d(2);</code></example>
public sealed class AvgPool2d : Layer
{
    /// <summary>Creates an average pooling layer.</summary>
    /// <param name="size">Window height and width.</param>
    /// <param name="stride">Step between windows (default: the window size).</param>
    /// <exception cref="ArgumentException">A size is below 1.</exception>
    /// <example><code>var pool = new AvgPool2d(2);</code></example>
    public AvgPool2d(int size, int? stride = null)
    {
        if (size < 1 || stride is < 1) throw new ArgumentException($"pooling needs positive sizes, got {size}, stride {stride}");
        (Size, Stride) = (size, stride ?? size);
    }

    /// <summary>Window size.</summary>
    /// <example><code>int k = new AvgPool2d(2).Size; // 2</code></example>
    public int Size { get; }
    /// <summary>Stride.</summary>
    /// <example><code>int s = new AvgPool2d(2).Stride; // 2</code></example>
    public int Stride { get; }

    internal override Spec Spec => Spec.NewAvgPool2d(new Pool2dSpec(Conv2d.Pair(Size), Conv2d.Pair(Stride), Conv2d.Pair(0), false), true);

    /// <inheritdoc/>
    public override string ToString() => Stride == Size ? $"AvgPool2d({Size})" : $"AvgPool2d({Size}, stride {Stride})";
}

/// <summary>Batch normalisation over image channels (PyTorch's nn.BatchNorm2d): per channel c,
/// y = (x − μ_c)/√(σ²_c + eps)·γ_c + β_c with input [batch, channels, H, W]. In training μ and σ²
/// are the batch's mean and (biased) variance over batch, height and width, and the running
/// statistics move towards them: running ← (1 − momentum)·running + momentum·batch statistic
/// (the unbiased variance for running_var); in prediction the running statistics are used.
/// γ starts at 1, β at 0; the running mean at 0 and the running variance at 1, saved with the model.</summary>
/// <example><code>var net = new Sequential(new Conv2d(1, 8, 3), new BatchNorm2d(8), Activation.Relu, new MaxPool2d(2), new Flatten(), new Dense(8 * 13 * 13, 10));</code></example>
public sealed class BatchNorm2d : Layer
{
    /// <summary>Creates a batch normalisation layer.</summary>
    /// <param name="channels">Channels of the input (the C of [batch, C, H, W]).</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="momentum">Weight of the batch statistic in each running-statistic update, in [0, 1].</param>
    /// <exception cref="ArgumentException">channels is below 1, eps is not positive, or momentum is outside [0, 1].</exception>
    /// <example><code>var bn = new BatchNorm2d(16, momentum: 0.01);</code></example>
    public BatchNorm2d(int channels, double eps = 1e-5, double momentum = 0.1)
    {
        if (channels < 1) throw new ArgumentException($"channels must be at least 1, got {channels}", nameof(channels));
        if (!(eps > 0)) throw new ArgumentException($"eps must be positive, got {eps}", nameof(eps));
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentException($"momentum must be in [0, 1], got {momentum}", nameof(momentum));
        (Channels, Eps, Momentum) = (channels, eps, momentum);
    }

    /// <summary>Channels.</summary>
    /// <example><code>int c = new BatchNorm2d(16).Channels; // 16</code></example>
    public int Channels { get; }
    /// <summary>The eps added to the variance.</summary>
    /// <example><code>double eps = new BatchNorm2d(16).Eps; // 1e-5</code></example>
    public double Eps { get; }
    /// <summary>The momentum of the running statistics.</summary>
    /// <example><code>double m = new BatchNorm2d(16).Momentum; // 0.1</code></example>
    public double Momentum { get; }

    internal override Spec Spec => Spec.NewBatchNorm2d(Channels, Eps, Momentum);

    /// <inheritdoc/>
    public override string ToString() => $"BatchNorm2d({Channels}"
        + (Eps != 1e-5 ? $", eps {Eps}" : "") + (Momentum != 0.1 ? $", momentum {Momentum}" : "") + ")";
}
