/// GEMM micro-kernels for AVX-512: a 12×32 float32 tile and a 12×16 float64 tile in zmm registers.
/// Layer: Tensor (no dependencies). Read GemmKernels.fs first (the AVX2 tiles and the packed
/// panel layout, which these share); read next: Gemm.fs (packing, blocking, threads).
///
/// What AVX-512 changes, and what it does not. A zmm register holds 16 float32 (8 float64), twice
/// a ymm, and there are 32 of them instead of 16. On AMD Zen 4 (this machine: family 25, model 17)
/// a 512-bit FMA is "double-pumped": each of the 2 FMA pipes is 256 bits wide and a zmm FMA
/// occupies both for a cycle, so the peak stays 32 float32 (16 float64) flops per cycle, exactly
/// as with AVX2 (measured here: 31.9 flops/cycle with ymm and with zmm chains). Zen 5 and Intel
/// server cores with two 512-bit FMA units double it. What AVX-512 buys on Zen 4 is fewer
/// instructions per flop and, above all, twice the registers: a bigger tile of C fits in them.
///
/// Why 12 × 2 vectors. The tile is MR rows × 2 zmm columns: 24 accumulators, 2 registers for the
/// row of B, 1 for the broadcast of A — 27 of 32, so nothing spills (a 14-row tile would use 31
/// and leave the JIT no room). Per step p the kernel loads 2 vectors of B and broadcasts 12
/// numbers of A to feed 24 FMAs: 14 loads per 24 FMA cycles (the AVX2 6×16 tile needs 8 loads
/// per 12 FMAs, or 6 cycles), and each C element is loaded and stored once per KC steps in both.
/// 24 independent chains hide the FMA latency many times over (4 cycles × 1 zmm FMA per cycle =
/// 4 chains needed). A taller tile (rather than wider: 6 × 4 vectors) keeps the B micro-panel
/// (KC × 32 float32) as small as possible: it is the one re-read by every A micro-panel.
///
/// Rows are named in hexadecimal so every accumulator has three characters: cR0 and cR1 are
/// the two vector halves of row R, R = 0 … 9, a (10), b (11).
namespace ScratchML

#nowarn "9" // NativePtr: unverifiable pointer code, on purpose (the arrays are pinned)

open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86
open Microsoft.FSharp.NativeInterop

module internal GemmKernelsAvx512 =
    /// Rows of a tile (both dtypes).
    [<Literal>]
    let MR = 12

    /// Columns of a float32 tile: 2 zmm vectors of 16 lanes.
    [<Literal>]
    let NR32 = 32

    /// Columns of a float64 tile: 2 zmm vectors of 8 lanes.
    [<Literal>]
    let NR64 = 16

    /// C row ← v0‖v1, or C row ← C row + v0‖v1 (unaligned: C is the caller's array).
    let inline private storeRow (add: bool) (row: nativeptr<'T>) (lanes: int) (v0: Vector512<'T>)
                                (v1: Vector512<'T>) =
        let row1 = NativePtr.add row lanes
        if add then
            Vector512.Store(Vector512.Add(Vector512.Load row, v0), row)
            Vector512.Store(Vector512.Add(Vector512.Load row1, v1), row1)
        else
            Vector512.Store(v0, row)
            Vector512.Store(v1, row1)

    /// Ask for the C tile's cache lines (first and last element of each row) now, so they arrive
    /// while the k loop runs instead of stalling the final load-add-store.
    let inline private prefetchTile (c: nativeptr<'T>) (ldc: int) (last: int) =
        for i in 0 .. MR - 1 do
            Sse.Prefetch0(NativePtr.toVoidPtr (NativePtr.add c (i * ldc)))
            Sse.Prefetch0(NativePtr.toVoidPtr (NativePtr.add c (i * ldc + last)))

    /// float32 12×32 tile: tile[i, j] = Σₚ a[p·12 + i]·b[p·32 + j], 24 zmm accumulators.
    /// `Vector512.Create(NativePtr.read p)` compiles to one vbroadcastss from memory.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let tile32 (kc: int) (a: nativeptr<float32>) (b: nativeptr<float32>)
              (c: nativeptr<float32>) (ldc: int) (add: bool) =
        let mutable c00 = Vector512<float32>.Zero
        let mutable c01 = Vector512<float32>.Zero
        let mutable c10 = Vector512<float32>.Zero
        let mutable c11 = Vector512<float32>.Zero
        let mutable c20 = Vector512<float32>.Zero
        let mutable c21 = Vector512<float32>.Zero
        let mutable c30 = Vector512<float32>.Zero
        let mutable c31 = Vector512<float32>.Zero
        let mutable c40 = Vector512<float32>.Zero
        let mutable c41 = Vector512<float32>.Zero
        let mutable c50 = Vector512<float32>.Zero
        let mutable c51 = Vector512<float32>.Zero
        let mutable c60 = Vector512<float32>.Zero
        let mutable c61 = Vector512<float32>.Zero
        let mutable c70 = Vector512<float32>.Zero
        let mutable c71 = Vector512<float32>.Zero
        let mutable c80 = Vector512<float32>.Zero
        let mutable c81 = Vector512<float32>.Zero
        let mutable c90 = Vector512<float32>.Zero
        let mutable c91 = Vector512<float32>.Zero
        let mutable ca0 = Vector512<float32>.Zero
        let mutable ca1 = Vector512<float32>.Zero
        let mutable cb0 = Vector512<float32>.Zero
        let mutable cb1 = Vector512<float32>.Zero
        prefetchTile c ldc 31
        let mutable pa = a
        let mutable pb = b
        for _ in 1..kc do
            let b0 = Avx512F.LoadVector512 pb
            let b1 = Avx512F.LoadVector512(NativePtr.add pb 16)
            let a0 = Vector512.Create(NativePtr.read pa)
            c00 <- Avx512F.FusedMultiplyAdd(a0, b0, c00)
            c01 <- Avx512F.FusedMultiplyAdd(a0, b1, c01)
            let a1 = Vector512.Create(NativePtr.read (NativePtr.add pa 1))
            c10 <- Avx512F.FusedMultiplyAdd(a1, b0, c10)
            c11 <- Avx512F.FusedMultiplyAdd(a1, b1, c11)
            let a2 = Vector512.Create(NativePtr.read (NativePtr.add pa 2))
            c20 <- Avx512F.FusedMultiplyAdd(a2, b0, c20)
            c21 <- Avx512F.FusedMultiplyAdd(a2, b1, c21)
            let a3 = Vector512.Create(NativePtr.read (NativePtr.add pa 3))
            c30 <- Avx512F.FusedMultiplyAdd(a3, b0, c30)
            c31 <- Avx512F.FusedMultiplyAdd(a3, b1, c31)
            let a4 = Vector512.Create(NativePtr.read (NativePtr.add pa 4))
            c40 <- Avx512F.FusedMultiplyAdd(a4, b0, c40)
            c41 <- Avx512F.FusedMultiplyAdd(a4, b1, c41)
            let a5 = Vector512.Create(NativePtr.read (NativePtr.add pa 5))
            c50 <- Avx512F.FusedMultiplyAdd(a5, b0, c50)
            c51 <- Avx512F.FusedMultiplyAdd(a5, b1, c51)
            let a6 = Vector512.Create(NativePtr.read (NativePtr.add pa 6))
            c60 <- Avx512F.FusedMultiplyAdd(a6, b0, c60)
            c61 <- Avx512F.FusedMultiplyAdd(a6, b1, c61)
            let a7 = Vector512.Create(NativePtr.read (NativePtr.add pa 7))
            c70 <- Avx512F.FusedMultiplyAdd(a7, b0, c70)
            c71 <- Avx512F.FusedMultiplyAdd(a7, b1, c71)
            let a8 = Vector512.Create(NativePtr.read (NativePtr.add pa 8))
            c80 <- Avx512F.FusedMultiplyAdd(a8, b0, c80)
            c81 <- Avx512F.FusedMultiplyAdd(a8, b1, c81)
            let a9 = Vector512.Create(NativePtr.read (NativePtr.add pa 9))
            c90 <- Avx512F.FusedMultiplyAdd(a9, b0, c90)
            c91 <- Avx512F.FusedMultiplyAdd(a9, b1, c91)
            let aa = Vector512.Create(NativePtr.read (NativePtr.add pa 10))
            ca0 <- Avx512F.FusedMultiplyAdd(aa, b0, ca0)
            ca1 <- Avx512F.FusedMultiplyAdd(aa, b1, ca1)
            let ab = Vector512.Create(NativePtr.read (NativePtr.add pa 11))
            cb0 <- Avx512F.FusedMultiplyAdd(ab, b0, cb0)
            cb1 <- Avx512F.FusedMultiplyAdd(ab, b1, cb1)
            pa <- NativePtr.add pa MR
            pb <- NativePtr.add pb 32
        storeRow add c 16 c00 c01
        storeRow add (NativePtr.add c ldc) 16 c10 c11
        storeRow add (NativePtr.add c (2 * ldc)) 16 c20 c21
        storeRow add (NativePtr.add c (3 * ldc)) 16 c30 c31
        storeRow add (NativePtr.add c (4 * ldc)) 16 c40 c41
        storeRow add (NativePtr.add c (5 * ldc)) 16 c50 c51
        storeRow add (NativePtr.add c (6 * ldc)) 16 c60 c61
        storeRow add (NativePtr.add c (7 * ldc)) 16 c70 c71
        storeRow add (NativePtr.add c (8 * ldc)) 16 c80 c81
        storeRow add (NativePtr.add c (9 * ldc)) 16 c90 c91
        storeRow add (NativePtr.add c (10 * ldc)) 16 ca0 ca1
        storeRow add (NativePtr.add c (11 * ldc)) 16 cb0 cb1

    /// float64 12×16 tile: tile[i, j] = Σₚ a[p·12 + i]·b[p·16 + j], the same register plan with
    /// 8 lanes per vector.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let tile64 (kc: int) (a: nativeptr<float>) (b: nativeptr<float>)
              (c: nativeptr<float>) (ldc: int) (add: bool) =
        let mutable c00 = Vector512<float>.Zero
        let mutable c01 = Vector512<float>.Zero
        let mutable c10 = Vector512<float>.Zero
        let mutable c11 = Vector512<float>.Zero
        let mutable c20 = Vector512<float>.Zero
        let mutable c21 = Vector512<float>.Zero
        let mutable c30 = Vector512<float>.Zero
        let mutable c31 = Vector512<float>.Zero
        let mutable c40 = Vector512<float>.Zero
        let mutable c41 = Vector512<float>.Zero
        let mutable c50 = Vector512<float>.Zero
        let mutable c51 = Vector512<float>.Zero
        let mutable c60 = Vector512<float>.Zero
        let mutable c61 = Vector512<float>.Zero
        let mutable c70 = Vector512<float>.Zero
        let mutable c71 = Vector512<float>.Zero
        let mutable c80 = Vector512<float>.Zero
        let mutable c81 = Vector512<float>.Zero
        let mutable c90 = Vector512<float>.Zero
        let mutable c91 = Vector512<float>.Zero
        let mutable ca0 = Vector512<float>.Zero
        let mutable ca1 = Vector512<float>.Zero
        let mutable cb0 = Vector512<float>.Zero
        let mutable cb1 = Vector512<float>.Zero
        prefetchTile c ldc 15
        let mutable pa = a
        let mutable pb = b
        for _ in 1..kc do
            let b0 = Avx512F.LoadVector512 pb
            let b1 = Avx512F.LoadVector512(NativePtr.add pb 8)
            let a0 = Vector512.Create(NativePtr.read pa)
            c00 <- Avx512F.FusedMultiplyAdd(a0, b0, c00)
            c01 <- Avx512F.FusedMultiplyAdd(a0, b1, c01)
            let a1 = Vector512.Create(NativePtr.read (NativePtr.add pa 1))
            c10 <- Avx512F.FusedMultiplyAdd(a1, b0, c10)
            c11 <- Avx512F.FusedMultiplyAdd(a1, b1, c11)
            let a2 = Vector512.Create(NativePtr.read (NativePtr.add pa 2))
            c20 <- Avx512F.FusedMultiplyAdd(a2, b0, c20)
            c21 <- Avx512F.FusedMultiplyAdd(a2, b1, c21)
            let a3 = Vector512.Create(NativePtr.read (NativePtr.add pa 3))
            c30 <- Avx512F.FusedMultiplyAdd(a3, b0, c30)
            c31 <- Avx512F.FusedMultiplyAdd(a3, b1, c31)
            let a4 = Vector512.Create(NativePtr.read (NativePtr.add pa 4))
            c40 <- Avx512F.FusedMultiplyAdd(a4, b0, c40)
            c41 <- Avx512F.FusedMultiplyAdd(a4, b1, c41)
            let a5 = Vector512.Create(NativePtr.read (NativePtr.add pa 5))
            c50 <- Avx512F.FusedMultiplyAdd(a5, b0, c50)
            c51 <- Avx512F.FusedMultiplyAdd(a5, b1, c51)
            let a6 = Vector512.Create(NativePtr.read (NativePtr.add pa 6))
            c60 <- Avx512F.FusedMultiplyAdd(a6, b0, c60)
            c61 <- Avx512F.FusedMultiplyAdd(a6, b1, c61)
            let a7 = Vector512.Create(NativePtr.read (NativePtr.add pa 7))
            c70 <- Avx512F.FusedMultiplyAdd(a7, b0, c70)
            c71 <- Avx512F.FusedMultiplyAdd(a7, b1, c71)
            let a8 = Vector512.Create(NativePtr.read (NativePtr.add pa 8))
            c80 <- Avx512F.FusedMultiplyAdd(a8, b0, c80)
            c81 <- Avx512F.FusedMultiplyAdd(a8, b1, c81)
            let a9 = Vector512.Create(NativePtr.read (NativePtr.add pa 9))
            c90 <- Avx512F.FusedMultiplyAdd(a9, b0, c90)
            c91 <- Avx512F.FusedMultiplyAdd(a9, b1, c91)
            let aa = Vector512.Create(NativePtr.read (NativePtr.add pa 10))
            ca0 <- Avx512F.FusedMultiplyAdd(aa, b0, ca0)
            ca1 <- Avx512F.FusedMultiplyAdd(aa, b1, ca1)
            let ab = Vector512.Create(NativePtr.read (NativePtr.add pa 11))
            cb0 <- Avx512F.FusedMultiplyAdd(ab, b0, cb0)
            cb1 <- Avx512F.FusedMultiplyAdd(ab, b1, cb1)
            pa <- NativePtr.add pa MR
            pb <- NativePtr.add pb 16
        storeRow add c 8 c00 c01
        storeRow add (NativePtr.add c ldc) 8 c10 c11
        storeRow add (NativePtr.add c (2 * ldc)) 8 c20 c21
        storeRow add (NativePtr.add c (3 * ldc)) 8 c30 c31
        storeRow add (NativePtr.add c (4 * ldc)) 8 c40 c41
        storeRow add (NativePtr.add c (5 * ldc)) 8 c50 c51
        storeRow add (NativePtr.add c (6 * ldc)) 8 c60 c61
        storeRow add (NativePtr.add c (7 * ldc)) 8 c70 c71
        storeRow add (NativePtr.add c (8 * ldc)) 8 c80 c81
        storeRow add (NativePtr.add c (9 * ldc)) 8 c90 c91
        storeRow add (NativePtr.add c (10 * ldc)) 8 ca0 ca1
        storeRow add (NativePtr.add c (11 * ldc)) 8 cb0 cb1
