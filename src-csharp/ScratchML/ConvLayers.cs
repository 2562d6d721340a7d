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
