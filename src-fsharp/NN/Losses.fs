/// Loss functions as compositions of graph primitives: their gradients are derived, not written.
/// Layer: NN, after Sequential.fs. Read next: Regularizers.fs.
///
/// Numerics: cross-entropy goes through the LogSoftmax primitive (x − max − log Σ e^(x−max)),
/// binary cross-entropy through Softplus (max(z,0) + log1p(e^−|z|)), so logits of ±1000 give
/// finite losses and gradients (a naive log(sigmoid z) gives log 0 = −∞ at z = −1000).
namespace ScratchML.NN

open ScratchML

/// How a per-example loss is reduced over the batch.
[<RequireQualifiedAccess>]
type Reduction =
    | Mean
    | Sum

/// A loss: which formula, and its reduction.
[<RequireQualifiedAccess>]
type Loss =
    /// Mean squared error; targets have the prediction's shape.
    | Mse of Reduction
    /// Softmax cross-entropy from logits [batch; classes]; targets are one-hot (or any
    /// probability rows) [batch; classes].
    | CrossEntropy of Reduction
    /// Binary cross-entropy from logits; targets in [0, 1] of the logits' shape.
    | BinaryCrossEntropyWithLogits of Reduction

/// The loss formulas.
[<RequireQualifiedAccess>]
module Losses =
    /// Reduce per-element losses: Sum = Σ, Mean = Σ / count, count = elements / perExample
    /// (per batch example for cross-entropy, per element otherwise, as PyTorch).
    let private reduce (reduction: Reduction) (count: int) (losses: Expr) =
        match reduction with
        | Reduction.Sum -> Expr.sumAll losses
        | Reduction.Mean -> Expr.sumAll losses / float count

    /// MSE(ŷ, y) = Σᵢ (ŷᵢ − yᵢ)² / n  (or the sum), n = number of elements.
    let mse (reduction: Reduction) (prediction: Expr) (target: Expr) : Expr =
        let d = prediction - target
        reduce reduction (Shape.numel prediction.Shape) (d * d)

    /// Softmax cross-entropy from logits z [batch; classes] and one-hot targets y:
    /// CE = −Σᵦ Σ꜀ yᵦ꜀ · log softmax(zᵦ)꜀ / batch  (or the sum over the batch).
    /// Its gradient, derived by the library, is (softmax(z) − y)/batch.
    let crossEntropy (reduction: Reduction) (logits: Expr) (target: Expr) : Expr =
        if logits.Rank <> 2 then invalidArg "logits" $"cross-entropy expects [batch; classes], got {Shape.show logits.Shape}"
        reduce reduction logits.Shape[0] (-(target * Expr.logSoftmax 1 logits))

    /// Cross-entropy with class indices: the picked log-probability of each row,
    /// CE = −Σᵦ log softmax(zᵦ)[cᵦ] / batch; `classes` is [batch; 1] of integral values
    /// (torch.gather along the class axis; its gradient scatters back).
    let crossEntropyIndices (reduction: Reduction) (logits: Expr) (classes: Expr) : Expr =
        if logits.Rank <> 2 then invalidArg "logits" $"cross-entropy expects [batch; classes], got {Shape.show logits.Shape}"
        reduce reduction logits.Shape[0] (-(Expr.gather 1 classes (Expr.logSoftmax 1 logits)))

    /// Binary cross-entropy with logits z and targets y ∈ [0, 1]:
    /// ℓ = −y·log σ(z) − (1−y)·log(1−σ(z)) = softplus(z) − z·y
    ///   = max(z, 0) − z·y + log1p(e^−|z|)  (the Softplus primitive's stable form).
    /// Its gradient is σ(z) − y per element (divided by n for the mean).
    let binaryCrossEntropyWithLogits (reduction: Reduction) (logits: Expr) (target: Expr) : Expr =
        reduce reduction (Shape.numel logits.Shape) (Expr.softplus logits - logits * target)

    /// The loss expression of a `Loss` for a prediction and a target expression.
    let build (loss: Loss) (prediction: Expr) (target: Expr) : Expr =
        match loss with
        | Loss.Mse r -> mse r prediction target
        | Loss.CrossEntropy r -> crossEntropy r prediction target
        | Loss.BinaryCrossEntropyWithLogits r -> binaryCrossEntropyWithLogits r prediction target
