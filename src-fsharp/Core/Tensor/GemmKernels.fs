/// GEMM micro-kernels: the innermost MR×NR tile of C = A·B, computed in registers.
/// Layer: Tensor (no dependencies). Read next: Gemm.fs (packing, blocking, threads).
///
/// A micro-kernel multiplies one packed A micro-panel (kc × MR, stored p by p: MR values of
/// column p of A, then the MR values of column p+1, …) by one packed B micro-panel (kc × NR,
/// stored p by p: NR values of row p of B) and writes the MR×NR tile
///     tile[i, j] = Σₚ a[p·MR + i] · b[p·NR + j]            (p = 0 … kc−1)
/// into C, either overwriting it (first block of k) or adding to it (later blocks of k).
/// Each step p is an outer product: MR broadcasts of a times NR/lanes vector loads of b.
namespace ScratchML

#nowarn "9" // NativePtr: unverifiable pointer code, on purpose (the arrays are pinned)

open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86
open Microsoft.FSharp.NativeInterop

module internal GemmKernels =
    /// Rows of a tile (both dtypes).
    [<Literal>]
    let MR = 6

    /// Columns of a float32 tile: 2 ymm vectors of 8 lanes.
    [<Literal>]
    let NR32 = 16

    /// Columns of a float64 tile: 2 ymm vectors of 4 lanes.
    [<Literal>]
    let NR64 = 8

    /// C row ← v0‖v1, or C row ← C row + v0‖v1 (unaligned: C is the caller's array).
    let inline private storeRow32 (add: bool) (row: nativeptr<float32>) (v0: Vector256<float32>)
                                  (v1: Vector256<float32>) =
        let row1 = NativePtr.add row 8
        if add then
            Avx.Store(row, Avx.Add(Avx.LoadVector256 row, v0))
            Avx.Store(row1, Avx.Add(Avx.LoadVector256 row1, v1))
        else
            Avx.Store(row, v0)
            Avx.Store(row1, v1)

    let inline private storeRow64 (add: bool) (row: nativeptr<float>) (v0: Vector256<float>)
                                  (v1: Vector256<float>) =
        let row1 = NativePtr.add row 4
        if add then
            Avx.Store(row, Avx.Add(Avx.LoadVector256 row, v0))
            Avx.Store(row1, Avx.Add(Avx.LoadVector256 row1, v1))
        else
            Avx.Store(row, v0)
            Avx.Store(row1, v1)

    /// Ask for the C tile's cache lines (first and last element of each of the 6 rows) now,
    /// so they arrive while the k loop runs instead of stalling the final load-add-store.
    let inline private prefetchTile (c: nativeptr< ^T>) (ldc: int) (last: int) =
        for i in 0 .. MR - 1 do
            Sse.Prefetch0(NativePtr.toVoidPtr (NativePtr.add c (i * ldc)))
            Sse.Prefetch0(NativePtr.toVoidPtr (NativePtr.add c (i * ldc + last)))

    /// float32 6×16 tile with AVX2 + FMA: 12 ymm accumulators cᵢⱼ (row i, half j), 2 ymm for
    /// the b row, 1 for the broadcast aᵢ — 15 of the 16 ymm registers, so nothing spills.
    /// Per step: 2 loads + 6 broadcasts feed 12 FMAs (6 cycles on Zen 3's 2 FMA pipes), and
    /// the 12 independent chains hide the 4-cycle FMA latency (4 × 2 pipes = 8 chains needed).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let tile32Avx (kc: int) (a: nativeptr<float32>) (b: nativeptr<float32>)
                  (c: nativeptr<float32>) (ldc: int) (add: bool) =
        let mutable c00 = Vector256<float32>.Zero
        let mutable c01 = Vector256<float32>.Zero
        let mutable c10 = Vector256<float32>.Zero
        let mutable c11 = Vector256<float32>.Zero
        let mutable c20 = Vector256<float32>.Zero
        let mutable c21 = Vector256<float32>.Zero
        let mutable c30 = Vector256<float32>.Zero
        let mutable c31 = Vector256<float32>.Zero
        let mutable c40 = Vector256<float32>.Zero
        let mutable c41 = Vector256<float32>.Zero
        let mutable c50 = Vector256<float32>.Zero
        let mutable c51 = Vector256<float32>.Zero
        prefetchTile c ldc 15
        let mutable pa = a
        let mutable pb = b
        for _ in 1..kc do
            let b0 = Avx.LoadVector256 pb
            let b1 = Avx.LoadVector256(NativePtr.add pb 8)
            let a0 = Avx.BroadcastScalarToVector256 pa
            c00 <- Fma.MultiplyAdd(a0, b0, c00)
            c01 <- Fma.MultiplyAdd(a0, b1, c01)
            let a1 = Avx.BroadcastScalarToVector256(NativePtr.add pa 1)
            c10 <- Fma.MultiplyAdd(a1, b0, c10)
            c11 <- Fma.MultiplyAdd(a1, b1, c11)
            let a2 = Avx.BroadcastScalarToVector256(NativePtr.add pa 2)
            c20 <- Fma.MultiplyAdd(a2, b0, c20)
            c21 <- Fma.MultiplyAdd(a2, b1, c21)
            let a3 = Avx.BroadcastScalarToVector256(NativePtr.add pa 3)
            c30 <- Fma.MultiplyAdd(a3, b0, c30)
            c31 <- Fma.MultiplyAdd(a3, b1, c31)
            let a4 = Avx.BroadcastScalarToVector256(NativePtr.add pa 4)
            c40 <- Fma.MultiplyAdd(a4, b0, c40)
            c41 <- Fma.MultiplyAdd(a4, b1, c41)
            let a5 = Avx.BroadcastScalarToVector256(NativePtr.add pa 5)
            c50 <- Fma.MultiplyAdd(a5, b0, c50)
            c51 <- Fma.MultiplyAdd(a5, b1, c51)
            pa <- NativePtr.add pa MR
            pb <- NativePtr.add pb NR32
        storeRow32 add c c00 c01
        storeRow32 add (NativePtr.add c ldc) c10 c11
        storeRow32 add (NativePtr.add c (2 * ldc)) c20 c21
        storeRow32 add (NativePtr.add c (3 * ldc)) c30 c31
        storeRow32 add (NativePtr.add c (4 * ldc)) c40 c41
        storeRow32 add (NativePtr.add c (5 * ldc)) c50 c51

    /// float64 6×8 tile with AVX2 + FMA: the same register plan as tile32Avx with 4 lanes.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let tile64Avx (kc: int) (a: nativeptr<float>) (b: nativeptr<float>)
                  (c: nativeptr<float>) (ldc: int) (add: bool) =
        let mutable c00 = Vector256<float>.Zero
        let mutable c01 = Vector256<float>.Zero
        let mutable c10 = Vector256<float>.Zero
        let mutable c11 = Vector256<float>.Zero
        let mutable c20 = Vector256<float>.Zero
        let mutable c21 = Vector256<float>.Zero
        let mutable c30 = Vector256<float>.Zero
        let mutable c31 = Vector256<float>.Zero
        let mutable c40 = Vector256<float>.Zero
        let mutable c41 = Vector256<float>.Zero
        let mutable c50 = Vector256<float>.Zero
        let mutable c51 = Vector256<float>.Zero
        prefetchTile c ldc 7
        let mutable pa = a
        let mutable pb = b
        for _ in 1..kc do
            let b0 = Avx.LoadVector256 pb
            let b1 = Avx.LoadVector256(NativePtr.add pb 4)
            let a0 = Avx.BroadcastScalarToVector256 pa
            c00 <- Fma.MultiplyAdd(a0, b0, c00)
            c01 <- Fma.MultiplyAdd(a0, b1, c01)
            let a1 = Avx.BroadcastScalarToVector256(NativePtr.add pa 1)
            c10 <- Fma.MultiplyAdd(a1, b0, c10)
            c11 <- Fma.MultiplyAdd(a1, b1, c11)
            let a2 = Avx.BroadcastScalarToVector256(NativePtr.add pa 2)
            c20 <- Fma.MultiplyAdd(a2, b0, c20)
            c21 <- Fma.MultiplyAdd(a2, b1, c21)
            let a3 = Avx.BroadcastScalarToVector256(NativePtr.add pa 3)
            c30 <- Fma.MultiplyAdd(a3, b0, c30)
            c31 <- Fma.MultiplyAdd(a3, b1, c31)
            let a4 = Avx.BroadcastScalarToVector256(NativePtr.add pa 4)
            c40 <- Fma.MultiplyAdd(a4, b0, c40)
            c41 <- Fma.MultiplyAdd(a4, b1, c41)
            let a5 = Avx.BroadcastScalarToVector256(NativePtr.add pa 5)
            c50 <- Fma.MultiplyAdd(a5, b0, c50)
            c51 <- Fma.MultiplyAdd(a5, b1, c51)
            pa <- NativePtr.add pa MR
            pb <- NativePtr.add pb NR64
        storeRow64 add c c00 c01
        storeRow64 add (NativePtr.add c ldc) c10 c11
        storeRow64 add (NativePtr.add c (2 * ldc)) c20 c21
        storeRow64 add (NativePtr.add c (3 * ldc)) c30 c31
        storeRow64 add (NativePtr.add c (4 * ldc)) c40 c41
        storeRow64 add (NativePtr.add c (5 * ldc)) c50 c51

    /// The portable tile: plain scalar loops over the same packed panels, for machines without
    /// AVX2/FMA (and for the tests, which force it). Each cᵢⱼ still sums p = 0 … kc−1 in order.
    let inline tileScalar (nr: int) (kc: int) (a: nativeptr< ^T>) (b: nativeptr< ^T>)
                          (c: nativeptr< ^T>) (ldc: int) (add: bool) =
        for i in 0 .. MR - 1 do
            let row = NativePtr.add c (i * ldc)
            for j in 0 .. nr - 1 do
                let mutable s = LanguagePrimitives.GenericZero< ^T>
                for p in 0 .. kc - 1 do
                    s <- s + NativePtr.get a (p * MR + i) * NativePtr.get b (p * nr + j)
                NativePtr.set row j (if add then NativePtr.get row j + s else s)

    /// float32 fallback tile (6×16).
    let tile32Scalar kc (a: nativeptr<float32>) b c ldc add = tileScalar NR32 kc a b c ldc add

    /// float64 fallback tile (6×8).
    let tile64Scalar kc (a: nativeptr<float>) b c ldc add = tileScalar NR64 kc a b c ldc add
