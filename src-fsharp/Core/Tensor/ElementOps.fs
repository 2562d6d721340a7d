/// Elementwise op structs: one small struct per op says what it does to one element (`Apply`)
/// and to a contiguous span (`Run`: one TensorPrimitives call for the exact and correctly rounded
/// ops, VecMath for exp, log, tanh, σ, the C library element by element for sin, cos, tan, pow —
/// so `Apply` and `Run` give the same bits). Kernels.fs runs them over any layout.
/// Layer: Tensor. Read next: Elementwise.fs (the entry points that dispatch them).
namespace ScratchML.TensorOps

open System
open System.Numerics
open System.Numerics.Tensors
open System.Runtime.Intrinsics
open System.Runtime.InteropServices
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
                static member Apply(x: 'T) = Real.via (VecMath.one VecMath.exp) x
                static member Run(x, y) = VecMath.run VecMath.exp x y
/// ln x.
[<Struct>] type LogOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = Real.via (VecMath.one VecMath.log) x
                static member Run(x, y) = VecMath.run VecMath.log x y
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
                static member Run(x, y) = Loops.mapSpan<_, SinOp> x y
/// cos x.
[<Struct>] type CosOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = 'T.Cos x
                static member Run(x, y) = Loops.mapSpan<_, CosOp> x y
/// tan x.
[<Struct>] type TanOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = 'T.Tan x
                static member Run(x, y) = Loops.mapSpan<_, TanOp> x y
/// tanh x = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ).
[<Struct>] type TanhOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = Real.via (VecMath.one VecMath.tanh) x
                static member Run(x, y) = VecMath.run VecMath.tanh x y
/// σ(x) = 1/(1 + e⁻ˣ): e⁻ˣ = ∞ at x = −800 gives 1/∞ = 0, never NaN.
[<Struct>] type SigmoidOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = Real.via (VecMath.one VecMath.sigmoid) x
                static member Run(x, y) = VecMath.run VecMath.sigmoid x y
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
                static member Run(a, b, z) = Loops.zipSpan<_, PowOp> a b z
                static member RunScalarRight(a: ReadOnlySpan<'T>, b: 'T, z: Span<'T>) =
                    for i in 0 .. z.Length - 1 do z[i] <- 'T.Pow(a[i], b)
                static member RunScalarLeft(a: 'T, b: ReadOnlySpan<'T>, z: Span<'T>) =
                    for i in 0 .. z.Length - 1 do z[i] <- 'T.Pow(a, b[i])
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

/// Comparisons give 1 or 0 in the operands' dtype. TensorPrimitives has none, so they are
/// vectorised here: a Vector256 comparison yields lanes of all-one bits where true, and
/// mask AND 1.0 is then exactly 1.0 or 0.0; the tail past the last full vector uses Apply.
module Compare =
    /// [c] = 1 if c else 0, in the element type.
    let inline indicator<'T when 'T :> IFloatingPointIeee754<'T>> (c: bool) : 'T =
        if c then 'T.One else 'T.Zero

    /// z[i] = [a[i] ⋈ b[i]] for the lane comparison `cmp` (tail: 'Op.Apply).
    let inline vv<'T, 'Op when 'T :> IFloatingPointIeee754<'T> and 'Op :> IBinaryOp>
            ([<InlineIfLambda>] cmp: Vector256<'T> -> Vector256<'T> -> Vector256<'T>)
            (a: ReadOnlySpan<'T>) (b: ReadOnlySpan<'T>) (z: Span<'T>) =
        let w, one = Vector256<'T>.Count, Vector256.Create<'T>('T.One)
        let ra = &MemoryMarshal.GetReference a
        let rb = &MemoryMarshal.GetReference b
        let rz = &MemoryMarshal.GetReference z
        let mutable i = 0
        while i + w <= z.Length do
            let x, y = Vector256.LoadUnsafe(&ra, unativeint i), Vector256.LoadUnsafe(&rb, unativeint i)
            let mask = cmp x y
            Vector256.StoreUnsafe(Vector256.BitwiseAnd(mask, one), &rz, unativeint i)
            i <- i + w
        Loops.zipSpan<'T, 'Op> (a.Slice i) (b.Slice i) (z.Slice i)

    /// z[i] = [a[i] ⋈ b] for a scalar b.
    let inline vs<'T, 'Op when 'T :> IFloatingPointIeee754<'T> and 'Op :> IBinaryOp>
            ([<InlineIfLambda>] cmp: Vector256<'T> -> Vector256<'T> -> Vector256<'T>)
            (a: ReadOnlySpan<'T>) (b: 'T) (z: Span<'T>) =
        let w, one, vb = Vector256<'T>.Count, Vector256.Create<'T>('T.One), Vector256.Create<'T>(b)
        let ra = &MemoryMarshal.GetReference a
        let rz = &MemoryMarshal.GetReference z
        let mutable i = 0
        while i + w <= z.Length do
            let mask = cmp (Vector256.LoadUnsafe(&ra, unativeint i)) vb
            Vector256.StoreUnsafe(Vector256.BitwiseAnd(mask, one), &rz, unativeint i)
            i <- i + w
        Loops.zipRight<'T, 'Op> (a.Slice i) b (z.Slice i)

    /// z[i] = [a ⋈ b[i]] for a scalar a.
    let inline sv<'T, 'Op when 'T :> IFloatingPointIeee754<'T> and 'Op :> IBinaryOp>
            ([<InlineIfLambda>] cmp: Vector256<'T> -> Vector256<'T> -> Vector256<'T>)
            (a: 'T) (b: ReadOnlySpan<'T>) (z: Span<'T>) =
        let w, one, va = Vector256<'T>.Count, Vector256.Create<'T>('T.One), Vector256.Create<'T>(a)
        let rb = &MemoryMarshal.GetReference b
        let rz = &MemoryMarshal.GetReference z
        let mutable i = 0
        while i + w <= z.Length do
            let mask = cmp va (Vector256.LoadUnsafe(&rb, unativeint i))
            Vector256.StoreUnsafe(Vector256.BitwiseAnd(mask, one), &rz, unativeint i)
            i <- i + w
        Loops.zipLeft<'T, 'Op> a (b.Slice i) (z.Slice i)

/// [a > b] as 1/0.
[<Struct>] type GtOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = Compare.indicator ('T.op_GreaterThan(a, b))
                static member Run(a: ReadOnlySpan<'T>, b, z) =
                    Compare.vv<'T, GtOp> (fun x y -> Vector256.GreaterThan(x, y)) a b z
                static member RunScalarRight(a: ReadOnlySpan<'T>, b, z) =
                    Compare.vs<'T, GtOp> (fun x y -> Vector256.GreaterThan(x, y)) a b z
                static member RunScalarLeft(a: 'T, b, z) =
                    Compare.sv<'T, GtOp> (fun x y -> Vector256.GreaterThan(x, y)) a b z
/// [a ≥ b] as 1/0.
[<Struct>] type GeOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = Compare.indicator ('T.op_GreaterThanOrEqual(a, b))
                static member Run(a: ReadOnlySpan<'T>, b, z) =
                    Compare.vv<'T, GeOp> (fun x y -> Vector256.GreaterThanOrEqual(x, y)) a b z
                static member RunScalarRight(a: ReadOnlySpan<'T>, b, z) =
                    Compare.vs<'T, GeOp> (fun x y -> Vector256.GreaterThanOrEqual(x, y)) a b z
                static member RunScalarLeft(a: 'T, b, z) =
                    Compare.sv<'T, GeOp> (fun x y -> Vector256.GreaterThanOrEqual(x, y)) a b z
/// [a < b] as 1/0.
[<Struct>] type LtOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = Compare.indicator ('T.op_LessThan(a, b))
                static member Run(a: ReadOnlySpan<'T>, b, z) =
                    Compare.vv<'T, LtOp> (fun x y -> Vector256.LessThan(x, y)) a b z
                static member RunScalarRight(a: ReadOnlySpan<'T>, b, z) =
                    Compare.vs<'T, LtOp> (fun x y -> Vector256.LessThan(x, y)) a b z
                static member RunScalarLeft(a: 'T, b, z) =
                    Compare.sv<'T, LtOp> (fun x y -> Vector256.LessThan(x, y)) a b z
/// [a ≤ b] as 1/0.
[<Struct>] type LeOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = Compare.indicator ('T.op_LessThanOrEqual(a, b))
                static member Run(a: ReadOnlySpan<'T>, b, z) =
                    Compare.vv<'T, LeOp> (fun x y -> Vector256.LessThanOrEqual(x, y)) a b z
                static member RunScalarRight(a: ReadOnlySpan<'T>, b, z) =
                    Compare.vs<'T, LeOp> (fun x y -> Vector256.LessThanOrEqual(x, y)) a b z
                static member RunScalarLeft(a: 'T, b, z) =
                    Compare.sv<'T, LeOp> (fun x y -> Vector256.LessThanOrEqual(x, y)) a b z
/// [a = b] as 1/0.
[<Struct>] type EqOp =
            interface IBinaryOp with
                static member Apply(a: 'T, b) = Compare.indicator ('T.op_Equality(a, b))
                static member Run(a: ReadOnlySpan<'T>, b, z) =
                    Compare.vv<'T, EqOp> (fun x y -> Vector256.Equals(x, y)) a b z
                static member RunScalarRight(a: ReadOnlySpan<'T>, b, z) =
                    Compare.vs<'T, EqOp> (fun x y -> Vector256.Equals(x, y)) a b z
                static member RunScalarLeft(a: 'T, b, z) =
                    Compare.sv<'T, EqOp> (fun x y -> Vector256.Equals(x, y)) a b z
/// step x = [x > 0] (relu′, with relu′(0) = 0): the vectorised x > 0.
[<Struct>] type StepOp =
            interface IUnaryOp with
                static member Apply(x: 'T) = Real.via Real.step x
                static member Run(x: ReadOnlySpan<'T>, y) =
                    Compare.vs<'T, GtOp> (fun a b -> Vector256.GreaterThan(a, b)) x 'T.Zero y
