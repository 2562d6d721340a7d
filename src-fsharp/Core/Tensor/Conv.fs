/// 2-d convolution (cross-correlation, as PyTorch) and its two gradients through im2col + GEMM,
/// with the direct loops kept as the reference. Layer: Tensor (uses Gemm). Read next: Pool.fs.
///
/// out[n,o,i,j] = Σ_{c,p,q} x_pad[n, g·C/G + c, i·sH + p·dH, j·sW + q·dW] · w[o, c, p, q]
/// (g = o's group, C/G input channels per group, zero padding). im2col writes, per group, the
/// matrix cols[(c,p,q), (n,i,j)] of every input cell a window reads; then one GEMM gives all
/// outputs of the group at once: out_g = W_g · cols, W_g = [C_out/G × C/G·kH·kW]. The two
/// gradients are GEMMs on the same matrices: ∂W_g = G_g · colsᵀ, ∂cols = W_gᵀ · G_g, and col2im
/// (im2col's adjoint) adds ∂cols back into ∂x. The batch is one GEMM: cols spans all N images.
/// Measured on W2's shapes (batch 64; 1→8 5×5 on 28×28, 8→16 5×5 on 12×12) im2col + GEMM is
/// several times faster than the direct scalar loops (numbers in ConvTests / issue 8's report).
/// The plain case — stride 1, no padding or dilation, one group — skips im2col: the SIMD direct
/// kernels (ConvKernels.fs forward, ConvGradKernels.fs both gradients) add the same products in
/// the same order as the GEMM (its FMA chains, its blocks of KC, col2im's order), so results do
/// not change by a bit. (Direct gradients that summed in another order moved W2's float32 loss
/// off PyTorch's 4th digit.) im2col + GEMM stays the general path and the tests' reference.
namespace ScratchML

/// Hyper-parameters of a 2-d convolution, each per axis (H, W) as PyTorch's conv2d takes them.
type Conv2dSpec =
    { Stride: int * int
      Padding: int * int
      Dilation: int * int
      Groups: int }
    /// stride 1, padding 0, dilation 1, one group: F.conv2d's defaults.
    static member Default = { Stride = (1, 1); Padding = (0, 0); Dilation = (1, 1); Groups = 1 }

namespace ScratchML.TensorOps

#nowarn "9" // NativePtr: the direct kernel reads pinned arrays through pointers

open System
open System.Numerics
open System.Numerics.Tensors
open System.Runtime.Intrinsics
open Microsoft.FSharp.NativeInterop
open ScratchML

/// Sizes of one convolution: input [N; C; H; W], weight [O; C/G; kH; kW], output [N; O; Ho; Wo].
type ConvGeometry =
    { N: int; C: int; H: int; W: int; O: int; KH: int; KW: int; Ho: int; Wo: int
      SH: int; SW: int; PH: int; PW: int; DH: int; DW: int; Groups: int }
    /// Input channels per group.
    member g.Cg = g.C / g.Groups
    /// Output channels per group.
    member g.Og = g.O / g.Groups
    /// Rows of a group's cols matrix (and columns of W_g): C/G·kH·kW.
    member g.K = g.Cg * g.KH * g.KW
    /// Output cells per image, Ho·Wo.
    member g.P = g.Ho * g.Wo
    /// Row stride of the cols and gradient matrices: N·P plus 16 elements. N·P is often a
    /// multiple of 1024 (W2: 36864, 4096), and rows 4 KiB apart all map to the same L1 cache set,
    /// so a GEMM walking down a column evicted its own lines (W2's ∂W of conv2 ran 8× slower).
    member g.Ld = g.N * g.P + 16

/// Per-thread scratch arrays of one element type, grown on demand and reused by every call:
/// a W2 training step would otherwise allocate ~10 MB of short-lived im2col matrices, and on
/// the large-object heap each allocation is zeroed and only reclaimed by a full collection.
[<AbstractClass; Sealed>]
type internal Scratch<'T> =
    [<ThreadStatic; DefaultValue>]
    static val mutable private slots: 'T[][]

    /// This thread's array number `slot` (0..3) with at least n elements; contents undefined.
    static member Take(slot: int, n: int) : 'T[] =
        if isNull Scratch<'T>.slots then Scratch<'T>.slots <- Array.zeroCreate 4
        let a = Scratch<'T>.slots[slot]
        if isNull a || a.Length < n then
            let fresh = Array.zeroCreate<'T> n
            Scratch<'T>.slots[slot] <- fresh
            fresh
        else a

module Conv =
    /// PyTorch's output size along one axis: ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1.
    let outSize (n: int) (k: int) (s: int) (p: int) (d: int) = (n + 2 * p - d * (k - 1) - 1) / s + 1

    let private show = Shape.show

    /// The geometry of conv2d(x, w) for input and weight shapes, every mismatch named.
    let geometry (op: string) (spec: Conv2dSpec) (x: int[]) (w: int[]) =
        let fail (why: string) = Shape.fail op $"input {show x}, weight {show w}: {why}"
        if x.Length <> 4 then fail "the input must be [N; C; H; W]"
        if w.Length <> 4 then fail "the weight must be [C_out; C_in/groups; kH; kW]"
        let (sH, sW), (pH, pW), (dH, dW), groups = spec.Stride, spec.Padding, spec.Dilation, spec.Groups
        if sH < 1 || sW < 1 || dH < 1 || dW < 1 || pH < 0 || pW < 0 || groups < 1 then
            fail $"stride {spec.Stride} and dilation {spec.Dilation} must be ≥ 1, padding \
                   {spec.Padding} ≥ 0, groups {groups} ≥ 1"
        if x[1] % groups <> 0 || w[0] % groups <> 0 then
            fail $"channels {x[1]} (input) and {w[0]} (output) must be divisible by groups {groups}"
        if w[1] * groups <> x[1] then
            fail $"the weight expects {w[1] * groups} input channels ({w[1]} per group × {groups} \
                   groups), the input has {x[1]}"
        let ho, wo = outSize x[2] w[2] sH pH dH, outSize x[3] w[3] sW pW dW
        if ho < 1 || wo < 1 then
            fail $"the dilated kernel is larger than the padded input (output {ho}×{wo})"
        { N = x[0]; C = x[1]; H = x[2]; W = x[3]; O = w[0]; KH = w[2]; KW = w[3]; Ho = ho; Wo = wo
          SH = sH; SW = sW; PH = pH; PW = pW; DH = dH; DW = dW; Groups = groups }

    /// The output shape [N; C_out; Ho; Wo].
    let outputShape (g: ConvGeometry) = [| g.N; g.O; g.Ho; g.Wo |]

    // ---- im2col and col2im, per group; cols is [K × N·P] with row stride Ld ----

    /// The output columns j whose input column j·sW + q·dW − pW lies inside the image, [lo, hi).
    let private inside (g: ConvGeometry) q =
        let shift = q * g.DW - g.PW
        let lo = if shift >= 0 then 0 else (-shift + g.SW - 1) / g.SW
        let hi = if g.W - shift <= 0 then 0 else min g.Wo ((g.W - shift + g.SW - 1) / g.SW)
        lo, max lo hi

    /// cols[(c,p,q), n·P + i·Wo + j] = x_pad[n, group·C/G + c, i·sH + p·dH − pH, j·sW + q·dW − pW].
    /// With stride 1 a row of a window is a contiguous run of the image: one block copy.
    let private im2colRange<'T when 'T :> IFloatingPointIeee754<'T>> (g: ConvGeometry) (x: 'T[]) group
                                                                      (cols: 'T[]) n0 n1 =
        for c in 0 .. g.Cg - 1 do
            for p in 0 .. g.KH - 1 do
                for q in 0 .. g.KW - 1 do
                    let row = ((c * g.KH + p) * g.KW + q) * g.Ld
                    let lo, hi = inside g q
                    let shift = q * g.DW - g.PW
                    for n in n0 .. n1 - 1 do
                        let image = (n * g.C + group * g.Cg + c) * g.H * g.W
                        for i in 0 .. g.Ho - 1 do
                            let h = i * g.SH + p * g.DH - g.PH
                            let dst = row + n * g.P + i * g.Wo
                            if h < 0 || h >= g.H then Array.Fill(cols, 'T.Zero, dst, g.Wo)
                            else
                                let src = image + h * g.W + shift
                                if lo > 0 then Array.Fill(cols, 'T.Zero, dst, lo)
                                if hi < g.Wo then Array.Fill(cols, 'T.Zero, dst + hi, g.Wo - hi)
                                if g.SW = 1 then Array.Copy(x, src + lo, cols, dst + lo, hi - lo)
                                else for j in lo .. hi - 1 do cols[dst + j] <- x[src + j * g.SW]

    /// The adjoint of im2col: dx[n, group·C/G + c, h, w] += cols[(c,p,q), n·P + i·Wo + j] for
    /// every window cell that read (h, w); padding cells are dropped.
    let private col2imRange<'T when 'T :> IFloatingPointIeee754<'T>> (g: ConvGeometry) (cols: 'T[]) group
                                                                      (dx: 'T[]) n0 n1 =
        for c in 0 .. g.Cg - 1 do
            for p in 0 .. g.KH - 1 do
                for q in 0 .. g.KW - 1 do
                    let row = ((c * g.KH + p) * g.KW + q) * g.Ld
                    let lo, hi = inside g q
                    let shift = q * g.DW - g.PW
                    for n in n0 .. n1 - 1 do
                        let image = (n * g.C + group * g.Cg + c) * g.H * g.W
                        for i in 0 .. g.Ho - 1 do
                            let h = i * g.SH + p * g.DH - g.PH
                            if h >= 0 && h < g.H && hi > lo then
                                let src, dst = row + n * g.P + i * g.Wo, image + h * g.W + shift
                                if g.SW = 1 then
                                    let into = Span(dx, dst + lo, hi - lo)
                                    TensorPrimitives.Add(ReadOnlySpan(dx, dst + lo, hi - lo),
                                                         ReadOnlySpan(cols, src + lo, hi - lo), into)
                                else
                                    for j in lo .. hi - 1 do
                                        let k = dst + j * g.SW
                                        dx[k] <- dx[k] + cols[src + j]

    /// How many image ranges a kernel of `flops` multiply-adds runs in parallel: each range does
    /// its own im2col, GEMM and copies (the GEMM alone would not split: its matrices are thin).
    let private partsFor (g: ConvGeometry) threads (flops: int64) =
        if threads > 1 && g.N > 1 && flops >= 200_000L then min threads g.N else 1

    /// Run `body t n0 n1` on ranges t = 0..parts−1 of the images, in parallel when parts > 1.
    let private byImages (g: ConvGeometry) parts (body: int -> int -> int -> unit) =
        if parts = 1 then body 0 0 g.N
        else
            let range t = body t (g.N * t / parts) (g.N * (t + 1) / parts)
            Threading.Tasks.Parallel.For(0, parts, range) |> ignore

    /// out [N; O; P] ↔ a group's [O/G × N·P] matrix for images n0..n1: copy whole rows of P cells.
    let private regroup (g: ConvGeometry) (nchw: 'T[]) group (matrix: 'T[]) (toMatrix: bool) n0 n1 =
        for o in 0 .. g.Og - 1 do
            for n in n0 .. n1 - 1 do
                let a, b = (n * g.O + group * g.Og + o) * g.P, o * g.Ld + n * g.P
                if toMatrix then Array.Copy(nchw, a, matrix, b, g.P) else Array.Copy(matrix, b, nchw, a, g.P)

    /// C[m×n] = A·B with A, B, C given as (array, offset, row stride, column stride), on the
    /// given number of threads.
    type Gemm<'T> =
        int -> int -> int -> int -> 'T[] -> int -> int -> int -> 'T[] -> int -> int -> int -> 'T[] -> int
            -> int -> unit

    /// The direct kernel of one dtype (ConvKernels.forward32/64): sizes, KC, pinned x, packed
    /// weights and y, images [n0, n1).
    type internal Direct<'T when 'T: unmanaged> =
        ConvKernels.Sizes -> int -> nativeptr<'T> -> nativeptr<'T> -> nativeptr<'T> -> int -> int
            -> unit

    /// The direct weight-gradient kernel of one dtype (ConvGradKernels.weight32/64): sizes, KC,
    /// pinned x and Gᵀ, Gᵀ's row length, ∂Wᵀ, images [n0, n1).
    type internal WeightDirect<'T when 'T: unmanaged> =
        ConvKernels.Sizes -> int -> nativeptr<'T> -> nativeptr<'T> -> int -> nativeptr<'T> -> int
            -> int -> unit

    /// The direct input-gradient kernel of one dtype (ConvGradKernels.input32/64): sizes, pinned
    /// g and packed weights, their channel count, ∂x, images [n0, n1).
    type internal InputDirect<'T when 'T: unmanaged> =
        ConvKernels.Sizes -> nativeptr<'T> -> nativeptr<'T> -> int -> nativeptr<'T> -> int -> int
            -> unit

    /// One dtype's kernels: its GEMM, the direct kernels, and the GEMM's block depth KC (which
    /// the direct gradients follow to sum in the GEMM's order).
    type internal Kernels<'T when 'T: unmanaged> =
        { Gemm: Gemm<'T>
          Forward: Direct<'T>
          WeightGrad: WeightDirect<'T>
          InputGrad: InputDirect<'T>
          BlockDepth: int }

    /// Is this convolution the direct kernel's case: stride 1, no padding, no dilation, one group?
    let private plain (g: ConvGeometry) =
        g.SH = 1 && g.SW = 1 && g.PH = 0 && g.PW = 0 && g.DH = 1 && g.DW = 1 && g.Groups = 1

    /// y = x ⋆ w for n images by the direct kernel, the images split over threads as im2col's.
    let private directRun<'T when 'T :> IFloatingPointIeee754<'T> and 'T: unmanaged> (kernel: Direct<'T>)
            (kc: int) threads (g: ConvGeometry) (s: ConvKernels.Sizes) (x: 'T[]) (w: 'T[]) =
        let packed = ConvKernels.packWeights w s
        let y = Array.zeroCreate<'T> (g.N * s.O * s.Ho * s.Wo)
        use px = fixed x
        use pw = fixed packed
        use py = fixed y
        let px, pw, py = NativePtr.toNativeInt px, NativePtr.toNativeInt pw, NativePtr.toNativeInt py
        let parts = partsFor g threads (int64 s.O * int64 s.K * int64 (g.N * s.Ho * s.Wo))
        byImages g parts (fun _ n0 n1 ->
            kernel s kc (NativePtr.ofNativeInt px) (NativePtr.ofNativeInt pw) (NativePtr.ofNativeInt py)
                n0 n1)
        y

    let private forwardIm2col<'T when 'T :> IFloatingPointIeee754<'T>> (gemm: Gemm<'T>) threads
                                                                       (g: ConvGeometry) (x: 'T[]) (w: 'T[]) =
        let np, ld = g.N * g.P, g.Ld
        let cols, block = Scratch<'T>.Take(0, g.K * ld), Scratch<'T>.Take(1, g.Og * ld)
        let out = Array.zeroCreate<'T> (g.N * g.O * g.P)
        let parts = partsFor g threads (int64 g.O * int64 g.K * int64 np)
        for group in 0 .. g.Groups - 1 do
            byImages g parts (fun _ n0 n1 ->
                im2colRange g x group cols n0 n1
                let c0 = n0 * g.P
                // W_g · cols, this range's columns
                gemm 1 g.Og ((n1 - n0) * g.P) g.K w (group * g.Og * g.K) g.K 1 cols c0 ld 1 block c0 ld
                regroup g out group block false n0 n1)
        out

    /// A convolution's sizes as the direct kernels (forward and gradients) take them.
    let private sizesOf (g: ConvGeometry) : ConvKernels.Sizes =
        { C = g.C; H = g.H; W = g.W; O = g.O; KH = g.KH; KW = g.KW }

    /// The sizes the direct kernel sees for a plain convolution, and whether it applies: it must
    /// also round as the GEMM does, fused multiply-adds in both or in neither.
    let private directSizes<'T when 'T: unmanaged> (g: ConvGeometry) =
        let s = sizesOf g
        let sameRounding = Gemm.fusedChains () = X86.Fma.IsSupported
        s, plain g && sameRounding && ConvKernels.fits s Vector256<'T>.Count

    /// y by the direct kernel when it applies and was asked for (`direct`), else by im2col.
    let private forward<'T when 'T :> IFloatingPointIeee754<'T> and 'T: unmanaged>
            (kernels: Kernels<'T>) (direct: bool) threads (g: ConvGeometry) (x: 'T[]) (w: 'T[]) =
        match directSizes<'T> g with
        | s, true when direct -> directRun kernels.Forward kernels.BlockDepth threads g s x w
        | _ -> forwardIm2col kernels.Gemm threads g x w

    /// The sizes the direct gradient kernels see, if they apply: a plain convolution, a GEMM
    /// whose block sums are FMA chains (the order they reproduce), and ymm FMA on this machine.
    let private gradSizes<'T when 'T: unmanaged> (g: ConvGeometry) =
        let s = sizesOf g
        let simd = X86.Fma.IsSupported && Vector256.IsHardwareAccelerated
        if plain g && Gemm.fusedChains () && simd then Some s else None

    /// Pin three arrays and run `body` on their addresses (nativeints cross into worker closures).
    let private pinned3 (a: 'T[]) (b: 'T[]) (c: 'T[])
                        (body: nativeint -> nativeint -> nativeint -> unit) =
        use pa = fixed a
        use pb = fixed b
        use pc = fixed c
        body (NativePtr.toNativeInt pa) (NativePtr.toNativeInt pb) (NativePtr.toNativeInt pc)

    /// ∂x by the direct kernel, images split over threads as im2col's; the kernel needs whole
    /// vectors of output columns and the sum over O channels in one GEMM block (O ≤ KC).
    let private inputGradDirect<'T when 'T :> IFloatingPointIeee754<'T> and 'T: unmanaged>
            (kernels: Kernels<'T>) threads (g: ConvGeometry) (s: ConvKernels.Sizes) (gy: 'T[])
            (w: 'T[]) =
        let tile = ConvGradKernels.Channels
        let cpad = (g.C + tile - 1) / tile * tile
        let packed = ConvGradKernels.packWeights s w cpad
        let dx = Array.zeroCreate<'T> (g.N * g.C * g.H * g.W)
        let parts = partsFor g threads (int64 g.O * int64 g.K * int64 (g.N * g.P))
        pinned3 gy packed dx (fun pg pw px ->
            byImages g parts (fun _ n0 n1 ->
                kernels.InputGrad s (NativePtr.ofNativeInt pg) (NativePtr.ofNativeInt pw) cpad
                    (NativePtr.ofNativeInt px) n0 n1))
        dx

    /// One image range's ∂W [O × K] by the direct kernel into `partial`: Gᵀ of the range, the
    /// kernel's ∂Wᵀ [K × opad] (opad = O in whole tiles), then transposed back.
    let private weightPartDirect<'T when 'T :> IFloatingPointIeee754<'T> and 'T: unmanaged>
            (kernels: Kernels<'T>) (g: ConvGeometry) (s: ConvKernels.Sizes) (x: 'T[]) (gy: 'T[])
            (partial: Span<'T>) n0 n1 =
        let opad = ConvGradKernels.gradientWidth Vector256<'T>.Count g.O
        let gt = Scratch<'T>.Take(3, (n1 - n0) * g.P * opad)
        let dwT = Scratch<'T>.Take(0, g.K * opad)
        ConvGradKernels.transposeGradient s gy gt opad n0 n1
        pinned3 x gt dwT (fun px pg pd ->
            kernels.WeightGrad s kernels.BlockDepth (NativePtr.ofNativeInt px)
                (NativePtr.ofNativeInt pg) opad (NativePtr.ofNativeInt pd) n0 n1)
        for o in 0 .. g.O - 1 do
            for r in 0 .. g.K - 1 do partial[o * g.K + r] <- dwT[r * opad + o]

    /// ∂x = col2im(W_gᵀ · G_g) per group, through the scratch cols matrix.
    let private inputGradIm2col<'T when 'T :> IFloatingPointIeee754<'T> and 'T: unmanaged>
            (gemm: Gemm<'T>) threads (g: ConvGeometry) (gy: 'T[]) (w: 'T[]) =
        let np, ld = g.N * g.P, g.Ld
        let cols, block = Scratch<'T>.Take(0, g.K * ld), Scratch<'T>.Take(1, g.Og * ld)
        let dx = Array.zeroCreate<'T> (g.N * g.C * g.H * g.W)
        let parts = partsFor g threads (int64 g.O * int64 g.K * int64 np)
        for group in 0 .. g.Groups - 1 do
            byImages g parts (fun _ n0 n1 ->
                regroup g gy group block true n0 n1
                let c0 = n0 * g.P
                // W_gᵀ · G_g, this range's columns
                gemm 1 g.K ((n1 - n0) * g.P) g.Og w (group * g.Og * g.K) 1 g.K block c0 ld 1 cols c0 ld
                col2imRange g cols group dx n0 n1)
        dx

    /// ∂x by the direct kernel when it applies and was asked for (`direct`), else by im2col: the
    /// two agree bit for bit. One input channel stays on im2col: the kernel's tile of 4 channels
    /// would run 3/4 empty (W2's first layer, float64: 1.6 ms direct against 1.4 by im2col).
    let private inputGrad<'T when 'T :> IFloatingPointIeee754<'T> and 'T: unmanaged>
            (kernels: Kernels<'T>) (direct: bool) threads (g: ConvGeometry) (gy: 'T[]) (w: 'T[]) =
        match (if direct then gradSizes<'T> g else None) with
        | Some s when g.Wo >= Vector256<'T>.Count && g.O <= kernels.BlockDepth && g.C > 1 ->
            inputGradDirect kernels threads g s gy w
        | _ -> inputGradIm2col kernels.Gemm threads g gy w

    /// ∂W_g = G_g · colsᵀ has a long inner dimension (N·P, 36864 for W2's first layer) and a
    /// small result (O/G × K), which the GEMM cannot split across threads (it splits rows or
    /// columns of C). So the batch is split instead: each thread multiplies its images' columns
    /// into its own partial ∂W, and the partials are added (the sum over n is linear).
    /// The direct kernel replaces a range's im2col + GEMM (`direct`) when it applies and was asked
    /// for: it gives the same partial ∂W bit for bit.
    let private weightGrad<'T when 'T :> IFloatingPointIeee754<'T> and 'T: unmanaged>
            (kernels: Kernels<'T>) (direct: bool) threads (g: ConvGeometry) (x: 'T[]) (gy: 'T[]) =
        let np, ld = g.N * g.P, g.Ld
        let dw = Array.zeroCreate<'T> (g.O * g.K)
        let parts = partsFor g threads (int64 g.O * int64 g.K * int64 np)
        let size = g.Og * g.K
        let partials = Scratch<'T>.Take(2, parts * size)
        let sizes = if direct then gradSizes<'T> g else None
        for group in 0 .. g.Groups - 1 do
            match sizes with
            | Some s ->
                byImages g parts (fun part n0 n1 ->
                    weightPartDirect kernels g s x gy (Span(partials, part * size, size)) n0 n1)
            | None ->
                let cols, block = Scratch<'T>.Take(0, g.K * ld), Scratch<'T>.Take(1, g.Og * ld)
                byImages g parts (fun part n0 n1 ->   // G_g[:, cells] · cols[:, cells]ᵀ, these images
                    im2colRange g x group cols n0 n1
                    regroup g gy group block true n0 n1
                    let c0, len = n0 * g.P, (n1 - n0) * g.P
                    let target = part * size
                    kernels.Gemm 1 g.Og g.K len block c0 ld 1 cols c0 1 ld partials target g.K)
            let target = Span(dw, group * size, size)
            for t in 0 .. parts - 1 do
                let partial = ReadOnlySpan(partials, t * size, size)
                TensorPrimitives.Add(ReadOnlySpan(dw, group * size, size), partial, target)
        dw

    /// Run f32/f64 on the row-major arrays of two same-dtype tensors, given that dtype's kernels
    /// and a thread count.
    let private dispatchOn threads op (a: Tensor) (b: Tensor) (shape: int[])
                           (f32: Kernels<float32> -> int -> float32[] -> float32[] -> float32[])
                           (f64: Kernels<float> -> int -> float[] -> float[] -> float[]) =
        Create.sameDType op a b
        match (Create.contiguous a).Storage, (Create.contiguous b).Storage with
        | Storage.F32 x, Storage.F32 y ->
            let kernels =
                { Gemm = Gemm.sgemm; Forward = ConvKernels.forward32
                  WeightGrad = ConvGradKernels.weight32; InputGrad = ConvGradKernels.input32
                  BlockDepth = Gemm.blockDepth DType.Float32 }
            Create.ofStorage shape (Storage.F32 (f32 kernels threads x y))
        | Storage.F64 x, Storage.F64 y ->
            let kernels =
                { Gemm = Gemm.dgemm; Forward = ConvKernels.forward64
                  WeightGrad = ConvGradKernels.weight64; InputGrad = ConvGradKernels.input64
                  BlockDepth = Gemm.blockDepth DType.Float64 }
            Create.ofStorage shape (Storage.F64 (f64 kernels threads x y))
        | _ -> failwith "unreachable: dtypes checked above"

    /// dispatchOn with the default thread count (Gemm.defaultThreads).
    let private dispatch op a b shape f32 f64 = dispatchOn Gemm.defaultThreads op a b shape f32 f64

    /// conv2d spec x w: the cross-correlation above, x [N; C; H; W], w [O; C/G; kH; kW] →
    /// [N; O; Ho; Wo], by im2col + GEMM (no bias: the graph adds it by broadcasting).
    let conv2d (spec: Conv2dSpec) (x: Tensor) (w: Tensor) =
        let g = geometry "conv2d" spec x.Shape w.Shape
        dispatch "conv2d" x w (outputShape g) (fun k t -> forward k true t g) (fun k t -> forward k true t g)

    /// conv2d on a given number of threads, by the direct kernel where it applies (`direct`) or
    /// always by im2col + GEMM: the reference the tests hold the direct kernel to.
    let internal conv2dWith (direct: bool) threads (spec: Conv2dSpec) (x: Tensor) (w: Tensor) =
        let g = geometry "conv2d" spec x.Shape w.Shape
        dispatchOn threads "conv2d" x w (outputShape g) (fun k t -> forward k direct t g)
            (fun k t -> forward k direct t g)

    let private checkGrad op (g: ConvGeometry) (gy: Tensor) =
        if gy.Shape <> outputShape g then
            Shape.fail op $"gradient of shape {show gy.Shape}, the convolution's output is \
                            {show (outputShape g)}"

    /// conv2dInputGrad spec xShape gy w = ∂⟨conv2d(x, w), gy⟩/∂x: col2im(W_gᵀ · G_g) per group.
    /// This is a transposed convolution of gy with w — the gradient of a convolution is a
    /// convolution (stride ↔ dilation of gy, the kernel flipped and its channel axes swapped).
    /// A plain convolution (stride 1, no padding or dilation, one group) runs the direct kernel
    /// of ConvGradKernels.fs instead, which gives the same numbers bit for bit.
    let conv2dInputGrad (spec: Conv2dSpec) (xShape: int[]) (gy: Tensor) (w: Tensor) =
        let g = geometry "conv2d_input_grad" spec xShape w.Shape
        checkGrad "conv2d_input_grad" g gy
        dispatch "conv2d_input_grad" gy w xShape (fun k t -> inputGrad k true t g)
            (fun k t -> inputGrad k true t g)

    /// conv2dWeightGrad spec wShape x gy = ∂⟨conv2d(x, w), gy⟩/∂w = G_g · colsᵀ per group: the
    /// correlation of x with gy (a convolution again, with stride and dilation swapped).
    /// A plain convolution runs the direct kernel of ConvGradKernels.fs (bit-identical).
    let conv2dWeightGrad (spec: Conv2dSpec) (wShape: int[]) (x: Tensor) (gy: Tensor) =
        let g = geometry "conv2d_weight_grad" spec x.Shape wShape
        checkGrad "conv2d_weight_grad" g gy
        dispatch "conv2d_weight_grad" x gy wShape (fun k t -> weightGrad k true t g)
            (fun k t -> weightGrad k true t g)

    /// conv2dInputGrad on a given number of threads, by the direct kernel where it applies
    /// (`direct`) or always by im2col + GEMM: the reference the tests hold the direct kernel to.
    let internal conv2dInputGradWith (direct: bool) threads (spec: Conv2dSpec) (xShape: int[])
                                     (gy: Tensor) (w: Tensor) =
        let g = geometry "conv2d_input_grad" spec xShape w.Shape
        checkGrad "conv2d_input_grad" g gy
        dispatchOn threads "conv2d_input_grad" gy w xShape (fun k t -> inputGrad k direct t g)
            (fun k t -> inputGrad k direct t g)

    /// conv2dWeightGrad on a given number of threads, direct (where it applies) or by im2col.
    let internal conv2dWeightGradWith (direct: bool) threads (spec: Conv2dSpec) (wShape: int[])
                                      (x: Tensor) (gy: Tensor) =
        let g = geometry "conv2d_weight_grad" spec x.Shape wShape
        checkGrad "conv2d_weight_grad" g gy
        dispatchOn threads "conv2d_weight_grad" x gy wShape (fun k t -> weightGrad k direct t g)
            (fun k t -> weightGrad k direct t g)

    // ---- the direct loops: the definition, read off the formula (reference and timing) ----

    /// Every (n, o, i, j, c, p, q, h, w) with the input cell (h, w) inside the image, in order.
    let private cells (g: ConvGeometry) (visit: int -> int -> int -> int -> unit) =
        for n in 0 .. g.N - 1 do
            for o in 0 .. g.O - 1 do
                let group = o / g.Og
                for c in 0 .. g.Cg - 1 do
                    let xc = (n * g.C + group * g.Cg + c) * g.H * g.W
                    for p in 0 .. g.KH - 1 do
                        for q in 0 .. g.KW - 1 do
                            let wi = ((o * g.Cg + c) * g.KH + p) * g.KW + q
                            for i in 0 .. g.Ho - 1 do
                                let h = i * g.SH + p * g.DH - g.PH
                                if h >= 0 && h < g.H then
                                    for j in 0 .. g.Wo - 1 do
                                        let w = j * g.SW + q * g.DW - g.PW
                                        if w >= 0 && w < g.W then
                                            visit ((n * g.O + o) * g.P + i * g.Wo + j) (xc + h * g.W + w) wi 0

    /// Run the direct loop nest in float64, `step a b out yi xi wi` per term; back to a's dtype.
    let private direct (g: ConvGeometry) (a: Tensor) (b: Tensor) (shape: int[])
                       (step: float[] -> float[] -> float[] -> int -> int -> int -> unit) =
        let a64, b64 = Create.toArray a, Create.toArray b
        let out = Array.zeroCreate (Shape.numel shape)
        cells g (fun yi xi wi _ -> step a64 b64 out yi xi wi)
        let t = Create.ofArray shape out
        if a.DType = DType.Float32 then Create.astype DType.Float32 t else t

    /// The direct loop nest of the forward pass, typed, innermost over output columns j.
    let private forwardDirect<'T when 'T :> IFloatingPointIeee754<'T>> (g: ConvGeometry) (x: 'T[])
                                                                       (w: 'T[]) =
        let y = Array.zeroCreate<'T> (g.N * g.O * g.P)
        for n in 0 .. g.N - 1 do
            for o in 0 .. g.O - 1 do
                let group, yo = o / g.Og, (n * g.O + o) * g.P
                for c in 0 .. g.Cg - 1 do
                    let xc = (n * g.C + group * g.Cg + c) * g.H * g.W
                    for p in 0 .. g.KH - 1 do
                        for q in 0 .. g.KW - 1 do
                            let wv = w[((o * g.Cg + c) * g.KH + p) * g.KW + q]
                            for i in 0 .. g.Ho - 1 do
                                let h = i * g.SH + p * g.DH - g.PH
                                if h >= 0 && h < g.H then
                                    let row, yr = xc + h * g.W, yo + i * g.Wo
                                    for j in 0 .. g.Wo - 1 do
                                        let wc = j * g.SW + q * g.DW - g.PW
                                        if wc >= 0 && wc < g.W then y[yr + j] <- y[yr + j] + x[row + wc] * wv
        y

    /// conv2d by the direct loop nest: the definition read off the formula (reference, timing).
    let conv2dDirect (spec: Conv2dSpec) (x: Tensor) (w: Tensor) =
        let g = geometry "conv2d" spec x.Shape w.Shape
        dispatch "conv2d" x w (outputShape g) (fun _ _ -> forwardDirect g) (fun _ _ -> forwardDirect g)

    /// conv2dInputGrad by the direct loop nest: dx[xi] += gy[yi]·w[wi].
    let conv2dInputGradDirect (spec: Conv2dSpec) (xShape: int[]) (gy: Tensor) (w: Tensor) =
        let g = geometry "conv2d_input_grad" spec xShape w.Shape
        direct g gy w xShape (fun gy w dx yi xi wi -> dx[xi] <- dx[xi] + gy[yi] * w[wi])

    /// conv2dWeightGrad by the direct loop nest: dw[wi] += x[xi]·gy[yi].
    let conv2dWeightGradDirect (spec: Conv2dSpec) (wShape: int[]) (x: Tensor) (gy: Tensor) =
        let g = geometry "conv2d_weight_grad" spec x.Shape wShape
        direct g x gy wShape (fun x gy dw yi xi wi -> dw[wi] <- dw[wi] + x[xi] * gy[yi])
