using Fs = ScratchML.NN;

namespace ScratchML;

/// <summary>An update rule with its hyper-parameters, exactly as torch.optim. The state it keeps
/// (momentum, moment estimates) lives with the model during <see cref="Model.Fit(float[,], int[], int, int, float[,], int[], int?, int?, Action{EpochResult}, Action{int, int, int})"/>.</summary>
/// <example><code>Optimizer optimizer = new Adam(learningRate: 1e-3);</code></example>
public abstract class Optimizer
{
    private protected Optimizer() { }

    internal abstract Fs.Optimizer ToRule();

    /// <summary>The learning rate.</summary>
    /// <example><code>double lr = new Sgd(0.1).LearningRate;</code></example>
    public abstract double LearningRate { get; }
}

/// <summary>Stochastic gradient descent: b ← μ·b + (1 − dampening)·g, p ← p − lr·b (or
/// p ← p − lr·g without momentum), with optional Nesterov momentum and weight decay.</summary>
/// <example><code>var sgd = new Sgd(learningRate: 0.1, momentum: 0.9);</code></example>
public sealed class Sgd : Optimizer
{
    private readonly Fs.SgdOptions _options;

    /// <summary>Creates an SGD rule (PyTorch's defaults: no momentum, no weight decay).</summary>
    /// <param name="learningRate">Step size (positive).</param>
    /// <param name="momentum">Momentum μ ≥ 0.</param>
    /// <param name="weightDecay">L2 weight decay added to the gradient.</param>
    /// <param name="nesterov">Nesterov momentum.</param>
    /// <exception cref="ArgumentException">A hyper-parameter is out of range.</exception>
    /// <example><code>var sgd = new Sgd(0.01, momentum: 0.9, nesterov: true);</code></example>
    public Sgd(double learningRate, double momentum = 0, double weightDecay = 0, bool nesterov = false)
    {
        if (!(learningRate >= 0)) throw new ArgumentException($"learningRate must be ≥ 0, got {learningRate}", nameof(learningRate));
        if (!(momentum >= 0)) throw new ArgumentException($"momentum must be ≥ 0, got {momentum}", nameof(momentum));
        _options = new Fs.SgdOptions(learningRate, momentum, 0.0, weightDecay, nesterov, false);
    }

    /// <inheritdoc/>
    public override double LearningRate => _options.LearningRate;

    internal override Fs.Optimizer ToRule() => Fs.Optimizer.NewSgd(_options);
}

/// <summary>Adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr·m̂/(√v̂ + ε) with bias
/// corrections m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).</summary>
/// <example><code>var adam = new Adam(learningRate: 1e-3);</code></example>
public sealed class Adam : Optimizer
{
    private readonly Fs.AdamOptions _options;
    private readonly bool _decoupled;

    /// <summary>Creates an Adam rule (PyTorch's defaults).</summary>
    /// <param name="learningRate">Step size.</param>
    /// <param name="beta1">Decay of the first moment.</param>
    /// <param name="beta2">Decay of the second moment.</param>
    /// <param name="epsilon">Added to √v̂.</param>
    /// <param name="weightDecay">Weight decay (added to the gradient; decoupled as AdamW when
    /// <paramref name="decoupledWeightDecay"/> is true).</param>
    /// <param name="amsGrad">Use the running maximum of v̂ (AMSGrad).</param>
    /// <param name="decoupledWeightDecay">AdamW: p ← p·(1 − lr·weightDecay) before the step.</param>
    /// <exception cref="ArgumentException">A hyper-parameter is out of range.</exception>
    /// <example><code>var adamW = new Adam(1e-3, weightDecay: 0.01, decoupledWeightDecay: true);</code></example>
    public Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8,
                double weightDecay = 0, bool amsGrad = false, bool decoupledWeightDecay = false)
    {
        if (!(learningRate >= 0)) throw new ArgumentException($"learningRate must be ≥ 0, got {learningRate}", nameof(learningRate));
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentException($"beta1 must be in [0, 1), got {beta1}", nameof(beta1));
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentException($"beta2 must be in [0, 1), got {beta2}", nameof(beta2));
        _options = new Fs.AdamOptions(learningRate, beta1, beta2, epsilon, weightDecay, amsGrad, false);
        _decoupled = decoupledWeightDecay;
    }

    /// <inheritdoc/>
    public override double LearningRate => _options.LearningRate;

    internal override Fs.Optimizer ToRule() => _decoupled ? Fs.Optimizer.NewAdamW(_options) : Fs.Optimizer.NewAdam(_options);
}

/// <summary>RMSprop: v ← αv + (1−α)g², p ← p − lr·g/(√v + ε).</summary>
/// <example><code>var rms = new RmsProp(learningRate: 1e-3);</code></example>
public sealed class RmsProp : Optimizer
{
    private readonly Fs.RmsPropOptions _options;

    /// <summary>Creates an RMSprop rule (PyTorch's defaults).</summary>
    /// <param name="learningRate">Step size.</param>
    /// <param name="alpha">Decay of the squared-gradient average.</param>
    /// <param name="epsilon">Added to √v.</param>
    /// <param name="momentum">Momentum.</param>
    /// <param name="centered">Divide by the estimated variance instead of the raw second moment.</param>
    /// <example><code>var rms = new RmsProp(0.01, centered: true);</code></example>
    public RmsProp(double learningRate = 0.01, double alpha = 0.99, double epsilon = 1e-8, double momentum = 0, bool centered = false)
    {
        if (!(learningRate >= 0)) throw new ArgumentException($"learningRate must be ≥ 0, got {learningRate}", nameof(learningRate));
        _options = new Fs.RmsPropOptions(learningRate, alpha, epsilon, 0.0, momentum, centered, false);
    }

    /// <inheritdoc/>
    public override double LearningRate => _options.LearningRate;

    internal override Fs.Optimizer ToRule() => Fs.Optimizer.NewRmsProp(_options);
}

/// <summary>Adagrad: s ← s + g², p ← p − lr·g/(√s + ε).</summary>
/// <example><code>var adagrad = new Adagrad(learningRate: 0.01);</code></example>
public sealed class Adagrad : Optimizer
{
    private readonly Fs.AdagradOptions _options;

    /// <summary>Creates an Adagrad rule (PyTorch's defaults).</summary>
    /// <param name="learningRate">Step size.</param>
    /// <param name="epsilon">Added to √s.</param>
    /// <example><code>var adagrad = new Adagrad(0.05);</code></example>
    public Adagrad(double learningRate = 0.01, double epsilon = 1e-10)
    {
        if (!(learningRate >= 0)) throw new ArgumentException($"learningRate must be ≥ 0, got {learningRate}", nameof(learningRate));
        _options = new Fs.AdagradOptions(learningRate, 0.0, 0.0, 0.0, epsilon, false);
    }

    /// <inheritdoc/>
    public override double LearningRate => _options.LearningRate;

    internal override Fs.Optimizer ToRule() => Fs.Optimizer.NewAdagrad(_options);
}
