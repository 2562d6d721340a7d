/// Activation functions as layers without parameters: each one line of graph building.
/// Layer: NN, after Layer.fs. Read next: Dense.fs.
namespace ScratchML.NN

open ScratchML

/// Activations: the formula of each, shapes unchanged ([batch; …] → [batch; …]).
[<RequireQualifiedAccess>]
module Activations =
    /// Apply an activation to x. Softmax and log-softmax act along the last axis (the classes).
    ///   identity x = x;  relu x = max(x, 0) (relu'(0) = 0);  leaky x = x > 0 ? x : slope·x;
    ///   sigmoid x = 1/(1 + e^−x);  tanh x;  softmax xᵢ = e^xᵢ / Σⱼ e^xⱼ;
    ///   log-softmax xᵢ = xᵢ − log Σⱼ e^xⱼ.
    let apply (activation: Activation) (x: Expr) : Expr =
        match activation with
        | Activation.Identity -> x
        | Activation.Relu -> Expr.relu x
        | Activation.LeakyRelu slope -> Expr.leakyRelu slope x
        | Activation.Sigmoid -> Expr.sigmoid x // a primitive: its rule σ(1−σ) is stable at ±800
        | Activation.Tanh -> Expr.tanh x
        | Activation.Softmax -> Expr.softmax -1 x
        | Activation.LogSoftmax -> Expr.logSoftmax -1 x

    /// A parameter-free layer applying `activation`, named after it (e.g. "relu2").
    let layer (name: string) (activation: Activation) : Layer =
        Layer.stateless name (LayerSpec.Activation activation) (fun _ x -> apply activation x)

    /// The lower-case name of an activation ("relu", "leaky_relu", "log_softmax", …).
    let name (activation: Activation) =
        match activation with
        | Activation.Identity -> "identity"
        | Activation.Relu -> "relu"
        | Activation.LeakyRelu _ -> "leaky_relu"
        | Activation.Sigmoid -> "sigmoid"
        | Activation.Tanh -> "tanh"
        | Activation.Softmax -> "softmax"
        | Activation.LogSoftmax -> "log_softmax"
