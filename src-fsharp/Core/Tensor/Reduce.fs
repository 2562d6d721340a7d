/// Reductions over one or more axes (sum, mean, max, min, argmax), the stable log-sum-exp family
/// (softmax, logSoftmax) and sumTo, which undoes broadcasting (a gradient's way home).
/// Layer: Tensor (uses Kernels, Layout, Elementwise). Read next: Index.fs.
namespace ScratchML.TensorOps

open System
open System.Numerics.Tensors
open ScratchML

/// Σ xᵢ (0 for an empty span), in VecMath's fixed order.
[<Struct>] type SumOp =
            interface IReduceOp with
                static member Reduce(x) = VecMath.sumOf x
                static member Combine(a, b, z) = TensorPrimitives.Add(a, b, z)
/// Largest element; NaN if any element is NaN.
[<Struct>] type MaxOp =
            interface IReduceOp with
                static member Reduce(x) = TensorPrimitives.Max(x)
                static member Combine(a, b, z) = TensorPrimitives.Max(a, b, z)
/// Smallest element; NaN if any element is NaN.
[<Struct>] type MinOp =
            interface IReduceOp with
                static member Reduce(x) = TensorPrimitives.Min(x)
                static member Combine(a, b, z) = TensorPrimitives.Min(a, b, z)

/// How a reduction runs: permute the reduced axes to the end (a view), make that row-major (a copy
/// unless it already is), then reduce each contiguous row of r = ∏ reduced sizes with one span
/// call.
module Reduce =
    /// The reduced axes (normalised), the kept-then-reduced row-major view, its row count and
    /// row length.
    let private rows op (axes: int list) (x: Tensor) =
        let ax = Create.axes op x.Shape axes
        let kept = [ 0 .. x.Rank - 1 ] |> List.filter (fun d -> not (List.contains d ax))
        let v = Create.contiguous (Layout.permute (Array.ofList (kept @ ax)) x)
        let r = ax |> List.fold (fun p d -> p * x.Shape[d]) 1
        ax, v, (if r = 0 then Shape.numel (Shape.reduced x.Shape ax false) else v.Numel / r), r

    /// Reduce with the op type 'Op over `axes` ([] = all), keeping size-1 axes when keepdim.
    /// Row-major x with leading reduced axes (a batch sum): combine whole rows, no transpose.
    let reduce<'Op when 'Op :> IReduceOp> op (axes: int list) (keepdim: bool) (x: Tensor) =
        let ax = Create.axes op x.Shape axes
        let shape = Shape.reduced x.Shape ax keepdim
        let leading = ax = [ 0 .. ax.Length - 1 ] && ax.Length < x.Rank
        if leading && x.Strides = Shape.rowMajorStrides x.Shape then
            let rows = Shape.numel x.Shape[.. ax.Length - 1]
            let inner = Shape.numel x.Shape[ax.Length ..]
            match x.Storage with
            | Storage.F32 a -> Create.ofF32 shape (Loops.reduceLeading<_, 'Op> a x.Offset rows inner)
            | Storage.F64 a -> Create.ofF64 shape (Loops.reduceLeading<_, 'Op> a x.Offset rows inner)
        else
            let _, v, outer, r = rows op axes x
            match v.Storage with
            | Storage.F32 a -> Create.ofF32 shape (Loops.reduceRows<float32, 'Op> a outer r)
            | Storage.F64 a -> Create.ofF64 shape (Loops.reduceRows<float, 'Op> a outer r)

    /// sum axes keepdim x = Σ over the axes (an empty axis sums to 0).
    let sum axes keepdim x = reduce<SumOp> "sum" axes keepdim x

    /// mean axes keepdim x = (Σ over the axes) / (number of elements summed).
    let mean axes keepdim (x: Tensor) =
        let ax = Create.axes "mean" x.Shape axes
        let count = ax |> List.fold (fun p d -> p * x.Shape[d]) 1
        let scale = Create.scalar x.DType (1.0 / float count)
        Elementwise.binary<MulOp> "mean" (sum axes keepdim x) scale

    /// Fail on an empty reduction, which has no max or min.
    let private nonEmpty op axes (x: Tensor) =
        let ax = Create.axes op x.Shape axes
        if ax |> List.exists (fun d -> x.Shape[d] = 0) then
            Shape.fail op $"cannot reduce an empty axis of shape {Shape.show x.Shape}"

    /// max axes keepdim x = the largest element over the axes (NaN if any is NaN).
    let max axes keepdim x = nonEmpty "max" axes x; reduce<MaxOp> "max" axes keepdim x

    /// min axes keepdim x = the smallest element over the axes (NaN if any is NaN).
    let min axes keepdim x = nonEmpty "min" axes x; reduce<MinOp> "min" axes keepdim x

    /// argmax axis keepdim x = the index of the largest element along `axis`, as a float in x's
    /// dtype; on ties the first index wins (NaN counts as largest, as in PyTorch).
    let argmax (axis: int) (keepdim: bool) (x: Tensor) =
        nonEmpty "argmax" [ axis ] x
        let ax, v, outer, r = rows "argmax" [ axis ] x
        let shape = Shape.reduced x.Shape ax keepdim
        let idx =
            match v.Storage with
            | Storage.F32 a -> Loops.argmaxRows a outer r
            | Storage.F64 a -> Loops.argmaxRows a outer r
        Create.ofFloats x.DType shape idx

    /// The max over the axes, kept as size-1 axes, with ±∞ replaced by 0 so that x − m stays
    /// finite (a row of −∞ then gives log Σ e^−∞ = −∞, as it should).
    let private shift op (axes: int list) (x: Tensor) =
        nonEmpty op axes x
        let finite m = if Double.IsInfinity m then 0.0 else m
        reduce<MaxOp> op axes true x |> Elementwise.map finite

    /// logSumExp axes keepdim x = m + log Σ exp(x − m), m the max over the axes (no overflow at
    /// |x| ~ 1000).
    let logSumExp (axes: int list) (keepdim: bool) (x: Tensor) =
        let m = shift "logSumExp" axes x
        let s = sum axes true (Elementwise.unary<ExpOp> (Elementwise.binary<SubOp> "logSumExp" x m))
        let out = Elementwise.binary<AddOp> "logSumExp" (Elementwise.unary<LogOp> s) m
        if keepdim then out
        else Layout.reshape (Shape.reduced x.Shape (Create.axes "logSumExp" x.Shape axes) false) out

    /// softmax axis x = exp(x − m) / Σ exp(x − m) along `axis` (m the max: no overflow).
    let softmax (axis: int) (x: Tensor) =
        let z = Elementwise.binary<SubOp> "softmax" x (shift "softmax" [ axis ] x)
        let e = Elementwise.unary<ExpOp> z
        Elementwise.binary<DivOp> "softmax" e (sum [ axis ] true e)

    /// One row of log-softmax in float64: d[i] = (x[i] − m) − log Σⱼ exp(x[j] − m), m the row's
    /// max (0 when ±∞, as `shift`). `load j` reads element j, `store i v` writes a result.
    let inline private logSoftmaxRow (r: int) ([<InlineIfLambda>] load: int -> float)
                                     ([<InlineIfLambda>] store: int -> float -> unit) =
        let mutable m = Double.NegativeInfinity
        for j in 0 .. r - 1 do m <- Math.Max(m, load j)   // Math.Max: NaN wins, as MaxOp
        if Double.IsInfinity m then m <- 0.0
        let mutable total = 0.0
        for j in 0 .. r - 1 do total <- total + Math.Exp(load j - m)
        let lse = Math.Log total
        for j in 0 .. r - 1 do store j ((load j - m) - lse)

    /// logSoftmax axis x = (x − m) − log Σ exp(x − m) along `axis`: one pass per row of the
    /// axis-last row-major view (no copy when `axis` is already last), in float64, each result
    /// rounded once to x's dtype; the result is permuted back to x's axes.
    let logSoftmax (axis: int) (x: Tensor) =
        nonEmpty "logSoftmax" [ axis ] x
        let ax, v, outer, r = rows "logSoftmax" [ axis ] x
        let out =
            match v.Storage with
            | Storage.F32 a ->
                let d = Array.zeroCreate<float32> (outer * r)
                for row in 0 .. outer - 1 do
                    let at = row * r
                    logSoftmaxRow r (fun j -> float a[at + j]) (fun i value -> d[at + i] <- float32 value)
                Create.ofF32 v.Shape d
            | Storage.F64 a ->
                let d = Array.zeroCreate<float> (outer * r)
                for row in 0 .. outer - 1 do
                    let at = row * r
                    logSoftmaxRow r (fun j -> a[at + j]) (fun i value -> d[at + i] <- value)
                Create.ofF64 v.Shape d
        // v's axes are x's with `axis` moved last; move it back (a view)
        let a = List.exactlyOne ax
        if a = x.Rank - 1 then out
        else
            let order = Array.init (x.Rank - 1) id |> Array.insertAt a (x.Rank - 1)
            Layout.permute order out

    /// sumTo shape x: the adjoint of broadcastTo — sum x over its extra leading axes and over every
    /// axis where `shape` has size 1 but x does not, then give it exactly `shape`.
    let sumTo (shape: int[]) (x: Tensor) =
        let lead = x.Rank - shape.Length
        let stretched i = shape[i] = x.Shape[lead + i] || shape[i] = 1
        let fits =
            lead >= 0
            && Array.forall stretched [| 0 .. shape.Length - 1 |]
        if not fits then
            Shape.fail "sumTo" $"shape {Shape.show x.Shape} is not a broadcast of {Shape.show shape}"
        let stretched =
            [ for d in 0 .. x.Rank - 1 do
                if d < lead || (shape[d - lead] = 1 && x.Shape[d] <> 1) then d ]
        if stretched.IsEmpty then Layout.reshape shape x
        else Layout.reshape shape (sum stretched true x)
