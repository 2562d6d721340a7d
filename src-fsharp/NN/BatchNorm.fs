/// Batch normalisation over image channels (PyTorch's nn.BatchNorm2d), built from primitive ops.
/// Layer: NN, after ConvLayers.fs. Read next: SequenceLayers.fs.
///
/// In training each channel is normalised with the statistics of the batch itself, and the
/// layer's running statistics move towards them; in evaluation the running statistics are used,
/// so a prediction no longer depends on the other rows of its batch. No new card: mean, variance
/// and the normalisation are sums, products and a square root, so the gradient (which flows
/// through the batch statistics too) is derived by the reverse sweep like any other.
namespace ScratchML.NN

open ScratchML

/// BatchNorm2d: x [N; C; H; W] → y of the same shape, per channel c
///   y = (x − μ_c)/√(σ²_c + eps)·γ_c + β_c.
[<RequireQualifiedAccess>]
module BatchNorm2d =
    /// Batch statistics of x [N; C; H; W] per channel, kept as [1; C; 1; 1] to broadcast back:
    /// μ = Σ x / n and the biased variance σ² = Σ (x − μ)² / n over n = N·H·W, plus x − μ.
    let statistics (x: Expr) =
        let mean = Expr.mean [ 0; 2; 3 ] true x
        // two passes (centre, then square) rather than E[x²] − μ², which cancels catastrophically
        // when |μ| ≫ σ; c·c rather than c², a multiplication instead of a power per element
        let centred = x - mean
        mean, centred, Expr.mean [ 0; 2; 3 ] true (centred * centred)

    /// y = x·α + (β − μ·α) with α = γ/√(σ² + eps): the normalisation as one scale and one shift
    /// per channel, as PyTorch's CPU kernel computes it (x is the only full-size operand).
    let private normalise (x: Expr) (mean: Expr) (variance: Expr) (weight: Expr) (bias: Expr) (eps: float) =
        let scale = weight / Expr.sqrt (variance + eps)
        x * scale + (bias - mean * scale)

    /// A batch normalisation named `name` over `channels`, with the affine parameters
    /// "<name>.weight" γ (first 1) and "<name>.bias" β (first 0), and the buffers
    /// "<name>.running_mean" (first 0) and "<name>.running_var" (first 1), all [C], and the
    /// step counter "<name>.num_batches_tracked" (a scalar, first 0), as in PyTorch's state_dict.
    /// Training: y = (x − μ_B)/√(σ²_B + eps)·γ + β with the batch's μ_B and biased σ²_B, and
    /// after the step running ← (1 − momentum)·running + momentum·statistic, where the variance
    /// statistic is the unbiased σ²_B·n/(n − 1) (PyTorch's convention), and the counter grows by 1.
    /// (The counter is kept in the model's dtype, exact up to 2²⁴ steps in float32; PyTorch only
    /// reads it when momentum is None, which this layer does not offer.)
    /// Evaluation: y = (x − running_mean)/√(running_var + eps)·γ + β.
    let layer (name: string) (channels: int) (eps: float) (momentum: float) : Layer =
        if channels < 1 then invalidArg "channels" $"batch norm needs at least one channel, got {channels}"
        if not (eps > 0.0) then invalidArg "eps" $"eps must be positive, got {eps}"
        if not (momentum >= 0.0 && momentum <= 1.0) then invalidArg "momentum" $"momentum must be in [0, 1], got {momentum}"
        let weight = Expr.var $"{name}.weight" [| channels |]
        let bias = Expr.var $"{name}.bias" [| channels |]
        let runningMean = Expr.var $"{name}.running_mean" [| channels |]
        let runningVar = Expr.var $"{name}.running_var" [| channels |]
        let batchesTracked = Expr.var $"{name}.num_batches_tracked" [||]
        // a [C] vector seen as [1; C; 1; 1], so it broadcasts over batch, height and width
        let perChannel (v: Expr) = Expr.reshape [| 1; channels; 1; 1 |] v
        let check (mode: Mode) (x: Expr) =
            if x.Rank <> 4 || x.Shape[1] <> channels then
                invalidArg "x" $"{name} expects [batch; {channels}; H; W], got {Shape.show x.Shape}"
            if mode = Mode.Train && x.Shape[0] * x.Shape[2] * x.Shape[3] < 2 then
                invalidArg "x" $"{name} needs more than one value per channel in training, got {Shape.show x.Shape}"
        let forward mode (x: Expr) =
            check mode x
            let mean, variance =
                match mode with
                | Mode.Train -> let mean, _, variance = statistics x in mean, variance
                | Mode.Eval -> perChannel runningMean, perChannel runningVar
            normalise x mean variance (perChannel weight) (perChannel bias) eps
        let updates (x: Expr) =
            check Mode.Train x
            let n = float (x.Shape[0] * x.Shape[2] * x.Shape[3])
            let mean, _, variance = statistics x
            let flat (v: Expr) = Expr.reshape [| channels |] v
            [ $"{name}.running_mean", (1.0 - momentum) * runningMean + momentum * flat mean
              $"{name}.running_var", (1.0 - momentum) * runningVar + (momentum * n / (n - 1.0)) * flat variance
              $"{name}.num_batches_tracked", batchesTracked + 1.0 ]
        { Layer.stateless name (LayerSpec.BatchNorm2d (channels, eps, momentum)) forward with
            Parameters =
                [ { Var = weight; FanIn = channels; Init = ParameterInit.Constant 1.0 }
                  { Var = bias; FanIn = channels; Init = ParameterInit.Constant 0.0 } ]
            Buffers =
                [ { Var = runningMean; Initial = 0.0 }; { Var = runningVar; Initial = 1.0 }
                  { Var = batchesTracked; Initial = 0.0 } ]
            Updates = updates }
