/// The direct convolution kernel for stride 1, no padding, no dilation, one group, in SIMD
/// registers. Layer: Tensor (no dependencies). Read next: ConvGradKernels.fs (the gradients'),
/// then Conv.fs (which calls them, and falls back to im2col + GEMM for every other convolution).
///
///     y[n,o,i,j] = Σ_{c,p,q} x[n, c, i+p, j+q] · w[o, c, p, q]
///
/// Why not im2col here: im2col copies every input cell kH·kW times into a matrix (3.7 MB for
/// W2's first layer, far beyond L2) that the GEMM then packs once more, and with 8 or 16 output
/// channels the GEMM's 12-row tiles run a third empty. The direct loop reads x where it lies.
///
/// Register plan. A tile holds 8 output channels × R output rows × one vector of output columns
/// (8 float32 or 4 float64 lanes): 8·R accumulators. Each step (c, p, q) loads R vectors of
/// input rows i+p, …, i+R−1+p (shifted by q) and broadcasts each of the 8 weights w[o, c, p, q]
/// once, into R fused multiply-adds. The weights are first repacked so those 8 sit side by side:
/// packed[block][(c, p, q)][0..7] = w[8·block + 0..7, c, p, q]. With AVX-512's 32 vector
/// registers R = 3 (24 accumulators, 3 inputs, 1 broadcast: 28 registers), and the step is
/// bound by its 24 FMAs, no longer by its 9 loads per 8 FMAs as with R = 1; with AVX2's 16,
/// R = 1 (8 accumulators). Every lane still sums its products in the order (c, p, q), the
/// order of im2col + GEMM. W2's layers on one thread, batch 64, float32, best of 200 (shared
/// machine, under load): conv1 (1→8, 28×28) 0.25 → 0.18 ms, conv2 (8→16, 12×12) 0.43 →
/// 0.28 ms, from R = 1 to R = 3 (R = 2: conv1 0.24 ms, conv2 0.275 ms, though Ho = 8 is no
/// multiple of 3 and its last tile repeats a row).
namespace ScratchML

#nowarn "9" // NativePtr: unverifiable pointer code, on purpose (the arrays are pinned)

open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86
open Microsoft.FSharp.NativeInterop

module internal ConvKernels =
    /// Output channels per register block.
    [<Literal>]
    let Block = 8

    /// Sizes of one direct convolution: x [N; C; H; W], w [O; C; kH; kW], y [N; O; Ho; Wo] with
    /// Ho = H − kH + 1, Wo = W − kW + 1.
    [<Struct>]
    type Sizes =
        { C: int; H: int; W: int; O: int; KH: int; KW: int }
        member s.Ho = s.H - s.KH + 1
        member s.Wo = s.W - s.KW + 1
        /// Multiply-adds per output cell: C·kH·kW.
        member s.K = s.C * s.KH * s.KW

    /// Whether the kernel applies: every output row holds at least one whole vector.
    let fits (s: Sizes) (lanes: int) = Vector256.IsHardwareAccelerated && s.Wo >= lanes

    /// w [O; C·kH·kW] → packed [⌈O/8⌉; C·kH·kW; 8], zeros past channel O.
    let packWeights (w: 'T[]) (s: Sizes) : 'T[] =
        let k = s.K
        let packed = Array.zeroCreate ((s.O + Block - 1) / Block * k * Block)
        for o in 0 .. s.O - 1 do
            for r in 0 .. k - 1 do packed[((o / Block) * k + r) * Block + o % Block] <- w[o * k + r]
        packed

    /// Images [n0, n1) of y. A tile is 8 output channels × `rows` output rows (1 to 3) × one
    /// vector of output columns: per step r = (c, p, q) it loads one vector of each of its rows'
    /// input rows (shifted by q) and broadcasts each of the 8 weights once, into `rows` FMAs.
    /// Columns run in vectors at j = 0, lanes, 2·lanes, …; a last partial vector is moved left to
    /// end at Wo, recomputing a few columns to the same values (the same sums in the same order),
    /// so no scalar tail is needed. Rows run in tiles at i = 0, rows, 2·rows, …; past Ho a tile
    /// repeats row Ho − 1, which it computes but does not store. When `blocked` (K > kc) the sum
    /// over r restarts every kc steps and each block is added to y in order (the first stores),
    /// as the GEMM sums k in blocks of KC (Gemm.blockDepth): so y equals im2col + GEMM bit for
    /// bit. `blocked` and `rows` are constants at each call, so the single-block loop (W2's
    /// layers) carries no step counter (with one, W2's forward passes ran ~10% slower) and the
    /// rows a tile does not have cost nothing.
    let inline private run ([<InlineIfLambda>] fma: Vector256< ^T> -> Vector256< ^T> -> Vector256< ^T> -> Vector256< ^T>)
                           (rows: int) (blocked: bool) (s: Sizes) (kc: int) (x: nativeptr< ^T>)
                           (packed: nativeptr< ^T>) (y: nativeptr< ^T>) n0 n1 =
        let lanes = Vector256< ^T>.Count
        let ho, wo, k = s.Ho, s.Wo, s.K
        let broadcast (p: nativeptr< ^T>) r = Vector256.Create(NativePtr.get p r)
        let zero = Vector256< ^T>.Zero
        for n in n0 .. n1 - 1 do
            for block in 0 .. (s.O - 1) / Block do
                let weights = NativePtr.add packed (block * k * Block)
                let outputs = min Block (s.O - block * Block)
                for tile in 0 .. (ho - 1) / rows do
                    // the tile's rows i0 + t, t < rows; a row past Ho repeats row Ho − 1
                    let i0 = tile * rows
                    let row1, row2 = min (i0 + 1) (ho - 1), min (i0 + 2) (ho - 1)
                    let mutable start = 0
                    while start < wo do
                        let j = min start (wo - lanes)
                        // a<t><r>: row i0 + t, output channel 8·block + r
                        let mutable a00, a01, a02, a03 = zero, zero, zero, zero
                        let mutable a04, a05, a06, a07 = zero, zero, zero, zero
                        let mutable a10, a11, a12, a13 = zero, zero, zero, zero
                        let mutable a14, a15, a16, a17 = zero, zero, zero, zero
                        let mutable a20, a21, a22, a23 = zero, zero, zero, zero
                        let mutable a24, a25, a26, a27 = zero, zero, zero, zero
                        // y ← a (the first block) or y ← y + a, for the channels and rows that
                        // exist (the accumulators are passed, not captured: a closure would box
                        // them)
                        let foldRow first t (a0: Vector256< ^T>) a1 a2 a3 a4 a5 a6 a7 =
                            let out r (a: Vector256< ^T>) =
                                if t < rows && r < outputs && i0 + t < ho then
                                    let at = ((n * s.O + block * Block + r) * ho + i0 + t) * wo + j
                                    let dst = NativePtr.add y at
                                    if first then a.Store dst else (Vector256.Load dst + a).Store dst
                            out 0 a0; out 1 a1; out 2 a2; out 3 a3; out 4 a4; out 5 a5; out 6 a6; out 7 a7
                        let mutable step, first = 0, true
                        for c in 0 .. s.C - 1 do
                            for p in 0 .. s.KH - 1 do
                                let input i =
                                    NativePtr.add x (((n * s.C + c) * s.H + i + p) * s.W + j)
                                let in0, in1, in2 = input i0, input row1, input row2
                                let wr = NativePtr.add weights ((c * s.KH + p) * s.KW * Block)
                                for q in 0 .. s.KW - 1 do
                                    let load (row: nativeptr< ^T>) =
                                        Vector256.Load(NativePtr.add row q)
                                    let v0 = load in0
                                    let v1 = if rows > 1 then load in1 else zero
                                    let v2 = if rows > 2 then load in2 else zero
                                    let wq = NativePtr.add wr (q * Block)
                                    // one broadcast weight per output channel, into each row
                                    let w = broadcast wq 0
                                    a00 <- fma w v0 a00
                                    if rows > 1 then a10 <- fma w v1 a10
                                    if rows > 2 then a20 <- fma w v2 a20
                                    let w = broadcast wq 1
                                    a01 <- fma w v0 a01
                                    if rows > 1 then a11 <- fma w v1 a11
                                    if rows > 2 then a21 <- fma w v2 a21
                                    let w = broadcast wq 2
                                    a02 <- fma w v0 a02
                                    if rows > 1 then a12 <- fma w v1 a12
                                    if rows > 2 then a22 <- fma w v2 a22
                                    let w = broadcast wq 3
                                    a03 <- fma w v0 a03
                                    if rows > 1 then a13 <- fma w v1 a13
                                    if rows > 2 then a23 <- fma w v2 a23
                                    let w = broadcast wq 4
                                    a04 <- fma w v0 a04
                                    if rows > 1 then a14 <- fma w v1 a14
                                    if rows > 2 then a24 <- fma w v2 a24
                                    let w = broadcast wq 5
                                    a05 <- fma w v0 a05
                                    if rows > 1 then a15 <- fma w v1 a15
                                    if rows > 2 then a25 <- fma w v2 a25
                                    let w = broadcast wq 6
                                    a06 <- fma w v0 a06
                                    if rows > 1 then a16 <- fma w v1 a16
                                    if rows > 2 then a26 <- fma w v2 a26
                                    let w = broadcast wq 7
                                    a07 <- fma w v0 a07
                                    if rows > 1 then a17 <- fma w v1 a17
                                    if rows > 2 then a27 <- fma w v2 a27
                                    if blocked then step <- step + 1
                                    if blocked && step = kc then   // the GEMM's k block ends here
                                        foldRow first 0 a00 a01 a02 a03 a04 a05 a06 a07
                                        foldRow first 1 a10 a11 a12 a13 a14 a15 a16 a17
                                        foldRow first 2 a20 a21 a22 a23 a24 a25 a26 a27
                                        a00 <- zero; a01 <- zero; a02 <- zero; a03 <- zero
                                        a04 <- zero; a05 <- zero; a06 <- zero; a07 <- zero
                                        a10 <- zero; a11 <- zero; a12 <- zero; a13 <- zero
                                        a14 <- zero; a15 <- zero; a16 <- zero; a17 <- zero
                                        a20 <- zero; a21 <- zero; a22 <- zero; a23 <- zero
                                        a24 <- zero; a25 <- zero; a26 <- zero; a27 <- zero
                                        step <- 0
                                        first <- false
                        if not blocked || step > 0 then
                            foldRow first 0 a00 a01 a02 a03 a04 a05 a06 a07
                            foldRow first 1 a10 a11 a12 a13 a14 a15 a16 a17
                            foldRow first 2 a20 a21 a22 a23 a24 a25 a26 a27
                        start <- j + lanes

    // One method per (dtype, blocked): each JIT-compiles a single loop nest, as before blocks
    // existed (with all three nests in one method W2's forward passes measured ~4% slower).
    // Avx512F.VL.IsSupported is a constant to the JIT, which keeps only one tile: 3 rows (24
    // accumulators) where there are 32 vector registers, else 1 row (8 of the 16).
    let inline private fma32 (w: Vector256<float32>) v a = Fma.MultiplyAdd(w, v, a)
    let inline private fma64 (w: Vector256<float>) v a = Fma.MultiplyAdd(w, v, a)

    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private single32 s kc (x: nativeptr<float32>) packed y n0 n1 =
        if Fma.IsSupported && Avx512F.VL.IsSupported then run fma32 3 false s kc x packed y n0 n1
        elif Fma.IsSupported then run fma32 1 false s kc x packed y n0 n1
        else run (fun w v a -> w * v + a) 1 false s kc x packed y n0 n1

    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private blocked32 s kc (x: nativeptr<float32>) packed y n0 n1 =
        if Fma.IsSupported && Avx512F.VL.IsSupported then run fma32 3 true s kc x packed y n0 n1
        elif Fma.IsSupported then run fma32 1 true s kc x packed y n0 n1
        else run (fun w v a -> w * v + a) 1 true s kc x packed y n0 n1

    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private single64 s kc (x: nativeptr<float>) packed y n0 n1 =
        if Fma.IsSupported && Avx512F.VL.IsSupported then run fma64 3 false s kc x packed y n0 n1
        elif Fma.IsSupported then run fma64 1 false s kc x packed y n0 n1
        else run (fun w v a -> w * v + a) 1 false s kc x packed y n0 n1

    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private blocked64 s kc (x: nativeptr<float>) packed y n0 n1 =
        if Fma.IsSupported && Avx512F.VL.IsSupported then run fma64 3 true s kc x packed y n0 n1
        elif Fma.IsSupported then run fma64 1 true s kc x packed y n0 n1
        else run (fun w v a -> w * v + a) 1 true s kc x packed y n0 n1

    /// float32 y for images [n0, n1), sums over K in GEMM blocks of kc: FMA when the processor
    /// has it (8 lanes).
    let forward32 (s: Sizes) (kc: int) (x: nativeptr<float32>) (packed: nativeptr<float32>)
                  (y: nativeptr<float32>) n0 n1 =
        if s.K > kc then blocked32 s kc x packed y n0 n1 else single32 s kc x packed y n0 n1

    /// float64 y for images [n0, n1), sums over K in GEMM blocks of kc: FMA when the processor
    /// has it (4 lanes).
    let forward64 (s: Sizes) (kc: int) (x: nativeptr<float>) (packed: nativeptr<float>)
                  (y: nativeptr<float>) n0 n1 =
        if s.K > kc then blocked64 s kc x packed y n0 n1 else single64 s kc x packed y n0 n1
