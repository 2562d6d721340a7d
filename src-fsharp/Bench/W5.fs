/// W5 — LIME text (../shared/bench/WORKLOADS.md): 10 documents of 100 words "w<k>", k = below(1000)
/// from SplitMix64 seed 11; a bag-of-words classifier (+1 even k, −1 odd k, z = 0.1·Σ); each
/// document explained with LimeTextExplainer defaults (label 1, 10 features, 5000 samples).
/// Layer: Bench.
module ScratchML.Bench.W5

open System
open System.Diagnostics
open ScratchML
open ScratchML.Lime

/// The documents: word j of document i is "w" + below(1000), one stream, document by document.
let documents () =
    let rng = SplitMix64 11UL
    Array.init 10 (fun _ -> Array.init 100 (fun _ -> $"w{rng.Below 1000}") |> String.concat " ")

/// s("w<k>") = +1 for even k, −1 for odd k, 0 otherwise, over tokens re.findall(r"\w+").
let score (token: ReadOnlySpan<char>) =
    if token.Length < 2 || token[0] <> 'w' then 0.0
    else
        let mutable digits = true
        for i in 1 .. token.Length - 1 do if not (Char.IsAsciiDigit token[i]) then digits <- false
        if not digits then 0.0 elif (int token[token.Length - 1] - int '0') % 2 = 0 then 1.0 else -1.0

/// p1 = σ(0.1·Σ s(token)), output [1 − p1, p1].
let classify (texts: string[]) =
    let out = Array2D.zeroCreate texts.Length 2
    for i in 0 .. texts.Length - 1 do
        let t = texts[i]
        let mutable z = 0.0
        let mutable start = -1
        for k in 0 .. t.Length do
            let word = k < t.Length && PyRegex.isWordRune (Text.Rune t[k])
            if word && start < 0 then start <- k
            elif not word && start >= 0 then
                z <- z + score (t.AsSpan(start, k - start))
                start <- -1
        let p = 1.0 / (1.0 + exp (-(0.1 * z)))
        out[i, 0] <- 1.0 - p
        out[i, 1] <- p
    out

/// Run W5 and emit explain_s, predict_s, lime_overhead_s (medians over the 10 documents).
let run (threads: int) (emit: string -> unit) =
    Parallelism.MaxDegree <- max 1 threads
    let docs = documents ()
    let options = { Text.defaults with ClassNames = [| "neg"; "pos" |] }
    // The prediction phase's wall time (batches may run concurrently: see PhaseSpan).
    let span = PhaseSpan()
    let timed = span.Wrap classify
    let explain (doc: int) =
        let opts = { Text.explainDefaults with Seed = uint64 doc; Batching = { BatchSize = (if threads > 1 then 2500 else Int32.MaxValue); Parallel = threads > 1 } }
        span.Reset()
        let total = Report.time (fun () -> Text.explain options docs[doc] timed opts |> ignore)
        total, span.Seconds
    // Warm-up: explain for at least 2 s so the JIT's tiered compilation reaches optimised code.
    let warm = Stopwatch.StartNew()
    while warm.Elapsed.TotalSeconds < 2.0 do explain 0 |> ignore
    let cpu = Report.cpuTime (fun () -> for _ in 1 .. 5 do explain 1 |> ignore) / 5.0
    let runs = [ for doc in 0 .. docs.Length - 1 -> explain doc ]
    let result metric value extra = emit { Workload = "W5"; Metric = metric; Value = value; Extra = extra }.Line
    let extra = [ "threads", string threads; "documents", string docs.Length ]
    result "explain_s" (Report.median (List.map fst runs)) (extra @ [ "cpu_s", Report.num cpu ])
    result "predict_s" (Report.median (List.map snd runs)) extra
    result "lime_overhead_s" (Report.median (runs |> List.map (fun (t, p) -> t - p))) extra
