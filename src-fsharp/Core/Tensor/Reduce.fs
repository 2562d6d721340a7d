/// Reductions over one or more axes (sum, mean, max, min, argmax), the stable log-sum-exp family
/// (softmax, logSoftmax) and sumTo, which undoes broadcasting (a gradient's way home).
/// Layer: Tensor (uses Kernels, Layout, Elementwise). Read next: Index.fs.
namespace ScratchML.TensorOps

open System
open System.Numerics.Tensors
open ScratchML

[<Struct>] type SumOp =
            interface IReduceOp with
                static member Reduce(x) = TensorPrimitives.Sum(x)
/// Largest element; NaN if any element is NaN.
[<Struct>] type MaxOp =
            interface IReduceOp with
                static member Reduce(x) = TensorPrimitives.Max(x)
[<Struct>] type MinOp =
            interface IReduceOp with
                static member Reduce(x) = TensorPrimitives.Min(x)

/// How a reduction runs: permute the reduced axes to the end (a view), make that row-major (a copy
/// unless it already is), then reduce each contiguous row of r = ∏ reduced sizes with one span call.
module Reduce =
    /// The reduced axes (normalised), the kept-then-reduced row-major view, and its row count/length.
    let private rows op (axes: int list) (x: Tensor) =
        let ax = Shape.axes op x.Rank axes
        let kept = [ 0 .. x.Rank - 1 ] |> List.filter (fun d -> not (List.contains d ax))
        let v = Create.contiguous (Layout.permute (Array.ofList (kept @ ax)) x)
        let r = ax |> List.fold (fun p d -> p * x.Shape[d]) 1
        ax, v, (if r = 0 then Shape.numel (Shape.reduced x.Shape ax false) else v.Numel / r), r

    /// Reduce with the op type 'Op over `axes` ([] = all), keeping size-1 axes when keepdim.
    let reduce<'Op when 'Op :> IReduceOp> (op: string) (axes: int list) (keepdim: bool) (x: Tensor) =
        let ax, v, outer, r = rows op axes x
        let shape = Shape.reduced x.Shape ax keepdim
        match v.Storage with
        | Storage.F32 a -> Create.ofStorage shape (Storage.F32(Loops.reduceRows<float32, 'Op> a outer r))
        | Storage.F64 a -> Create.ofStorage shape (Storage.F64(Loops.reduceRows<float, 'Op> a outer r))

    /// sum axes keepdim x = Σ over the axes (an empty axis sums to 0).
    let sum axes keepdim x = reduce<SumOp> "sum" axes keepdim x

    /// mean axes keepdim x = (Σ over the axes) / (number of elements summed).
    let mean axes keepdim (x: Tensor) =
        let ax = Shape.axes "mean" x.Rank axes
        let count = ax |> List.fold (fun p d -> p * x.Shape[d]) 1
        Elementwise.binary<MulOp> "mean" (sum axes keepdim x) (Create.scalar x.DType (1.0 / float count))

    /// Fail on an empty reduction, which has no max or min.
    let private nonEmpty op axes (x: Tensor) =
        let ax = Shape.axes op x.Rank axes
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
        reduce<MaxOp> op axes true x |> Elementwise.map (fun m -> if Double.IsInfinity m then 0.0 else m)

    /// logSumExp axes keepdim x = m + log Σ exp(x − m), m the max over the axes (no overflow at 1000).
    let logSumExp (axes: int list) (keepdim: bool) (x: Tensor) =
        let m = shift "logSumExp" axes x
        let s = sum axes true (Elementwise.unary<ExpOp> (Elementwise.binary<SubOp> "logSumExp" x m))
        let out = Elementwise.binary<AddOp> "logSumExp" (Elementwise.unary<LogOp> s) m
        if keepdim then out else Layout.reshape (Shape.reduced x.Shape (Shape.axes "logSumExp" x.Rank axes) false) out

    /// softmax axis x = exp(x − m) / Σ exp(x − m) along `axis` (m the max: no overflow).
    let softmax (axis: int) (x: Tensor) =
        let e = Elementwise.unary<ExpOp> (Elementwise.binary<SubOp> "softmax" x (shift "softmax" [ axis ] x))
        Elementwise.binary<DivOp> "softmax" e (sum [ axis ] true e)

    /// logSoftmax axis x = (x − m) − log Σ exp(x − m) along `axis`.
    let logSoftmax (axis: int) (x: Tensor) =
        let z = Elementwise.binary<SubOp> "logSoftmax" x (shift "logSoftmax" [ axis ] x)
        let lse = Elementwise.unary<LogOp> (sum [ axis ] true (Elementwise.unary<ExpOp> z))
        Elementwise.binary<SubOp> "logSoftmax" z lse

    /// sumTo shape x: the adjoint of broadcastTo — sum x over its extra leading axes and over every
    /// axis where `shape` has size 1 but x does not, then give it exactly `shape`.
    let sumTo (shape: int[]) (x: Tensor) =
        let lead = x.Rank - shape.Length
        let fits =
            lead >= 0
            && Array.forall (fun i -> shape[i] = x.Shape[lead + i] || shape[i] = 1) [| 0 .. shape.Length - 1 |]
        if not fits then Shape.fail "sumTo" $"shape {Shape.show x.Shape} is not a broadcast of {Shape.show shape}"
        let stretched =
            [ for d in 0 .. x.Rank - 1 do
                if d < lead || (shape[d - lead] = 1 && x.Shape[d] <> 1) then d ]
        if stretched.IsEmpty then Layout.reshape shape x
        else Layout.reshape shape (sum stretched true x)
