/// The FMA throughput of one core, measured: float32 flops per cycle with 256- and 512-bit vectors.
/// Layer: Bench (uses Clock). Read next: W0.fs, whose peak it confirms.
///
/// The theoretical peak is pipes × lanes × 2 flops × clock, but "lanes" depends on how wide the
/// FMA units really are. AMD Zen 4 runs AVX-512 "double-pumped": a zmm FMA takes both 256-bit
/// pipes for a cycle, so 512-bit vectors give the same 32 float32 flops per cycle as 256-bit ones;
/// Zen 5 and Intel server cores with two 512-bit units give 64. Like
/// ../shared/bench/reference/fma_peak.c, run 12 independent FMA chains (enough to cover the
/// 4-cycle latency on 2 pipes) and divide flops per second by the measured clock.
namespace ScratchML.Bench

open System.Diagnostics
open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86

[<RequireQualifiedAccess>]
module FmaPeak =
    /// xᵢ ← xᵢ·m + c on 12 independent ymm chains, `iterations` times; returns a checksum.
    [<MethodImpl(MethodImplOptions.NoInlining ||| MethodImplOptions.AggressiveOptimization)>]
    let private chains256 (iterations: int) =
        let m, c = Vector256.Create 0.999999f, Vector256.Create 1e-7f
        let x = Array.init 12 (fun i -> Vector256.Create(1.0f + 0.01f * float32 i))
        let mutable x0, x1, x2, x3, x4, x5 = x[0], x[1], x[2], x[3], x[4], x[5]
        let mutable x6, x7, x8, x9, xa, xb = x[6], x[7], x[8], x[9], x[10], x[11]
        for _ in 1..iterations do
            x0 <- Fma.MultiplyAdd(x0, m, c); x1 <- Fma.MultiplyAdd(x1, m, c)
            x2 <- Fma.MultiplyAdd(x2, m, c); x3 <- Fma.MultiplyAdd(x3, m, c)
            x4 <- Fma.MultiplyAdd(x4, m, c); x5 <- Fma.MultiplyAdd(x5, m, c)
            x6 <- Fma.MultiplyAdd(x6, m, c); x7 <- Fma.MultiplyAdd(x7, m, c)
            x8 <- Fma.MultiplyAdd(x8, m, c); x9 <- Fma.MultiplyAdd(x9, m, c)
            xa <- Fma.MultiplyAdd(xa, m, c); xb <- Fma.MultiplyAdd(xb, m, c)
        Vector256.Sum(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + xa + xb)

    /// The same with 12 zmm chains.
    [<MethodImpl(MethodImplOptions.NoInlining ||| MethodImplOptions.AggressiveOptimization)>]
    let private chains512 (iterations: int) =
        let m, c = Vector512.Create 0.999999f, Vector512.Create 1e-7f
        let x = Array.init 12 (fun i -> Vector512.Create(1.0f + 0.01f * float32 i))
        let mutable x0, x1, x2, x3, x4, x5 = x[0], x[1], x[2], x[3], x[4], x[5]
        let mutable x6, x7, x8, x9, xa, xb = x[6], x[7], x[8], x[9], x[10], x[11]
        for _ in 1..iterations do
            x0 <- Avx512F.FusedMultiplyAdd(x0, m, c); x1 <- Avx512F.FusedMultiplyAdd(x1, m, c)
            x2 <- Avx512F.FusedMultiplyAdd(x2, m, c); x3 <- Avx512F.FusedMultiplyAdd(x3, m, c)
            x4 <- Avx512F.FusedMultiplyAdd(x4, m, c); x5 <- Avx512F.FusedMultiplyAdd(x5, m, c)
            x6 <- Avx512F.FusedMultiplyAdd(x6, m, c); x7 <- Avx512F.FusedMultiplyAdd(x7, m, c)
            x8 <- Avx512F.FusedMultiplyAdd(x8, m, c); x9 <- Avx512F.FusedMultiplyAdd(x9, m, c)
            xa <- Avx512F.FusedMultiplyAdd(xa, m, c); xb <- Avx512F.FusedMultiplyAdd(xb, m, c)
        Vector512.Sum(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + xa + xb)

    /// Best of 30 runs of ~1 ms: float32 flops per second = 12 chains × lanes × 2 × iterations / t.
    let private gflops (run: int -> float32) lanes =
        let iterations = 200_000
        run 1000 |> ignore
        let once () =
            let sw = Stopwatch.StartNew()
            run iterations |> ignore
            float (12 * lanes * 2 * iterations) / sw.Elapsed.TotalSeconds / 1e9
        Seq.init 30 (fun _ -> once ()) |> Seq.max

    /// float32 flops per cycle of one core at `clock` GHz: (256-bit, 512-bit); None where the
    /// processor lacks the instructions.
    let flopsPerCycle (clock: float) =
        let measure supported run lanes = if supported then Some(gflops run lanes / clock) else None
        measure Fma.IsSupported chains256 8, measure Avx512F.IsSupported chains512 16
