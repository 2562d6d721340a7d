/// Embedding: a lookup table of row vectors, one per token id, as an expression.
/// Layer: NN, after Recurrent.fs. Read next: GradientClipping.fs.
///
/// The lookup is the primitive indexSelect, so its gradient (a scatter-add of the upstream rows
/// into the table, repeated ids accumulating) comes from that op's card, as in PyTorch.
namespace ScratchML.NN

open ScratchML

/// Embedding tables (PyTorch's nn.Embedding without padding_idx or max_norm).
[<RequireQualifiedAccess>]
module Embedding =
    /// The table as a named Var: weight [vocab; dim].
    let weight (name: string) (vocabularySize: int) (dimension: int) = Expr.var name [| vocabularySize; dimension |]

    /// PyTorch's initialisation: every entry N(0, 1).
    let init (rng: SplitMix64) (dtype: DType) (vocabularySize: int) (dimension: int) =
        Init.normal rng dtype 1.0 [| vocabularySize; dimension |]

    /// out[…, :] = weight[indices[…], :]   indices: any shape S of ids → [S…; dim].
    let lookup (weight: Expr) (indices: Expr) = Expr.indexSelect 0 indices weight
