/// W0 of ../shared/bench/WORKLOADS.md: C = A·B for square n×n matrices, float32 and float64.
/// Layer: Bench (calls Core's Gemm). Read next: Workloads.fs.
///
/// n ∈ {256, 512, 1024}; A and B standard normal from SplitMix64 (seed 0, A then B, row-major);
/// 3 untimed warm-up calls, then R = max(10, min(200, ⌊1 s / (2n³ / 50 GFLOP/s)⌋)) timed calls.
/// C is allocated once per size and overwritten by every call. WORKLOADS.md allows a fresh C per
/// call, but a fresh .NET array of 256 KiB–8 MiB lands on the large-object heap and costs page
/// faults and gen-2 collections that would be timed as GEMM (torch.mm's malloc reuses freed
/// memory instead). GFLOP/s = 2n³ / t_median / 10⁹, printed with its
/// percentage of the theoretical peak = threads × 2 FMA pipes × lanes × 2 flops × clock, where
/// the lanes are those of 256-bit vectors unless 512-bit FMAs measurably (FmaPeak.fs) deliver
/// more flops per cycle: on Zen 4 they do not (double-pumped), on Zen 5 they do.
namespace ScratchML.Bench

open System
open System.Globalization
open System.Runtime.Intrinsics.X86
open ScratchML

[<RequireQualifiedAccess>]
module W0 =
    let private sizes = [ 256; 512; 1024 ]

    /// Timed repetitions: as many as ~1 s at 50 GFLOP/s, clamped to [10, 200].
    let reps (n: int) = max 10 (min 200 (int (1.0 / (2.0 * float n ** 3.0 / 50e9))))

    /// FMA units per core (AMD Zen 2–4 and Intel since Haswell have two); FMA_PIPES overrides.
    let private pipes () =
        match Environment.GetEnvironmentVariable "FMA_PIPES" with
        | null | "" -> 2
        | s -> int s

    /// threads × pipes × lanes × 2 flops per FMA × clock, lanes = vector bits / 8 / bytes.
    let peakGflops threads (bits: int) (bytes: int) clock =
        let flopsPerFma = if Fma.IsSupported then 2 else 1
        float (threads * pipes () * (bits / 8 / bytes) * flopsPerFma) * clock

    /// Warm up 3 times, time R calls, return (median seconds, R).
    let private timeCalls n (call: unit -> unit) =
        for _ in 1..3 do
            call ()
        let r = reps n
        Report.median [ for _ in 1..r -> Report.time call ], r

    let private product (dtype: string) threads n =
        let rng = SplitMix64 0UL
        match dtype with
        | "float32" ->
            let a = Array.init (n * n) (fun _ -> float32 (rng.Normal()))
            let b = Array.init (n * n) (fun _ -> float32 (rng.Normal()))
            let c = Array.zeroCreate<float32> (n * n)
            fun () -> Gemm.sgemm threads n n n a 0 n 1 b 0 n 1 c 0 n
        | _ ->
            let a = Array.init (n * n) (fun _ -> rng.Normal())
            let b = Array.init (n * n) (fun _ -> rng.Normal())
            let c = Array.zeroCreate<float> (n * n)
            fun () -> Gemm.dgemm threads n n n a 0 n 1 b 0 n 1 c 0 n

    /// Run W0 with `threads` threads, handing each RESULT line to emit.
    let run (threads: int) (emit: string -> unit) =
        let clock, source = Clock.ghz ()
        let line metric value extra =
            emit { Workload = "W0"; Metric = metric; Value = value; Extra = extra }.Line
        line "clock_ghz" clock [ "source", source ]
        let per256, per512 = FmaPeak.flopsPerCycle clock
        for bits, measured in [ 256, per256; 512, per512 ] do
            measured
            |> Option.iter (fun f -> line "fma_f32_flops_per_cycle" f [ "bits", string bits ])
        // 512-bit lanes count only if they really double the flops per cycle (not on Zen 4)
        let bits =
            match per256, per512 with
            | Some f256, Some f512 when f512 > 1.5 * f256 -> 512
            | _ -> 256
        for dtype, bytes in [ "float32", 4; "float64", 8 ] do
            let peak = peakGflops threads bits bytes clock
            line $"peak_gflops_{dtype}" peak
                [ "cores", string threads; "pipes", string (pipes ())
                  "lanes", string (bits / 8 / bytes); "clock_ghz", Report.num clock ]
            for n in sizes do
                let t, r = timeCalls n (product dtype threads n)
                let gflops = 2.0 * float n ** 3.0 / t / 1e9
                line $"gemm_gflops_{dtype}_n{n}" gflops
                    [ "t_s", Report.num t; "reps", string r; "threads", string threads
                      "pct_of_peak", (100.0 * gflops / peak).ToString("F1", CultureInfo.InvariantCulture)
                      "clock_ghz", Report.num clock ]
