/// 2-d max and average pooling over NCHW tensors, as PyTorch computes them, and their adjoints.
/// Layer: Tensor. Read next: Ops.fs (the Tensor module lists them).
///
/// Window (i, j) of a plane covers rows i·sH − pH … i·sH − pH + kH − 1 (columns alike), clipped
/// to the image: max pooling treats padding as −∞ (never the max), average pooling as zeros.
/// Pooling is one pass over the input, so the loops are direct; the common 2×2, stride-2 max
/// pooling (every CNN here) has its own branch-free SIMD pass, which gives values and indices.
namespace ScratchML

/// Hyper-parameters of a 2-d pooling, per axis (H, W), as F.max_pool2d / F.avg_pool2d take them.
type Pool2dSpec =
    { Kernel: int * int
      Stride: int * int
      Padding: int * int
      /// Round the output size up (a last partial window) instead of down.
      CeilMode: bool }
    /// A k×k window moved by k, no padding, floor mode: F.max_pool2d(x, k)'s defaults.
    static member Square(k: int) = { Kernel = (k, k); Stride = (k, k); Padding = (0, 0); CeilMode = false }

namespace ScratchML.TensorOps

open System
open System.Numerics
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86
open ScratchML

module Pool =
    /// PyTorch's pooled size along one axis: ⌊(n + 2p − k)/s⌋ + 1 (floor mode); ceil mode rounds
    /// up but drops a last window that would start inside the right padding.
    let outSize (n: int) (k: int) (s: int) (p: int) (ceil: bool) =
        let span = n + 2 * p - k
        let o = (if ceil then (span + s - 1) / s else span / s) + 1
        if ceil && (o - 1) * s >= n + p then o - 1 else o

    /// The pooled shape [N; C; Ho; Wo] of an input shape, every mismatch named.
    let outputShape (op: string) (spec: Pool2dSpec) (x: int[]) =
        let fail (why: string) = Shape.fail op $"input {Shape.show x}, kernel {spec.Kernel}, stride \
                                                 {spec.Stride}, padding {spec.Padding}: {why}"
        if x.Length <> 4 then fail "the input must be [N; C; H; W]"
        let (kH, kW), (sH, sW), (pH, pW) = spec.Kernel, spec.Stride, spec.Padding
        if kH < 1 || kW < 1 || sH < 1 || sW < 1 then fail "kernel and stride must be ≥ 1"
        if pH < 0 || pW < 0 || 2 * pH > kH || 2 * pW > kW then
            fail "padding must be between 0 and half the kernel"
        let ho, wo = outSize x[2] kH sH pH spec.CeilMode, outSize x[3] kW sW pW spec.CeilMode
        if ho < 1 || wo < 1 then fail $"the window does not fit (output {ho}×{wo})"
        [| x[0]; x[1]; ho; wo |]

    /// Run `body p0 p1` over the planes (n, c) in [p0, p1): two halves on two threads when there
    /// are enough cells (a window reads and writes only its own plane).
    let private byPlanes (x: int[]) (body: int -> int -> unit) =
        let planes = x[0] * x[1]
        if Gemm.defaultThreads > 1 && planes > 1 && planes * x[2] * x[3] >= 65536 then
            let half part = body (planes * part / 2) (planes * (part + 1) / 2)
            Threading.Tasks.Parallel.For(0, 2, half) |> ignore
        else body 0 planes

    /// Visit every window of planes [p0, p1): plane index, output index, the clipped window
    /// [h0, h1) × [w0, w1) and PyTorch's divisor with padding counted ((hend − hstart)·(wend −
    /// wstart) before clipping). Inline with the visitor inlined: typed loops, no call per window.
    let inline private windows (spec: Pool2dSpec) (x: int[]) (y: int[]) p0 p1
                               ([<InlineIfLambda>] visit: int -> int -> int -> int -> int -> int -> int -> unit) =
        let (kH, kW), (sH, sW), (pH, pW) = spec.Kernel, spec.Stride, spec.Padding
        let h, w, ho, wo = x[2], x[3], y[2], y[3]
        for plane in p0 .. p1 - 1 do
            for i in 0 .. ho - 1 do
                let hs = i * sH - pH
                let he = min (hs + kH) (h + pH)
                for j in 0 .. wo - 1 do
                    let ws = j * sW - pW
                    let we = min (ws + kW) (w + pW)
                    let padded = (he - hs) * (we - ws)
                    visit plane ((plane * ho + i) * wo + j) (max hs 0) (min he h) (max ws 0) (min we w) padded

    /// Each window's maximum and the flat index h·W + w (within its plane) of the first one in
    /// the window's row-major scan, padding never (PyTorch's rule, NaN counting as the largest).
    /// Inline, so `>` is the machine comparison of float32 or float64 at each call below.
    let inline private maxima (spec: Pool2dSpec) (shape: int[]) (y: int[]) (x: ^T[]) =
        let hw, w = shape[2] * shape[3], shape[3]
        let values, index = Array.zeroCreate< ^T> (Shape.numel y), Array.zeroCreate<int> (Shape.numel y)
        byPlanes shape (fun p0 p1 ->
            windows spec shape y p0 p1 (fun plane o h0 h1 w0 w1 _ ->
                let mutable at = h0 * w + w0
                let mutable best = x[plane * hw + at]
                for r in h0 .. h1 - 1 do
                    let row = plane * hw + r * w
                    for c in w0 .. w1 - 1 do
                        let v = x[row + c]
                        if v > best || v <> v then   // v ≠ v only for NaN
                            best <- v
                            at <- r * w + c
                values[o] <- best
                index[o] <- at))
        values, index

    // ---- 2×2 windows moved by 2: four cells a b / c d, in SIMD lanes ----

    /// Whether every window is a whole 2×2 block at (2i, 2j): kernel 2, stride 2, no padding
    /// (in ceil mode an odd H or W would add a partial window).
    let private isPairs (spec: Pool2dSpec) (x: int[]) (y: int[]) =
        spec.Kernel = (2, 2) && spec.Stride = (2, 2) && spec.Padding = (0, 0)
        && 2 * y[2] <= x[2] && 2 * y[3] <= x[3]

    /// One step of the row-major scan: the later candidate wins when larger, or when NaN.
    /// The scan of a b c d is later(later(a, b), later(c, d)): both pick the first maximum,
    /// or the last NaN, so each row pair can be decided on its own, lane by lane.
    let inline private laterWins (left: Vector128<'T>) (right: Vector128<'T>) : Vector128<'T> =
        Vector128.GreaterThan(right, left) ||| Vector128.OnesComplement(Vector128.Equals(right, right))

    /// The vector of cells x[k], x[k + 1], … (one vector's worth).
    let inline private load (x: 'T[]) (k: int) =
        Vector128.Create<'T>(ReadOnlySpan(x, k, Vector128<'T>.Count))

    /// Split 2·lanes consecutive cells of a row into the window's left (even) and right (odd)
    /// columns: float32 by shufps, float64 by unpcklpd/unpckhpd.
    let inline private split32 (v0: Vector128<float32>) (v1: Vector128<float32>) =
        struct (Sse.Shuffle(v0, v1, 0x88uy), Sse.Shuffle(v0, v1, 0xDDuy))
    let inline private split64 (v0: Vector128<float>) (v1: Vector128<float>) =
        struct (Sse2.UnpackLow(v0, v1), Sse2.UnpackHigh(v0, v1))

    /// Values and flat indices h·W + w of the maxima of 2×2 windows at (2i, 2j) in planes
    /// [p0, p1), as the scan in `maxima` picks them. Per output row, `lanes` windows at a time:
    /// deinterleave the two input rows into a b (top) and c d (bottom), then three
    /// compare-and-selects; no branch, so random data costs no mispredictions. Windows past the
    /// last whole vector run scalar. Inline with `split` inlined: `pairs32` and `pairs64` below
    /// are its typed copies (a generic method with a function argument ran ~4× slower).
    let inline private pairPlanes<'T when 'T :> IFloatingPointIeee754<'T> and 'T: struct
                                      and 'T: (new: unit -> 'T) and 'T :> ValueType>
            ([<InlineIfLambda>] split: Vector128<'T> -> Vector128<'T>
                                       -> struct (Vector128<'T> * Vector128<'T>))
            (shape: int[]) (y: int[]) (x: 'T[]) (values: 'T[]) (index: 'T[]) (p0: int) (p1: int) =
        let h, w, ho, wo = shape[2], shape[3], y[2], y[3]
        let lanes = if Sse2.IsSupported then Vector128<'T>.Count else wo + 1
        let splat (k: int) = Vector128.Create<'T>('T.CreateTruncating k)   // hoisted: not per vector
        let offsets =
            Vector128.Create<'T>(Array.init Vector128<'T>.Count (fun l -> 'T.CreateTruncating(2 * l)))
        let one, across, below, next = splat 1, splat w, splat (w + 1), splat (2 * lanes)
        for plane in p0 .. p1 - 1 do
            for i in 0 .. ho - 1 do
                let top, o = plane * h * w + 2 * i * w, (plane * ho + i) * wo
                let bottom = top + w
                let mutable j = 0
                // the indices of the lanes' top-left cells, 2i·W + 2j + 2·lane (exact in float32)
                let mutable at = splat (2 * i * w) + offsets
                while j + lanes <= wo do
                    let struct (a, b) = split (load x (top + 2 * j)) (load x (top + 2 * j + lanes))
                    let struct (c, d) = split (load x (bottom + 2 * j)) (load x (bottom + 2 * j + lanes))
                    let upper, lower = laterWins a b, laterWins c d
                    let t = Vector128.ConditionalSelect(upper, b, a)
                    let ti = Vector128.ConditionalSelect(upper, at + one, at)
                    let u = Vector128.ConditionalSelect(lower, d, c)
                    let ui = Vector128.ConditionalSelect(lower, at + below, at + across)
                    let last = laterWins t u
                    Vector128.ConditionalSelect(last, u, t).CopyTo(values, o + j)
                    Vector128.ConditionalSelect(last, ui, ti).CopyTo(index, o + j)
                    j <- j + lanes
                    at <- at + next
                for j in j .. wo - 1 do
                    let mutable best, at = x[top + 2 * j], 2 * i * w + 2 * j
                    for cell in 1 .. 3 do   // b, c, d at offsets 1, W, W + 1
                        let k = cell / 2 * w + cell % 2
                        let v = x[top + 2 * j + k]
                        if 'T.op_GreaterThan(v, best) || 'T.IsNaN v then
                            best <- v
                            at <- 2 * i * w + 2 * j + k
                    values[o + j] <- best
                    index[o + j] <- 'T.CreateTruncating at

    let private pairs32 shape y (x: float32[]) values index p0 p1 =
        pairPlanes split32 shape y x values index p0 p1
    let private pairs64 shape y (x: float[]) values index p0 p1 =
        pairPlanes split64 shape y x values index p0 p1

    /// Apply `f32`/`f64` to x's row-major array, giving an array of `shape` in x's dtype.
    let private typed (x: Tensor) (shape: int[]) (f32: float32[] -> float32[]) (f64: float[] -> float[]) =
        match (Create.contiguous x).Storage with
        | Storage.F32 a -> Create.ofStorage shape (Storage.F32 (f32 a))
        | Storage.F64 a -> Create.ofStorage shape (Storage.F64 (f64 a))

    /// Values and indices (in x's dtype) of every window's maximum: the SIMD pass for 2×2
    /// windows moved by 2 when `fast`, else the general scan.
    let private maxPool (op: string) (fast: bool) (spec: Pool2dSpec) (x: Tensor) =
        let y = outputShape op spec x.Shape
        let pair (values, index) = Create.ofStorage y values, Create.ofStorage y index
        let n = Shape.numel y
        match (Create.contiguous x).Storage with
        | Storage.F32 a when fast && isPairs spec x.Shape y ->
            let v, i = Array.zeroCreate n, Array.zeroCreate n
            byPlanes x.Shape (pairs32 x.Shape y a v i)
            pair (Storage.F32 v, Storage.F32 i)
        | Storage.F64 a when fast && isPairs spec x.Shape y ->
            let v, i = Array.zeroCreate n, Array.zeroCreate n
            byPlanes x.Shape (pairs64 x.Shape y a v i)
            pair (Storage.F64 v, Storage.F64 i)
        | Storage.F32 a ->
            let v, i = maxima spec x.Shape y a in pair (Storage.F32 v, Storage.F32 (Array.map float32 i))
        | Storage.F64 a ->
            let v, i = maxima spec x.Shape y a in pair (Storage.F64 v, Storage.F64 (Array.map float i))

    /// maxPool2d spec x: out[n,c,i,j] = max of x over window (i, j), padding as −∞.
    let maxPool2d (spec: Pool2dSpec) (x: Tensor) = fst (maxPool "max_pool2d" true spec x)

    /// maxPool2dIndices spec x: the flat index h·W + w of each window's first maximum, as numbers
    /// in x's dtype (PyTorch's return_indices): the gradient is a scatter-add at these indices.
    let maxPool2dIndices (spec: Pool2dSpec) (x: Tensor) = snd (maxPool "max_pool2d_indices" true spec x)

    /// maxPool2dWithIndices spec x = (maxPool2d spec x, maxPool2dIndices spec x) from one pass:
    /// what a compiled training step calls when it needs both (the forward and its backward).
    let maxPool2dWithIndices (spec: Pool2dSpec) (x: Tensor) = maxPool "max_pool2d" true spec x

    /// maxPool2dScan spec x: (values, indices) by the general window scan whatever the spec —
    /// the readable reference the tests hold the 2×2 SIMD pass to.
    let maxPool2dScan (spec: Pool2dSpec) (x: Tensor) = maxPool "max_pool2d" false spec x

    /// The divisor of a window: kH·kW with padding counted (clipped at the padded edge, as
    /// PyTorch in ceil mode), else the number of real cells.
    let private divisor includePad padded h0 h1 w0 w1 = if includePad then padded else (h1 - h0) * (w1 - w0)

    let private average<'T when 'T :> IFloatingPointIeee754<'T>> spec includePad (shape: int[]) y (x: 'T[]) =
        let hw, w = shape[2] * shape[3], shape[3]
        let out = Array.zeroCreate<'T> (Shape.numel y)
        byPlanes shape (fun p0 p1 ->
          windows spec shape y p0 p1 (fun plane o h0 h1 w0 w1 padded ->
            let mutable sum = 'T.Zero
            for r in h0 .. h1 - 1 do
                for c in w0 .. w1 - 1 do sum <- sum + x[plane * hw + r * w + c]
            out[o] <- sum / 'T.CreateTruncating(divisor includePad padded h0 h1 w0 w1)))
        out

    let private spread<'T when 'T :> IFloatingPointIeee754<'T>> spec includePad (shape: int[]) y (g: 'T[]) =
        let hw, w = shape[2] * shape[3], shape[3]
        let dx = Array.zeroCreate<'T> (Shape.numel shape)
        byPlanes shape (fun p0 p1 ->
          windows spec shape y p0 p1 (fun plane o h0 h1 w0 w1 padded ->
            let share = g[o] / 'T.CreateTruncating(divisor includePad padded h0 h1 w0 w1)
            for r in h0 .. h1 - 1 do
                for c in w0 .. w1 - 1 do
                    let k = plane * hw + r * w + c
                    dx[k] <- dx[k] + share))
        dx

    /// avgPool2d spec includePad x: out[n,c,i,j] = Σ window / divisor, padding as zeros; the
    /// divisor is kH·kW (count_include_pad) or the number of real cells.
    let avgPool2d (spec: Pool2dSpec) (includePad: bool) (x: Tensor) =
        let y = outputShape "avg_pool2d" spec x.Shape
        typed x y (average spec includePad x.Shape y) (average spec includePad x.Shape y)

    /// avgPool2dBackward spec includePad xShape g: each g[n,c,i,j]/divisor added to every real
    /// cell of window (i, j) — the adjoint (transpose) of avgPool2d.
    let avgPool2dBackward (spec: Pool2dSpec) (includePad: bool) (xShape: int[]) (g: Tensor) =
        let y = outputShape "avg_pool2d_backward" spec xShape
        if g.Shape <> y then
            Shape.fail "avg_pool2d_backward" $"gradient of shape {Shape.show g.Shape}, the pooled \
                                               output of {Shape.show xShape} is {Shape.show y}"
        typed g xShape (spread spec includePad xShape y) (spread spec includePad xShape y)
