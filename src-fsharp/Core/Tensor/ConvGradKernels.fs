/// Direct SIMD kernels for the two gradients of a plain convolution (stride 1, no padding, no
/// dilation, one group) that add the same products in the same order as im2col + GEMM, so their
/// results are bit-identical to it. Layer: Tensor (no dependencies). Read next: Conv.fs.
///
///     ∂W[o,c,p,q] = Σ_{n,i,j} g[n,o,i,j] · x[n,c,i+p,j+q]
///     ∂x[n,c,h,w] = Σ_{p,q} Σ_o w[o,c,p,q] · g[n,o,h−p,w−q]     (the terms inside g only)
///
/// The order to reproduce (Gemm.fs): a GEMM cuts its sum over k into blocks of KC counted from
/// the start of the call's k range (Gemm.blockDepth); in a block each C element is one chain
/// acc ← fma(a, b, acc) from 0, and the blocks are added to C in order (the first stores).
///  - ∂W of an image range is the GEMM ∂W = G · colsᵀ with k = the range's cells n·P + i·Wo + j.
///    Here a register holds ∂W[o₀ … o₀+lanes−1, r] for one r = (c, p, q), so G is first transposed
///    to Gᵀ[cells × O] (one vector load per cell); x[n, c, i+p, j+q] is broadcast. 10
///    accumulators run at once (10 values of r, or 5 × 2 vectors of o when O > lanes; FMA
///    latency hidden), and the chains restart every KC cells.
///  - ∂x is ∂cols = Wᵀ · G (k = O, a single block when O ≤ KC) followed by col2im, which adds
///    ∂cols into ∂x for (p, q) in order. Here a register holds ∂cols for one (c, p, q, i) and a
///    vector of columns j — a sum over o from 0 — and is added at once to ∂x[n, c, i+p, j+q …].
///    4 input channels × 2 rows i share each load of g and each broadcast weight.
/// Vectors are ymm (Vector256): 8 float32 or 4 float64 lanes. Conv.fs calls these only when the
/// GEMM's path sums in FMA chains (Gemm.fusedChains: the portable tile rounds each product).
/// W2's shapes (batch 64, one thread; best of 200, alternated with im2col + GEMM on the shared
/// machine): float32 ∂W 0.39 ms (1→8 channels on 28×28; im2col 0.95–1.0) and 0.39 ms (8→16 on
/// 12×12; im2col 1.2), ∂x 0.35 ms (8→16; im2col 0.92); float64 0.44, 0.75–0.78 and 0.72 ms
/// (im2col 1.5, 1.7 and 1.5).
namespace ScratchML

#nowarn "9" // NativePtr: unverifiable pointer code, on purpose (the arrays are pinned)

open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86
open Microsoft.FSharp.NativeInterop

module internal ConvGradKernels =
    /// Accumulators per register tile of the weight gradient: 10 values of r = (c, p, q), or 5
    /// values × 2 vectors of o in the `wide` tile (13 registers with the loads: no spill on
    /// AVX2's 16; W2's first layer, K = 25, takes 3 passes over the cells instead of 4 with 8).
    [<Literal>]
    let Rows = 10

    /// Input channels per register tile of the input gradient (the packed weights are padded
    /// with zero channels to a multiple of it).
    [<Literal>]
    let Channels = 4

    /// The row length opad of Gᵀ for O output channels and vectors of `lanes`: whole tiles of o,
    /// one vector when O ≤ lanes, else pairs of vectors (weightRun's `wide` tile).
    let gradientWidth lanes o =
        if o <= lanes then lanes else (o + 2 * lanes - 1) / (2 * lanes) * 2 * lanes

    /// The 8×8 float32 block at src (rows `stride` apart) transposed into dst (rows `opad` apart):
    /// dst[k·opad + o] = src[o·stride + k]. Three rounds of shuffles, each within 128-bit halves
    /// until the last: interleave row pairs, gather 4-row columns, join the halves.
    let private transpose8x8 (src: nativeptr<float32>) stride (dst: nativeptr<float32>) opad =
        let row o = Avx.LoadVector256(NativePtr.add src (o * stride))
        let r0, r1, r2, r3 = row 0, row 1, row 2, row 3
        let r4, r5, r6, r7 = row 4, row 5, row 6, row 7
        // rows a, b interleaved: (a0 b0 a1 b1 | a4 b4 a5 b5) and (a2 b2 a3 b3 | a6 b6 a7 b7)
        let t0, t1 = Avx.UnpackLow(r0, r1), Avx.UnpackHigh(r0, r1)
        let t2, t3 = Avx.UnpackLow(r2, r3), Avx.UnpackHigh(r2, r3)
        let t4, t5 = Avx.UnpackLow(r4, r5), Avx.UnpackHigh(r4, r5)
        let t6, t7 = Avx.UnpackLow(r6, r7), Avx.UnpackHigh(r6, r7)
        // columns k and k + 4 of 4 rows: (a0 b0 c0 d0 | a4 b4 c4 d4), …
        let u0, u1 = Avx.Shuffle(t0, t2, 0x44uy), Avx.Shuffle(t0, t2, 0xEEuy)
        let u2, u3 = Avx.Shuffle(t1, t3, 0x44uy), Avx.Shuffle(t1, t3, 0xEEuy)
        let u4, u5 = Avx.Shuffle(t4, t6, 0x44uy), Avx.Shuffle(t4, t6, 0xEEuy)
        let u6, u7 = Avx.Shuffle(t5, t7, 0x44uy), Avx.Shuffle(t5, t7, 0xEEuy)
        // whole columns: the low halves give k = 0 … 3, the high halves k = 4 … 7
        let put k (v: Vector256<float32>) = Avx.Store(NativePtr.add dst (k * opad), v)
        put 0 (Avx.Permute2x128(u0, u4, 0x20uy)); put 4 (Avx.Permute2x128(u0, u4, 0x31uy))
        put 1 (Avx.Permute2x128(u1, u5, 0x20uy)); put 5 (Avx.Permute2x128(u1, u5, 0x31uy))
        put 2 (Avx.Permute2x128(u2, u6, 0x20uy)); put 6 (Avx.Permute2x128(u2, u6, 0x31uy))
        put 3 (Avx.Permute2x128(u3, u7, 0x20uy)); put 7 (Avx.Permute2x128(u3, u7, 0x31uy))

    /// Gᵀ[t × opad] for the cells t of images [n0, n1): gt[(t − n0·P)·opad + o] = g[n, o, cell],
    /// zeros for o ≥ O (opad = gradientWidth). float32 with O = 8 and P a multiple of 8 goes by
    /// 8×8 blocks in registers (W2's first layer: 0.055 ms); otherwise 4 rows of Gᵀ at a time
    /// through pointers (there 0.09 ms, against 0.25 column by column with bounds checks; for
    /// O = 16, W2's second layer, the pointer loop measured faster than two blocks per 8 cells:
    /// 0.026 against 0.038 ms).
    let transposeGradient<'T when 'T: unmanaged> (s: ConvKernels.Sizes) (g: 'T[]) (gt: 'T[]) opad
                                                 n0 n1 =
        let plane = s.Ho * s.Wo
        use pg = fixed g
        use pt = fixed gt
        if typeof<'T> = typeof<float32> && Avx.IsSupported && s.O = 8 && plane % 8 = 0 then
            let src = NativePtr.ofNativeInt<float32> (NativePtr.toNativeInt pg)
            let dst = NativePtr.ofNativeInt<float32> (NativePtr.toNativeInt pt)
            for n in n0 .. n1 - 1 do
                for cell in 0 .. 8 .. plane - 1 do
                    let row = NativePtr.add dst (((n - n0) * plane + cell) * opad)
                    for o0 in 0 .. 8 .. s.O - 1 do
                        let block = NativePtr.add src ((n * s.O + o0) * plane + cell)
                        transpose8x8 block plane (NativePtr.add row o0) opad
        else
            for n in n0 .. n1 - 1 do
                let image = NativePtr.add pg (n * s.O * plane)
                let rows = NativePtr.add pt ((n - n0) * plane * opad)
                let mutable cell = 0
                while cell < plane do
                    let step = min 4 (plane - cell)
                    let row = NativePtr.add rows (cell * opad)
                    let mutable src = NativePtr.add image cell
                    if step = 4 then
                        for o in 0 .. s.O - 1 do
                            NativePtr.set row o (NativePtr.get src 0)
                            NativePtr.set row (opad + o) (NativePtr.get src 1)
                            NativePtr.set row (2 * opad + o) (NativePtr.get src 2)
                            NativePtr.set row (3 * opad + o) (NativePtr.get src 3)
                            src <- NativePtr.add src plane
                    else
                        for o in 0 .. s.O - 1 do
                            for k in 0 .. step - 1 do
                                NativePtr.set row (k * opad + o) (NativePtr.get src k)
                            src <- NativePtr.add src plane
                    cell <- cell + step
        if opad > s.O then
            for t in 0 .. (n1 - n0) * plane - 1 do
                for o in s.O .. opad - 1 do NativePtr.set pt (t * opad + o) Unchecked.defaultof<'T>

    /// w [O; C; kH; kW] → packed[(p·kW + q)·O + o][c] (cpad channels, zeros past C): the
    /// Channels weights one step of the input-gradient tile broadcasts lie side by side.
    let packWeights (s: ConvKernels.Sizes) (w: 'T[]) cpad : 'T[] =
        let area = s.KH * s.KW
        let packed = Array.zeroCreate (area * s.O * cpad)
        for o in 0 .. s.O - 1 do
            for c in 0 .. s.C - 1 do
                for pq in 0 .. area - 1 do
                    packed[(pq * s.O + o) * cpad + c] <- w[(o * s.C + c) * area + pq]
        packed

    /// ∂Wᵀ[K × opad] of images [n0, n1) from x and Gᵀ: dwT[r·opad + o] = Σ_blocks Σ_{t ∈ block}
    /// x[n, c, i+p, j+q]·gt[t, o], blocks of kc cells from the range's first cell, each a chain.
    /// A tile is 10 accumulators: 10 values of r × 1 vector of o, or when `wide` (O > lanes)
    /// 5 values of r × 2 vectors of o, which halves the broadcasts per multiply-add.
    let inline private weightRun
            ([<InlineIfLambda>] fma: Vector256< ^T> -> Vector256< ^T> -> Vector256< ^T>
                                     -> Vector256< ^T>)
            (wide: bool) (s: ConvKernels.Sizes) (kc: int) (x: nativeptr< ^T>) (gt: nativeptr< ^T>)
            (opad: int) (dwT: nativeptr< ^T>) (n0: int) (n1: int) =
        let lanes = Vector256< ^T>.Count
        let rows, width = (if wide then Rows / 2, 2 * lanes else Rows, lanes)
        let plane, k, area = s.Ho * s.Wo, s.K, s.KH * s.KW
        let cells = (n1 - n0) * plane
        // where x[n, c, i+p, j+q] lies relative to x[n, 0, i, j]; a tile's rows past K reuse
        // row K − 1 (computed, never stored)
        let offset r =
            let r = min r (k - 1)
            let c, pq = r / area, r % area
            (c * s.H + pq / s.KW) * s.W + pq % s.KW
        let broadcast (p: nativeptr< ^T>) off = Vector256.Create(NativePtr.get p off)
        let mutable b0 = 0
        while b0 < cells do
            let b1, first = min cells (b0 + kc), (b0 = 0)
            for o0 in 0 .. width .. opad - 1 do
                for r0 in 0 .. rows .. k - 1 do
                    let f0, f1 = offset r0, offset (r0 + 1)
                    let f2, f3 = offset (r0 + 2), offset (r0 + 3)
                    let f4, f5 = offset (r0 + 4), offset (r0 + 5)
                    let f6, f7 = offset (r0 + 6), offset (r0 + 7)
                    let f8, f9 = offset (r0 + 8), offset (r0 + 9)
                    let mutable a0 = Vector256< ^T>.Zero
                    let mutable a1 = Vector256< ^T>.Zero
                    let mutable a2 = Vector256< ^T>.Zero
                    let mutable a3 = Vector256< ^T>.Zero
                    let mutable a4 = Vector256< ^T>.Zero
                    let mutable a5 = Vector256< ^T>.Zero
                    let mutable a6 = Vector256< ^T>.Zero
                    let mutable a7 = Vector256< ^T>.Zero
                    let mutable a8 = Vector256< ^T>.Zero
                    let mutable a9 = Vector256< ^T>.Zero
                    // the block's cells in order, one output row segment (n, i, j … ) at a time
                    let mutable t = b0
                    let mutable n = n0 + b0 / plane
                    let mutable i = b0 % plane / s.Wo
                    let mutable j = b0 % s.Wo
                    while t < b1 do
                        let run = min (s.Wo - j) (b1 - t)
                        let mutable xp = NativePtr.add x (((n * s.C) * s.H + i) * s.W + j)
                        let mutable gp = NativePtr.add gt (t * opad + o0)
                        if wide then
                          for _ in 1 .. run do   // a(2m), a(2m+1): r0 + m, both vectors of o
                            let g0, g1 = Vector256.Load gp, Vector256.Load(NativePtr.add gp lanes)
                            let v0 = broadcast xp f0
                            a0 <- fma v0 g0 a0
                            a1 <- fma v0 g1 a1
                            let v1 = broadcast xp f1
                            a2 <- fma v1 g0 a2
                            a3 <- fma v1 g1 a3
                            let v2 = broadcast xp f2
                            a4 <- fma v2 g0 a4
                            a5 <- fma v2 g1 a5
                            let v3 = broadcast xp f3
                            a6 <- fma v3 g0 a6
                            a7 <- fma v3 g1 a7
                            let v4 = broadcast xp f4
                            a8 <- fma v4 g0 a8
                            a9 <- fma v4 g1 a9
                            xp <- NativePtr.add xp 1
                            gp <- NativePtr.add gp opad
                        else
                          for _ in 1 .. run do   // a(m): r0 + m
                            let g = Vector256.Load gp
                            a0 <- fma (broadcast xp f0) g a0
                            a1 <- fma (broadcast xp f1) g a1
                            a2 <- fma (broadcast xp f2) g a2
                            a3 <- fma (broadcast xp f3) g a3
                            a4 <- fma (broadcast xp f4) g a4
                            a5 <- fma (broadcast xp f5) g a5
                            a6 <- fma (broadcast xp f6) g a6
                            a7 <- fma (broadcast xp f7) g a7
                            a8 <- fma (broadcast xp f8) g a8
                            a9 <- fma (broadcast xp f9) g a9
                            xp <- NativePtr.add xp 1
                            gp <- NativePtr.add gp opad
                        t <- t + run
                        j <- 0
                        i <- i + 1
                        if i = s.Ho then
                            i <- 0
                            n <- n + 1
                    // the first block stores, later ones add: C ← C + block, as the GEMM tile
                    let put m v (a: Vector256< ^T>) =
                        if r0 + m < k then
                            let dst = NativePtr.add dwT ((r0 + m) * opad + o0 + v * lanes)
                            if first then Vector256.Store(a, dst)
                            else Vector256.Store(Vector256.Load dst + a, dst)
                    if wide then
                        put 0 0 a0; put 0 1 a1; put 1 0 a2; put 1 1 a3
                        put 2 0 a4; put 2 1 a5; put 3 0 a6; put 3 1 a7; put 4 0 a8; put 4 1 a9
                    else
                        put 0 0 a0; put 1 0 a1; put 2 0 a2; put 3 0 a3; put 4 0 a4
                        put 5 0 a5; put 6 0 a6; put 7 0 a7; put 8 0 a8; put 9 0 a9
            b0 <- b1

    /// ∂x of images [n0, n1) (dx zero on entry) from g and the packed weights: for each (p, q) in
    /// order, dx[n, c, i+p, j+q] += Σ_o w[o,c,p,q]·g[n,o,i,j], the sum over o one chain from 0.
    /// Columns run in vectors at j = 0, lanes, …; a last partial vector is moved left to end at
    /// Wo and adds only its new lanes (`tail`: all ones on them), so no column is added twice.
    let inline private inputRun
            ([<InlineIfLambda>] fma: Vector256< ^T> -> Vector256< ^T> -> Vector256< ^T>
                                     -> Vector256< ^T>)
            (s: ConvKernels.Sizes) (g: nativeptr< ^T>) (packed: nativeptr< ^T>) (cpad: int)
            (tail: Vector256< ^T>) (dx: nativeptr< ^T>) (n0: int) (n1: int) =
        let lanes = Vector256< ^T>.Count
        let ho, wo, plane = s.Ho, s.Wo, s.Ho * s.Wo
        let all = Vector256< ^T>.AllBitsSet
        let broadcast (p: nativeptr< ^T>) off = Vector256.Create(NativePtr.get p off)
        for n in n0 .. n1 - 1 do
            let gn = NativePtr.add g (n * s.O * plane)
            for c0 in 0 .. Channels .. s.C - 1 do
                for p in 0 .. s.KH - 1 do
                    for q in 0 .. s.KW - 1 do
                        let wq = NativePtr.add packed ((p * s.KW + q) * s.O * cpad + c0)
                        for i0 in 0 .. 2 .. ho - 1 do
                            // a last odd row reads row i0 twice and stores it once
                            let second = if i0 + 1 < ho then wo else 0
                            let mutable start = 0
                            while start < wo do
                                let j = min start (wo - lanes)
                                let mask = if j = start then all else tail
                                let mutable a00 = Vector256< ^T>.Zero
                                let mutable a01 = Vector256< ^T>.Zero
                                let mutable a10 = Vector256< ^T>.Zero
                                let mutable a11 = Vector256< ^T>.Zero
                                let mutable a20 = Vector256< ^T>.Zero
                                let mutable a21 = Vector256< ^T>.Zero
                                let mutable a30 = Vector256< ^T>.Zero
                                let mutable a31 = Vector256< ^T>.Zero
                                let mutable gp = NativePtr.add gn (i0 * wo + j)
                                let mutable wp = wq
                                for _ in 1 .. s.O do
                                    let g0 = Vector256.Load gp
                                    let g1 = Vector256.Load(NativePtr.add gp second)
                                    let w0 = broadcast wp 0
                                    a00 <- fma w0 g0 a00
                                    a01 <- fma w0 g1 a01
                                    let w1 = broadcast wp 1
                                    a10 <- fma w1 g0 a10
                                    a11 <- fma w1 g1 a11
                                    let w2 = broadcast wp 2
                                    a20 <- fma w2 g0 a20
                                    a21 <- fma w2 g1 a21
                                    let w3 = broadcast wp 3
                                    a30 <- fma w3 g0 a30
                                    a31 <- fma w3 g1 a31
                                    gp <- NativePtr.add gp plane
                                    wp <- NativePtr.add wp cpad
                                // col2im's step: dx ← dx + ∂cols on the new lanes only
                                let add c di (a: Vector256< ^T>) =
                                    if c0 + c < s.C && (di = 0 || second > 0) then
                                        let h, w = i0 + di + p, q + j
                                        let image = (n * s.C + c0 + c) * s.H
                                        let dst = NativePtr.add dx ((image + h) * s.W + w)
                                        let old = Vector256.Load dst
                                        let sum = Vector256.ConditionalSelect(mask, old + a, old)
                                        Vector256.Store(sum, dst)
                                add 0 0 a00; add 0 1 a01; add 1 0 a10; add 1 1 a11
                                add 2 0 a20; add 2 1 a21; add 3 0 a30; add 3 1 a31
                                start <- j + lanes

    /// float32 ∂Wᵀ of images [n0, n1) (FMA: the caller checks Fma.IsSupported).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let weight32 s kc (x: nativeptr<float32>) (gt: nativeptr<float32>) opad
                 (dwT: nativeptr<float32>) n0 n1 =
        let fma = fun (a: Vector256<float32>) b c -> Fma.MultiplyAdd(a, b, c)
        if opad > 8 then weightRun fma true s kc x gt opad dwT n0 n1
        else weightRun fma false s kc x gt opad dwT n0 n1

    /// float64 ∂Wᵀ of images [n0, n1) (FMA).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let weight64 s kc (x: nativeptr<float>) (gt: nativeptr<float>) opad (dwT: nativeptr<float>)
                 n0 n1 =
        let fma = fun (a: Vector256<float>) b c -> Fma.MultiplyAdd(a, b, c)
        if opad > 4 then weightRun fma true s kc x gt opad dwT n0 n1
        else weightRun fma false s kc x gt opad dwT n0 n1

    /// The lanes a last vector moved left to end at Wo adds: those at or past the last whole
    /// vector's end, j ≥ ⌊Wo/lanes⌋·lanes.
    let private tailLanes (s: ConvKernels.Sizes) lanes = s.Wo / lanes * lanes - (s.Wo - lanes)

    /// float32 ∂x of images [n0, n1) (FMA).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let input32 s (g: nativeptr<float32>) (packed: nativeptr<float32>) cpad (dx: nativeptr<float32>)
                n0 n1 =
        let tail = Vector256.GreaterThanOrEqual(Vector256<float32>.Indices,
                                                Vector256.Create(float32 (tailLanes s 8)))
        let fma = fun (a: Vector256<float32>) b c -> Fma.MultiplyAdd(a, b, c)
        inputRun fma s g packed cpad tail dx n0 n1

    /// float64 ∂x of images [n0, n1) (FMA).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let input64 s (g: nativeptr<float>) (packed: nativeptr<float>) cpad (dx: nativeptr<float>)
                n0 n1 =
        let tail = Vector256.GreaterThanOrEqual(Vector256<float>.Indices,
                                                Vector256.Create(float (tailLanes s 4)))
        let fma = fun (a: Vector256<float>) b c -> Fma.MultiplyAdd(a, b, c)
        inputRun fma s g packed cpad tail dx n0 n1
