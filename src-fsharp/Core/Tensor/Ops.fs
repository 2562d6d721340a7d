/// The `Tensor` module: every tensor operation the expression graph calls, in one list.
/// Layer: Tensor (the top of it). Read next: Graph/Expr.fs.
///
/// Why a table of short bindings: an F# module cannot span files, and one file holding every
/// kernel would run past a thousand lines. So the work lives in modules of one idea each —
/// Kernels (the strided loop nest), Create (making/reading tensors), Layout (views and joins),
/// ElementOps + Elementwise (one small struct per elementwise op, and their entry points), Reduce,
/// Index (gather/scatter), LinAlg (matmul) — and this file is the contract: the public names,
/// their formulas, and where each one is implemented.
///
/// Why generic math: each op is written once over 'T :> IFloatingPointIeee754 (float32 and
/// float64) and the JIT specialises it per type; a Tensor dispatches on its dtype once per call.
namespace ScratchML

open ScratchML.TensorOps

/// Pure operations on tensors: they return new tensors (or views) and never mutate their inputs.
/// Binary ops broadcast (NumPy rules) and require equal dtypes; axes may be negative.
[<CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Tensor =
    // ---- creation / conversion (Create.fs) ----
    /// zeros dtype shape: every element 0.
    let zeros dtype shape = Create.zeros dtype shape
    /// ones dtype shape: every element 1.
    let ones dtype shape = Create.ones dtype shape
    /// full dtype shape v: every element v.
    let full dtype shape value = Create.full dtype shape value
    /// scalar dtype v: a 0-d tensor (shape [||]) holding v.
    let scalar dtype value = Create.scalar dtype value
    /// ofArray shape data: float64 tensor, row-major data copied.
    let ofArray shape data = Create.ofArray shape data
    /// ofArray32 shape data: float32 tensor, row-major data copied.
    let ofArray32 shape data = Create.ofArray32 shape data
    /// ofStorage shape storage: a row-major tensor over `storage` without copying.
    let ofStorage shape storage = Create.ofStorage shape storage
    /// toArray x: the values, row-major, as a float64 copy.
    let toArray x = Create.toArray x
    /// toArray32 x: the values, row-major, as a float32 copy.
    let toArray32 x = Create.toArray32 x
    /// item x: the value of a one-element tensor.
    let item x = Create.item x
    /// get index x: the element at `index` (negative entries count from the end).
    let get index x = Create.get index x
    /// astype dtype x: the values in another dtype (x itself if it already has it).
    let astype dtype x = Create.astype dtype x
    /// contiguous x: x if it is row-major over its whole storage, else a row-major copy.
    let contiguous x = Create.contiguous x
    /// randn dtype rng shape: standard normal draws, row-major order.
    let randn dtype rng shape = Create.randn dtype rng shape
    /// uniform dtype rng lo hi shape: U[lo, hi) draws lo + (hi − lo)·u, row-major order.
    let uniform dtype rng lo hi shape = Create.uniform dtype rng lo hi shape
    /// oneHot dtype classes indices: out[i, j] = [indices[i] = j], shape [n; classes].
    let oneHot dtype classes indices = Create.oneHot dtype classes indices
    /// arange dtype n: [0, 1, …, n − 1].
    let arange dtype n = Create.arange dtype n
    /// map f x: f on each element through float64 (slow generic path, any layout).
    let map f x = Elementwise.map f x
    /// map2 f a b: f on broadcast pairs through float64 (slow generic path).
    let map2 f a b = Elementwise.map2 f a b
    /// shape x: the sizes per axis.
    let shape (x: Tensor) = x.Shape
    /// dtype x: the element type.
    let dtype (x: Tensor) = x.DType
    /// numel x = ∏ shape: the number of elements.
    let numel (x: Tensor) = x.Numel

    // ---- elementwise (Elementwise.fs; TensorPrimitives on contiguous spans) ----
    /// neg x = −x.
    let neg x = Elementwise.unary<NegOp> x
    /// exp x = eˣ.
    let exp x = Elementwise.unary<ExpOp> x
    /// log x = ln x.
    let log x = Elementwise.unary<LogOp> x
    /// sqrt x = √x.
    let sqrt x = Elementwise.unary<SqrtOp> x
    /// abs x = |x|.
    let abs x = Elementwise.unary<AbsOp> x
    /// sin x.
    let sin x = Elementwise.unary<SinOp> x
    /// cos x.
    let cos x = Elementwise.unary<CosOp> x
    /// tan x.
    let tan x = Elementwise.unary<TanOp> x
    /// tanh x = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ).
    let tanh x = Elementwise.unary<TanhOp> x
    /// sigmoid x = 1/(1 + e⁻ˣ) (0 at −800, 1 at 800, never NaN).
    let sigmoid x = Elementwise.unary<SigmoidOp> x
    /// relu x = max(x, 0).
    let relu x = Elementwise.unary<ReluOp> x
    /// sign x ∈ {−1, 0, 1}.
    let sign x = Elementwise.unary<SignOp> x
    /// square x = x².
    let square x = Elementwise.unary<SquareOp> x
    /// reciprocal x = 1/x.
    let reciprocal x = Elementwise.unary<ReciprocalOp> x
    /// log1p x = ln(1 + x), accurate for tiny x.
    let log1p x = Elementwise.unary<Log1pOp> x
    /// softplus x = ln(1 + eˣ) = max(x, 0) + log1p(e^−|x|) (stable at |x| ~ 1000).
    let softplus x = Elementwise.unary<SoftplusOp> x
    /// step x = 1 if x > 0 else 0 (relu', with relu'(0) = 0).
    let step x = Elementwise.unary<StepOp> x

    /// add a b = a + b (broadcasting).
    let add a b = Elementwise.binary<AddOp> "add" a b
    /// sub a b = a − b (broadcasting).
    let sub a b = Elementwise.binary<SubOp> "sub" a b
    /// mul a b = a·b (broadcasting).
    let mul a b = Elementwise.binary<MulOp> "mul" a b
    /// div a b = a/b (broadcasting).
    let div a b = Elementwise.binary<DivOp> "div" a b
    /// pow a b = aᵇ (broadcasting).
    let pow a b = Elementwise.binary<PowOp> "pow" a b
    /// maximum a b = max(a, b) (broadcasting; NaN if either is NaN).
    let maximum a b = Elementwise.binary<MaximumOp> "maximum" a b
    /// minimum a b = min(a, b) (broadcasting; NaN if either is NaN).
    let minimum a b = Elementwise.binary<MinimumOp> "minimum" a b
    /// addScalar c x = x + c.
    let addScalar (c: float) (x: Tensor) =
        Elementwise.binary<AddOp> "addScalar" x (Create.scalar x.DType c)
    /// mulScalar c x = c·x.
    let mulScalar (c: float) (x: Tensor) =
        Elementwise.binary<MulOp> "mulScalar" x (Create.scalar x.DType c)
    /// powScalar p x = xᵖ.
    let powScalar (p: float) (x: Tensor) =
        Elementwise.binary<PowOp> "powScalar" x (Create.scalar x.DType p)
    /// gt a b = [a > b] as 1/0 in the same dtype.
    let gt a b = Elementwise.binary<GtOp> "gt" a b
    /// ge a b = [a ≥ b].
    let ge a b = Elementwise.binary<GeOp> "ge" a b
    /// lt a b = [a < b].
    let lt a b = Elementwise.binary<LtOp> "lt" a b
    /// le a b = [a ≤ b].
    let le a b = Elementwise.binary<LeOp> "le" a b
    /// eq a b = [a = b].
    let eq a b = Elementwise.binary<EqOp> "eq" a b
    /// where cond a b = cond ≠ 0 ? a : b (all three broadcast).
    let where cond a b = Elementwise.where cond a b

    // ---- reductions (Reduce.fs): axes [] = all axes ----
    /// sum axes keepdim x = Σ over the axes.
    let sum axes keepdim x = Reduce.sum axes keepdim x
    /// mean axes keepdim x = Σ over the axes / count.
    let mean axes keepdim x = Reduce.mean axes keepdim x
    /// max axes keepdim x = largest element over the axes.
    let max axes keepdim x = Reduce.max axes keepdim x
    /// min axes keepdim x = smallest element over the axes.
    let min axes keepdim x = Reduce.min axes keepdim x
    /// argmax axis keepdim x = first index of the largest element along `axis` (as floats).
    let argmax axis keepdim x = Reduce.argmax axis keepdim x
    /// logSumExp axes keepdim x = m + log Σ exp(x − m), m = max (stable).
    let logSumExp axes keepdim x = Reduce.logSumExp axes keepdim x
    /// softmax axis x = exp(x − m) / Σ exp(x − m).
    let softmax axis x = Reduce.softmax axis x
    /// logSoftmax axis x = (x − m) − log Σ exp(x − m).
    let logSoftmax axis x = Reduce.logSoftmax axis x
    /// sumTo shape x: sum the axes broadcasting stretched, back to `shape` (broadcastTo's adjoint).
    let sumTo shape x = Reduce.sumTo shape x

    // ---- linear algebra (LinAlg.fs) ----
    /// matmul a b: c[…, i, j] = Σₚ a[…, i, p]·b[…, p, j] (torch.matmul semantics).
    let matmul a b = LinAlg.matmul a b

    // ---- layout (Layout.fs): views unless noted ----
    /// reshape shape x: same row-major elements, new shape (−1 infers one); copies only if needed.
    let reshape shape x = Layout.reshape shape x
    /// transpose i j x: axes i and j swapped (view).
    let transpose i j x = Layout.transpose i j x
    /// permute p x: out axis k = x axis p[k] (view).
    let permute p x = Layout.permute p x
    /// broadcastTo shape x: x stretched to `shape`, stride 0 on stretched axes (view).
    let broadcastTo shape x = Layout.broadcastTo shape x
    /// unsqueeze axis x: a new size-1 axis at `axis` (view).
    let unsqueeze axis x = Layout.unsqueeze axis x
    /// squeeze axis x: drop `axis`, which must have size 1 (view).
    let squeeze axis x = Layout.squeeze axis x
    /// slice specs x: basic indexing x[s₀, s₁, …] (view); missing specs mean All.
    let slice specs x = Layout.slice specs x
    /// sliceBackward shape specs g: zeros of `shape` with g where slice read (its adjoint).
    let sliceBackward shape specs g = Layout.sliceBackward shape specs g
    /// concat axis xs: join along `axis` (copy).
    let concat axis xs = Layout.concat axis xs
    /// stack axis xs: join equal shapes along a new axis (copy).
    let stack axis xs = Layout.stack axis xs
    /// split axis sizes x: consecutive pieces along `axis` (views; inverse of concat).
    let split axis sizes x = Layout.split axis sizes x

    // ---- convolution and pooling (Conv.fs, Pool.fs), NCHW ----
    /// conv2d spec x w: out[n,o,i,j] = Σ_{c,p,q} x_pad[n, c, i·sH + p·dH, j·sW + q·dW]·w[o,c,p,q]
    /// (cross-correlation, channels grouped; im2col + GEMM).
    let conv2d spec x w = Conv.conv2d spec x w
    /// conv2dInputGrad spec xShape g w = ∂⟨conv2d(x, w), g⟩/∂x (a transposed convolution).
    let conv2dInputGrad spec xShape g w = Conv.conv2dInputGrad spec xShape g w
    /// conv2dWeightGrad spec wShape x g = ∂⟨conv2d(x, w), g⟩/∂w.
    let conv2dWeightGrad spec wShape x g = Conv.conv2dWeightGrad spec wShape x g
    /// maxPool2d spec x: the maximum of each window, padding as −∞.
    let maxPool2d spec x = Pool.maxPool2d spec x
    /// maxPool2dIndices spec x: flat index h·W + w of each window's first maximum.
    let maxPool2dIndices spec x = Pool.maxPool2dIndices spec x
    /// maxPool2dWithIndices spec x: both of the above from one pass over x.
    let maxPool2dWithIndices spec x = Pool.maxPool2dWithIndices spec x
    /// avgPool2d spec includePad x: Σ window / (kH·kW or the real cells).
    let avgPool2d spec includePad x = Pool.avgPool2d spec includePad x
    /// avgPool2dBackward spec includePad xShape g: avgPool2d's adjoint.
    let avgPool2dBackward spec includePad xShape g = Pool.avgPool2dBackward spec includePad xShape g

    // ---- gather / scatter (Index.fs) ----
    /// indexSelect axis idx x: out[…, i, …] = x[…, idx[i], …], idx any shape (embedding lookup).
    let indexSelect axis idx x = Index.indexSelect axis idx x
    /// indexAdd axis size idx src: zeros, row idx[i] += src row i (adjoint of indexSelect).
    let indexAdd axis size idx src = Index.indexAdd axis size idx src
    /// gather axis index x: out[p] = x[p with p[axis] = index[p]] (torch.gather).
    let gather axis index x = Index.gather axis index x
    /// scatterAdd shape axis index src: zeros, out[p with p[axis] = index[p]] += src[p]
    /// (gather's adjoint).
    let scatterAdd shape axis index src = Index.scatterAdd shape axis index src

    // ---- comparison helper for tests ----
    /// allClose rtol atol a b: same shape and |aᵢ − bᵢ| ≤ atol + rtol·|bᵢ| for every i (NaN ≠ NaN).
    let allClose (rtol: float) (atol: float) (a: Tensor) (b: Tensor) =
        if a.Shape <> b.Shape then
            Shape.fail "allClose" $"shapes {Shape.show a.Shape} and {Shape.show b.Shape} differ"
        let close x y = Operators.abs (x - y) <= atol + rtol * Operators.abs y
        Array.forall2 close (toArray a) (toArray b)
