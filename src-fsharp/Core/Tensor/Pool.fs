/// 2-d max and average pooling over NCHW tensors, as PyTorch computes them, and their adjoints.
/// Layer: Tensor. Read next: Ops.fs (the Tensor module lists them).
///
/// Window (i, j) of a plane covers rows i·sH − pH … i·sH − pH + kH − 1 (columns alike), clipped
/// to the image: max pooling treats padding as −∞ (never the max), average pooling as zeros.
/// Pooling is cheap beside convolution (one pass over the input), so the loops are direct.
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

    /// Apply `f32`/`f64` to x's row-major array, giving an array of `shape` in x's dtype.
    let private typed (x: Tensor) (shape: int[]) (f32: float32[] -> float32[]) (f64: float[] -> float[]) =
        match (Create.contiguous x).Storage with
        | Storage.F32 a -> Create.ofStorage shape (Storage.F32 (f32 a))
        | Storage.F64 a -> Create.ofStorage shape (Storage.F64 (f64 a))

    /// maxPool2d spec x: out[n,c,i,j] = max of x over window (i, j), padding as −∞.
    let maxPool2d (spec: Pool2dSpec) (x: Tensor) =
        let y = outputShape "max_pool2d" spec x.Shape
        typed x y (fun (a: float32[]) -> fst (maxima spec x.Shape y a))
                  (fun (a: float[]) -> fst (maxima spec x.Shape y a))

    /// maxPool2dIndices spec x: the flat index h·W + w of each window's first maximum, as numbers
    /// in x's dtype (PyTorch's return_indices): the gradient is a scatter-add at these indices.
    let maxPool2dIndices (spec: Pool2dSpec) (x: Tensor) =
        let y = outputShape "max_pool2d_indices" spec x.Shape
        typed x y (fun (a: float32[]) -> snd (maxima spec x.Shape y a) |> Array.map float32)
                  (fun (a: float[]) -> snd (maxima spec x.Shape y a) |> Array.map float)

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
