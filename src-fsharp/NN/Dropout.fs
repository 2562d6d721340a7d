/// Dropout and Flatten: layers that reshape or mask their input and learn nothing.
/// Layer: NN, after Dense.fs. Read next: Sequential.fs.
namespace ScratchML.NN

open ScratchML

/// Dropout (inverted, as PyTorch): in training y = x ⊙ m, mᵢ = 1/(1−p) with probability 1−p
/// and 0 otherwise; in evaluation y = x. The mask m is not a random op inside the graph: it is
/// an input variable "<name>.mask" of x's shape that the trainer fills each step from its
/// SplitMix64 stream, so the graph stays deterministic and differentiable (∂y/∂x = m).
[<RequireQualifiedAccess>]
module Dropout =
    /// A dropout layer with drop probability p ∈ [0, 1).
    let layer (name: string) (p: float) : Layer =
        if not (p >= 0.0 && p < 1.0) then invalidArg "p" $"dropout probability must be in [0, 1), got {p}"
        let maskName = $"{name}.mask"
        let forward mode (x: Expr) =
            match mode with
            | Mode.Eval -> x
            | Mode.Train when p = 0.0 -> x
            | Mode.Train -> x * Expr.var maskName x.Shape
        { Layer.stateless name (LayerSpec.Dropout p) forward with Masks = [ { Name = maskName; Keep = 1.0 - p } ] }

    /// Fill a mask's storage: each element 1/keep with probability keep, else 0, one uniform()
    /// per element in row-major order (uniform() < keep keeps the element).
    let fill (rng: SplitMix64) (keep: float) (storage: Storage) =
        let scale = 1.0 / keep
        match storage with
        | Storage.F64 values ->
            for i in 0 .. values.Length - 1 do
                values[i] <- if rng.Uniform() < keep then scale else 0.0
        | Storage.F32 values ->
            for i in 0 .. values.Length - 1 do
                values[i] <- if rng.Uniform() < keep then float32 scale else 0.0f

/// Flatten: [batch; d₁; …; dₖ] → [batch; d₁·…·dₖ], row-major (C, H, W order for images).
[<RequireQualifiedAccess>]
module Flatten =
    /// The flatten layer (no parameters); a reshape, so its gradient is the reshape back.
    let layer (name: string) : Layer =
        Layer.stateless name LayerSpec.Flatten (fun _ x ->
            if x.Rank < 1 then invalidArg "x" "flatten needs a batch axis"
            if x.Rank = 2 then x else Expr.reshape [| x.Shape[0]; -1 |] x)
