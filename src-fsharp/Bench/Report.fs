/// How every workload reports: medians, the RESULT line format, the measured clock.
/// Layer: Bench (above Core, NN, Lime). Read next: W0.fs.
namespace ScratchML.Bench

open System
open System.Diagnostics
open System.Globalization

/// A figure printed as `RESULT workload=W0 impl=scratchml metric=... value=... k=v ...`.
type Result =
    { Workload: string
      Metric: string
      Value: float
      Extra: (string * string) list }

    /// The line format of ../shared/bench/WORKLOADS.md, invariant culture.
    member r.Line =
        let extra = r.Extra |> List.map (fun (k, v) -> $" {k}={v}") |> String.concat ""
        let v = r.Value.ToString("G6", CultureInfo.InvariantCulture)
        $"RESULT workload={r.Workload} impl=scratchml metric={r.Metric} value={v}{extra}"

/// The wall time of a phase whose calls may overlap (classifier batches on several threads):
/// from the first call's start to the last call's end, so concurrent durations are not summed.
type PhaseSpan() =
    let clock = Stopwatch.StartNew()
    let gate = obj ()
    let mutable first, last = Double.MaxValue, 0.0

    /// Forget the calls timed so far.
    member _.Reset() =
        first <- Double.MaxValue
        last <- 0.0

    /// Seconds from the first timed call's start to the last one's end.
    member _.Seconds = last - first

    /// `f`, timed into this span on every call (thread-safe).
    member _.Wrap(f: 'a -> 'b) : 'a -> 'b =
        fun x ->
            let start = clock.Elapsed.TotalSeconds
            let out = f x
            let stop = clock.Elapsed.TotalSeconds
            lock gate (fun () ->
                first <- min first start
                last <- max last stop)
            out

[<RequireQualifiedAccess>]
module Report =
    /// Median of a non-empty sample (mean of the two middle values for an even count).
    let median (xs: float seq) =
        let a = Seq.toArray xs |> Array.sort
        if a.Length = 0 then invalidArg "xs" "median of an empty sample"
        let m = a.Length / 2
        if a.Length % 2 = 1 then a[m] else 0.5 * (a[m - 1] + a[m])

    /// Wall-clock seconds of one call, on the monotonic clock.
    let time (f: unit -> unit) =
        let sw = Stopwatch.StartNew()
        f ()
        sw.Elapsed.TotalSeconds

    /// Process CPU seconds (all threads) spent by one call: on a shared machine it shows the work
    /// done when wall-clock time is inflated by other processes.
    let cpuTime (f: unit -> unit) =
        let p = Process.GetCurrentProcess()
        p.Refresh()
        let before = p.TotalProcessorTime
        f ()
        p.Refresh()
        (p.TotalProcessorTime - before).TotalSeconds

    /// Number formatting for RESULT extras: invariant culture, 4 significant digits.
    let num (x: float) = x.ToString("G4", CultureInfo.InvariantCulture)
