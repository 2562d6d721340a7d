/// TEMPORARY naive GEMM with the contract's signatures, so the tensor ops compile and can be
/// tested; the blocked AVX2/FMA GEMM (branch gemm) replaces this file at merge.
/// Layer: Tensor. Read next: Kernels.fs.
module ScratchML.Gemm

/// Threads the library uses for large products by default (Environment.ProcessorCount, max 2).
let mutable defaultThreads = max 1 (min 2 System.Environment.ProcessorCount)

/// C[m×n] = A[m×k]·B[k×n] in float32 (C overwritten), A and B read through element strides.
let sgemm (threads: int) (m: int) (n: int) (k: int)
          (a: float32[]) (aOff: int) (aRs: int) (aCs: int)
          (b: float32[]) (bOff: int) (bRs: int) (bCs: int)
          (c: float32[]) (cOff: int) (ldc: int) : unit =
    ignore threads
    for i in 0 .. m - 1 do
        for j in 0 .. n - 1 do
            let mutable s = 0.0f
            for p in 0 .. k - 1 do
                s <- s + a[aOff + i * aRs + p * aCs] * b[bOff + p * bRs + j * bCs]
            c[cOff + i * ldc + j] <- s

/// C[m×n] = A[m×k]·B[k×n] in float64 (C overwritten), A and B read through element strides.
let dgemm (threads: int) (m: int) (n: int) (k: int)
          (a: float[]) (aOff: int) (aRs: int) (aCs: int)
          (b: float[]) (bOff: int) (bRs: int) (bCs: int)
          (c: float[]) (cOff: int) (ldc: int) : unit =
    ignore threads
    for i in 0 .. m - 1 do
        for j in 0 .. n - 1 do
            let mutable s = 0.0
            for p in 0 .. k - 1 do
                s <- s + a[aOff + i * aRs + p * aCs] * b[bOff + p * bRs + j * bCs]
            c[cOff + i * ldc + j] <- s
