/// The closed set of primitive operations of the expression graph.
/// Layer: Graph (above Tensor). Read next: Expr.fs (nodes, sharing, shapes), then Diff/Cards.fs.
///
/// Closed on purpose: adding a case makes the compiler point at every table that must learn it
/// (shape inference, cards, printers, compiler). Derived operations (mean, softmax, MSE,
/// cross-entropy, …) are compositions of these and have no case. Four cases exist only for
/// numerical stability, each with its reason:
///   Sigmoid   — 1/(1+e^−x) differentiated as a composition gives e^−x/(1+e^−x)² = ∞/∞ = NaN at
///               x = −800; the primitive's rule σ(1−σ) does not.
///   Softplus  — log(1+e^x) overflows at x = 800; the primitive computes max(x,0)+log1p(e^−|x|).
///   LogSumExp — log Σ e^x overflows for logits of ±1000; the primitive subtracts the max.
///   LogSoftmax — x − logsumexp(x) as a composition is stable in value, but a primitive gives the
///               compact, exact rule g − softmax(x)·Σg and prints as one function.
/// Adjoint ops (SumTo, SliceBackward, IndexAdd, ScatterAdd) exist because gradients of
/// broadcast, slicing and gathering are themselves graphs that must be printable and compilable.
/// Convolution and pooling (NCHW) bring their adjoints for the same reason: Conv2dInputGrad and
/// Conv2dWeightGrad (the two gradients of a convolution, each a convolution again),
/// AvgPool2dBackward, and MaxPool2dIndices (where each window's max is: the gradient of max
/// pooling is a ScatterAdd of g at those indices).
namespace ScratchML

/// A primitive op. Axis lists are normalised (non-negative, sorted) when a node is built.
[<RequireQualifiedAccess>]
type Op =
    // elementwise, one argument
    | Neg
    | Exp
    | Log
    | Sqrt
    | Abs
    | Sin
    | Cos
    | Tan
    | Tanh
    | Sigmoid
    | Softplus
    | Relu
    | LeakyRelu of slope: float
    | Step            // x > 0 ? 1 : 0 — relu's derivative, with relu'(0) = 0 as PyTorch
    | Sign
    // elementwise, two arguments, NumPy broadcasting
    | Add
    | Sub
    | Mul
    | Div
    | Pow
    | Maximum
    | Minimum
    // comparisons give 1/0 and have no gradient; Where(cond, a, b) selects
    | Gt
    | Ge
    | Lt
    | Le
    | Eq
    | Where
    // reductions over axes
    | Sum of axes: int list * keepdim: bool
    | Max of axes: int list * keepdim: bool
    | Min of axes: int list * keepdim: bool
    | LogSumExp of axes: int list * keepdim: bool
    | ArgMax of axis: int * keepdim: bool
    | LogSoftmax of axis: int
    // linear algebra: 2-d, batched, broadcast leading dims
    | MatMul
    // layout
    | Reshape of shape: int list
    | Permute of dims: int list
    | BroadcastTo of shape: int list
    | SumTo of shape: int list            // adjoint of broadcasting: sum stretched axes away
    | Slice of specs: Slice list
    | SliceBackward of shape: int list * specs: Slice list   // adjoint of Slice: zeros + g in place
    | Concat of axis: int
    // indexing (index arguments are tensors of integral values)
    | IndexSelect of axis: int           // args [x; indices]: x's axis replaced by indices' shape
    | IndexAdd of axis: int * size: int  // args [src; indices]: adjoint of IndexSelect
    | Gather of axis: int                // args [x; index]: torch.gather
    | ScatterAdd of shape: int list * axis: int  // args [src; index]: adjoint of Gather
    // convolution and pooling, NCHW (Tensor/Conv.fs, Tensor/Pool.fs)
    | Conv2d of conv: Conv2dSpec                                   // args [x; w]
    | Conv2dInputGrad of conv: Conv2dSpec * input: int list        // args [g; w] → ∂x
    | Conv2dWeightGrad of conv: Conv2dSpec * weight: int list      // args [x; g] → ∂w
    | MaxPool2d of pool: Pool2dSpec
    | MaxPool2dIndices of pool: Pool2dSpec      // flat h·W + w of each window's first max
    | AvgPool2d of pool: Pool2dSpec * countIncludePad: bool
    | AvgPool2dBackward of pool: Pool2dSpec * countIncludePad: bool * input: int list  // args [g]
