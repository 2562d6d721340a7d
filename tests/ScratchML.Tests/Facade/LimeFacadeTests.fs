/// The C# facade's explainers, called as C# calls them (Func<>, double[,], optional arguments):
/// a known linear model's weight signs are recovered, a seed makes explanations bit-identical,
/// and bad input throws ArgumentException naming the parameter.
module ScratchML.Tests.Facade.LimeFacadeTests

open System
open System.IO
open Expecto
open ScratchML

let sigmoid z = 1.0 / (1.0 + exp -z)

/// Training rows: 200 × 3 from SplitMix64(uint64 seed), roughly uniform in [−1, 1].
let trainingRows (seed: int) =
    let rng = SplitMix64(uint64 seed)
    Array2D.init 200 3 (fun _ _ -> 2.0 * rng.Uniform() - 1.0)

/// P(class 1) = σ(2·x₀ − 3·x₁ + 0·x₂): the local model must say x₀ +, x₁ −, |x₁| first.
let linearModel =
    Func<float[,], float[,]>(fun rows ->
        Array2D.init (Array2D.length1 rows) 2 (fun i j ->
            let p = sigmoid (2.0 * rows[i, 0] - 3.0 * rows[i, 1])
            if j = 1 then p else 1.0 - p))

let names = [| "a"; "b"; "c" |] :> Collections.Generic.IReadOnlyList<string>

let tabular () =
    ScratchML.TabularExplainer(trainingRows 3, names, [| "no"; "yes" |], Nullable 42, discretizeContinuous = false)

/// Spam-ish: P(spam) = σ(2·#free − 2·#meeting).
let textModel =
    Func<Collections.Generic.IReadOnlyList<string>, float[,]>(fun texts ->
        Array2D.init texts.Count 2 (fun i j ->
            let words = texts[i].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            let count w = words |> Array.filter ((=) w) |> Array.length |> float
            let p = sigmoid (2.0 * count "free" - 2.0 * count "meeting")
            if j = 1 then p else 1.0 - p))

/// A 12×12 RGB image: random texture from SplitMix64(5UL).
let image () =
    let rng = SplitMix64(5UL)
    Array3D.init 12 12 3 (fun _ _ _ -> rng.Uniform())

/// P(1) = mean red of the left half (in [0, 1]): checks the batch arrives as [batch, h, w, 3].
let imageModel =
    Func<float[,,,], float[,]>(fun batch ->
        Array2D.init (Array4D.length1 batch) 2 (fun i j ->
            let mutable s = 0.0
            for r in 0 .. 11 do
                for c in 0 .. 5 do s <- s + batch[i, r, c, 0]
            let p = s / 72.0
            if j = 1 then p else 1.0 - p))

/// The ArgumentException's ParamName (fails if none is thrown).
let paramOf (f: unit -> 'a) =
    try
        f () |> ignore
        failtest "expected an ArgumentException"
    with :? ArgumentException as e -> e.ParamName

[<Tests>]
let tests =
    testList "Facade.Lime" [
        test "tabular: a linear model's signs and ranking are recovered" {
            let e = (tabular ()).Explain([| 0.1; -0.2; 0.3 |], linearModel, numFeatures = 3, numSamples = 2000)
            let w = e.Weights |> Seq.map (fun f -> f.Feature, f.Weight) |> Map.ofSeq
            Expect.equal e.Label 1 "the most probable class at the row is yes"
            Expect.isGreaterThan w["a"] 0.0 "x₀ pushes towards yes"
            Expect.isLessThan w["b"] 0.0 "x₁ pushes towards no"
            Expect.equal e.Weights[0].Feature "b" "|−3| > |2|: b ranks first"
            Expect.isLessThan (abs w["c"]) (abs w["a"] / 5.0) "c is irrelevant"
            Expect.isGreaterThan e.Score 0.8 "a smooth model is locally linear"
            Expect.equal e.Labels.Count 1 "one label explained"
        }
        test "tabular: label 0's weights are the mirror of label 1's" {
            let e = (tabular ()).Explain([| 0.1; -0.2; 0.3 |], linearModel, numFeatures = 3, numSamples = 1000, label = Nullable 0)
            let w = e.Weights |> Seq.map (fun f -> f.Feature, f.Weight) |> Map.ofSeq
            Expect.isLessThan w["a"] 0.0 "x₀ pushes away from no"
            Expect.equal e.ClassNames[e.Label] "no" "class names come through"
        }
        test "tabular: same seed, bit-identical; other seed, different" {
            let run (seed: int) =
                let e = (tabular ()).Explain([| 0.5; 0.5; -0.5 |], linearModel, numFeatures = 2, numSamples = 500, seed = Nullable seed)
                [ for f in e.Weights -> f.Feature, BitConverter.DoubleToInt64Bits f.Weight ], BitConverter.DoubleToInt64Bits e.Intercept
            Expect.equal (run 7) (run 7) "seed 7 twice"
            Expect.notEqual (run 7) (run 8) "seeds 7 and 8"
            let a = (tabular ()).Explain([| 0.5; 0.5; -0.5 |], linearModel, numSamples = 300, numFeatures = 3)
            let b = (tabular ()).Explain([| 0.5; 0.5; -0.5 |], linearModel, numSamples = 300, numFeatures = 3)
            Expect.equal (a.Weights |> Seq.map (fun f -> f.Weight) |> List.ofSeq) (b.Weights |> Seq.map (fun f -> f.Weight) |> List.ofSeq) "the explainer's seed 42 is used"
        }
        test "tabular: bad input names the parameter" {
            let ex = tabular ()
            Expect.equal (paramOf (fun () -> ex.Explain([| nan; 0.0; 0.0 |], linearModel))) "row" "NaN in the row"
            Expect.equal (paramOf (fun () -> ex.Explain([| 0.0; 0.0 |], linearModel))) "row" "short row"
            Expect.equal (paramOf (fun () -> ex.Explain([| 0.0; 0.0; 0.0 |], linearModel, numFeatures = 4))) "numFeatures" "too many features"
            Expect.equal (paramOf (fun () -> ex.Explain([| 0.0; 0.0; 0.0 |], linearModel, numFeatures = 3, numSamples = 0))) "numSamples" "no samples"
            Expect.equal (paramOf (fun () -> ex.Explain([| 0.0; 0.0; 0.0 |], linearModel, numFeatures = 3, label = Nullable 5))) "label" "no such class"
            let wrongRows = Func<float[,], float[,]>(fun rows -> Array2D.create 3 2 0.5)
            Expect.equal (paramOf (fun () -> ex.Explain([| 0.0; 0.0; 0.0 |], wrongRows, numFeatures = 3, numSamples = 50))) "classifier" "wrong row count"
            let notProbabilities = Func<float[,], float[,]>(fun rows -> Array2D.create (Array2D.length1 rows) 2 0.9)
            Expect.equal (paramOf (fun () -> ex.Explain([| 0.0; 0.0; 0.0 |], notProbabilities, numFeatures = 3, numSamples = 50))) "classifier" "rows sum to 1.8"
            Expect.equal (paramOf (fun () -> ScratchML.TabularExplainer(trainingRows 1, [| "a" |]))) "featureNames" "name count"
            let withNaN = trainingRows 1
            withNaN[4, 2] <- nan
            Expect.equal (paramOf (fun () -> ScratchML.TabularExplainer(withNaN, names))) "trainingRows" "NaN in training"
        }
        test "text: the spam word pushes to spam, the meeting word away" {
            let ex = ScratchML.TextExplainer([| "ham"; "spam" |], seed = Nullable 1)
            let e = ex.Explain("free lunch at the meeting", textModel, numFeatures = 5, numSamples = 1000, label = Nullable 1)
            let w = e.Weights |> Seq.map (fun f -> f.Feature, f.Weight) |> Map.ofSeq
            Expect.isGreaterThan w["free"] 0.1 "free"
            Expect.isLessThan w["meeting"] -0.1 "meeting"
            Expect.isLessThan (abs w["lunch"]) 0.05 "lunch is irrelevant"
            let again = ex.Explain("free lunch at the meeting", textModel, numFeatures = 5, numSamples = 1000, label = Nullable 1)
            Expect.sequenceEqual (again.Weights |> Seq.map (fun f -> f.Weight)) (e.Weights |> Seq.map (fun f -> f.Weight)) "same seed"
        }
        test "text: bad input names the parameter" {
            let ex = ScratchML.TextExplainer()
            Expect.equal (paramOf (fun () -> ex.Explain("   ", textModel))) "text" "blank text"
            Expect.equal (paramOf (fun () -> ex.Explain("two words", textModel, numFeatures = 3))) "numFeatures" "more features than words"
        }
        test "image: left-half superpixels carry the weight; seeded; bad rank" {
            let ex = ScratchML.ImageExplainer(ImageSegmentation.Slic, Nullable 3)
            let e = ex.Explain(image (), imageModel, numFeatures = 4, numSamples = 300, label = Nullable 1)
            let again = ex.Explain(image (), imageModel, numFeatures = 4, numSamples = 300, label = Nullable 1)
            Expect.sequenceEqual (again.Weights |> Seq.map (fun f -> f.Weight)) (e.Weights |> Seq.map (fun f -> f.Weight)) "same seed"
            Expect.isGreaterThan e.Weights.Count 0 "some superpixels"
            Expect.stringContains (e.ToHtml()) "<svg" "an image report"
            Expect.equal (paramOf (fun () -> ex.Explain(Array3D.zeroCreate 4 4 2, imageModel))) "image" "two channels"
            let bad = image ()
            bad[1, 1, 1] <- infinity
            Expect.equal (paramOf (fun () -> ex.Explain(bad, imageModel))) "image" "infinite pixel"
        }
        test "SoftmaxRegression learns the breast-cancer data; its rows are probabilities" {
            let data = TabularData.BreastCancer()
            Expect.equal (data.RowCount, data.FeatureNames.Count, data.ClassNames.Count) (569, 30, 2) "569 × 30, two classes"
            let model = SoftmaxRegression.Fit(data.Rows, data.Targets, 2)
            Expect.isGreaterThan (model.Accuracy(data.Rows, data.Targets)) 0.95 "training accuracy"
            let p = model.PredictProbabilities data.Rows
            for i in 0 .. 568 do
                Expect.floatClose Accuracy.veryHigh (p[i, 0] + p[i, 1]) 1.0 $"row {i} sums to 1"
            Expect.equal (paramOf (fun () -> SoftmaxRegression.Fit(data.Rows, [| 0; 1 |], 2))) "targets" "target count"
            Expect.equal (paramOf (fun () -> model.PredictProbabilities(Array2D.zeroCreate 1 3))) "rows" "column count"
        }
        test "TabularData.LoadCsv numbers classes in sorted order and names the bad line" {
            let dir = Directory.CreateTempSubdirectory "scratchml-csv"
            let path = Path.Combine(dir.FullName, "t.csv")
            File.WriteAllLines(path, [ "x,kind,y"; "1,b,2"; "3,a,4"; "5,b,6" ])
            let data = TabularData.LoadCsv(path, "kind")
            Expect.sequenceEqual data.ClassNames [ "a"; "b" ] "sorted class names"
            Expect.sequenceEqual data.Targets [ 1; 0; 1 ] "class indices"
            Expect.sequenceEqual data.FeatureNames [ "x"; "y" ] "the target column is removed"
            Expect.sequenceEqual (data.Row 1) [ 3.0; 4.0 ] "row 1"
            File.WriteAllLines(path, [ "x,kind,y"; "1,b,2"; "3,a" ])
            try
                TabularData.LoadCsv(path, "kind") |> ignore
                failtest "a short line must be refused"
            with :? FormatException as e -> Expect.stringContains e.Message "t.csv, line 3" "file and line"
            dir.Delete true
        }
        test "SaveHtml writes the report atomically and leaves no temporary file" {
            let e = (tabular ()).Explain([| 0.1; -0.2; 0.3 |], linearModel, numFeatures = 3, numSamples = 200)
            let folder = Directory.CreateTempSubdirectory "scratchml-facade"
            let path = Path.Combine(folder.FullName, "report.html")
            File.WriteAllText(path, "old")
            e.SaveHtml path
            Expect.equal (File.ReadAllText path) (e.ToHtml()) "the report replaced the old file"
            Expect.equal (Directory.GetFiles folder.FullName).Length 1 "no temporary left"
            Expect.equal (paramOf (fun () -> e.SaveHtml(Path.Combine(folder.FullName, "missing", "r.html")))) "path" "missing folder"
            folder.Delete true
        }
    ]
