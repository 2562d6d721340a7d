/// Building expressions: variables, constants, one function per primitive, operators, and the
/// derived ops (mean, softmax, …) as compositions. Constructors never simplify: the raw chain
/// rule stays visible until Simplify runs.
/// Layer: Graph. Read next: Patterns.fs.
namespace ScratchML

open System

/// Constructors for every primitive and the derived ops built from them.
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Expr =
    /// A named input of a given shape (a parameter or data); bound by name at evaluation.
    let var (name: string) (shape: int[]) =
        if String.IsNullOrWhiteSpace name then invalidArg "name" "a variable needs a name"
        Expr.Intern(KVar (name, List.ofArray shape), fun () -> Node.Var name, Array.copy shape)

    /// A scalar variable (shape []).
    let scalarVar name = var name [||]

    /// A constant tensor (float64 or float32; evaluation converts it to the run's dtype).
    let constant (t: Tensor) = Expr.Constant t

    /// A scalar constant c (shape []).
    let scalar (c: float) = Expr.Scalar c

    /// The constant 0 or 1 of a given shape (`zeros` keeps shapes when a rule folds x·0).
    let zeros (shape: int[]) = Expr.Constant(TensorData.full shape 0.0)
    let ones (shape: int[]) = Expr.Constant(TensorData.full shape 1.0)

    /// Apply a primitive op to arguments (shape-checked; equal nodes are shared).
    let apply (op: Op) (args: Expr list) = Expr.Apply(op, args)

    let neg x = apply Op.Neg [ x ]
    let exp x = apply Op.Exp [ x ]
    let log x = apply Op.Log [ x ]
    let sqrt x = apply Op.Sqrt [ x ]
    let abs x = apply Op.Abs [ x ]
    let sin x = apply Op.Sin [ x ]
    let cos x = apply Op.Cos [ x ]
    let tan x = apply Op.Tan [ x ]
    let tanh x = apply Op.Tanh [ x ]
    let sigmoid x = apply Op.Sigmoid [ x ]
    let softplus x = apply Op.Softplus [ x ]
    let relu x = apply Op.Relu [ x ]
    let leakyRelu slope x = apply (Op.LeakyRelu slope) [ x ]
    let step x = apply Op.Step [ x ]
    let sign x = apply Op.Sign [ x ]
    let add a b = apply Op.Add [ a; b ]
    let sub a b = apply Op.Sub [ a; b ]
    let mul a b = apply Op.Mul [ a; b ]
    let div a b = apply Op.Div [ a; b ]
    let pow a b = apply Op.Pow [ a; b ]
    let maximum a b = apply Op.Maximum [ a; b ]
    let minimum a b = apply Op.Minimum [ a; b ]
    let gt a b = apply Op.Gt [ a; b ]
    let ge a b = apply Op.Ge [ a; b ]
    let lt a b = apply Op.Lt [ a; b ]
    let le a b = apply Op.Le [ a; b ]
    let eq a b = apply Op.Eq [ a; b ]
    /// where(c, a, b) = c ≠ 0 ? a : b, broadcasting all three.
    let where c a b = apply Op.Where [ c; a; b ]
    /// Σ over axes ([] = all), keeping reduced axes as size 1 when keepdim.
    let sum axes keepdim x = apply (Op.Sum (axes, keepdim)) [ x ]
    /// Σ over every element, a scalar.
    let sumAll x = sum [] false x
    let max axes keepdim x = apply (Op.Max (axes, keepdim)) [ x ]
    let min axes keepdim x = apply (Op.Min (axes, keepdim)) [ x ]
    /// log Σ eˣ over axes, computed stably as m + log Σ e^(x−m).
    let logSumExp axes keepdim x = apply (Op.LogSumExp (axes, keepdim)) [ x ]
    let argmax axis keepdim x = apply (Op.ArgMax (axis, keepdim)) [ x ]
    /// log softmax(x) = x − logsumexp(x) along an axis.
    let logSoftmax axis x = apply (Op.LogSoftmax axis) [ x ]
    let matmul a b = apply Op.MatMul [ a; b ]
    let reshape (shape: int[]) x = apply (Op.Reshape (List.ofArray shape)) [ x ]
    let permute (dims: int[]) x = apply (Op.Permute (List.ofArray dims)) [ x ]
    /// Swap two axes (a permutation).
    let transpose a b (x: Expr) =
        let r = x.Rank
        let a, b = Shape.axis "transpose" r a, Shape.axis "transpose" r b
        permute (Array.init r (fun i -> if i = a then b elif i = b then a else i)) x
    let broadcastTo (shape: int[]) x = apply (Op.BroadcastTo (List.ofArray shape)) [ x ]
    /// Sum stretched axes away so x gets `shape` back (the adjoint of broadcasting).
    let sumTo (shape: int[]) x = apply (Op.SumTo (List.ofArray shape)) [ x ]
    let slice (specs: Slice list) x = apply (Op.Slice specs) [ x ]
    let concat axis (xs: Expr list) = apply (Op.Concat axis) xs
    let indexSelect axis (indices: Expr) x = apply (Op.IndexSelect axis) [ x; indices ]
    let gather axis (index: Expr) x = apply (Op.Gather axis) [ x; index ]

    // ---- convolution and pooling, NCHW: options as records (Conv2dSpec, Pool2dSpec) ----

    /// conv2d spec x w: out[n,o,i,j] = Σ_{c,p,q} x_pad[n, g·C/G + c, i·sH + p·dH, j·sW + q·dW]·
    /// w[o,c,p,q], x [N; C; H; W], w [C_out; C/G; kH; kW] → [N; C_out; Ho; Wo] with
    /// Ho = ⌊(H + 2pH − dH(kH − 1) − 1)/sH⌋ + 1. Options: `Conv2dSpec.Default` (stride 1,
    /// padding 0, dilation 1, groups 1) or `{ Conv2dSpec.Default with Stride = (2, 2) }`.
    let conv2d (spec: Conv2dSpec) x w = apply (Op.Conv2d spec) [ x; w ]
    /// conv2d plus a bias per output channel: b [C_out] broadcast as [1; C_out; 1; 1].
    let conv2dBias (spec: Conv2dSpec) x w (b: Expr) =
        let y = conv2d spec x w
        add y (reshape [| 1; b.Shape[0]; 1; 1 |] b)
    /// maxPool2d spec x: the maximum of each window (padding never wins), [N; C; Ho; Wo] with
    /// Ho = ⌊(H + 2pH − kH)/sH⌋ + 1. Options: `Pool2dSpec.Square 2` or a full record.
    let maxPool2d (spec: Pool2dSpec) x = apply (Op.MaxPool2d spec) [ x ]
    /// avgPool2d spec countIncludePad x: Σ window / divisor, divisor kH·kW when countIncludePad
    /// (PyTorch's default) else the number of non-padding cells.
    let avgPool2d (spec: Pool2dSpec) (countIncludePad: bool) x = apply (Op.AvgPool2d (spec, countIncludePad)) [ x ]
    /// flatten x: [N; …] → [N; ∏ …] in row-major (C, H, W) order.
    let flatten (x: Expr) = reshape [| x.Shape[0]; Shape.numel x.Shape[1..] |] x

    // ---- derived ops: compositions, no cards ----

    /// mean = Σx / n over the axes.
    let mean axes keepdim (x: Expr) =
        let reducedAxes = Shape.axes "mean" x.Rank axes
        let n = reducedAxes |> List.fold (fun n a -> n * x.Shape[a]) 1
        sum axes keepdim x / float n
    /// softmax(x) = exp(log softmax(x)): stable because log softmax is.
    let softmax axis x = exp (logSoftmax axis x)
    /// x².
    let square (x: Expr) = Expr.Pow(x, 2.0)
