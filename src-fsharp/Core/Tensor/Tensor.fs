/// The n-d tensor: a view (shape, strides, offset) over a flat float32 or float64 array.
/// Layer: Tensor. Read next: Kernels.fs (the loops), then Create, Layout, Elementwise, Reduce,
/// Index, LinAlg; Ops.fs is the `Tensor` module the graph calls.
///
/// Why the dtype is carried at run time and not by a type parameter: the expression graph holds
/// constants and is evaluated in float32 (speed) or float64 (checking against PyTorch's fixtures)
/// without changing a single node; a `Tensor<'T>` would ripple a type parameter through every
/// Expr, card, rule and printer. PyTorch makes the same choice. Kernels stay typed and fast: each
/// dispatches once per call on the storage case, never per element.
namespace ScratchML

open System

/// Element type of a tensor.
[<RequireQualifiedAccess>]
type DType =
    | Float32
    | Float64
    override this.ToString() = match this with Float32 -> "float32" | Float64 -> "float64"

/// Flat backing array; a tensor is a strided view over it.
[<RequireQualifiedAccess>]
type Storage =
    | F32 of float32[]
    | F64 of float[]
    member this.Length = match this with F32 a -> a.Length | F64 a -> a.Length
    member this.DType = match this with F32 _ -> DType.Float32 | F64 _ -> DType.Float64

/// An n-d view: element (i₀,…,iₖ) lives at storage[offset + Σ iⱼ·strides[j]].
/// A stride of 0 is a broadcast axis; transposes and permutes only reorder strides.
/// Tensors are treated as immutable values: ops return new tensors (kernels may write into a
/// fresh destination they own).
[<Sealed; AllowNullLiteral>]
type Tensor(storage: Storage, shape: int[], strides: int[], offset: int) =
    member _.Storage = storage
    member _.Shape = shape
    member _.Strides = strides
    member _.Offset = offset
    member _.DType = storage.DType
    member _.Rank = shape.Length
    member _.Numel = Shape.numel shape
    /// True when the view is the whole row-major storage, in order (kernels then use spans).
    member _.IsContiguous =
        offset = 0 && storage.Length = Shape.numel shape && strides = Shape.rowMajorStrides shape
    /// Element k in row-major order of the view, as a double (any strides; slow, for reading
    /// a few values — kernels never call it).
    member this.At(k: int) : float =
        let mutable rest, pos = k, offset
        for axis in shape.Length - 1 .. -1 .. 0 do
            pos <- pos + (rest % shape[axis]) * strides[axis]
            rest <- rest / shape[axis]
        match storage with
        | Storage.F64 a -> a[pos]
        | Storage.F32 a -> float a[pos]
    override this.ToString() = $"Tensor({this.DType}, {Shape.show shape})"

/// One axis of a basic-indexing slice, as in Python/NumPy `x[1:3, ::2, 0]`.
/// Negative positions count from the end; `Index` removes the axis.
[<RequireQualifiedAccess>]
type Slice =
    | All
    | Index of int
    | Range of start: int option * stop: int option * step: int
