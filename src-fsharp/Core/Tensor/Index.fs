/// Gather and scatter: indexSelect (embedding lookup) with its adjoint indexAdd, and torch.gather
/// (picking class scores) with its adjoint scatterAdd. Index arithmetic is untyped (int offsets);
/// only the final move of values is typed. Layer: Tensor. Read next: LinAlg.fs.
namespace ScratchML.TensorOps

open System
open ScratchML

/// Index ops. Indices come as a tensor of integral values (any dtype), checked against their axis.
module Index =
    /// The indices as ints, each checked to be integral and in [0, size).
    let indices op (size: int) (idx: Tensor) =
        Create.toArray idx |> Array.map (fun v ->
            if v <> Math.Floor v || v < 0.0 || v >= float size then
                Shape.fail op $"index {v} is not an integer in [0, {size})"
            int v)

    /// The untyped backing array (Array.Copy needs no element type).
    let private raw (x: Tensor) : Array =
        match x.Storage with
        | Storage.F32 a -> a
        | Storage.F64 a -> a

    /// indexSelect axis idx x: x with `axis` replaced by idx's axes,
    /// out[…, i₁…iₖ, …] = x[…, idx[i₁…iₖ], …] (embedding: indexSelect 0 idx W).
    let indexSelect (axis: int) (idx: Tensor) (x: Tensor) =
        let k = Create.axis "indexSelect" x.Shape x.Rank axis
        let ids = indices "indexSelect" x.Shape[k] idx
        let xc = Create.contiguous x
        let outer = Shape.numel x.Shape[.. k - 1]
        let inner = Shape.numel x.Shape[k + 1 ..]
        let shape = Array.concat [ x.Shape[.. k - 1]; idx.Shape; x.Shape[k + 1 ..] ]
        let out = Create.zeros x.DType shape
        let src, dst = raw xc, raw out
        // copy whole inner blocks: row (o, ids[j]) of x becomes row (o, j) of out
        for o in 0 .. outer - 1 do
            for j in 0 .. ids.Length - 1 do
                let from, into = (o * x.Shape[k] + ids[j]) * inner, (o * ids.Length + j) * inner
                Array.Copy(src, from, dst, into, inner)
        out

    /// indexAdd axis size idx src: zeros with `size` rows along `axis`, and src's row at idx[i]
    /// added into row idx[i] (repeats accumulate) — the adjoint of indexSelect:
    /// ⟨indexSelect a idx x, g⟩ = ⟨x, indexAdd a n idx g⟩.
    let indexAdd (axis: int) (size: int) (idx: Tensor) (src: Tensor) =
        let rank = src.Rank - idx.Rank + 1
        let k = if rank >= 1 then Create.axis "indexAdd" src.Shape rank axis else 0
        let fits = rank >= 1 && src.Shape[k .. k + idx.Rank - 1] = idx.Shape
        if not fits then
            let shapes = $"src shape {Shape.show src.Shape}, indices of shape {Shape.show idx.Shape}"
            Shape.fail "indexAdd" $"{shapes}: the indices' axes are not at axis {axis} of src"
        let ids = indices "indexAdd" size idx
        let pre, post = src.Shape[.. k - 1], src.Shape[k + idx.Rank ..]
        let outer, inner = Shape.numel pre, Shape.numel post
        let out = Create.zeros src.DType (Array.concat [ pre; [| size |]; post ])
        let s = Create.contiguous src
        for o in 0 .. outer - 1 do
            for j in 0 .. ids.Length - 1 do
                let from, into = (o * ids.Length + j) * inner, (o * size + ids[j]) * inner
                match s.Storage, out.Storage with
                | Storage.F32 a, Storage.F32 d -> Loops.addInto a from d into inner
                | Storage.F64 a, Storage.F64 d -> Loops.addInto a from d into inner
                | _ -> ()
        out

    /// For torch.gather/scatter: for every position p of `index` (row-major), the row-major offset
    /// in `shape` of p with p[axis] replaced by index[p].
    let private targets op (axis: int) (shape: int[]) (index: Tensor) =
        if index.Rank <> shape.Length then
            Shape.fail op $"index {Shape.show index.Shape} and {Shape.show shape} differ in rank"
        let k = Create.axis op shape shape.Length axis
        for d in 0 .. shape.Length - 1 do
            if d <> k && index.Shape[d] > shape[d] then
                let shapes = $"index {Shape.show index.Shape} exceeds {Shape.show shape}"
                Shape.fail op $"{shapes} off axis {axis}"
        let ids = indices op shape[k] index
        let strides = Shape.rowMajorStrides shape
        let ix = Shape.rowMajorStrides index.Shape
        let last = shape.Length - 1
        if k = last && index.Shape[.. last - 1] = shape[.. last - 1] then
            // the last axis of an index spanning the other axes (picking class scores): row r of
            // the index picks within row r of `shape`, no division per axis
            let width = index.Shape[last]
            ids |> Array.mapi (fun i id -> (i / width) * shape[last] + id)
        else
            ids |> Array.mapi (fun i id ->
                let mutable o = 0
                for d in 0 .. shape.Length - 1 do
                    let p = if d = k then id else (i / ix[d]) % index.Shape[d]
                    o <- o + p * strides[d]
                o)

    /// gather axis index x (torch.gather): out has index's shape and
    /// out[p] = x[p with p[axis] = index[p]].
    let gather (axis: int) (index: Tensor) (x: Tensor) =
        let from = targets "gather" axis x.Shape index
        let shape = Array.copy index.Shape
        match (Create.contiguous x).Storage with
        | Storage.F32 a -> Create.ofStorage shape (Storage.F32(Array.map (fun o -> a[o]) from))
        | Storage.F64 a -> Create.ofStorage shape (Storage.F64(Array.map (fun o -> a[o]) from))

    /// Does the index pick along the last axis of `shape` and span all the others (same sizes)?
    /// Then row r of the index picks within row r of `shape`: max pooling's backward.
    let private picksInRows (axis: int) (shape: int[]) (index: Tensor) =
        let last = shape.Length - 1
        index.Rank = shape.Length && last >= 0 && (axis = last || axis = -1)
        && index.Shape[.. last - 1] = shape[.. last - 1]

    /// out[r·size + index[r·width + i]] += src[r·width + i] over rows r and i < width: the
    /// scatter-add of `picksInRows` in one pass, each index checked where it is read (no int or
    /// offset arrays). Inline: typed loops for each (index, value) dtype pair.
    let inline private scatterRows (size: int) (width: int) (index: ^I[]) (src: ^T[]) (out: ^T[]) =
        let rows = if width = 0 then 0 else index.Length / width
        for r in 0 .. rows - 1 do
            let into = r * size
            for p in r * width .. r * width + width - 1 do
                let v = float index[p]
                let id = int v
                if float id <> v || uint id >= uint size then   // NaN and ±∞ fail too
                    Shape.fail "scatterAdd" $"index {v} is not an integer in [0, {size})"
                out[into + id] <- out[into + id] + src[p]

    /// scatterAdd shape axis index src: zeros of `shape`, then out[p with p[axis] = index[p]] += src[p]
    /// — the adjoint of gather: ⟨gather a i x, g⟩ = ⟨x, scatterAdd (shape x) a i g⟩. Additions run
    /// in index order (repeats accumulate in that order) whichever path runs.
    let scatterAdd (shape: int[]) (axis: int) (index: Tensor) (src: Tensor) =
        if src.Shape <> index.Shape then
            let shapes = $"src {Shape.show src.Shape} and index {Shape.show index.Shape}"
            Shape.fail "scatterAdd" $"shapes of {shapes} differ"
        let out = Create.zeros src.DType shape
        if picksInRows axis shape index then
            let size, width = shape[shape.Length - 1], index.Shape[shape.Length - 1]
            let ids, values = (Create.contiguous index).Storage, (Create.contiguous src).Storage
            match ids, values, out.Storage with
            | Storage.F32 i, Storage.F32 a, Storage.F32 d -> scatterRows size width i a d
            | Storage.F64 i, Storage.F32 a, Storage.F32 d -> scatterRows size width i a d
            | Storage.F32 i, Storage.F64 a, Storage.F64 d -> scatterRows size width i a d
            | Storage.F64 i, Storage.F64 a, Storage.F64 d -> scatterRows size width i a d
            | _ -> ()
        else
            let into = targets "scatterAdd" axis shape index
            match (Create.contiguous src).Storage, out.Storage with
            | Storage.F32 a, Storage.F32 d -> Loops.scatterAdd a into d
            | Storage.F64 a, Storage.F64 d -> Loops.scatterAdd a into d
            | _ -> ()
        out
