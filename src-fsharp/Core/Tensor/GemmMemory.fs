/// Native memory for GEMM's packing buffers: aligned, and on Linux backed by huge pages.
/// Layer: Tensor (no dependencies). Read next: Gemm.fs (GemmWorkspace hands these to the loops).
///
/// Why huge pages. The processor translates every virtual address through a TLB (translation
/// lookaside buffer) of recently used pages; a miss costs a walk of the page tables, and inside a
/// virtual machine a two-level walk. With 4 KiB pages a packed B block (KC × n numbers: 4 MiB for
/// float64 at KC = 512, n = 1024) spans 1024 pages, far more than the first-level TLB holds (72
/// entries on Zen 4); the second-level one (3072 entries, 12 MiB) still catches it, cheaply, but
/// larger products (A, B and C beyond ~12 MiB) walk the tables. A 2 MiB "huge" page covers the
/// block in 2 entries. Linux hands out transparent huge pages to memory that asks for them with
/// madvise(MADV_HUGEPAGE) when /sys/kernel/mm/transparent_hugepage/enabled is `madvise` (the
/// usual default) or `always`; numpy does the same for its arrays, so OpenBLAS reads A, B and C
/// through huge pages. The buffer must be 2 MiB-aligned and whole 2 MiB pages long, and advised
/// before it is first written: the kernel picks the page size when a page is first touched.
/// Measured (float64, one thread, thread CPU time, interleaved runs on a loaded machine): neutral
/// at n = 1024 (±0.5%), +2–5% at n = 2048; OpenBLAS gains 1.5–2.5% at n = 1024 from numpy's.
/// Elsewhere (Windows, macOS, THP off) the advice is skipped or ignored: same code, 4 KiB pages.
namespace ScratchML

#nowarn "9" // native memory, on purpose

open System
open System.Runtime.InteropServices
open Microsoft.FSharp.NativeInterop

module internal HugePages =
    /// The size of a transparent huge page on x86-64 and most arm64 Linux kernels: 2 MiB.
    [<Literal>]
    let Size = 2097152

    /// madvise's advice number asking for transparent huge pages (linux/mman.h).
    [<Literal>]
    let private MadvHugepage = 14

    /// int madvise(void *addr, size_t length, int advice) from the C library (Linux only).
    [<DllImport("libc", EntryPoint = "madvise")>]
    extern int madvise(nativeint address, unativeint length, int advice)

    /// Ask Linux to back [address, address + bytes) with huge pages; a no-op on other systems.
    /// Only a hint: the result is ignored, since 4 KiB pages are correct, just slower.
    let advise (address: nativeint) (bytes: int64) =
        if OperatingSystem.IsLinux() then
            try madvise (address, unativeint bytes, MadvHugepage) |> ignore
            with :? DllNotFoundException | :? EntryPointNotFoundException -> ()

/// `bytes` of uninitialised native memory, 64-byte aligned (a cache line). From 1 MiB on, the
/// length is rounded up to whole huge pages, 2 MiB-aligned and advised (HugePages.advise): a
/// smaller buffer would waste most of a 2 MiB page. Freed by Dispose, or by the finalizer once
/// unreachable (a thread's workspace when the thread ends).
[<AllowNullLiteral>]
type internal NativeBuffer(bytes: int64) =
    let huge = bytes >= int64 HugePages.Size / 2L
    let length =
        let page = int64 HugePages.Size
        if huge then (bytes + page - 1L) / page * page
        else max bytes 1L
    let mutable address =
        let alignment = if huge then unativeint HugePages.Size else 64un
        NativeMemory.AlignedAlloc(unativeint length, alignment)
        |> NativePtr.ofVoidPtr<byte> |> NativePtr.toNativeInt
    do if huge then HugePages.advise address length

    /// The first byte.
    member _.Address = address

    /// Usable bytes (at least the requested ones).
    member _.Length = length

    member private _.Free() =
        if address <> 0n then
            NativeMemory.AlignedFree(NativePtr.toVoidPtr (NativePtr.ofNativeInt<byte> address))
            address <- 0n

    override this.Finalize() = this.Free()

    interface IDisposable with
        member this.Dispose() =
            this.Free()
            GC.SuppressFinalize this
