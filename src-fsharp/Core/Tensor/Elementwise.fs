/// Elementwise ops: one small struct per op says what it does to one element (`Apply`) and to a
/// contiguous span (`Run`, mostly one TensorPrimitives call); Kernels.fs runs it over any layout.
/// Layer: Tensor (uses Kernels, Create, Layout). Read next: Reduce.fs.
namespace ScratchML.TensorOps

open System
open System.Numerics
open System.Numerics.Tensors
open ScratchML

/// Scalar formulas written once in float64 and rounded once to the element type: the slow path
/// of ops TensorPrimitives lacks (float64 → float64 conversions compile away).
module Real =
    /// f(x) computed in float64, rounded to 'T.
    let inline via<'T when 'T :> IFloatingPointIeee754<'T>>
            ([<InlineIfLambda>] f: float -> float) (x: 'T) : 'T =
        'T.CreateTruncating(f (Double.CreateTruncating x))

    /// log(1 + x) accurate for tiny x: with u = 1 ⊕ x, log1p x = log u · x / (u − 1) (Goldberg).
    let log1p (x: float) =
        let u = 1.0 + x
        if u = 1.0 then x elif Double.IsInfinity u then u else log u * x / (u - 1.0)

    /// softplus x = log(1 + eˣ) = max(x, 0) + log1p(e^−|x|): never overflows (|x| ~ 1000 is fine).
    let softplus (x: float) = max x 0.0 + log1p (exp -(abs x))

    /// sign x ∈ {−1, 0, 1} (NaN stays NaN).
    let sign (x: float) = if x > 0.0 then 1.0 elif x < 0.0 then -1.0 else x

    /// step x = 1 if x > 0 else 0: relu's derivative, with relu'(0) = 0.
    let step (x: float) = if x > 0.0 then 1.0 else 0.0

// One struct per op. `Run` on contiguous spans, `Apply` for strided runs; both from the same rule.
/// −x.
[<Struct>] type NegOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = -x
                static member Run(x, y) = TensorPrimitives.Negate(x, y)
/// eˣ.
[<Struct>] type ExpOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = 'T.Exp x
                static member Run(x, y) = TensorPrimitives.Exp(x, y)
/// ln x.
[<Struct>] type LogOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = 'T.Log x
                static member Run(x, y) = TensorPrimitives.Log(x, y)
/// √x.
[<Struct>] type SqrtOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = 'T.Sqrt x
                static member Run(x, y) = TensorPrimitives.Sqrt(x, y)
/// |x|.
[<Struct>] type AbsOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = 'T.Abs x
                static member Run(x, y) = TensorPrimitives.Abs(x, y)
/// sin x.
[<Struct>] type SinOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = 'T.Sin x
                static member Run(x, y) = TensorPrimitives.Sin(x, y)
/// cos x.
[<Struct>] type CosOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = 'T.Cos x
                static member Run(x, y) = TensorPrimitives.Cos(x, y)
/// tan x.
[<Struct>] type TanOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = 'T.Tan x
                static member Run(x, y) = TensorPrimitives.Tan(x, y)
/// tanh x = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ).
[<Struct>] type TanhOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = 'T.Tanh x
                static member Run(x, y) = TensorPrimitives.Tanh(x, y)
/// σ(x) = 1/(1 + e⁻ˣ): e⁻ˣ = ∞ at x = −800 gives 1/∞ = 0, never NaN.
[<Struct>] type SigmoidOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = 'T.One / ('T.One + 'T.Exp(-x))
                static member Run(x, y) = TensorPrimitives.Sigmoid(x, y)
/// relu x = max(x, 0).
[<Struct>] type ReluOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = 'T.Max(x, 'T.Zero)
                static member Run(x: ReadOnlySpan<'T>, y) = TensorPrimitives.Max(x, 'T.Zero, y)
/// x².
[<Struct>] type SquareOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = x * x
                static member Run(x, y) = TensorPrimitives.Multiply(x, x, y)
/// 1/x.
[<Struct>] type ReciprocalOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = 'T.One / x
                static member Run(x, y) = TensorPrimitives.Reciprocal(x, y)
/// ln(1 + x), accurate for tiny x (Real.log1p).
[<Struct>] type Log1pOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = Real.via Real.log1p x
                static member Run(x, y) = Loops.mapSpan<_, Log1pOp> x y
/// ln(1 + eˣ) = max(x, 0) + log1p(e^−|x|).
[<Struct>] type SoftplusOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = Real.via Real.softplus x
                static member Run(x, y) = Loops.mapSpan<_, SoftplusOp> x y
/// sign x ∈ {−1, 0, 1}.
[<Struct>] type SignOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = Real.via Real.sign x
                static member Run(x, y) = Loops.mapSpan<_, SignOp> x y
/// [x > 0] (relu′ with relu′(0) = 0).
[<Struct>] type StepOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = Real.via Real.step x
                static member Run(x, y) = Loops.mapSpan<_, StepOp> x y

/// a + b.
[<Struct>] type AddOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = a + b
                static member Run(a, b, z) = TensorPrimitives.Add(a, b, z)
                static member RunScalarRight(a, b, z) = TensorPrimitives.Add(a, b, z)
                static member RunScalarLeft(a, b, z) = TensorPrimitives.Add(b, a, z)
/// a − b.
[<Struct>] type SubOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = a - b
                static member Run(a, b, z) = TensorPrimitives.Subtract(a, b, z)
                static member RunScalarRight(a, b, z) = TensorPrimitives.Subtract(a, b, z)
                static member RunScalarLeft(a, b, z) = TensorPrimitives.Subtract(a, b, z)
/// a·b.
[<Struct>] type MulOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = a * b
                static member Run(a, b, z) = TensorPrimitives.Multiply(a, b, z)
                static member RunScalarRight(a, b, z) = TensorPrimitives.Multiply(a, b, z)
                static member RunScalarLeft(a, b, z) = TensorPrimitives.Multiply(b, a, z)
/// a/b.
[<Struct>] type DivOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = a / b
                static member Run(a, b, z) = TensorPrimitives.Divide(a, b, z)
                static member RunScalarRight(a, b, z) = TensorPrimitives.Divide(a, b, z)
                static member RunScalarLeft(a, b, z) = TensorPrimitives.Divide(a, b, z)
/// aᵇ.
[<Struct>] type PowOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = 'T.Pow(a, b)
                static member Run(a, b, z) = TensorPrimitives.Pow(a, b, z)
                static member RunScalarRight(a, b, z) = TensorPrimitives.Pow(a, b, z)
                static member RunScalarLeft(a, b, z) = TensorPrimitives.Pow(a, b, z)
/// max(a, b), NaN if either is NaN (IEEE 754-2019 maximum, as torch.maximum).
[<Struct>] type MaximumOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = 'T.Max(a, b)
                static member Run(a, b, z) = TensorPrimitives.Max(a, b, z)
                static member RunScalarRight(a, b, z) = TensorPrimitives.Max(a, b, z)
                static member RunScalarLeft(a, b, z) = TensorPrimitives.Max(b, a, z)
/// min(a, b), NaN if either is NaN.
[<Struct>] type MinimumOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = 'T.Min(a, b)
                static member Run(a, b, z) = TensorPrimitives.Min(a, b, z)
                static member RunScalarRight(a, b, z) = TensorPrimitives.Min(a, b, z)
                static member RunScalarLeft(a, b, z) = TensorPrimitives.Min(b, a, z)

/// Comparisons give 1 or 0 in the operands' dtype (scalar loops: TensorPrimitives has no such op).
module Compare =
    let inline indicator<'T when 'T :> IFloatingPointIeee754<'T>> (c: bool) : 'T =
        if c then 'T.One else 'T.Zero

/// [a > b] as 1/0.
[<Struct>] type GtOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = Compare.indicator ('T.op_GreaterThan(a, b))
                static member Run(a, b, z) = Loops.zipSpan<_, GtOp> a b z
                static member RunScalarRight(a, b, z) = Loops.zipRight<_, GtOp> a b z
                static member RunScalarLeft(a, b, z) = Loops.zipLeft<_, GtOp> a b z
/// [a ≥ b] as 1/0.
[<Struct>] type GeOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = Compare.indicator ('T.op_GreaterThanOrEqual(a, b))
                static member Run(a, b, z) = Loops.zipSpan<_, GeOp> a b z
                static member RunScalarRight(a, b, z) = Loops.zipRight<_, GeOp> a b z
                static member RunScalarLeft(a, b, z) = Loops.zipLeft<_, GeOp> a b z
/// [a < b] as 1/0.
[<Struct>] type LtOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = Compare.indicator ('T.op_LessThan(a, b))
                static member Run(a, b, z) = Loops.zipSpan<_, LtOp> a b z
                static member RunScalarRight(a, b, z) = Loops.zipRight<_, LtOp> a b z
                static member RunScalarLeft(a, b, z) = Loops.zipLeft<_, LtOp> a b z
/// [a ≤ b] as 1/0.
[<Struct>] type LeOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = Compare.indicator ('T.op_LessThanOrEqual(a, b))
                static member Run(a, b, z) = Loops.zipSpan<_, LeOp> a b z
                static member RunScalarRight(a, b, z) = Loops.zipRight<_, LeOp> a b z
                static member RunScalarLeft(a, b, z) = Loops.zipLeft<_, LeOp> a b z
/// [a = b] as 1/0.
[<Struct>] type EqOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = Compare.indicator ('T.op_Equality(a, b))
                static member Run(a, b, z) = Loops.zipSpan<_, EqOp> a b z
                static member RunScalarRight(a, b, z) = Loops.zipRight<_, EqOp> a b z
                static member RunScalarLeft(a, b, z) = Loops.zipLeft<_, EqOp> a b z

/// The tensor-level entry points: dispatch once on the dtype, then run the typed kernel.
module Elementwise =
    /// y = f(x) elementwise for the op type 'Op, any layout in, row-major out.
    let unary<'Op when 'Op :> IUnaryOp> (x: Tensor) =
        let shape = Array.copy x.Shape
        match x.Storage with
        | Storage.F32 a -> Create.ofF32 shape (Loops.unary<float32, 'Op> a shape x.Strides x.Offset)
        | Storage.F64 a -> Create.ofF64 shape (Loops.unary<float, 'Op> a shape x.Strides x.Offset)

    /// z = f(a, b) elementwise after NumPy broadcasting; the dtypes must match.
    let binary<'Op when 'Op :> IBinaryOp> (name: string) (a: Tensor) (b: Tensor) =
        Create.sameDType name a b
        let shape = Shape.broadcast name a.Shape b.Shape
        let a, b = Layout.broadcastTo shape a, Layout.broadcastTo shape b
        match a.Storage, b.Storage with
        | Storage.F32 x, Storage.F32 y ->
            Create.ofF32 shape (Loops.binary<_, 'Op> shape x a.Strides a.Offset y b.Strides b.Offset)
        | Storage.F64 x, Storage.F64 y ->
            Create.ofF64 shape (Loops.binary<_, 'Op> shape x a.Strides a.Offset y b.Strides b.Offset)
        | _ -> failwith "unreachable: dtypes checked above"

    /// where cond a b = cond ≠ 0 ? a : b, all three broadcast together (cond is cast to a's dtype).
    let where (cond: Tensor) (a: Tensor) (b: Tensor) =
        Create.sameDType "where" a b
        let shape = Shape.broadcast "where" (Shape.broadcast "where" cond.Shape a.Shape) b.Shape
        let c = Layout.broadcastTo shape (Create.astype a.DType cond)
        let a, b = Layout.broadcastTo shape a, Layout.broadcastTo shape b
        match c.Storage, a.Storage, b.Storage with
        | Storage.F32 c', Storage.F32 x, Storage.F32 y ->
            Create.ofStorage shape (Storage.F32(
                Loops.select shape c' c.Strides c.Offset x a.Strides a.Offset y b.Strides b.Offset))
        | Storage.F64 c', Storage.F64 x, Storage.F64 y ->
            Create.ofStorage shape (Storage.F64(
                Loops.select shape c' c.Strides c.Offset x a.Strides a.Offset y b.Strides b.Offset))
        | _ -> failwith "unreachable: dtypes checked above"

    /// map f x: f on every element through float64 (the slow generic path, any layout).
    let map (f: float -> float) (x: Tensor) =
        Create.ofFloats x.DType (Array.copy x.Shape) (Array.map f (Create.toArray x))

    /// map2 f a b: f on broadcast pairs through float64 (slow generic path); dtypes must match.
    let map2 (f: float -> float -> float) (a: Tensor) (b: Tensor) =
        Create.sameDType "map2" a b
        let shape = Shape.broadcast "map2" a.Shape b.Shape
        let values t = Create.toArray (Layout.broadcastTo shape t)
        let x, y = values a, values b
        Create.ofFloats a.DType shape (Array.map2 f x y)
