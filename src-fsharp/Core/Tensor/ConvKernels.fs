/// The direct convolution kernel for stride 1, no padding, no dilation, one group, in SIMD
/// registers. Layer: Tensor (no dependencies). Read next: ConvGradKernels.fs (the gradients'),
/// then Conv.fs (which calls them, and falls back to im2col + GEMM for every other convolution).
///
///     y[n,o,i,j] = Σ_{c,p,q} x[n, c, i+p, j+q] · w[o, c, p, q]
///
/// Why not im2col here: im2col copies every input cell kH·kW times into a matrix (3.7 MB for
/// W2's first layer, far beyond L2) that the GEMM then packs once more, and with 8 or 16 output
/// channels the GEMM's 12-row tiles run a third empty. The direct loop reads x where it lies:
/// a register block holds 8 output channels × one vector of output columns (8 float32 or 4
/// float64 lanes); each step (c, p, q) loads one vector of an input row, shifted by q, and
/// multiplies it into the 8 accumulators by 8 broadcast weights. The weights are first repacked
/// so those 8 sit side by side: packed[block][(c, p, q)][0..7] = w[8·block + 0..7, c, p, q].
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

    /// Images [n0, n1) of y. Columns run in vectors at j = 0, lanes, 2·lanes, …; a last partial
    /// vector is moved left to end at Wo, recomputing a few columns to the same values (the same
    /// sums in the same order), so no scalar tail is needed. When `blocked` (K > kc) the sum over
    /// r = (c, p, q) restarts every kc steps and each block is added to y in order (the first
    /// stores), as the GEMM sums k in blocks of KC (Gemm.blockDepth): so y equals im2col + GEMM
    /// bit for bit. `blocked` is a constant at each call, so the single-block loop (W2's layers)
    /// carries no step counter (with one, W2's forward passes ran ~10% slower).
    let inline private run ([<InlineIfLambda>] fma: Vector256< ^T> -> Vector256< ^T> -> Vector256< ^T> -> Vector256< ^T>)
                           (blocked: bool) (s: Sizes) (kc: int) (x: nativeptr< ^T>) (packed: nativeptr< ^T>)
                           (y: nativeptr< ^T>) n0 n1 =
        let lanes = Vector256< ^T>.Count
        let ho, wo, k = s.Ho, s.Wo, s.K
        let broadcast (p: nativeptr< ^T>) r = Vector256.Create(NativePtr.get p r)
        for n in n0 .. n1 - 1 do
            for block in 0 .. (s.O - 1) / Block do
                let weights = NativePtr.add packed (block * k * Block)
                let outputs = min Block (s.O - block * Block)
                for i in 0 .. ho - 1 do
                    let mutable start = 0
                    while start < wo do
                        let j = min start (wo - lanes)
                        let mutable a0 = Vector256< ^T>.Zero
                        let mutable a1 = Vector256< ^T>.Zero
                        let mutable a2 = Vector256< ^T>.Zero
                        let mutable a3 = Vector256< ^T>.Zero
                        let mutable a4 = Vector256< ^T>.Zero
                        let mutable a5 = Vector256< ^T>.Zero
                        let mutable a6 = Vector256< ^T>.Zero
                        let mutable a7 = Vector256< ^T>.Zero
                        // y ← block (the first) or y ← y + block, output channel by channel
                        let fold first (a0: Vector256< ^T>) a1 a2 a3 a4 a5 a6 a7 =
                            let out r (a: Vector256< ^T>) =
                                if r < outputs then
                                    let dst = NativePtr.add y (((n * s.O + block * Block + r) * ho + i) * wo + j)
                                    if first then a.Store dst else (Vector256.Load dst + a).Store dst
                            out 0 a0; out 1 a1; out 2 a2; out 3 a3; out 4 a4; out 5 a5; out 6 a6; out 7 a7
                        let mutable step, first = 0, true
                        for c in 0 .. s.C - 1 do
                            for p in 0 .. s.KH - 1 do
                                let row = NativePtr.add x (((n * s.C + c) * s.H + i + p) * s.W + j)
                                let wr = NativePtr.add weights ((c * s.KH + p) * s.KW * Block)
                                for q in 0 .. s.KW - 1 do
                                    let v = Vector256.Load(NativePtr.add row q)
                                    let wq = NativePtr.add wr (q * Block)
                                    a0 <- fma (broadcast wq 0) v a0
                                    a1 <- fma (broadcast wq 1) v a1
                                    a2 <- fma (broadcast wq 2) v a2
                                    a3 <- fma (broadcast wq 3) v a3
                                    a4 <- fma (broadcast wq 4) v a4
                                    a5 <- fma (broadcast wq 5) v a5
                                    a6 <- fma (broadcast wq 6) v a6
                                    a7 <- fma (broadcast wq 7) v a7
                                    if blocked then step <- step + 1
                                    if blocked && step = kc then   // the GEMM's k block ends here
                                        fold first a0 a1 a2 a3 a4 a5 a6 a7
                                        a0 <- Vector256< ^T>.Zero; a1 <- Vector256< ^T>.Zero
                                        a2 <- Vector256< ^T>.Zero; a3 <- Vector256< ^T>.Zero
                                        a4 <- Vector256< ^T>.Zero; a5 <- Vector256< ^T>.Zero
                                        a6 <- Vector256< ^T>.Zero; a7 <- Vector256< ^T>.Zero
                                        step <- 0
                                        first <- false
                        if blocked then
                            if step > 0 then fold first a0 a1 a2 a3 a4 a5 a6 a7
                        else
                            let out r (a: Vector256< ^T>) =
                                if r < outputs then
                                    a.Store(NativePtr.add y (((n * s.O + block * Block + r) * ho + i) * wo + j))
                            out 0 a0; out 1 a1; out 2 a2; out 3 a3; out 4 a4; out 5 a5; out 6 a6; out 7 a7
                        start <- j + lanes

    // One method per (dtype, blocked): each JIT-compiles a single loop nest, as before blocks
    // existed (with all three nests in one method W2's forward passes measured ~4% slower).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private single32 s kc (x: nativeptr<float32>) packed y n0 n1 =
        if Fma.IsSupported then
            run (fun (w: Vector256<float32>) v a -> Fma.MultiplyAdd(w, v, a)) false s kc x packed y n0 n1
        else run (fun w v a -> w * v + a) false s kc x packed y n0 n1

    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private blocked32 s kc (x: nativeptr<float32>) packed y n0 n1 =
        if Fma.IsSupported then
            run (fun (w: Vector256<float32>) v a -> Fma.MultiplyAdd(w, v, a)) true s kc x packed y n0 n1
        else run (fun w v a -> w * v + a) true s kc x packed y n0 n1

    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private single64 s kc (x: nativeptr<float>) packed y n0 n1 =
        if Fma.IsSupported then
            run (fun (w: Vector256<float>) v a -> Fma.MultiplyAdd(w, v, a)) false s kc x packed y n0 n1
        else run (fun w v a -> w * v + a) false s kc x packed y n0 n1

    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private blocked64 s kc (x: nativeptr<float>) packed y n0 n1 =
        if Fma.IsSupported then
            run (fun (w: Vector256<float>) v a -> Fma.MultiplyAdd(w, v, a)) true s kc x packed y n0 n1
        else run (fun w v a -> w * v + a) true s kc x packed y n0 n1

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
