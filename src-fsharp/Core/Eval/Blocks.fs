/// Block kernels of the compiler's fused passes: an elementwise op over a block of up to 1024
/// float64 elements, loading an input's block (widened, broadcast, strided) and storing a result
/// (narrowed), plus the compiler's fast bias-gradient sums. Layer: Eval. Read next: Compile.fs.
namespace ScratchML

open System
open System.Numerics
open System.Runtime.InteropServices

/// One step of a fused elementwise pass: Dest = op(Args), over one block. An argument code
/// k ≥ 0 is register k, a code −(k+1) is the block of input k.
type Micro = { Op: Op; Args: int[]; Dest: int }

/// Block kernels of the fused passes: one op over `n` elements of a block.
module internal Blocks =
    type private Primitives = System.Numerics.Tensors.TensorPrimitives
    let size = 1024

    // inline with the lambda inlined: a closure call per element costs ~20 ns here
    let inline private unary ([<InlineIfLambda>] f: float -> float) (x: ReadOnlySpan<float>)
                             (d: Span<float>) =
        for i in 0 .. d.Length - 1 do d[i] <- f x[i]
    let inline private binary ([<InlineIfLambda>] f: float -> float -> float)
                              (a: ReadOnlySpan<float>) (b: ReadOnlySpan<float>) (d: Span<float>) =
        for i in 0 .. d.Length - 1 do d[i] <- f a[i] b[i]

    /// log(1 + x) accurate for tiny x (Goldberg: log u · x / (u − 1) with u = 1 ⊕ x).
    let private log1p (x: float) =
        let u = 1.0 + x
        if u = 1.0 then x elif Double.IsInfinity u then u else Math.Log u * x / (u - 1.0)
    /// softplus x = max(x, 0) + log1p(e^−|x|): no overflow at |x| ~ 1000.
    let private softplus (x: float) = Math.Max(x, 0.0) + log1p (Math.Exp(-(abs x)))

    /// d = step x = (x > 0 ? 1 : 0) by vector compare-and-select: relu's derivative, whose
    /// branch a scalar loop mispredicts half the time on activations.
    let private step (x: ReadOnlySpan<float>) (d: Span<float>) =
        let width = Vector<float>.Count
        let one, zero = Vector<float>.One, Vector<float>.Zero
        let mutable i = 0
        while i + width <= d.Length do
            let v = Vector<float>(x.Slice i)
            let positive = Vector.GreaterThan(v, zero)
            Vector.ConditionalSelect(positive, one, zero).CopyTo(d.Slice i)
            i <- i + width
        for j in i .. d.Length - 1 do d[j] <- if x[j] > 0.0 then 1.0 else 0.0

    /// d = op(x, y, z) over d's elements (the same formulas as the tensor kernels); operands
    /// past the op's arity are empty. Spans, so a pass reads a dense input where it lies and writes
    /// its last step into the output: every op's bits are a function of its operands' values
    /// (exact, correctly rounded, VecMath's lanes or the C library's scalar functions).
    let apply (op: Op) (x: ReadOnlySpan<float>) (y: ReadOnlySpan<float>) (z: ReadOnlySpan<float>)
              (d: Span<float>) =
        match op with
        | Op.Neg -> Primitives.Negate(x, d)
        | Op.Exp -> VecMath.map VecMath.exp x d
        | Op.Log -> VecMath.map VecMath.log x d
        | Op.Sqrt -> Primitives.Sqrt(x, d)
        | Op.Abs -> Primitives.Abs(x, d)
        | Op.Sin -> unary Math.Sin x d
        | Op.Cos -> unary Math.Cos x d
        | Op.Tan -> unary Math.Tan x d
        | Op.Tanh -> VecMath.map VecMath.tanh x d
        | Op.Sigmoid -> VecMath.map VecMath.sigmoid x d
        | Op.Softplus -> unary softplus x d
        | Op.Relu -> Primitives.Max(x, 0.0, d)
        | Op.LeakyRelu slope -> unary (fun v -> if v > 0.0 then v else slope * v) x d
        | Op.Step -> step x d
        | Op.Sign -> unary (fun v -> if v > 0.0 then 1.0 elif v < 0.0 then -1.0 else v) x d
        | Op.Add -> Primitives.Add(x, y, d)
        | Op.Sub -> Primitives.Subtract(x, y, d)
        | Op.Mul -> Primitives.Multiply(x, y, d)
        | Op.Div -> Primitives.Divide(x, y, d)
        | Op.Pow -> binary (fun a b -> Math.Pow(a, b)) x y d
        | Op.Maximum -> Primitives.Max(x, y, d)
        | Op.Minimum -> Primitives.Min(x, y, d)
        | Op.Gt -> binary (fun a b -> if a > b then 1.0 else 0.0) x y d
        | Op.Ge -> binary (fun a b -> if a >= b then 1.0 else 0.0) x y d
        | Op.Lt -> binary (fun a b -> if a < b then 1.0 else 0.0) x y d
        | Op.Le -> binary (fun a b -> if a <= b then 1.0 else 0.0) x y d
        | Op.Eq -> binary (fun a b -> if a = b then 1.0 else 0.0) x y d
        | Op.Where -> for i in 0 .. d.Length - 1 do d[i] <- if x[i] <> 0.0 then y[i] else z[i]
        | _ -> invalidOp $"Compile: %A{op} is not elementwise"

    /// d[0, n) ← a[start, start + n) widened to float64 (exact), whole SIMD vectors at a time.
    let widen (a: float32[]) (start: int) (d: float[]) (dStart: int) (n: int) =
        let width = Vector<float32>.Count
        let vectors = if Vector.IsHardwareAccelerated then n / width else 0
        if vectors > 0 then
            let count = vectors * width
            let source = MemoryMarshal.Cast<float32, Vector<float32>>(ReadOnlySpan(a, start, count))
            let target = MemoryMarshal.Cast<float, Vector<float>>(Span(d, dStart, count))
            for k in 0 .. vectors - 1 do
                let mutable low = Vector<float>.Zero
                let mutable high = Vector<float>.Zero
                Vector.Widen(source[k], &low, &high)
                target[2 * k] <- low
                target[2 * k + 1] <- high
        for i in vectors * width .. n - 1 do d[dStart + i] <- float a[start + i]

    /// a[start, start + n) ← s[0, n) rounded to float32 (to nearest, as a scalar cast), whole SIMD
    /// vectors at a time.
    let narrow (s: float[]) (a: float32[]) (start: int) (n: int) =
        let width = Vector<float32>.Count
        let vectors = if Vector.IsHardwareAccelerated then n / width else 0
        if vectors > 0 then
            let count = vectors * width
            let source = MemoryMarshal.Cast<float, Vector<float>>(ReadOnlySpan(s, 0, count))
            let target = MemoryMarshal.Cast<float32, Vector<float32>>(Span(a, start, count))
            for k in 0 .. vectors - 1 do
                target[k] <- Vector.Narrow(source[2 * k], source[2 * k + 1])
        for i in vectors * width .. n - 1 do a[start + i] <- float32 s[i]

    /// Are t's strides row-major for its shape (a dense block of its storage from t.Offset on,
    /// e.g. a run of rows of a larger tensor)? Checked without allocating: loads ask every block.
    let isDense (t: Tensor) =
        let mutable expected, dense = 1, true
        for axis in t.Rank - 1 .. -1 .. 0 do
            if t.Shape[axis] <> 1 && t.Strides[axis] <> expected then dense <- false
            expected <- expected * t.Shape[axis]
        dense

    /// Visit elements [start, start + n) of t broadcast to `shape` (row-major) as runs along the
    /// last axis: `run pos i len step` for len elements at t's storage positions pos + j·step,
    /// block positions i + j (step 0 on a stretched axis). Inline with the visitor inlined.
    let inline runs (t: Tensor) (shape: int[]) (start: int) (n: int)
                    ([<InlineIfLambda>] run: int -> int -> int -> int -> unit) =
        // strides of t seen as `shape`: 0 on stretched or missing axes
        let seen = Array.init shape.Length (fun i ->
            let j = i - (shape.Length - t.Rank)
            if j < 0 || t.Shape[j] = 1 then 0 else t.Strides[j])
        // merge neighbouring axes one stride walks (stride[d] = stride[d+1]·size[d+1], e.g. two
        // stretched axes) and drop axes of size 1: longer runs, fewer odometer steps (a
        // [1; C; 1; 1] bias on [N; C; H; W] gives runs of H·W cells, not of W)
        let mutable merged = [ shape[shape.Length - 1], seen[shape.Length - 1] ] // outermost first
        for d in shape.Length - 2 .. -1 .. 0 do
            match merged with
            | _ when shape[d] = 1 -> ()
            | (size, stride) :: rest when seen[d] = stride * size ->
                merged <- (shape[d] * size, stride) :: rest
            | _ -> merged <- (shape[d], seen[d]) :: merged
        let shape = merged |> List.map fst |> Array.ofList
        let strides = merged |> List.map snd |> Array.ofList
        let rank = shape.Length
        let index = Array.zeroCreate rank
        let mutable rest = start
        let mutable pos = t.Offset
        for axis in rank - 1 .. -1 .. 0 do
            index[axis] <- rest % shape[axis]
            rest <- rest / shape[axis]
            pos <- pos + index[axis] * strides[axis]
        let last = rank - 1
        let inner, step = shape[last], strides[last]
        let mutable i = 0
        while i < n do
            let len = min (inner - index[last]) (n - i)
            run pos i len step
            i <- i + len
            index[last] <- index[last] + len
            pos <- pos + len * step
            // end of a row: carry into the outer axes (odometer)
            let mutable axis = last
            while axis >= 0 && index[axis] = shape[axis] do
                pos <- pos - index[axis] * strides[axis]
                index[axis] <- 0
                if axis > 0 then
                    index[axis - 1] <- index[axis - 1] + 1
                    pos <- pos + strides[axis - 1]
                axis <- axis - 1

    /// Elements [start, start+n) of t broadcast to `shape` (row-major), as float64, into d.
    let load (t: Tensor) (shape: int[]) (start: int) (n: int) (d: float[]) =
        if t.Numel = 1 then
            let value =
                match t.Storage with
                | Storage.F64 a -> a[t.Offset]
                | Storage.F32 a -> float a[t.Offset]
            Array.Fill(d, value, 0, n)
        elif t.Shape = shape && isDense t then
            match t.Storage with
            | Storage.F64 a -> Array.Copy(a, t.Offset + start, d, 0, n)
            | Storage.F32 a -> widen a (t.Offset + start) d 0 n
        else
            match t.Storage with
            | Storage.F64 a ->
                runs t shape start n (fun pos i len step ->
                    if step = 0 then Array.Fill(d, a[pos], i, len)
                    elif step = 1 then Array.Copy(a, pos, d, i, len)
                    else for j in 0 .. len - 1 do d[i + j] <- a[pos + j * step])
            | Storage.F32 a ->
                runs t shape start n (fun pos i len step ->
                    if step = 0 then Array.Fill(d, float a[pos], i, len)
                    elif step = 1 then widen a pos d i len
                    else for j in 0 .. len - 1 do d[i + j] <- float a[pos + j * step])

    /// Σ over the leading axes of a contiguous t, leaving its trailing `cols` elements: the
    /// un-broadcast of a bias gradient, as row additions (the general reduction walks strides).
    let sumRows (t: Tensor) (target: int[]) =
        let cols = Shape.numel target
        let rows = if cols = 0 then 0 else t.Numel / cols
        let storage =
            match t.Storage with
            | Storage.F64 a ->
                let acc = Array.zeroCreate<float> cols
                for r in 0 .. rows - 1 do
                    Primitives.Add(ReadOnlySpan(acc), ReadOnlySpan(a, r * cols, cols), Span(acc))
                Storage.F64 acc
            | Storage.F32 a ->
                let acc = Array.zeroCreate<float32> cols
                for r in 0 .. rows - 1 do
                    Primitives.Add(ReadOnlySpan(acc), ReadOnlySpan(a, r * cols, cols), Span(acc))
                Storage.F32 acc
        Tensor(storage, Array.copy target, Shape.rowMajorStrides target, 0)

    /// Is sumTo target ← t a sum over whole leading axes of a contiguous tensor?
    let isRowSum (t: Tensor) (target: int[]) =
        t.IsContiguous && target.Length <= t.Rank && target = t.Shape[t.Rank - target.Length ..]

    /// Is sumTo target ← t a sum over the leading and trailing axes of a contiguous tensor, keeping
    /// a run of middle axes (a convolution's bias gradient: [N; C; H; W] → [1; C; 1; 1])?
    let isMiddleSum (t: Tensor) (target: int[]) =
        let kept = [ for d in 0 .. target.Length - 1 do if target[d] <> 1 then d ]
        t.IsContiguous && target.Length = t.Rank && not kept.IsEmpty
        && kept |> List.forall (fun d -> target[d] = t.Shape[d])
        && List.last kept - List.head kept = kept.Length - 1

    /// out[m] = Σ_{o,i} t[o, m, i] with t seen as [outer; middle; inner]: one vector sum per run of
    /// `inner` elements, added up in float64.
    let sumMiddle (t: Tensor) (target: int[]) =
        let kept = [ for d in 0 .. target.Length - 1 do if target[d] <> 1 then d ]
        let lo, hi = List.head kept, List.last kept
        let outer, middle = Shape.numel t.Shape[.. lo - 1], Shape.numel t.Shape[lo .. hi]
        let inner = Shape.numel t.Shape[hi + 1 ..]
        let acc = Array.zeroCreate<float> middle
        let run (sum: int -> float) =
            for o in 0 .. outer - 1 do
                for m in 0 .. middle - 1 do acc[m] <- acc[m] + sum ((o * middle + m) * inner)
        let storage =
            match t.Storage with
            | Storage.F64 a ->
                run (fun at -> VecMath.sum (ReadOnlySpan(a, t.Offset + at, inner)))
                Storage.F64 acc
            | Storage.F32 a ->
                run (fun at -> float (VecMath.sum (ReadOnlySpan(a, t.Offset + at, inner))))
                Storage.F32 (Array.map float32 acc)
        Tensor(storage, Array.copy target, Shape.rowMajorStrides target, 0)

    /// Zero the first n elements of a storage.
    let clear (storage: Storage) (n: int) =
        match storage with
        | Storage.F64 a -> Array.Clear(a, 0, n)
        | Storage.F32 a -> Array.Clear(a, 0, n)

    /// Write n values of block s to storage at start.
    let store (s: float[]) (storage: Storage) (start: int) (n: int) =
        match storage with
        | Storage.F64 a -> Array.Copy(s, 0, a, start, n)
        | Storage.F32 a -> narrow s a start n
