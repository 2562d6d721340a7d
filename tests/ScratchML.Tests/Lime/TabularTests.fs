/// The tabular explainer against the original LIME: discretizers (bins, names, statistics) and
/// full explain_instance runs fed with LIME's recorded samples.
module ScratchML.Tests.Lime.TabularTests

open System
open System.Text.Json
open Expecto
open ScratchML
open ScratchML.Lime
open ScratchML.Tests
open ScratchML.Tests.Lime.LimeFixtures

let private optionalFloats (e: JsonElement) =
    if e.ValueKind = JsonValueKind.Null then None else Some [| for x in e.EnumerateArray() -> x.GetDouble() |]

let private optionalStrings (e: JsonElement) =
    if e.ValueKind = JsonValueKind.Null then None else Some (strings e)

/// Boundaries 1e-12 relative (README); bin statistics likewise.
let private tight = Tolerance.close 1e-12 1e-15

/// One discretizer section ("quartile" / "decile") against our fit.
let checkDiscretizer (root: JsonElement) (section: string) (kind: Discretization) =
    let data = matrix (root.GetProperty "training_data")
    let names = strings (root.GetProperty "feature_names")
    let categorical = ints (root.GetProperty "categorical_features") |> List.ofArray
    let disc = Discretizer.fit kind data categorical names
    let s = root.GetProperty section
    let perFeature (key: string) = [| for e in s.GetProperty(key).EnumerateArray() -> e |]
    let bins, nameLists = perFeature "bins", perFeature "names"
    for j in 0 .. names.Length - 1 do
        match disc.Bins[j], optionalFloats bins[j] with
        | None, None -> ()
        | Some fb, Some expected ->
            let what = $"{section} {names[j]}"
            expectAll tight $"{what} bins" fb.Boundaries expected
            Expect.equal fb.Names (optionalStrings nameLists[j]).Value $"{what} names"
            for key, actual in [ "bin_means", fb.Means; "bin_stds", fb.Stds; "bin_mins", fb.Mins; "bin_maxs", fb.Maxs ] do
                let expectedStats = (perFeature key)[j] |> optionalFloats |> Option.get
                expectAll tight $"{what} {key}" actual expectedStats
        | a, e -> failtest $"{section} feature {j}: discretized = {a.IsSome}, expected {e.IsSome}"
    for rowsKey, binsKey in [ "training_data", "training_discretized"; "test_rows", "test_discretized" ] do
        let rows, expected = matrix (root.GetProperty rowsKey), matrix (s.GetProperty binsKey)
        for i in 0 .. Array2D.length1 rows - 1 do
            let got = Discretizer.discretizeRow disc (Array.init (Array2D.length2 rows) (fun j -> rows[i, j]))
            for j in 0 .. got.Length - 1 do
                if disc.Bins[j].IsSome && got[j] <> expected[i, j] then
                    failtest $"{section} {binsKey}[{i},{j}]: got {got[j]}, expected {expected[i, j]}"

let discretizers (root: JsonElement) () =
    checkDiscretizer root "quartile" Discretization.Quartile
    checkDiscretizer root "decile" Discretization.Decile

/// softmax(((x − mean)/std)·W + b) per row, the fixture's predict_fn.
let softmaxClassifier (p: JsonElement) =
    let mean, std = vector (p.GetProperty "mean"), vector (p.GetProperty "std")
    let w, b = matrix (p.GetProperty "W"), vector (p.GetProperty "b")
    fun (rows: float[,]) ->
        let n, d, k = Array2D.length1 rows, Array2D.length2 rows, b.Length
        let out = Array2D.zeroCreate n k
        for i in 0 .. n - 1 do
            let z = Array.init k (fun c ->
                let mutable s = 0.0
                for j in 0 .. d - 1 do s <- s + (rows[i, j] - mean[j]) / std[j] * w[j, c]
                s + b[c])
            let m = Array.max z
            let e = z |> Array.map (fun v -> exp (v - m))
            let t = Array.sum e
            for c in 0 .. k - 1 do out[i, c] <- e[c] / t
        out

/// The training rows of the explain fixtures: they record only "load_wine(), first 60 rows x 13
/// columns"; discretizer_dataset.json holds exactly those rows (checked by its own description).
let trainingFor (root: JsonElement) =
    let path = System.IO.Path.Combine(Fixtures.folder, "lime_tabular", "discretizer_dataset.json")
    let ds = JsonDocument.Parse(System.IO.File.ReadAllText path).RootElement
    let data = matrix (ds.GetProperty "training_data")
    let described = root.GetProperty("dataset").GetString()
    let rows, cols = Array2D.length1 data, Array2D.length2 data
    if described.Contains(ds.GetProperty("dataset").GetString())
       && described.Contains($"first {rows} rows x {cols} columns") then Ok data
    else Error $"training data '{described}' is not the one in discretizer_dataset.json"

/// explain_discretized.json / explain_continuous.json: LIME's recorded samples through our pipeline.
let explainRecorded (training: float[,]) (root: JsonElement) () =
    let names = strings (root.GetProperty "feature_names")
    let categorical = ints (root.GetProperty "categorical_features") |> List.ofArray
    let cfg = root.GetProperty "explainer"
    let discretization =
        if not (root.GetProperty("discretize_continuous").GetBoolean()) then Discretization.Continuous
        else
            match root.GetProperty("discretizer").GetString() with
            | "quartile" -> Discretization.Quartile
            | "decile" -> Discretization.Decile
            | other -> failwith $"discretizer {other} needs training labels the fixture does not record"
    let ex =
        Tabular.create
            { Tabular.defaults with
                FeatureNames = names
                CategoricalFeatures = categorical
                Discretization = discretization
                FeatureSelection = LimeBaseTests.selectionOf (cfg.GetProperty("feature_selection").GetString()) }
            training
    expectClose tight "kernel_width" ex.KernelWidth (cfg.GetProperty("kernel_width").GetDouble())
    expectAll tight "scaler_mean" ex.ScalerMean (vector (root.GetProperty "scaler_mean"))
    expectAll tight "scaler_scale" ex.ScalerScale (vector (root.GetProperty "scaler_scale"))
    let instance = vector (root.GetProperty "instance")
    let neighborhood = matrix (root.GetProperty "neighborhood_data")
    let inverse = matrix (root.GetProperty "sampled_inverse")
    let n, d = Array2D.length1 neighborhood, Array2D.length2 neighborhood
    // What LimeBase sees before scaling: binary columns as recorded, continuous columns = the
    // rows the classifier saw (LIME scales exactly those), so the scaling is checked too.
    let isBinary j = ex.Discretizer.IsSome || List.contains j categorical
    let data = Array2D.init n d (fun i j -> if isBinary j then neighborhood[i, j] else inverse[i, j])
    match ex.Discretizer with
    | Some disc ->
        let expected = vector (root.GetProperty "discretized_instance")
        // The fixture stores the row as int64: categorical values appear truncated (2.28 → 2).
        Expect.equal (Discretizer.discretizeRow disc instance |> Array.map truncate) expected "discretized_instance"
        Expect.equal (Tabular.featureNames ex instance) (strings (root.GetProperty "discretized_feature_names")) "discretized_feature_names"
    | None -> ()
    let classifier = softmaxClassifier (root.GetProperty "predict_fn")
    expectAll (Tolerance.close 1e-12 1e-15) "neighborhood_labels" (let p = classifier inverse in Array.init (n * Array2D.length2 p) (fun k -> p[k / Array2D.length2 p, k % Array2D.length2 p])) (vector (root.GetProperty "neighborhood_labels"))
    let scaled = Array2D.init n d (fun i j -> (data[i, j] - ex.ScalerMean[j]) / ex.ScalerScale[j])
    expectAll (Tolerance.close 1e-12 1e-15) "neighborhood_data" (Seq.cast<float> scaled |> Array.ofSeq) (vector (root.GetProperty "neighborhood_data"))
    expectAll (Tolerance.close 1e-12 1e-7) "distances" (Kernels.euclidean scaled) (vector (root.GetProperty "distances"))
    let options =
        { Tabular.explainDefaults with
            Labels = LabelChoice.Labels (ints (cfg.GetProperty "labels") |> List.ofArray)
            NumFeatures = cfg.GetProperty("num_features").GetInt32()
            NumSamples = n }
    let e = Tabular.explainSamples ex instance data inverse classifier options
    let result = root.GetProperty "result"
    let label = result.GetProperty("label").GetInt32()
    expectResult "explanation" (e.For label) result
    let asList = [| for p in result.GetProperty("as_list").EnumerateArray() -> p[0].GetString() |]
    Expect.equal (e.AsList label |> Array.map fst) asList "as_list names"
    expectAll weightClose "predict_proba" e.Prediction (vector (result.GetProperty "predict_proba"))

let fixtureTests =
    Fixtures.family "lime_tabular" (fun file root ->
        match file with
        | "discretizer_dataset" | "discretizer_edge_cases" -> Ok (discretizers root)
        | "explain_discretized" | "explain_continuous" ->
            let needsLabels =
                root.GetProperty("discretize_continuous").GetBoolean()
                && root.GetProperty("discretizer").GetString() = "entropy"
            if needsLabels then Error "the entropy discretizer needs training labels the fixture does not record"
            else trainingFor root |> Result.map (fun training -> explainRecorded training root)
        | other -> Error $"no handler for lime_tabular/{other}")

/// Python's '%.2f' on the README's edge cases and on values whose ties only the exact binary
/// expansion decides.
let formatTests =
    testList "PyFormat" [
        for x, s in [ 0.125, "0.12"; 2.675, "2.67"; 1.005, "1.00"; -0.004, "-0.00"; 0.375, "0.38"
                      12345.678, "12345.68"; 0.0, "0.00"; -0.0, "-0.00"; 0.5, "0.50"; 1e20, "100000000000000000000.00"
                      0.015, "0.01"; 0.025, "0.03"; 5e-324, "0.00"; -1.5, "-1.50"; 2.5, "2.50" ] do
            test $"%%.2f of {x:R}" { Expect.equal (PyFormat.f2 x) s "" } ]

[<Tests>]
let tests = testList "Lime.Tabular" [ fixtureTests; formatTests ]

[<Tests>]
let extraTests =
    testList "Lime.Tabular.extra" [
        test "entropy discretizer splits where the labels change" {
            let values = [| 1.0; 2.0; 3.0; 4.0; 5.0; 6.0; 7.0; 8.0 |]
            let labels = [| 0; 0; 0; 0; 1; 1; 1; 1 |]
            Expect.equal (Discretizer.entropyThresholds values labels) [| 4.5 |] "one pure split at the midpoint"
            let constant = Discretizer.entropyThresholds [| 1.0; 2.0; 3.0 |] [| 1; 1; 1 |]
            Expect.equal constant [| 2.0 |] "no split: the median" }
        test "entropy discretizer requires labels of the right length" {
            Expect.throwsT<System.ArgumentException> (fun () ->
                Discretizer.fit (Discretization.Entropy [| 0; 1 |]) (Array2D.create 3 1 1.0) [] [| "x" |] |> ignore) "" }
        test "recurrent explainer names NAME_t-k and explains sequences" {
            let rng = SplitMix64 3
            let seqs = Array.init 50 (fun _ -> Array2D.init 3 2 (fun _ _ -> rng.Normal()))
            let ex = Recurrent.create Tabular.defaults seqs
            Expect.equal ex.Tabular.FeatureNames [| "feature0_t-2"; "feature0_t-1"; "feature0_t-0"; "feature1_t-2"; "feature1_t-1"; "feature1_t-0" |] "names"
            let classify (xs: float[,][]) = Array2D.init xs.Length 2 (fun i j -> let p = 1.0 / (1.0 + exp -(xs[i][2, 1])) in if j = 0 then 1.0 - p else p)
            let e = Recurrent.explain ex seqs[0] classify { Tabular.explainDefaults with NumFeatures = 2; NumSamples = 500 }
            Expect.equal (fst (e.For 1).Weights[0]) (Recurrent.column 3 2 1) "the last step of feature 1 matters most" }
        test "truncated normal stays inside its bounds" {
            for a, b in [ -1.0, 2.0; 0.5, 0.7; 3.0, 9.0; -8.0, -7.5 ] do
                for u in [ 0.0; 0.1; 0.5; 0.999999 ] do
                    let z = Discretizer.truncatedNormal a b u
                    Expect.isTrue (z >= a && z <= b) $"z = {z} in [{a}, {b}]" }
        test "four-lane AS 241 quantile equals the scalar reference bit for bit" {
            let rng = SplitMix64 17
            let edges = [| 1e-300; 1e-20; 1e-11; 2e-11; 0.0124; 0.075; 0.0750001; 0.5; 0.925; 0.9249999; 1.0 - 1e-12 |]
            // Uniform p, p near 0 and 1 (tails, far tails), and the branch edges.
            let p =
                Array.concat [ Array.init 400 (fun _ -> rng.Uniform())
                               Array.init 200 (fun k -> Math.Pow(10.0, -300.0 * rng.Uniform()) |> fun t -> if k % 2 = 0 then t else 1.0 - t)
                               edges; [| 0.5 |] ] // 612 values: a multiple of 4
            let z = Array.copy p
            Discretizer.normalQuantiles (Span z)
            for i in 0 .. p.Length - 1 do
                let expected = Discretizer.normalQuantile p[i]
                Expect.equal (BitConverter.DoubleToInt64Bits z[i]) (BitConverter.DoubleToInt64Bits expected) $"Φ⁻¹({p[i]:R}): {z[i]:R} vs {expected:R}" }
        test "sampled rows equal the scalar reference draw by draw" {
            // Row i reads its stream at (i − 1)·2d: per column, the bin whose cumulative training
            // frequency first exceeds u₁, then Discretizer.drawValue with u₂ (LIME's order).
            // Column 3 is 0 and 10 in turn: quartiles 0, 5, 10, so bins 1 and 3 are empty and the
            // sampled values are bins 0 and 2. Column 4 is categorical.
            let rng = SplitMix64 5
            let cell i j =
                match j with
                | 4 -> float (rng.Below 3)
                | 3 -> if i % 2 = 0 then 0.0 else 10.0
                | _ -> rng.Normal() * float (j + 1)
            let training = Array2D.init 200 5 cell
            let ex = Tabular.create { Tabular.defaults with CategoricalFeatures = [ 4 ] } training
            let instance = [| 0.1; -1.0; 2.0; 10.0; 1.0 |]
            let disc = ex.Discretizer.Value
            Expect.equal (fst ex.Values[3]) [| 0.0; 2.0 |] "column 3 samples bins 0 and 2 of 4"
            let firstRow = Discretizer.discretizeRow disc instance
            let data, inverse = Tabular.sample ex instance 700 9UL
            for i in 1 .. 699 do
                let stream = Sampling.streamAt 9UL (int64 (i - 1) * 10L)
                for j in 0 .. 4 do
                    let values, freqs = ex.Values[j]
                    let u1 = stream.Uniform()
                    let mutable k, cumulative = 0, freqs[0]
                    while k < values.Length - 1 && u1 >= cumulative do
                        k <- k + 1
                        cumulative <- cumulative + freqs[k]
                    let u2 = stream.Uniform()
                    let expected =
                        match disc.Bins[j] with
                        | Some fb -> Discretizer.drawValue (Discretizer.binDraw fb (int values[k])) u2
                        | None -> values[k]
                    Expect.equal (BitConverter.DoubleToInt64Bits inverse[i, j]) (BitConverter.DoubleToInt64Bits expected) $"inverse[{i}, {j}]"
                    Expect.equal data[i, j] (if values[k] = firstRow[j] then 1.0 else 0.0) $"data[{i}, {j}]" }
        test "AS 241 quantile inverts the normal CDF" {
            for p in [ 1e-300; 1e-10; 0.01; 0.3; 0.5; 0.8; 0.999 ] do
                let z = Discretizer.normalQuantile p
                let back = MathNet.Numerics.Distributions.Normal.CDF(0.0, 1.0, z)
                Expect.isTrue (abs (back - p) <= 1e-13 * max p 1e-300 + 1e-15) $"Φ(Φ⁻¹({p})) = {back}" } ]
