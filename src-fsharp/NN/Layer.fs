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

/// What a recurrent layer passes on.
[<RequireQualifiedAccess>]
type Readout =
    /// The last layer's state after the whole sequence, [batch; D·H] (for a bidirectional stack
    /// the forward direction's h_T beside the reverse direction's h at step 0, as h_n holds them).
    | Last
    /// The last layer's output at every step, [batch; T; D·H].
    | Sequence

/// How a sequence [batch; T; F] is reduced over its time axis to [batch; F].
[<RequireQualifiedAccess>]
type TimePooling =
    /// y_f = max_t x_t,f (the gradient goes to the step that reached the maximum).
    | Max
    /// y_f = Σ_t x_t,f / T.
    | Mean

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
    /// y = conv(x, W) + b (cross-correlation, PyTorch's nn.Conv2d): x [batch; C_in; H; W],
    /// W [C_out; C_in/groups; kH; kW], b [C_out].
    | Conv2d of inChannels: int * outChannels: int * kernel: (int * int) * conv: Conv2dSpec
    /// The maximum of each window: [batch; C; H; W] → [batch; C; Ho; Wo].
    | MaxPool2d of pool: Pool2dSpec
    /// The mean of each window (divisor kH·kW when countIncludePad, PyTorch's default).
    | AvgPool2d of pool: Pool2dSpec * countIncludePad: bool
    /// y = (x − μ_c)/√(σ²_c + eps)·γ_c + β_c per channel: batch statistics in training (and the
    /// running ones updated with `momentum`), the running statistics in evaluation.
    | BatchNorm2d of channels: int * eps: float * momentum: float
    /// Token ids [batch; …] (integral values in the model's dtype) → rows of W [vocabulary; dimension].
    | Embedding of vocabulary: int * dimension: int
    /// A recurrent stack (nn.RNN/LSTM/GRU, always batch-first here): x [batch; T; I] →
    /// the last step's hidden state [batch; D·H] or every step's [batch; T; D·H].
    | Recurrent of spec: RecurrentSpec * readout: Readout
    /// A sequence [batch; T; F] → [batch; F], reduced over time (after a Readout.Sequence stack).
    | PoolOverTime of TimePooling

/// How InitScheme.PyTorch draws a parameter (InitScheme.Splitmix always draws U(±1/√fan_in)).
[<RequireQualifiedAccess>]
type ParameterInit =
    /// Linear/Conv2d: a weight (rank ≥ 2) Kaiming-uniform(a = √5), a bias U(±1/√fan_in).
    | FanIn
    /// U(−bound, bound) (recurrent layers: bound = 1/√hidden).
    | Uniform of bound: float
    /// N(0, std²) (embeddings: std 1).
    | Normal of std: float
    /// Every element the same value (BatchNorm: γ = 1, β = 0).
    | Constant of value: float

/// A trainable tensor: its graph variable, the fan-in of its layer, and how it is drawn.
type Parameter =
    { Var: Expr
      FanIn: int
      Init: ParameterInit }
    /// The variable's name, e.g. "fc1.weight".
    member p.Name = match p.Var with Var name -> name | _ -> failwith "a parameter is a variable"
    /// The variable's shape.
    member p.Shape = p.Var.Shape

/// A tensor a layer keeps between steps without training it (BatchNorm's running statistics):
/// a graph variable, its first value (every element), saved with the model like a parameter.
type Buffer =
    { Var: Expr
      Initial: float }
    /// The variable's name, e.g. "bn1.running_mean".
    member b.Name = match b.Var with Var name -> name | _ -> failwith "a buffer is a variable"

/// A per-step random input of a layer (a dropout mask): variable name and keep probability.
type Mask = { Name: string; Keep: float }

/// A layer: its spec, its name (prefix of its variables), parameters in PyTorch's order
/// (weight, then bias), the random masks it reads in training, its buffers, and its graph
/// builders: `Forward mode x` is the output; `Updates x` gives, for a training step on input x,
/// each buffer's new value as an expression (name, value) — evaluated with the step and
/// stored after it (nodes are interned, so what Forward already built is shared, not rebuilt).
type Layer =
    { Spec: LayerSpec
      Name: string
      Parameters: Parameter list
      Masks: Mask list
      Buffers: Buffer list
      Updates: Expr -> (string * Expr) list
      Forward: Mode -> Expr -> Expr }

/// Building layers.
[<RequireQualifiedAccess>]
module Layer =
    /// A layer with no parameters, masks or buffers: only a graph builder.
    let stateless (name: string) (spec: LayerSpec) (forward: Mode -> Expr -> Expr) : Layer =
        { Spec = spec; Name = name; Parameters = []; Masks = []; Buffers = []; Updates = (fun _ -> []); Forward = forward }
