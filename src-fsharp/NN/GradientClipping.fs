/// Gradient clipping on gradient tensors, between the gradient and the optimizer step:
/// by global norm (rescale all together) and by value (clamp each element).
/// Layer: NN, after Embedding.fs. Recurrent nets need it: BPTT multiplies T Jacobians, so a
/// gradient can grow geometrically with the sequence length (exploding gradients).
namespace ScratchML.NN

open ScratchML

/// PyTorch's torch.nn.utils.clip_grad_norm_ and clip_grad_value_, returning new tensors.
[<RequireQualifiedAccess>]
module GradientClipping =
    /// ‖g‖ over all tensors together: √(Σ_tensors Σ_elements g²).
    let globalNorm (grads: Tensor[]) =
        grads |> Array.sumBy (fun g -> Tensor.toArray g |> Array.sumBy (fun v -> v * v)) |> sqrt

    /// If ‖g‖ > maxNorm, every g ← g·maxNorm/(‖g‖ + 1e-6) (PyTorch's coefficient, eps included);
    /// otherwise unchanged. Returns the clipped gradients and ‖g‖ before clipping.
    let byGlobalNorm (maxNorm: float) (grads: Tensor[]) : Tensor[] * float =
        if maxNorm <= 0.0 then invalidArg "maxNorm" $"must be positive, got {maxNorm}"
        let total = globalNorm grads
        let coefficient = maxNorm / (total + 1e-6)
        (if coefficient < 1.0 then grads |> Array.map (Tensor.mulScalar coefficient) else grads), total

    /// g ← clamp(g, −limit, limit), element by element.
    let byValue (limit: float) (grads: Tensor[]) : Tensor[] =
        if limit <= 0.0 then invalidArg "limit" $"must be positive, got {limit}"
        grads |> Array.map (Tensor.map (fun v -> max -limit (min limit v)))
