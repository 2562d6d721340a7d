/// Kernels: the strided loop nest every op runs on, and the typed loops written once for float32
/// and float64 (generic math over 'T, specialised by the JIT, dispatched once per call).
/// Layer: Tensor. Read next: Create.fs (making tensors), then Elementwise.fs.
namespace ScratchML.TensorOps

#nowarn "3535" // declaring interfaces with static abstract members: that is the point here

open System
open System.Numerics
open System.Numerics.Tensors
open ScratchML

/// An elementwise y = f(x), written once for every float type. `Run` is the contiguous fast path
/// (usually one TensorPrimitives call over a span); `Apply` handles one element of a strided run.
type IUnaryOp =
    static abstract Apply<'T when 'T :> IFloatingPointIeee754<'T>> : 'T -> 'T
    static abstract Run<'T when 'T :> IFloatingPointIeee754<'T>> :
        ReadOnlySpan<'T> * Span<'T> -> unit

/// An elementwise z = f(x, y). Fast paths: vector∘vector, vector∘scalar, scalar∘vector
/// (a broadcast operand has stride 0 along the run, so it is one scalar).
type IBinaryOp =
    static abstract Apply<'T when 'T :> IFloatingPointIeee754<'T>> : 'T * 'T -> 'T
    static abstract Run<'T when 'T :> IFloatingPointIeee754<'T>> :
        ReadOnlySpan<'T> * ReadOnlySpan<'T> * Span<'T> -> unit
    static abstract RunScalarRight<'T when 'T :> IFloatingPointIeee754<'T>> :
        ReadOnlySpan<'T> * 'T * Span<'T> -> unit
    static abstract RunScalarLeft<'T when 'T :> IFloatingPointIeee754<'T>> :
        'T * ReadOnlySpan<'T> * Span<'T> -> unit

/// A reduction of a contiguous span to one value (Σ, max, min), and the same reduction applied
/// pairwise to two spans (acc ⊕ row), used when the reduced axes lead.
type IReduceOp =
    static abstract Reduce<'T when 'T :> IFloatingPointIeee754<'T>> : ReadOnlySpan<'T> -> 'T
    static abstract Combine<'T when 'T :> IFloatingPointIeee754<'T>> :
        ReadOnlySpan<'T> * ReadOnlySpan<'T> * Span<'T> -> unit

/// A loop nest over `shape` for several operands (each with its strides and offset), flattened:
/// axes of size 1 are dropped and neighbouring axes that are contiguous in *every* operand are
/// merged, so the innermost loop (a "run") is as long as possible. A kernel then handles one
/// run at a time, with a span fast path when its inner strides are 1 (or 0 for a broadcast).
type Plan(shape: int[], strides: int[][], offsets: int[]) =
    let operands = strides.Length
    // Coalesce: walk axes outermost first, merging axis j into the previous kept axis when
    // stride[prev] = stride[j]·size[j] for every operand.
    let sizes, merged =
        let sizes = ResizeArray<int>()
        let str = Array.init operands (fun _ -> ResizeArray<int>())
        for j in 0 .. shape.Length - 1 do
            if shape[j] <> 1 then
                let last = sizes.Count - 1
                let mergeable =
                    let contiguous k = str[k][last] = strides[k][j] * shape[j]
                    last >= 0 && Array.forall contiguous [| 0 .. operands - 1 |]
                if mergeable then
                    sizes[last] <- sizes[last] * shape[j]
                    for k in 0 .. operands - 1 do str[k][last] <- strides[k][j]
                else
                    sizes.Add(shape[j])
                    for k in 0 .. operands - 1 do str[k].Add(strides[k][j])
        sizes.ToArray(), str |> Array.map (fun s -> s.ToArray())
    let empty = Array.contains 0 shape
    let rank = sizes.Length

    /// Length of each run (1 for a scalar loop nest, 0 when there are no elements).
    member _.Length = if empty then 0 elif rank = 0 then 1 else sizes[rank - 1]
    /// Stride of each operand along the run.
    member _.Inner = Array.init operands (fun k -> if rank = 0 then 0 else merged[k][rank - 1])

    /// Call `body offsets` at the start of every run, in row-major order (the array is reused:
    /// read it, do not keep it).
    member _.Iter(body: int[] -> unit) =
        if not empty then
            let outer = max 0 (rank - 1)
            let idx = Array.zeroCreate outer
            let offs = Array.copy offsets
            let mutable runs = 1
            for d in 0 .. outer - 1 do runs <- runs * sizes[d]
            for r in 0 .. runs - 1 do
                body offs
                if r < runs - 1 then
                    // odometer: bump the innermost outer axis, carry into the ones before it
                    let mutable d = outer - 1
                    while d >= 0 do
                        idx[d] <- idx[d] + 1
                        for k in 0 .. operands - 1 do offs[k] <- offs[k] + merged[k][d]
                        if idx[d] < sizes[d] then d <- -1
                        else
                            for k in 0 .. operands - 1 do
                                offs[k] <- offs[k] - merged[k][d] * sizes[d]
                            idx[d] <- 0
                            d <- d - 1

/// The typed loops. Each is generic over the element type and (where it applies) the op type;
/// the JIT compiles one specialised copy per (float type, op), so the op inlines into the loop.
module Loops =
    /// A run of n elements of x from `offset` with `stride`, as a span: x itself when the stride
    /// is 1, else gathered into `buffer` first (so the SIMD span kernels serve every layout).
    let private run<'T> (x: 'T[]) (offset: int) (stride: int) (n: int) (buffer: 'T[]) =
        if stride = 1 then ReadOnlySpan(x, offset, n)
        else
            for i in 0 .. n - 1 do buffer[i] <- x[offset + i * stride]
            ReadOnlySpan<'T>(buffer, 0, n)

    /// A scratch buffer for runs of a strided operand (none needed for strides 0 and 1).
    let private scratch<'T> (stride: int) (n: int) : 'T[] =
        if stride = 0 || stride = 1 then Array.Empty<'T>() else Array.zeroCreate n

    // The output of every kernel below is a fresh row-major array, so its runs have stride 1.

    /// y = f(x): x read through its strides, y a fresh row-major array.
    let unary<'T, 'Op when 'T :> IFloatingPointIeee754<'T> and 'Op :> IUnaryOp>
            (x: 'T[]) (shape: int[]) (strides: int[]) (offset: int) : 'T[] =
        let y = Array.zeroCreate<'T> (Shape.numel shape)
        let plan = Plan(shape, [| Shape.rowMajorStrides shape; strides |], [| 0; offset |])
        let n, sx = plan.Length, plan.Inner[1]
        plan.Iter(fun o ->
            if sx = 1 then 'Op.Run<'T>(ReadOnlySpan(x, o[1], n), Span(y, o[0], n))
            else
                // gather the strided run into y, then transform it in place
                for i in 0 .. n - 1 do y[o[0] + i] <- x[o[1] + i * sx]
                'Op.Run<'T>(ReadOnlySpan(y, o[0], n), Span(y, o[0], n)))
        y

    /// z = f(a, b) over `shape`; a and b are views already broadcast to it (stride 0 = stretched,
    /// so that operand is one scalar along the run).
    let binary<'T, 'Op when 'T :> IFloatingPointIeee754<'T> and 'Op :> IBinaryOp>
            (shape: int[]) (a: 'T[]) (aStrides: int[]) (aOffset: int)
            (b: 'T[]) (bStrides: int[]) (bOffset: int) : 'T[] =
        let z = Array.zeroCreate<'T> (Shape.numel shape)
        let strides = [| Shape.rowMajorStrides shape; aStrides; bStrides |]
        let plan = Plan(shape, strides, [| 0; aOffset; bOffset |])
        let n, sa, sb = plan.Length, plan.Inner[1], plan.Inner[2]
        let bufferA, bufferB = scratch<'T> sa n, scratch<'T> sb n
        plan.Iter(fun o ->
            let zo, ao, bo = o[0], o[1], o[2]
            if sa = 0 && sb = 0 then Span(z, zo, n).Fill('Op.Apply<'T>(a[ao], b[bo]))
            elif sb = 0 then 'Op.RunScalarRight<'T>(run a ao sa n bufferA, b[bo], Span(z, zo, n))
            elif sa = 0 then 'Op.RunScalarLeft<'T>(a[ao], run b bo sb n bufferB, Span(z, zo, n))
            else 'Op.Run<'T>(run a ao sa n bufferA, run b bo sb n bufferB, Span(z, zo, n)))
        z

    /// z[i] = f(a[i], b[i]) by a scalar loop over Apply: span members for the ops TensorPrimitives
    /// lacks (comparisons).
    let zipSpan<'T, 'Op when 'T :> IFloatingPointIeee754<'T> and 'Op :> IBinaryOp>
            (a: ReadOnlySpan<'T>) (b: ReadOnlySpan<'T>) (z: Span<'T>) =
        for i in 0 .. z.Length - 1 do z[i] <- 'Op.Apply<'T>(a[i], b[i])
    /// z[i] = f(a[i], b) for a scalar b.
    let zipRight<'T, 'Op when 'T :> IFloatingPointIeee754<'T> and 'Op :> IBinaryOp>
            (a: ReadOnlySpan<'T>) (b: 'T) (z: Span<'T>) =
        for i in 0 .. z.Length - 1 do z[i] <- 'Op.Apply<'T>(a[i], b)
    /// z[i] = f(a, b[i]) for a scalar a.
    let zipLeft<'T, 'Op when 'T :> IFloatingPointIeee754<'T> and 'Op :> IBinaryOp>
            (a: 'T) (b: ReadOnlySpan<'T>) (z: Span<'T>) =
        for i in 0 .. z.Length - 1 do z[i] <- 'Op.Apply<'T>(a, b[i])
    /// y[i] = f(x[i]) by a scalar loop over Apply (log1p, softplus, sign, step).
    let mapSpan<'T, 'Op when 'T :> IFloatingPointIeee754<'T> and 'Op :> IUnaryOp>
            (x: ReadOnlySpan<'T>) (y: Span<'T>) =
        for i in 0 .. y.Length - 1 do y[i] <- 'Op.Apply<'T>(x[i])

    /// out = cond ≠ 0 ? a : b over `shape`, all three views broadcast to it.
    let select<'T when 'T :> IFloatingPointIeee754<'T>> (shape: int[])
            (c: 'T[]) (cs: int[]) (co: int)
            (a: 'T[]) (aS: int[]) (ao: int)
            (b: 'T[]) (bS: int[]) (bo: int) =
        let z = Array.zeroCreate<'T> (Shape.numel shape)
        let plan = Plan(shape, [| Shape.rowMajorStrides shape; cs; aS; bS |], [| 0; co; ao; bo |])
        let n = plan.Length
        let inner = plan.Inner
        plan.Iter(fun o ->
            for i in 0 .. n - 1 do
                let pick = not ('T.IsZero(c[o[1] + i * inner[1]]))
                z[o[0] + i * inner[0]] <-
                    if pick then a[o[2] + i * inner[2]] else b[o[3] + i * inner[3]])
        z

    /// dst view ← src view, element by element over `shape` (dst: a fresh array the caller owns).
    let copyInto<'T> (shape: int[]) (src: 'T[]) (ss: int[]) (so: int)
                     (dst: 'T[]) (ds: int[]) (dOff: int) =
        let plan = Plan(shape, [| ds; ss |], [| dOff; so |])
        let n = plan.Length
        let sd, sx = plan.Inner[0], plan.Inner[1]
        plan.Iter(fun o ->
            if sd = 1 && sx = 1 then Array.Copy(src, o[1], dst, o[0], n)
            else
                for i in 0 .. n - 1 do dst[o[0] + i * sd] <- src[o[1] + i * sx])

    /// out[j] = reduce(x[j·r .. j·r + r − 1]) for a contiguous x of `outer`·r elements.
    let reduceRows<'T, 'Op when 'T :> IFloatingPointIeee754<'T> and 'Op :> IReduceOp>
            (x: 'T[]) (outer: int) (r: int) : 'T[] =
        Array.init outer (fun j -> 'Op.Reduce<'T>(ReadOnlySpan(x, j * r, r)))

    /// out[i] = row₀[i] ⊕ row₁[i] ⊕ … over `rows` consecutive rows of length `inner` from `offset`
    /// (reducing leading axes of a row-major tensor without transposing it first).
    let reduceLeading<'T, 'Op when 'T :> IFloatingPointIeee754<'T> and 'Op :> IReduceOp>
            (x: 'T[]) (offset: int) (rows: int) (inner: int) : 'T[] =
        let out = Array.zeroCreate<'T> inner
        if rows > 0 then
            Array.Copy(x, offset, out, 0, inner)
            for r in 1 .. rows - 1 do
                let row = ReadOnlySpan(x, offset + r * inner, inner)
                'Op.Combine<'T>(ReadOnlySpan(out), row, Span(out))
        out

    /// out[j] = the first i with x[j·r + i] maximal (NaN counts as the maximum, as in PyTorch).
    let argmaxRows<'T when 'T :> IFloatingPointIeee754<'T>> (x: 'T[]) (outer: int) (r: int) =
        Array.init outer (fun j ->
            let mutable best = 0
            for i in 1 .. r - 1 do
                let v, b = x[j * r + i], x[j * r + best]
                if not ('T.IsNaN b) && ('T.IsNaN v || 'T.op_GreaterThan(v, b)) then best <- i
            float best)

    /// dst[d + i] += src[s + i] for i < n (TensorPrimitives.Add in place).
    let addInto<'T when 'T :> IFloatingPointIeee754<'T>>
            (src: 'T[]) (s: int) (dst: 'T[]) (d: int) (n: int) =
        TensorPrimitives.Add<'T>(ReadOnlySpan(dst, d, n), ReadOnlySpan(src, s, n), Span(dst, d, n))

    /// out[targets[i]] += src[i] (a scatter-add; targets may repeat).
    let scatterAdd<'T when 'T :> IFloatingPointIeee754<'T>>
            (src: 'T[]) (targets: int[]) (out: 'T[]) =
        for i in 0 .. targets.Length - 1 do
            out[targets[i]] <- 'T.op_Addition(out[targets[i]], src[i])
