/// Row-major copies of tensor views, for code that needs flat arrays before Core's tensor ops land.
/// Layer: NN internals, first file. Read next: Init.fs.
namespace ScratchML.NN

open ScratchML

/// The flat row-major storage of any tensor view.
module internal Flat =
    /// The tensor's elements in row-major order: its own storage when contiguous, else a copy
    /// gathering element (i₀,…,iₖ) from storage[offset + Σ iⱼ·strides[j]].
    let storage (t: Tensor) : Storage =
        if t.IsContiguous then t.Storage
        else
            let rowMajor = Shape.rowMajorStrides t.Shape
            let index =
                Array.init t.Numel (fun k ->
                    let mutable rest, at = k, t.Offset
                    for axis in 0 .. t.Rank - 1 do
                        at <- at + (rest / rowMajor[axis]) * t.Strides[axis]
                        rest <- rest % rowMajor[axis]
                    at)
            match t.Storage with
            | Storage.F32 a -> Storage.F32(Array.map (fun j -> a[j]) index)
            | Storage.F64 a -> Storage.F64(Array.map (fun j -> a[j]) index)
