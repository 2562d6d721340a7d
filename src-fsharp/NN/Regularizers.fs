/// Weight penalties added to the loss graph, so their gradients are derived with the rest.
/// Layer: NN, after Losses.fs. Read next: Model.fs.
namespace ScratchML.NN

open ScratchML

/// A penalty on weights (Keras's conventions: no ½ in front of the squares).
[<RequireQualifiedAccess>]
type Regularizer =
    | None
    /// λ₁ · Σ|w|
    | L1 of l1: float
    /// λ₂ · Σ w²
    | L2 of l2: float
    /// λ₁ · Σ|w| + λ₂ · Σ w²
    | L1L2 of l1: float * l2: float

/// Building penalty expressions.
[<RequireQualifiedAccess>]
module Regularizers =
    /// λ₁ Σ|w| over every given weight (|w|' = sign w, with sign 0 = 0).
    let l1 (lambda: float) (weights: Expr list) : Expr =
        weights |> List.map (fun w -> Expr.sumAll (Expr.abs w)) |> List.reduce (+) |> (*) lambda

    /// λ₂ Σ w² over every given weight (gradient 2λ₂w: weight decay of rate 2λ₂).
    let l2 (lambda: float) (weights: Expr list) : Expr =
        weights |> List.map (fun w -> Expr.sumAll (w * w)) |> List.reduce (+) |> (*) lambda

    /// The penalty of a regularizer on the given weights, or None when there is nothing to add.
    let penalty (regularizer: Regularizer) (weights: Expr list) : Expr option =
        match regularizer, weights with
        | _, [] | Regularizer.None, _ -> None
        | Regularizer.L1 a, _ -> Some (l1 a weights)
        | Regularizer.L2 b, _ -> Some (l2 b weights)
        | Regularizer.L1L2 (a, b), _ -> Some (l1 a weights + l2 b weights)

    /// loss + penalty(weights): the regularised training objective.
    let add (regularizer: Regularizer) (weights: Expr list) (loss: Expr) : Expr =
        match penalty regularizer weights with
        | Some p -> loss + p
        | None -> loss
