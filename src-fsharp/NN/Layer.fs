/// What a layer is: named parameter variables plus a function that builds its part of the graph.
/// Layer: NN, after Init.fs and Optimizers.fs. Read next: Activations.fs, Dense.fs, Dropout.fs.
///
/// A layer computes nothing itself. `Forward mode x` returns the expression of its output in
/// terms of the input expression x and its parameters (graph variables named "<layer>.weight",
/// "<layer>.bias"), so a whole network is one expression whose gradient the library derives.
namespace ScratchML.NN

open ScratchML

/// Train: dropout multiplies by a freshly drawn mask each step. Eval: every layer is deterministic.
[<RequireQualifiedAccess>]
type Mode =
    | Train
    | Eval

/// An elementwise (or row-wise) nonlinearity, applied along the last axis where it matters.
[<RequireQualifiedAccess>]
type Activation =
    | Identity
    | Relu
    | LeakyRelu of slope: float
    | Sigmoid
    | Tanh
    | Softmax
    | LogSoftmax

/// The architecture of one layer: everything needed to rebuild it (saved beside the weights).
[<RequireQualifiedAccess>]
type LayerSpec =
    /// y = x·Wᵀ + b, W: [outputs; inputs], b: [outputs] (PyTorch's Linear layout).
    | Dense of inputs: int * outputs: int
    | Activation of Activation
    /// Zero each element with probability p in training, scale the rest by 1/(1−p).
    | Dropout of p: float
    /// [batch; d₁; …; dₖ] → [batch; d₁·…·dₖ].
    | Flatten

/// A trainable tensor: its graph variable and the fan-in its initialiser needs.
type Parameter =
    { Var: Expr
      FanIn: int }
    /// The variable's name, e.g. "fc1.weight".
    member p.Name = match p.Var with Var name -> name | _ -> failwith "a parameter is a variable"
    /// The variable's shape.
    member p.Shape = p.Var.Shape

/// A per-step random input of a layer (a dropout mask): variable name and keep probability.
type Mask = { Name: string; Keep: float }

/// A layer: its spec, its name (prefix of its variables), parameters in PyTorch's order
/// (weight, then bias), the random masks it reads in training, and its graph builder.
type Layer =
    { Spec: LayerSpec
      Name: string
      Parameters: Parameter list
      Masks: Mask list
      Forward: Mode -> Expr -> Expr }
