/// W4 — LIME tabular (../shared/bench/WORKLOADS.md): breast-cancer rows 0..399 train a quartile
/// LimeTabularExplainer; rows 400..419 are explained (label 1, 10 features, 5000 samples) against
/// the fixed logistic-regression classifier of w4_model.json. Layer: Bench.
module ScratchML.Bench.W4

open System
open System.Diagnostics
open System.Globalization
open System.IO
open System.Text.Json
open ScratchML.Lime

let private inv = CultureInfo.InvariantCulture

/// breast_cancer.csv: header "rows,features,class names…", then features and target per line.
let load () =
    let lines = File.ReadAllLines(BenchData.file "breast_cancer.csv")
    let header = lines[0].Split ','
    let rows, features = int header[0], int header[1]
    let data = Array2D.zeroCreate rows features
    for i in 0 .. rows - 1 do
        let cells = lines[i + 1].Split ','
        for j in 0 .. features - 1 do data[i, j] <- Double.Parse(cells[j], inv)
    data, header[2..]

/// The fixed classifier: p1 = σ(((x − mean)/std)·coef + intercept), output [1 − p1, p1].
let classifier () =
    let root = JsonDocument.Parse(File.ReadAllText(BenchData.file "w4_model.json")).RootElement
    let vec (name: string) = [| for x in root.GetProperty(name).EnumerateArray() -> x.GetDouble() |]
    let mean, std, coef = vec "mean", vec "std", vec "coef"
    let intercept =
        let e = root.GetProperty "intercept"
        if e.ValueKind = JsonValueKind.Array then e[0].GetDouble() else e.GetDouble()
    fun (rows: float[,]) ->
        let n, d = Array2D.length1 rows, Array2D.length2 rows
        let out = Array2D.zeroCreate n 2
        for i in 0 .. n - 1 do
            let mutable z = intercept
            for j in 0 .. d - 1 do z <- z + (rows[i, j] - mean[j]) / std[j] * coef[j]
            let p = 1.0 / (1.0 + exp -z)
            out[i, 0] <- 1.0 - p
            out[i, 1] <- p
        out

let featureNames =
    [| "mean radius"; "mean texture"; "mean perimeter"; "mean area"; "mean smoothness"; "mean compactness"
       "mean concavity"; "mean concave points"; "mean symmetry"; "mean fractal dimension"; "radius error"
       "texture error"; "perimeter error"; "area error"; "smoothness error"; "compactness error"
       "concavity error"; "concave points error"; "symmetry error"; "fractal dimension error"; "worst radius"
       "worst texture"; "worst perimeter"; "worst area"; "worst smoothness"; "worst compactness"
       "worst concavity"; "worst concave points"; "worst symmetry"; "worst fractal dimension" |]

/// Run W4 and emit explain_s, predict_s, lime_overhead_s, explainer_init_s (medians).
let run (threads: int) (emit: string -> unit) =
    Parallelism.MaxDegree <- max 1 threads
    let data, classNames = load ()
    let d = Array2D.length2 data
    let training = Array2D.init 400 d (fun i j -> data[i, j])
    let predict = classifier ()
    let options = { Tabular.defaults with FeatureNames = featureNames; ClassNames = classNames }
    let build () = Tabular.create options training
    build () |> ignore // warm-up
    let inits = [ for _ in 1 .. 5 -> Report.time (build >> ignore) ]
    let explainer = build ()
    // The prediction phase's wall time (batches may run concurrently: see PhaseSpan).
    let span = PhaseSpan()
    let timed = span.Wrap predict
    let explain (row: int) =
        let instance = Array.init d (fun j -> data[row, j])
        let opts = { Tabular.explainDefaults with Seed = uint64 row; Batching = { BatchSize = (if threads > 1 then 2500 else Int32.MaxValue); Parallel = threads > 1 } }
        span.Reset()
        let total = Report.time (fun () -> Tabular.explain explainer instance timed opts |> ignore)
        total, span.Seconds
    // Warm-up: explain for at least 2 s so the JIT's tiered compilation reaches optimised code.
    let warm = Stopwatch.StartNew()
    while warm.Elapsed.TotalSeconds < 2.0 do explain 400 |> ignore
    let cpu = Report.cpuTime (fun () -> for _ in 1 .. 5 do explain 401 |> ignore) / 5.0
    let runs = [ for row in 400 .. 419 -> explain row ]
    let result metric value extra = emit { Workload = "W4"; Metric = metric; Value = value; Extra = extra }.Line
    let extra = [ "threads", string threads; "instances", "20" ]
    result "explain_s" (Report.median (List.map fst runs)) (extra @ [ "cpu_s", Report.num cpu ])
    result "predict_s" (Report.median (List.map snd runs)) extra
    result "lime_overhead_s" (Report.median (runs |> List.map (fun (t, p) -> t - p))) extra
    result "explainer_init_s" (Report.median inits) extra
