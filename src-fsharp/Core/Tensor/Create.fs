/// Making tensors and reading them back: zeros, ofArray, random fills, toArray, contiguous copies.
/// Layer: Tensor (uses Kernels.fs for strided copies). Read next: Layout.fs (views).
namespace ScratchML.TensorOps

open System
open ScratchML

/// Creation and conversion. Every function returns a fresh row-major tensor unless it says "view".
module Create =
    /// Fail unless both tensors have the same dtype: ops never convert silently.
    let sameDType op (a: Tensor) (b: Tensor) =
        if a.DType <> b.DType then
            Shape.fail op $"dtypes {a.DType} and {b.DType} differ (shapes {Shape.show a.Shape} and \
                            {Shape.show b.Shape}); convert one with Tensor.astype"

    /// Shape.axis, with the tensor's shape added to the error message.
    let axis op (shape: int[]) (rank: int) (a: int) =
        try Shape.axis op rank a
        with ShapeError (o, detail) -> Shape.fail o $"{detail} (shape {Shape.show shape})"

    /// Shape.axes, with the tensor's shape added to the error message.
    let axes op (shape: int[]) (xs: int list) =
        try Shape.axes op shape.Length xs
        with ShapeError (o, detail) -> Shape.fail o $"{detail} (shape {Shape.show shape})"

    /// A view over x's storage with another shape, strides and offset (no copy).
    let view (x: Tensor) (shape: int[]) (strides: int[]) (offset: int) =
        Tensor(x.Storage, shape, strides, offset)

    /// A row-major tensor over fresh storage.
    let ofStorage (shape: int[]) (storage: Storage) =
        if Array.exists (fun d -> d < 0) shape then
            Shape.fail "ofStorage" $"negative size in {Shape.show shape}"
        if storage.Length <> Shape.numel shape then
            Shape.fail "ofStorage" $"{storage.Length} elements do not fill shape {Shape.show shape}"
        Tensor(storage, shape, Shape.rowMajorStrides shape, 0)

    /// A row-major float32 tensor over `a` (no copy).
    let ofF32 (shape: int[]) (a: float32[]) = ofStorage shape (Storage.F32 a)
    /// A row-major float64 tensor over `a` (no copy).
    let ofF64 (shape: int[]) (a: float[]) = ofStorage shape (Storage.F64 a)

    /// Row-major float64 values stored in the given dtype (float32 rounds each value once).
    let ofFloats (dtype: DType) (shape: int[]) (data: float[]) =
        match dtype with
        | DType.Float64 -> ofStorage shape (Storage.F64 data)
        | DType.Float32 -> ofStorage shape (Storage.F32(Array.map float32 data))

    /// full dtype shape v: every element = v (Array.Fill is vectorised; Array.create stores one
    /// element at a time).
    let full (dtype: DType) (shape: int[]) (value: float) =
        let filled (v: 'T) = let a = Array.zeroCreate (Shape.numel shape) in Array.Fill(a, v); a
        match dtype with
        | DType.Float64 -> ofStorage shape (Storage.F64(filled value))
        | DType.Float32 -> ofStorage shape (Storage.F32(filled (float32 value)))

    /// zeros dtype shape: every element +0 (a fresh array is zero already: no pass over it).
    let zeros dtype shape =
        match dtype with
        | DType.Float64 -> ofStorage shape (Storage.F64(Array.zeroCreate (Shape.numel shape)))
        | DType.Float32 -> ofStorage shape (Storage.F32(Array.zeroCreate (Shape.numel shape)))
    /// ones dtype shape: every element 1.
    let ones dtype shape = full dtype shape 1.0
    /// A 0-d tensor (shape [||]) holding v.
    let scalar dtype (value: float) = full dtype [||] value

    /// float64 tensor from row-major data (copied).
    let ofArray (shape: int[]) (data: float[]) = ofStorage shape (Storage.F64(Array.copy data))
    /// float32 tensor from row-major data (copied).
    let ofArray32 (shape: int[]) (data: float32[]) = ofStorage shape (Storage.F32(Array.copy data))

    /// A row-major copy of any view: out[i] = x[unravel i] (strided loop; see Loops.copyInto).
    let copy (x: Tensor) =
        let shape = Array.copy x.Shape
        let rm = Shape.rowMajorStrides shape
        match x.Storage with
        | Storage.F32 a ->
            let d = Array.zeroCreate (Shape.numel shape)
            Loops.copyInto shape a x.Strides x.Offset d rm 0
            ofStorage shape (Storage.F32 d)
        | Storage.F64 a ->
            let d = Array.zeroCreate (Shape.numel shape)
            Loops.copyInto shape a x.Strides x.Offset d rm 0
            ofStorage shape (Storage.F64 d)

    /// x itself when it is already row-major over its whole storage, else a row-major copy.
    let contiguous (x: Tensor) = if x.IsContiguous then x else copy x

    /// Row-major float64 copy of the values.
    let toArray (x: Tensor) : float[] =
        let c = contiguous x
        match c.Storage with
        // never hand out x's own array
        | Storage.F64 a -> if obj.ReferenceEquals(c, x) then Array.copy a else a
        | Storage.F32 a -> Array.map float a

    /// Row-major float32 copy of the values (float64 rounds to nearest).
    let toArray32 (x: Tensor) : float32[] =
        let c = contiguous x
        match c.Storage with
        | Storage.F32 a -> if obj.ReferenceEquals(c, x) then Array.copy a else a
        | Storage.F64 a -> Array.map float32 a

    /// The same values in another dtype (x itself when the dtype already matches).
    let astype (dtype: DType) (x: Tensor) =
        if x.DType = dtype then x
        else
            match dtype with
            | DType.Float64 -> ofStorage (Array.copy x.Shape) (Storage.F64(toArray x))
            | DType.Float32 -> ofStorage (Array.copy x.Shape) (Storage.F32(toArray32 x))

    /// Storage offset of element `index` (negative entries count from the end of their axis).
    let offsetOf op (index: int[]) (x: Tensor) =
        if index.Length <> x.Rank then
            Shape.fail op $"index of length {index.Length} for shape {Shape.show x.Shape}"
        let mutable o = x.Offset
        for d in 0 .. x.Rank - 1 do
            let i = if index[d] < 0 then index[d] + x.Shape[d] else index[d]
            if i < 0 || i >= x.Shape[d] then
                Shape.fail op $"index {index[d]} out of range for axis {d} of {Shape.show x.Shape}"
            o <- o + i * x.Strides[d]
        o

    /// get index x: the element at `index` as a float.
    let get (index: int[]) (x: Tensor) =
        let o = offsetOf "get" index x
        match x.Storage with
        | Storage.F32 a -> float a[o]
        | Storage.F64 a -> a[o]

    /// The value of a one-element tensor (any rank).
    let item (x: Tensor) =
        if x.Numel <> 1 then Shape.fail "item" $"needs one element, got shape {Shape.show x.Shape}"
        match x.Storage with
        | Storage.F32 a -> float a[x.Offset]
        | Storage.F64 a -> a[x.Offset]

    /// Standard normal draws, one rng.Normal() per element in row-major order.
    let randn (dtype: DType) (rng: SplitMix64) (shape: int[]) =
        ofFloats dtype shape (Array.init (Shape.numel shape) (fun _ -> rng.Normal()))

    /// U[lo, hi) draws: lo + (hi − lo)·rng.Uniform(), one per element in row-major order.
    let uniform (dtype: DType) (rng: SplitMix64) (lo: float) (hi: float) (shape: int[]) =
        let draw _ = lo + (hi - lo) * rng.Uniform()
        ofFloats dtype shape (Array.init (Shape.numel shape) draw)

    /// [0, 1, …, n − 1] as a 1-d tensor.
    let arange (dtype: DType) (n: int) =
        if n < 0 then Shape.fail "arange" $"negative length {n}"
        ofFloats dtype [| n |] (Array.init n float)

    /// oneHot dtype classes indices: out[i, j] = 1 if indices[i] = j else 0, shape [n; classes].
    let oneHot (dtype: DType) (classes: int) (indices: int[]) =
        let data = Array.zeroCreate (indices.Length * classes)
        indices |> Array.iteri (fun i c ->
            if c < 0 || c >= classes then
                Shape.fail "oneHot" $"index {c} out of range for {classes} classes"
            data[i * classes + c] <- 1.0)
        ofFloats dtype [| indices.Length; classes |] data
