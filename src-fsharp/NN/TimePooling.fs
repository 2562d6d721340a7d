/// Pooling over time: a recurrent stack's outputs at every step [batch; T; F] → [batch; F].
/// Layer: NN, after SequenceLayers.fs. Read next: Sequential.fs.
///
/// Why: a classifier that reads only the last state h_T gets its gradient at step T, and BPTT
/// must carry it back through every step to reach the early words. Max over time connects every
/// step's output to the loss directly (the gradient flows to the step that held each maximum),
/// so a text classifier learns in a few epochs instead of many (Collobert et al., 2011).
/// Max is indifferent to padding steps as long as they do not hold the maximum; Mean counts them.
namespace ScratchML.NN

open ScratchML

/// The pooling layer.
[<RequireQualifiedAccess>]
module TimePoolingLayer =
    /// y[b, f] = max_t x[b, t, f] (Max) or Σ_t x[b, t, f] / T (Mean)   x: [batch; T; F] → [batch; F].
    let layer (name: string) (pooling: TimePooling) : Layer =
        Layer.stateless name (LayerSpec.PoolOverTime pooling) (fun _ (x: Expr) ->
            if x.Rank <> 3 then invalidArg "x" $"{name} expects [batch; T; features], got {Shape.show x.Shape}"
            match pooling with
            | TimePooling.Max -> Expr.max [ 1 ] false x
            | TimePooling.Mean -> Expr.mean [ 1 ] false x)
