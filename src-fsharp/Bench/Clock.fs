/// The effective core clock, measured in-process: the theoretical peak of W0 needs it.
/// Layer: Bench. Read next: W0.fs.
///
/// /proc/cpuinfo's "cpu MHz" is the nominal (TSC) clock; under boost the cores run faster.
/// As ../shared/bench/reference/fma_peak.c does, time a dependent chain of integer adds: each add
/// needs the previous result and takes 1 cycle, so adds per second = cycles per second.
namespace ScratchML.Bench

open System
open System.Diagnostics
open System.Globalization
open System.Runtime.CompilerServices

[<RequireQualifiedAccess>]
module Clock =
    /// The step is read from a mutable field so the JIT cannot fold 8 adds of a constant into one.
    let mutable private step = 1L

    /// x ← x + step, 8 times per iteration: 8·iterations dependent 1-cycle adds (the loop
    /// counter runs on other ALUs in parallel).
    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let private chain (iterations: int64) =
        let s = step
        let mutable x = 0L
        let mutable i = 0L
        while i < iterations do
            x <- x + s
            x <- x + s
            x <- x + s
            x <- x + s
            x <- x + s
            x <- x + s
            x <- x + s
            x <- x + s
            i <- i + 1L
        x

    /// Cycles per nanosecond of the calling thread's core: the best of 100 short chains of
    /// 2·10⁶ adds (~0.6 ms each). Best-of, and short, because on a shared machine a chain that
    /// loses the core for a moment looks like a slower clock; the fastest one did not.
    let measureGhz () =
        let iterations = 250_000L
        chain 1000L |> ignore
        let once () =
            let sw = Stopwatch.StartNew()
            let x = chain iterations
            let seconds = sw.Elapsed.TotalSeconds
            if x <> 8L * iterations then failwith "clock chain miscounted"
            float (8L * iterations) / seconds / 1e9
        Seq.init 100 (fun _ -> once ()) |> Seq.max

    /// CLOCK_GHZ from the environment if set, else measured: (GHz, "env" or "measured").
    let ghz () =
        match Environment.GetEnvironmentVariable "CLOCK_GHZ" with
        | null | "" -> measureGhz (), "measured"
        | s -> Double.Parse(s, CultureInfo.InvariantCulture), "env"
