/// End-to-end behaviour of the explainers: a linear model's weights are recovered, the same seed
/// gives bit-identical explanations, batching does not change them, bad input is refused by name.
module ScratchML.Tests.Lime.ExplainTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML
open ScratchML.Lime

/// Training rows with standard-normal columns.
let training (seed: int) (n: int) (d: int) =
    let rng = SplitMix64 seed
    Array2D.init n d (fun _ _ -> rng.Normal())

/// f(x) = Σ cⱼxⱼ as an n×1 regression output.
let linear (c: float[]) (rows: float[,]) =
    Array2D.init (Array2D.length1 rows) 1 (fun i _ -> Seq.sum (seq { for j in 0 .. c.Length - 1 -> c[j] * rows[i, j] }))

/// Probabilities [1 − σ(z), σ(z)] with z = Σ cⱼxⱼ.
let logistic (c: float[]) (rows: float[,]) =
    let z = linear c rows
    Array2D.init (Array2D.length1 rows) 2 (fun i j -> let p = 1.0 / (1.0 + exp -z[i, 0]) in if j = 0 then 1.0 - p else p)

let continuous = { Tabular.defaults with Discretization = Discretization.Continuous; FeatureSelection = FeatureSelection.NoSelection }

/// Coefficients with distinct magnitudes (gaps ≥ 0.2) and random signs.
let coefficients =
    gen {
        let! d = Gen.choose (2, 5)
        let! order = Gen.shuffle [| 0 .. d - 1 |]
        let! signs = Gen.arrayOfLength d (Gen.elements [ -1.0; 1.0 ])
        let! seed = Gen.choose (0, 10000)
        return Array.init d (fun j -> signs[j] * (0.3 + 0.2 * float order[j])), seed
    }

let recovery =
    testPropertyWithConfig { FsCheckConfig.defaultConfig with maxTest = 30 } "a linear model's signs and ranking are recovered"
    <| Prop.forAll (Arb.fromGen coefficients) (fun (c, seed) ->
        let d = c.Length
        let ex = Tabular.create { continuous with Mode = Mode.Regression } (training seed 300 d)
        let e = Tabular.explain ex (Array.zeroCreate d) (linear c)
                    { Tabular.explainDefaults with NumFeatures = d; NumSamples = 1000; Seed = uint64 seed }
        let weights = (e.For 1).Weights
        let expectedOrder = Array.init d id |> Array.sortByDescending (fun j -> abs (c[j] * ex.ScalerScale[j]))
        let signsAgree = weights |> Array.forall (fun (j, w) -> sign w = sign c[j])
        (signsAgree && Array.map fst weights = expectedOrder)
        |> Prop.label $"c = %A{c}, seed {seed}, weights %A{weights}")

let sameBits (a: Explanation) (b: Explanation) =
    List.forall2 (fun (x: LabelExplanation) (y: LabelExplanation) ->
        x.Weights = y.Weights && BitConverter.DoubleToInt64Bits x.Intercept = BitConverter.DoubleToInt64Bits y.Intercept
        && BitConverter.DoubleToInt64Bits x.Score = BitConverter.DoubleToInt64Bits y.Score) a.Labels b.Labels

let determinism =
    let c = [| 1.0; -2.0; 0.5; 0.0 |]
    let data = training 1 200 4
    let row = [| 0.3; -0.2; 1.0; 0.1 |]
    let text = "the quick brown fox jumps over the lazy dog while the cat sleeps"
    let words (texts: string[]) =
        Array2D.init texts.Length 2 (fun i j ->
            let p = 1.0 / (1.0 + exp (-(float (texts[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length) / 5.0 - 1.0)))
            if j = 0 then 1.0 - p else p)
    testList "determinism" [
        for name, discretization in [ "discretized", Discretization.Quartile; "continuous", Discretization.Continuous ] do
            test $"tabular {name}: same seed, same bits; another seed differs" {
                let ex = Tabular.create { Tabular.defaults with Discretization = discretization } data
                let run seed batching =
                    Tabular.explain ex row (logistic c) { Tabular.explainDefaults with NumFeatures = 3; Seed = seed; Batching = batching }
                let a = run 7UL Batching.Whole
                Expect.isTrue (sameBits a (run 7UL Batching.Whole)) "same seed"
                Expect.isTrue (sameBits a (run 7UL { BatchSize = 333; Parallel = true })) "parallel batches of 333"
                Expect.isFalse (sameBits a (run 8UL Batching.Whole)) "another seed" }
        test "text: same seed, same bits" {
            let run seed = Text.explain Text.defaults text words { Text.explainDefaults with NumFeatures = 4; Seed = seed; NumSamples = 800 }
            Expect.isTrue (sameBits (run 3UL) (run 3UL)) "same seed"
            Expect.isFalse (sameBits (run 3UL) (run 4UL)) "another seed" }
        test "row i's draws do not depend on the row count" {
            let ex = Tabular.create Tabular.defaults data
            let small, _ = Tabular.sample ex row 400 5UL // sequential (≤ 512 rows)
            let large, _ = Tabular.sample ex row 2000 5UL
            for i in 0 .. 399 do
                for j in 0 .. 3 do Expect.equal small[i, j] large[i, j] $"row {i} col {j}" } ]

let throwsFor (param: string) (f: unit -> unit) =
    let e = Expect.throwsC f id
    match e with
    | :? ArgumentException as a -> Expect.equal a.ParamName param $"the error names {param}: {a.Message}"
    | other -> failtest $"expected ArgumentException for {param}, got {other}"

let badInput =
    let data = training 2 100 3
    let ex = Tabular.create Tabular.defaults data
    let ok = logistic [| 1.0; 1.0; 1.0 |]
    let opts = { Tabular.explainDefaults with NumFeatures = 2; NumSamples = 100 }
    testList "bad input" [
        test "empty text" { throwsFor "text" (fun () -> Text.explain Text.defaults "" (fun t -> Array2D.create t.Length 2 0.5) Text.explainDefaults |> ignore) }
        test "text without words" { throwsFor "text" (fun () -> Text.explain Text.defaults "?!" (fun t -> Array2D.create t.Length 2 0.5) Text.explainDefaults |> ignore) }
        test "NaN in the row" { throwsFor "instance" (fun () -> Tabular.explain ex [| 0.0; nan; 0.0 |] ok opts |> ignore) }
        test "NaN in the training data" {
            let bad = Array2D.init 10 2 (fun i j -> if i = 3 then nan else float j)
            throwsFor "trainingData" (fun () -> Tabular.create Tabular.defaults bad |> ignore) }
        test "classifier returns too few rows" {
            throwsFor "classifier" (fun () -> Tabular.explain ex [| 0.0; 0.0; 0.0 |] (fun r -> Array2D.create (Array2D.length1 r - 1) 2 0.5) opts |> ignore) }
        test "classifier returns non-probabilities" {
            throwsFor "classifier" (fun () -> Tabular.explain ex [| 0.0; 0.0; 0.0 |] (fun r -> Array2D.create (Array2D.length1 r) 2 3.0) opts |> ignore) }
        test "classifier rows do not sum to 1" {
            throwsFor "classifier" (fun () -> Tabular.explain ex [| 0.0; 0.0; 0.0 |] (fun r -> Array2D.create (Array2D.length1 r) 2 0.2) opts |> ignore) }
        test "label beyond the classifier's outputs" {
            throwsFor "labels" (fun () -> Tabular.explain ex [| 0.0; 0.0; 0.0 |] ok { opts with Labels = LabelChoice.Labels [ 5 ] } |> ignore) }
        test "numFeatures larger than the features" {
            throwsFor "numFeatures" (fun () -> Tabular.explain ex [| 0.0; 0.0; 0.0 |] ok { opts with NumFeatures = 4 } |> ignore) }
        test "numFeatures larger than the words" {
            throwsFor "numFeatures" (fun () ->
                Text.explain Text.defaults "two words" (fun t -> Array2D.create t.Length 2 0.5) { Text.explainDefaults with NumFeatures = 3 } |> ignore) }
        test "row of the wrong length" { throwsFor "instance" (fun () -> Tabular.explain ex [| 0.0; 0.0 |] ok opts |> ignore) } ]

let regressionAndTopLabels =
    testList "modes" [
        test "regression: label 1 holds the weights, label 0 their negation" {
            let ex = Tabular.create { continuous with Mode = Mode.Regression } (training 4 200 3)
            let e = Tabular.explain ex [| 0.0; 0.0; 0.0 |] (linear [| 1.0; -1.0; 0.5 |]) { Tabular.explainDefaults with NumFeatures = 3; NumSamples = 500 }
            let w1, w0 = (e.For 1).Weights, (e.For 0).Weights
            Expect.equal (Array.map fst w0) (Array.map fst w1) "same features"
            Expect.equal (Array.map (snd >> (~-)) w0) (Array.map snd w1) "negated" }
        test "top labels: the most probable first" {
            let ex = Tabular.create Tabular.defaults (training 5 200 3)
            let three (rows: float[,]) = Array2D.init (Array2D.length1 rows) 3 (fun _ j -> [| 0.2; 0.5; 0.3 |][j])
            let e = Tabular.explain ex [| 0.0; 0.0; 0.0 |] three { Tabular.explainDefaults with Labels = LabelChoice.Top 2; NumFeatures = 2; NumSamples = 200 }
            Expect.equal e.TopLabels [| 1; 2 |] "argsort, last two, reversed"
            Expect.equal e.AvailableLabels [ 1; 2 ] "explained in that order" } ]

[<Tests>]
let tests = testList "Lime.Explain" [ recovery; determinism; badInput; regressionAndTopLabels ]
