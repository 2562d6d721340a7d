/// GEMM packing: copying blocks of A and B into the micro-panel layout the micro-kernels stream.
/// Layer: Tensor (no dependencies). Read GemmKernels.fs first (the layout); read next: Gemm.fs.
///
/// A micro-panel of A holds MR rows of an mc×kc block "column by column": the MR numbers of
/// column p, then those of column p+1, … — so at step p the kernel finds the MR values it
/// broadcasts side by side. A micro-panel of B holds NR columns "row by row": the NR numbers of
/// row p side by side, which the kernel loads as whole vectors. Past the matrix edge a panel is
/// padded with zeros, so the kernel always computes full tiles.
///
/// Which copies are cheap depends on the caller's strides. Row-major B (and a transposed A,
/// whose columns are contiguous) already stores each panel row contiguously: one block copy per
/// row. Row-major A (and a transposed B) stores the lines we need *across* memory: the panel
/// wants a[i, p], a[i+1, p], … side by side, but a[i, p], a[i, p+1], … are the contiguous ones.
/// Element by element that is a transposition at ~2 cycles a number — measured 11% of a 256³
/// float32 product. So it is done 4 lines at a time with a register transpose: load 4 vectors
/// (4 lines × 8 float32 or 4 float64), interleave them with unpack/shuffle instructions, and
/// store each column of the 4×8 (4×4) block as one 4-number piece of the panel.
namespace ScratchML

#nowarn "9" // NativePtr: unverifiable pointer code, on purpose (the arrays are pinned)

open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86
open Microsoft.FSharp.NativeInterop

module internal GemmPack =
    /// dst[p·dstStride + l] = src[l·stride + p] for lines l < count and p < len, in float32:
    /// 4 lines × 8 numbers per AVX transpose, scalar for the rest.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let transpose32 (count: int) (len: int) (src: nativeptr<float32>) (stride: int)
                    (dst: nativeptr<float32>) (dstStride: int) =
        let mutable l = 0
        if Avx.IsSupported then
            while l + 4 <= count do
                let s0 = NativePtr.add src (l * stride)
                let s1, s2, s3 = NativePtr.add s0 stride, NativePtr.add s0 (2 * stride),
                                 NativePtr.add s0 (3 * stride)
                let mutable p = 0
                while p + 8 <= len do
                    let r0 = Avx.LoadVector256(NativePtr.add s0 p) // line l:   x0 … x7
                    let r1 = Avx.LoadVector256(NativePtr.add s1 p)
                    let r2 = Avx.LoadVector256(NativePtr.add s2 p)
                    let r3 = Avx.LoadVector256(NativePtr.add s3 p)
                    let t0 = Avx.UnpackLow(r0, r1) // r0₀ r1₀ r0₁ r1₁ | r0₄ r1₄ r0₅ r1₅
                    let t1 = Avx.UnpackHigh(r0, r1) // r0₂ r1₂ r0₃ r1₃ | r0₆ r1₆ r0₇ r1₇
                    let t2 = Avx.UnpackLow(r2, r3)
                    let t3 = Avx.UnpackHigh(r2, r3)
                    let c04 = Avx.Shuffle(t0, t2, 0x44uy) // r0₀ r1₀ r2₀ r3₀ | the same for 4
                    let c15 = Avx.Shuffle(t0, t2, 0xEEuy) // columns 1 | 5
                    let c26 = Avx.Shuffle(t1, t3, 0x44uy) // columns 2 | 6
                    let c37 = Avx.Shuffle(t1, t3, 0xEEuy) // columns 3 | 7
                    let d = NativePtr.add dst (p * dstStride + l)
                    let at q = NativePtr.add d (q * dstStride)
                    Sse.Store(at 0, c04.GetLower())
                    Sse.Store(at 1, c15.GetLower())
                    Sse.Store(at 2, c26.GetLower())
                    Sse.Store(at 3, c37.GetLower())
                    Sse.Store(at 4, c04.GetUpper())
                    Sse.Store(at 5, c15.GetUpper())
                    Sse.Store(at 6, c26.GetUpper())
                    Sse.Store(at 7, c37.GetUpper())
                    p <- p + 8
                for q in p .. len - 1 do
                    for r in 0..3 do
                        let x = NativePtr.get src ((l + r) * stride + q)
                        NativePtr.set dst (q * dstStride + l + r) x
                l <- l + 4
        for r in l .. count - 1 do
            for q in 0 .. len - 1 do
                NativePtr.set dst (q * dstStride + r) (NativePtr.get src (r * stride + q))

    /// The same in float64: 4 lines × 4 numbers per AVX transpose, scalar for the rest.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let transpose64 (count: int) (len: int) (src: nativeptr<float>) (stride: int)
                    (dst: nativeptr<float>) (dstStride: int) =
        let mutable l = 0
        if Avx.IsSupported then
            while l + 4 <= count do
                let s0 = NativePtr.add src (l * stride)
                let s1, s2, s3 = NativePtr.add s0 stride, NativePtr.add s0 (2 * stride),
                                 NativePtr.add s0 (3 * stride)
                let mutable p = 0
                while p + 4 <= len do
                    let r0 = Avx.LoadVector256(NativePtr.add s0 p) // line l:   x0 … x3
                    let r1 = Avx.LoadVector256(NativePtr.add s1 p)
                    let r2 = Avx.LoadVector256(NativePtr.add s2 p)
                    let r3 = Avx.LoadVector256(NativePtr.add s3 p)
                    let t0 = Avx.UnpackLow(r0, r1) // r0₀ r1₀ | r0₂ r1₂
                    let t1 = Avx.UnpackHigh(r0, r1) // r0₁ r1₁ | r0₃ r1₃
                    let t2 = Avx.UnpackLow(r2, r3)
                    let t3 = Avx.UnpackHigh(r2, r3)
                    let d = NativePtr.add dst (p * dstStride + l)
                    let at q = NativePtr.add d (q * dstStride)
                    Avx.Store(at 0, Avx.Permute2x128(t0, t2, 0x20uy)) // r0₀ r1₀ r2₀ r3₀
                    Avx.Store(at 1, Avx.Permute2x128(t1, t3, 0x20uy))
                    Avx.Store(at 2, Avx.Permute2x128(t0, t2, 0x31uy))
                    Avx.Store(at 3, Avx.Permute2x128(t1, t3, 0x31uy))
                    p <- p + 4
                for q in p .. len - 1 do
                    for r in 0..3 do
                        let x = NativePtr.get src ((l + r) * stride + q)
                        NativePtr.set dst (q * dstStride + l + r) x
                l <- l + 4
        for r in l .. count - 1 do
            for q in 0 .. len - 1 do
                NativePtr.set dst (q * dstStride + r) (NativePtr.get src (r * stride + q))

    /// dst[p·dstStride + l] = src[l·stride + p·step] (l < count, p < len): the general gather,
    /// transposing 4 lines at a time when the lines are contiguous (step = 1) and `vector` is set.
    let inline private gatherLines (vector: bool) (count: int) (len: int) (src: nativeptr< ^T>)
                                   (stride: int) (step: int) (dst: nativeptr< ^T>) dstStride =
        if vector && step = 1 && sizeof< ^T> = 4 then
            transpose32 count len (NativePtr.ofNativeInt (NativePtr.toNativeInt src)) stride
                (NativePtr.ofNativeInt (NativePtr.toNativeInt dst)) dstStride
        elif vector && step = 1 && sizeof< ^T> = 8 then
            transpose64 count len (NativePtr.ofNativeInt (NativePtr.toNativeInt src)) stride
                (NativePtr.ofNativeInt (NativePtr.toNativeInt dst)) dstStride
        else
            for l in 0 .. count - 1 do
                let line = NativePtr.add src (l * stride)
                for p in 0 .. len - 1 do
                    NativePtr.set dst (p * dstStride + l) (NativePtr.get line (p * step))

    /// Copy `lines` lines of `bytes` bytes from src (lines `srcStride` numbers apart) to dst
    /// (`dstStride` apart). With the size a constant the JIT copies a 64- or 128-byte line (a full
    /// AVX2 or AVX-512 panel line) with 1–2 vector moves instead of calling memmove.
    let inline private copyBlocks (lines: int) (bytes: uint32) (src: nativeptr< ^T>) srcStride
                                  (dst: nativeptr< ^T>) dstStride =
        let at q = NativePtr.toVoidPtr (NativePtr.add src (q * srcStride))
        let into q = NativePtr.toVoidPtr (NativePtr.add dst (q * dstStride))
        if bytes = 128u then
            for q in 0 .. lines - 1 do Unsafe.CopyBlockUnaligned(into q, at q, 128u)
        elif bytes = 64u then
            for q in 0 .. lines - 1 do Unsafe.CopyBlockUnaligned(into q, at q, 64u)
        else
            for q in 0 .. lines - 1 do Unsafe.CopyBlockUnaligned(into q, at q, bytes)

    /// dst[p·dstStride + l] = src[p·stride + l·step] (p < len, l < count): whole lines of the
    /// panel, one block copy each when they are contiguous (step = 1).
    let inline private copyLines (count: int) (len: int) (src: nativeptr< ^T>) (stride: int)
                                 (step: int) (dst: nativeptr< ^T>) dstStride =
        if step = 1 then
            copyBlocks len (uint32 (count * sizeof< ^T>)) src stride dst dstStride
        else
            for p in 0 .. len - 1 do
                let line = NativePtr.add src (p * stride)
                for l in 0 .. count - 1 do
                    NativePtr.set dst (p * dstStride + l) (NativePtr.get line (l * step))

    /// Zero the numbers `from … width−1` of each of `len` panel lines of `width` numbers.
    let inline private padLines (from: int) (width: int) (len: int) (dst: nativeptr< ^T>) =
        for p in 0 .. len - 1 do
            for l in from .. width - 1 do
                NativePtr.set dst (p * width + l) LanguagePrimitives.GenericZero< ^T>

    /// Pack the mc×kc block of A at `a` (element (i, p) at i·rs + p·cs) into ⌈mc/MR⌉ panels:
    /// panel s holds rows s·MR … s·MR+MR−1 column by column (MR numbers per p), zero-padded.
    /// `vector` allows the AVX transpose (off on the portable path).
    let inline packA (vector: bool) (mr: int) (mc: int) (kc: int) (a: nativeptr< ^T>) (rs: int)
                     (cs: int) (dst: nativeptr< ^T>) =
        let mutable i = 0
        while i < mc do
            let rows = min mr (mc - i)
            let panel = NativePtr.add dst (i * kc) // (i / mr) panels of kc·mr numbers before it
            let src = NativePtr.add a (i * rs)
            if abs cs <= abs rs then gatherLines vector rows kc src rs cs panel mr // row-major
            else copyLines rows kc src cs rs panel mr // transposed view: columns contiguous
            if rows < mr then padLines rows mr kc panel
            i <- i + mr

    /// Pack the kc×nc block of B at `b` (element (p, j) at p·rs + j·cs) into ⌈nc/NR⌉ panels:
    /// panel s holds columns s·NR … s·NR+NR−1 row by row (NR numbers per p), zero-padded.
    /// When B's rows are contiguous (cs = 1, row-major B) the full panels are filled one row of B
    /// at a time — row p's NR-number pieces go to line p of every panel — so B is read front to
    /// back, as the hardware prefetcher likes; panel by panel, each of the kc reads would jump a
    /// whole row ahead (8 KiB at n = 1024): that took twice as long (1.0 against 0.46 ms of a
    /// 1024³ float64 product, whose two B blocks are 4 MiB each). The last, narrower panel and
    /// other layouts go panel by panel.
    let inline packB (vector: bool) (nr: int) (kc: int) (nc: int) (b: nativeptr< ^T>) (rs: int)
                     (cs: int) (dst: nativeptr< ^T>) =
        let mutable j = 0
        if cs = 1 then
            j <- nc / nr * nr // the full panels, row by row of B
            for p in 0 .. kc - 1 do
                copyBlocks (j / nr) (uint32 (nr * sizeof< ^T>)) (NativePtr.add b (p * rs)) nr
                    (NativePtr.add dst (p * nr)) (kc * nr)
        while j < nc do
            let cols = min nr (nc - j)
            let panel = NativePtr.add dst (j * kc)
            let src = NativePtr.add b (j * cs)
            if abs cs <= abs rs then copyLines cols kc src rs cs panel nr // row-major
            else gatherLines vector cols kc src cs rs panel nr // transposed: columns contiguous
            if cols < nr then padLines cols nr kc panel
            j <- j + nr
