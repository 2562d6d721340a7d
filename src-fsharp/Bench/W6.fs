/// W6 — LIME image, exactly as ../shared/bench/WORKLOADS.md defines it: explain chelsea224.ppm
/// (224×224) under p = softmax(10·mean RGB) with LIME's defaults (quickshift seed 0, 1000 samples,
/// batch 10, top 5 labels). Layer: Bench. Read next: Workloads.fs.
module ScratchML.Bench.W6

open System
open System.Diagnostics
open System.Threading.Tasks
open ScratchML.Lime
open ScratchML.Lime.Image

/// p = softmax(10·(mean R, mean G, mean B)) per image; images of a batch on `threads` threads.
let classifier (threads: int) (batch: RgbImage[]) : float[,] =
    let out = Array2D.zeroCreate batch.Length 3
    let one i =
        let px = batch[i].Pixels
        let mutable r, g, b = 0.0, 0.0, 0.0
        for p in 0 .. batch[i].PixelCount - 1 do
            r <- r + px[p * 3]
            g <- g + px[p * 3 + 1]
            b <- b + px[p * 3 + 2]
        let n = float batch[i].PixelCount
        let z = [| 10.0 * r / n; 10.0 * g / n; 10.0 * b / n |]
        let m = Array.max z
        let e = z |> Array.map (fun v -> exp (v - m))
        let s = Array.sum e
        for k in 0 .. 2 do out[i, k] <- e[k] / s
    let parallel = ParallelOptions(MaxDegreeOfParallelism = max 1 threads)
    Parallel.For(0, batch.Length, parallel, one) |> ignore
    out

/// Run W6 and emit explain_s, predict_s, lime_overhead_s and quickshift_s (with the segment count).
let run (threads: int) (emit: string -> unit) =
    Parallelism.MaxDegree <- max 1 threads // the base's loops (ridge Gram) use the same threads
    let image = ImageFile.load (BenchData.file "chelsea224.ppm")
    let options = { ImageExplainerOptions.Defaults with Seed = 0; Threads = threads }
    // LimeImageExplainer(random_state=0)
    //     .explain_instance(img, classifier, num_samples=1000, random_seed=0)
    let args = { ImageExplainOptions.Defaults with NumSamples = 1000; RandomSeed = Some 0 }
    // Process CPU seconds beside wall seconds: on a shared, busy machine the CPU time shows the
    // work done (wall ≈ cpu / threads when the cores are free).
    let cpuSeconds () = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds
    let once () =
        let predict = Stopwatch()
        let timed batch =
            predict.Start()
            let p = classifier threads batch
            predict.Stop()
            p
        let cpu0 = cpuSeconds ()
        let total = Stopwatch.StartNew()
        let e = ImageExplainer.explain options args timed image
        total.Stop()
        e, total.Elapsed.TotalSeconds, predict.Elapsed.TotalSeconds, cpuSeconds () - cpu0
    once () |> ignore // warm-up (JIT), not counted
    let runs = [ for _ in 1..5 -> once () ]
    let explain = runs |> List.map (fun (_, t, _, _) -> t)
    let predict = runs |> List.map (fun (_, _, p, _) -> p)
    let overhead = runs |> List.map (fun (_, t, p, _) -> t - p)
    let cpu = runs |> List.map (fun (_, _, _, c) -> c)
    let e, _, _, _ = List.head runs
    let top = e.Explanation.TopLabels |> Array.map string |> String.concat ","
    let extra =
        [ "threads", string threads; "samples", "1000"
          "segments", string e.Segments.Count; "top_labels", top ]
    let line metric value extra =
        emit { Workload = "W6"; Metric = metric; Value = value; Extra = extra }.Line
    line "explain_s" (Report.median explain) (extra @ [ "cpu_s", Report.num (Report.median cpu) ])
    line "predict_s" (Report.median predict) extra
    line "lime_overhead_s" (Report.median overhead) extra
    // SegmentationAlgorithm("quickshift", kernel_size=4, max_dist=200, ratio=0.2,
    //                       random_seed=0)(img)
    let quickshift () = Quickshift.segmentWith threads (Quickshift.limeDefaults 0) image
    let segments = quickshift () // warm-up
    let times =
        [ for _ in 1..5 ->
            let c = cpuSeconds ()
            Report.time (quickshift >> ignore), cpuSeconds () - c ]
    let cpu = Report.num (Report.median (List.map snd times))
    line "quickshift_s" (Report.median (List.map fst times))
        [ "threads", string threads; "segments", string segments.Count; "cpu_s", cpu ]
