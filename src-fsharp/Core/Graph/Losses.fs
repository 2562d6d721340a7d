/// The three losses the PyTorch fixtures check, as compositions of primitives (no cards).
/// Layer: Graph. The NN project owns the user-facing losses; these are the reference forms.
namespace ScratchML

/// Mean losses over a batch, built from primitives so their gradients come from the cards.
[<RequireQualifiedAccess>]
module ReferenceLosses =
    /// Cross-entropy from logits z [n; c] and class indices [n] (integral values):
    /// −(1/n) Σᵢ log softmax(zᵢ)[targetᵢ], stable through the LogSoftmax primitive.
    let crossEntropy (logits: Expr) (targets: Expr) =
        let n = logits.Shape[0]
        let picked = Expr.gather 1 (Expr.reshape [| n; 1 |] targets) (Expr.logSoftmax 1 logits)
        -(Expr.sumAll picked) / float n

    /// Mean squared error: mean((x − y)²).
    let mse (x: Expr) (target: Expr) = Expr.mean [] false (Expr.square (x - target))

    /// Binary cross-entropy from logits x and targets y ∈ [0, 1]:
    /// mean(softplus(x) − x·y) = mean(max(x, 0) − x·y + log1p(e^−|x|)), stable for |x| ~ 800.
    let binaryCrossEntropyWithLogits (logits: Expr) (target: Expr) =
        Expr.mean [] false (Expr.softplus logits - logits * target)
