/// GEMM, C = A·B, written by hand: packing, cache blocking, a register micro-kernel, 2 threads.
/// Layer: Tensor (uses GemmKernels, GemmKernelsAvx512, GemmPack, GemmWorkers, GemmMemory).
/// Read next: the Tensor ops (matmul calls sgemm/dgemm).
///
/// Why not three nested loops: a naive loop loads ~2 numbers per multiply-add, from wherever
/// they lie in memory. A Zen 3 or Zen 4 core can do 2 FMAs of 8 float32 lanes per cycle (32
/// flops) but load only 2–3 vectors per cycle, and from L2/L3 far fewer. The cure has 3 parts:
/// 1. Register blocking: a micro-kernel keeps an MR×NR tile of C in registers and per step p
///    loads MR values of A and NR of B for MR·NR multiply-adds. AVX2 (16 ymm registers): 6×16
///    float32 / 6×8 float64, 96 FMA lanes per 22 loaded numbers instead of 1 per 2. AVX-512
///    (32 zmm registers): 12×32 / 12×16, 384 FMA lanes per 44 numbers (GemmKernelsAvx512.fs).
/// 2. Packing (GemmPack.fs): the A rows and B columns a micro-kernel reads are copied once into
///    contiguous "micro-panels" (A: MR rows, stored column by column; B: NR columns, stored row
///    by row), so the kernel streams them with unit stride whatever the caller's strides are (a
///    transposed view is just another pair of strides) and edges are zero-padded to full tiles.
///    Each packed number is then used NR (A) or MC (B) times, so packing costs O(1/NR) per flop.
/// 3. Cache blocking (the BLIS loop nest below): k is cut into blocks of KC, the rows of A into
///    blocks of MC, the columns of B into blocks of NC, so that
///      - one B micro-panel (KC×NR) stays in L1 or L2 while MC/MR A micro-panels pass it;
///      - the packed A block (MC×KC) stays in L2 while all NC/NR B micro-panels pass it;
///      - the packed B block (KC×NC) lives in L2/L3 and is reused by every A block.
///    Loop order, outside in: jc (NC columns) → pc (KC of k; pack B) → ic (MC rows; pack A) →
///    jr (NR columns) → ir (MR rows) → the micro-kernel's p loop over KC.
/// Large products are split between threads by blocks of C rows (or columns) — GemmWorkers.fs.
namespace ScratchML

#nowarn "9" // NativePtr: unverifiable pointer code, on purpose (arrays are pinned by `fixed`)

open System
open System.Runtime.CompilerServices
open System.Runtime.Intrinsics.X86
open Microsoft.FSharp.NativeInterop

/// Per-thread packing buffers, allocated once and reused: no packing memory is allocated per call.
/// Native memory (GemmMemory.fs): it never moves, so a raw pointer into it stays valid; 64-byte
/// aligned, so every packed micro-panel starts on a cache line; huge pages on Linux when large.
/// A thread's buffer is freed by its finalizer once the thread has ended.
type internal GemmWorkspace private () =
    [<ThreadStatic; DefaultValue>]
    static val mutable private buffer: NativeBuffer

    /// An aligned pointer to at least `bytes` bytes owned by the calling thread.
    static member Get(bytes: int) : nativeint =
        let mutable buffer = GemmWorkspace.buffer
        if isNull buffer || buffer.Length < int64 bytes then
            if not (isNull buffer) then (buffer :> IDisposable).Dispose()
            buffer <- new NativeBuffer(int64 bytes)
            GemmWorkspace.buffer <- buffer
        buffer.Address

/// Which micro-kernel runs: chosen once per call from what the processor supports.
[<RequireQualifiedAccess>]
type internal GemmPath =
    /// 12×32 float32 / 12×16 float64 tiles in zmm registers (GemmKernelsAvx512.fs).
    | Avx512
    /// 6×16 float32 / 6×8 float64 tiles in ymm registers (GemmKernels.fs).
    | Avx2
    /// The same 6-row tiles in plain scalar code, for any processor.
    | Portable

[<RequireQualifiedAccess>]
module Gemm =
    /// Threads the library uses for large products by default: the processors, at most 2.
    let mutable defaultThreads = max 1 (min Environment.ProcessorCount 2)

    /// Whether this processor can run a path.
    let internal supports path =
        match path with
        | GemmPath.Avx512 -> Avx512F.IsSupported
        | GemmPath.Avx2 -> Avx2.IsSupported && Fma.IsSupported
        | GemmPath.Portable -> true

    /// Tests set this to run a slower path (AVX2 or portable) on a machine with a faster one.
    let mutable internal forcedPath: GemmPath option = None

    /// The path a call takes: the forced one if the processor has it, else the fastest it has.
    let internal path () =
        match forcedPath with
        | Some p when supports p -> p
        | _ -> [ GemmPath.Avx512; GemmPath.Avx2 ] |> List.tryFind supports
               |> Option.defaultValue GemmPath.Portable

    /// Below this many multiply-adds (m·n·k) a product stays on one thread: 256³, the smallest
    /// W0 size. With Task.Run a 256³ product ran slower on two threads than on one (1.3–1.8 ms
    /// against 0.37); with persistent workers and a fixed half each it still measured slower
    /// (18 GFLOP/s float64 in one W0 run; in a loaded harness, 10–20 ms calls whenever a worker
    /// started its half and then lost its core), so the split started above 320³. Now the rows
    /// are shared in chunks (GemmWorkers.share), each thread packing B once: a late worker takes
    /// fewer chunks. On a machine with load average 40 (the worker rarely got a core) 256³ split
    /// calls ran within 5–10% of one thread (median of 100, interleaved). With a free second
    /// core each thread does half the rows plus its own packing of B, a few % of the product:
    /// ~1.9× expected, not yet measured (the second core was never free while this was written).
    let mutable internal parallelThreshold = 256L * 256L * 256L

    /// Columns of B per packed block (see the block sizes below); only matters beyond n = 4080.
    [<Literal>]
    let private NC = 4080

    let inline private roundUp x step = (x + step - 1) / step * step

    /// Ask for the `count` numbers at `p` to be brought into L2 (one prefetch per cache line).
    /// Measured at n = 1024 float64: packing A took 0.85 ms of 39.7 when its rows came from
    /// memory, 0.35 ms when prefetched while the previous block's kernels ran (+0.6–1.2% overall).
    let inline private prefetchRow (p: nativeptr< ^T>) (count: int) =
        for q in 0 .. 64 / sizeof< ^T> .. count - 1 do
            Sse.Prefetch1(NativePtr.toVoidPtr (NativePtr.add p q))

    /// One thread's product over pinned pointers: the five BLIS loops around the micro-kernel
    /// `tile kc aPanel bPanel c ldc add` (add = false on the first k block: C is overwritten).
    /// Edge tiles (m or n not a multiple of MR or NR) are computed into a scratch tile, and only
    /// their valid mr×nr corner is copied to C: C is never written outside its m×n block.
    /// `packed` says this thread's workspace already holds this very B, packed for an earlier
    /// chunk of rows of the same product; it is used only when B is one block (k ≤ KC, n ≤ NC).
    let inline private serial vector (mr: int) (nr: int) (kcMax: int) (mcMax: int) (ncMax: int) tile
                              (packed: bool) m n k (a: nativeptr< ^T>) aRs aCs (b: nativeptr< ^T>)
                              bRs bCs (c: nativeptr< ^T>) (ldc: int) =
        // a packed B block holds nc columns rounded UP to whole NR panels: NC = 4080 is a
        // multiple of the AVX2 NR (16) but not of the AVX-512 NR32 (32), so the block must be
        // sized from the rounded width, not from NC (it overran into the next pinned array).
        let ncAlloc = roundUp (min ncMax n) nr
        let aSize, bSize = mcMax * kcMax, kcMax * ncAlloc // mcMax·kcMax·size is a multiple of 64
        let ws = GemmWorkspace.Get((aSize + bSize + mr * nr) * sizeof< ^T>)
        let ap = NativePtr.ofNativeInt< ^T> ws
        let bp = NativePtr.add ap aSize
        let scratch = NativePtr.add bp bSize
        for jc in 0 .. ncMax .. n - 1 do
            let nc = min ncMax (n - jc)
            for pc in 0 .. kcMax .. k - 1 do
                let kc = min kcMax (k - pc)
                let add = pc > 0
                if not (packed && n <= ncMax && k <= kcMax) then
                    let bBlock = NativePtr.add b (pc * bRs + jc * bCs)
                    GemmPack.packB vector nr kc nc bBlock bRs bCs bp
                for ic in 0 .. mcMax .. m - 1 do
                    let mc = min mcMax (m - ic)
                    let aBlock = NativePtr.add a (ic * aRs + pc * aCs)
                    GemmPack.packA vector mr mc kc aBlock aRs aCs ap
                    // While the kernels run, bring the next block of A into L2 (one row per B
                    // panel; rows contiguous only), so packing it does not wait for memory.
                    let next = ic + mcMax
                    let nextRows = if vector && aCs = 1 then min mcMax (m - next) else 0
                    for jr in 0 .. nr .. nc - 1 do
                        if jr / nr < nextRows then
                            prefetchRow (NativePtr.add a ((next + jr / nr) * aRs + pc)) kc
                        let bPanel = NativePtr.add bp (jr * kc)
                        let cols = min nr (nc - jr)
                        for ir in 0 .. mr .. mc - 1 do
                            let aPanel = NativePtr.add ap (ir * kc)
                            let rows = min mr (mc - ir)
                            let cTile = NativePtr.add c ((ic + ir) * ldc + jc + jr)
                            if rows = mr && cols = nr then
                                tile kc aPanel bPanel cTile ldc add
                            else
                                tile kc aPanel bPanel scratch nr false
                                for i in 0 .. rows - 1 do
                                    for j in 0 .. cols - 1 do
                                        let s = NativePtr.get scratch (i * nr + j)
                                        let t = NativePtr.add cTile (i * ldc)
                                        NativePtr.set t j (if add then NativePtr.get t j + s else s)

    /// Throws unless every element the strides reach lies inside the array.
    let private checkOperand name (length: int) (off: int) rows cols (rs: int) (cs: int) =
        if rows > 0 && cols > 0 then
            let r, q = int64 (rows - 1) * int64 rs, int64 (cols - 1) * int64 cs
            let lo = int64 off + min 0L r + min 0L q
            let hi = int64 off + max 0L r + max 0L q
            if lo < 0L || hi >= int64 length then
                invalidArg name $"{rows}x{cols} view (offset {off}, strides {rs},{cs}) reaches \
                                  [{lo}, {hi}] outside an array of {length}"

    let private checkArgs threads m n k aLen aOff aRs aCs bLen bOff bRs bCs cLen cOff ldc =
        if threads < 1 then invalidArg "threads" $"threads must be at least 1, got {threads}"
        if m < 0 || n < 0 || k < 0 then invalidArg "m" $"negative size m={m} n={n} k={k}"
        if m > 1 && ldc < n then invalidArg "ldc" $"ldc={ldc} is less than n={n}"
        checkOperand "a" aLen aOff m k aRs aCs
        checkOperand "b" bLen bOff k n bRs bCs
        checkOperand "c" cLen cOff m n ldc 1

    /// Split C into disjoint chunks of whole tiles — rows when m ≥ n, else columns — and run
    /// `block packed (i0, rows, j0, cols)` on each, shared between the calling thread and
    /// persistent workers (GemmWorkers.share). The chunks share reads of A and B but never a
    /// write, so no locking is needed. Each thread packs B itself; when B is a single block
    /// (k ≤ kcMax, n ≤ NC, and chunks of rows), a thread's later chunks reuse its packed B
    /// (`packed` = true), so rows are cut into ~3 chunks per thread, which lets a late worker take
    /// fewer. Otherwise every chunk would pack B again, so there is one chunk per thread.
    let private split threads (mr: int) (nr: int) (kcMax: int) m n k block =
        let parts =
            if threads <= 1 || int64 m * int64 n * int64 k < parallelThreshold then 1
            elif m >= n then min threads ((m + mr - 1) / mr)
            else min threads ((n + nr - 1) / nr)
        if parts = 1 then
            block false (0, m, 0, n)
        else
            let byRows = m >= n
            let reuse = byRows && k <= kcMax && n <= NC
            let size, step = (if byRows then m, mr else n, nr)
            let pieces = if reuse then 3 * parts else parts
            let chunk = roundUp ((size + pieces - 1) / pieces) step
            GemmWorkers.share parts ((size + chunk - 1) / chunk) (fun first i ->
                let s = i * chunk
                let len = min chunk (size - s)
                block (reuse && not first) (if byRows then (s, len, 0, n) else (0, m, s, len)))

    /// The public entry for one dtype: check, handle k = 0, pin, split, run `serial` per block.
    let inline private gemm threads m n k (a: ^T[]) aOff aRs aCs (b: ^T[]) bOff bRs bCs
                            (c: ^T[]) cOff ldc (mr, nr, kc, run) =
        checkArgs threads m n k a.Length aOff aRs aCs b.Length bOff bRs bCs c.Length cOff ldc
        if m > 0 && n > 0 then
            if k = 0 then // an empty sum: C = 0
                for i in 0 .. m - 1 do
                    Array.fill c (cOff + i * ldc) n LanguagePrimitives.GenericZero< ^T>
            else
                use pa = fixed a
                use pb = fixed b
                use pc = fixed c
                // nativeints cross into the worker closures; each block offsets its own views
                let pa, pb = NativePtr.toNativeInt pa, NativePtr.toNativeInt pb
                let pc = NativePtr.toNativeInt pc
                split threads mr nr kc m n k (fun packed (i0, rows, j0, cols) ->
                    let a0 = NativePtr.add (NativePtr.ofNativeInt< ^T> pa) (aOff + i0 * aRs)
                    let b0 = NativePtr.add (NativePtr.ofNativeInt< ^T> pb) (bOff + j0 * bCs)
                    let c0 = NativePtr.add (NativePtr.ofNativeInt< ^T> pc) (cOff + i0 * ldc + j0)
                    run packed rows cols k a0 aRs aCs b0 bRs bCs c0 ldc)

    // Block sizes. This machine is an AMD Zen 4 core: 32 KiB L1d, 1 MiB L2, a 32 MiB L3 shared.
    // AVX2 path (6×16 float32, 6×8 float64 tiles), tuned on Zen 3 (512 KiB L2):
    //   KC·NR = 384·16·4 B = 384·8·8 B = 24 KiB of B micro-panel in L1, MC·KC = 96·384·4 B =
    //   48·384·8 B = 144 KiB of A block in L2. Measured at n = 1024: KC 384 with MC 96 beat
    //   KC 256 with MC 144 by ~2% (C is reloaded once per k block); MC 288, KC 128 and NC 512
    //   were 5–10% slower.
    // AVX-512 path (12×32 float32, 12×16 float64 tiles): a step of p reads 2 zmm of B (128 bytes)
    //   per 24 FMA cycles, ~5 bytes a cycle, which L2 delivers easily — so the B micro-panel need
    //   not stay in L1, and the blocks are chosen by measurement (W0 sizes, thread CPU time,
    //   best of runs on the loaded machine, ±3% noise). float32: KC 256 with MC 96 (96 KiB A
    //   block); KC 192 and 512, MC 48–192 and NC 256–1024 were the same or slower. float64:
    //   KC 512 with MC 24 (96 KiB A block, 64 KiB B micro-panel in L2). Each k block loads and
    //   stores all of C once, and at n = 1024 those passes over C (8 MiB, beyond L2) cost ~7% of
    //   the product with KC 256 (timed with C replaced by an L1 scratch tile), ~2% with KC 512:
    //   KC 512 measured 3–4% faster than KC 256 with MC 48 (thread CPU time, best and median of
    //   20 interleaved calls); MC 12–48 were within 1%, KC 384 in between, KC 768–1024 within 1%.
    // MC is a multiple of both MRs (6 and 12), so only the last block of rows has an edge tile.
    // NC only matters beyond n = 4080: the packed B block (4–12 MiB) then sits in L3.
    [<Literal>]
    let private KC32 = 384
    [<Literal>]
    let private MC32 = 96
    [<Literal>]
    let private KC64 = 384
    [<Literal>]
    let private MC64 = 48
    [<Literal>]
    let private KC32Z = 256
    [<Literal>]
    let private MC32Z = 96
    [<Literal>]
    let private KC64Z = 512
    [<Literal>]
    let private MC64Z = 24
    // One named method per path and dtype, so the JIT compiles each loop nest for its kernel.
    // The AggressiveOptimization attribute asks for full optimisation on the first call, but the
    // F# compiler (10.0) does not emit that flag (MethodImplementationFlags reads "IL"), so these
    // methods and the kernels start in tier 0 like any other and are recompiled after ~30 calls
    // plus ~100 ms; the attribute stays so they are skipped by tiering once the compiler emits it.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private serial32Avx512 packed m n k a aRs aCs b bRs bCs c ldc =
        serial true GemmKernelsAvx512.MR GemmKernelsAvx512.NR32 KC32Z MC32Z NC
            GemmKernelsAvx512.tile32 packed m n k a aRs aCs b bRs bCs c ldc

    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private serial32Avx2 packed m n k a aRs aCs b bRs bCs c ldc =
        serial true GemmKernels.MR GemmKernels.NR32 KC32 MC32 NC GemmKernels.tile32Avx packed
            m n k a aRs aCs b bRs bCs c ldc

    let private serial32Portable packed m n k a aRs aCs b bRs bCs c ldc =
        serial false GemmKernels.MR GemmKernels.NR32 KC32 MC32 NC GemmKernels.tile32Scalar packed
            m n k a aRs aCs b bRs bCs c ldc

    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private serial64Avx512 packed m n k a aRs aCs b bRs bCs c ldc =
        serial true GemmKernelsAvx512.MR GemmKernelsAvx512.NR64 KC64Z MC64Z NC
            GemmKernelsAvx512.tile64 packed m n k a aRs aCs b bRs bCs c ldc

    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private serial64Avx2 packed m n k a aRs aCs b bRs bCs c ldc =
        serial true GemmKernels.MR GemmKernels.NR64 KC64 MC64 NC GemmKernels.tile64Avx packed
            m n k a aRs aCs b bRs bCs c ldc

    let private serial64Portable packed m n k a aRs aCs b bRs bCs c ldc =
        serial false GemmKernels.MR GemmKernels.NR64 KC64 MC64 NC GemmKernels.tile64Scalar packed
            m n k a aRs aCs b bRs bCs c ldc

    /// The float32 path: (MR, NR, KC, one thread's product with that path's kernel and blocks).
    let private kernel32 path =
        match path with
        | GemmPath.Avx512 -> GemmKernelsAvx512.MR, GemmKernelsAvx512.NR32, KC32Z, serial32Avx512
        | GemmPath.Avx2 -> GemmKernels.MR, GemmKernels.NR32, KC32, serial32Avx2
        | GemmPath.Portable -> GemmKernels.MR, GemmKernels.NR32, KC32, serial32Portable

    /// The float64 path: (MR, NR, KC, one thread's product with that path's kernel and blocks).
    let private kernel64 path =
        match path with
        | GemmPath.Avx512 -> GemmKernelsAvx512.MR, GemmKernelsAvx512.NR64, KC64Z, serial64Avx512
        | GemmPath.Avx2 -> GemmKernels.MR, GemmKernels.NR64, KC64, serial64Avx2
        | GemmPath.Portable -> GemmKernels.MR, GemmKernels.NR64, KC64, serial64Portable

    /// The depth KC of the k blocks a product of this dtype is summed in, on the path the next
    /// call takes: cᵢⱼ = Σ_blocks (Σ_{p in block} aᵢₚ·bₚⱼ), the blocks cut from the start of the
    /// call's k range and added to C in order (the first stores). Kernels that must reproduce a
    /// product bit for bit (ConvGradKernels.fs) read it here, so they follow any retuning.
    let internal blockDepth (dtype: DType) =
        match dtype with
        | DType.Float32 -> let _, _, kc, _ = kernel32 (path ()) in kc
        | DType.Float64 -> let _, _, kc, _ = kernel64 (path ()) in kc

    /// Whether the next call's block sums are fused chains acc ← fma(aᵢₚ, bₚⱼ, acc) from 0 over p
    /// in order (the AVX-512 and AVX2 tiles), rather than a rounded product then a rounded add
    /// (the portable tile).
    let internal fusedChains () = path () <> GemmPath.Portable

    /// C[m×n] = A[m×k]·B[k×n] in float32 (C overwritten): cᵢⱼ = Σₚ aᵢₚ·bₚⱼ with
    /// aᵢₚ = a[aOff + i·aRs + p·aCs], bₚⱼ = b[bOff + p·bRs + j·bCs], cᵢⱼ = c[cOff + i·ldc + j].
    /// Any strides work (a transposed view swaps them); C must not overlap A or B.
    let sgemm (threads: int) (m: int) (n: int) (k: int) (a: float32[]) (aOff: int) (aRs: int)
              (aCs: int) (b: float32[]) (bOff: int) (bRs: int) (bCs: int) (c: float32[])
              (cOff: int) (ldc: int) : unit =
        gemm threads m n k a aOff aRs aCs b bOff bRs bCs c cOff ldc (kernel32 (path ()))

    /// C[m×n] = A[m×k]·B[k×n] in float64 (C overwritten): cᵢⱼ = Σₚ aᵢₚ·bₚⱼ, strides as sgemm.
    let dgemm (threads: int) (m: int) (n: int) (k: int) (a: float[]) (aOff: int) (aRs: int)
              (aCs: int) (b: float[]) (bOff: int) (bRs: int) (bCs: int) (c: float[])
              (cOff: int) (ldc: int) : unit =
        gemm threads m n k a aOff aRs aCs b bOff bRs bCs c cOff ldc (kernel64 (path ()))
