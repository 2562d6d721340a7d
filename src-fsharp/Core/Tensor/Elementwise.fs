/// Elementwise entry points: unary, broadcasting binary, where, and the slow float map/map2.
/// Each dispatches once on the dtype, then runs an op struct of ElementOps.fs through Kernels.fs.
/// Layer: Tensor (uses Kernels, Create, Layout, ElementOps). Read next: Reduce.fs.
namespace ScratchML.TensorOps

open ScratchML

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
