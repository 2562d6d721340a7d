/// The fully connected layer in PyTorch's layout (Linear): weight [out; in], bias [out].
/// Layer: NN, after Activations.fs. Read next: Dropout.fs.
namespace ScratchML.NN

open ScratchML

/// Dense (Linear) layers.
[<RequireQualifiedAccess>]
module Dense =
    /// The graph of a dense layer: y = x·Wᵀ + b   x: [batch; in], W: [out; in], b: [out] →
    /// y: [batch; out]. Wᵀ is a transposed view (the compiled GEMM reads W by strides, no copy);
    /// b broadcasts over the batch, so its gradient sums over the batch axis.
    let apply (weight: Expr) (bias: Expr) (x: Expr) : Expr =
        Expr.matmul x (Expr.transpose 0 1 weight) + bias

    /// A dense layer named `name` with variables "<name>.weight" [outputs; inputs] and
    /// "<name>.bias" [outputs]; both initialise with fan_in = inputs (PyTorch's convention).
    let layer (name: string) (inputs: int) (outputs: int) : Layer =
        if inputs < 1 || outputs < 1 then
            invalidArg "inputs" $"a dense layer needs positive sizes, got {inputs} → {outputs}"
        let weight = Expr.var $"{name}.weight" [| outputs; inputs |]
        let bias = Expr.var $"{name}.bias" [| outputs |]
        { Layer.stateless name (LayerSpec.Dense (inputs, outputs)) (fun _ x -> apply weight bias x) with
            Parameters =
                [ { Var = weight; FanIn = inputs; Init = ParameterInit.FanIn }
                  { Var = bias; FanIn = inputs; Init = ParameterInit.FanIn } ] }
