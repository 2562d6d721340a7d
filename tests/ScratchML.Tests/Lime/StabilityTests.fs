/// The stability report and SP-LIME on small, checkable cases.
module ScratchML.Tests.Lime.StabilityTests

open Expecto
open ScratchML.Lime

/// An explanation with given weights for label 1 over named features.
let fake (names: string[]) (weights: (int * float)[]) =
    { Mode = Mode.Classification; ClassNames = [| "0"; "1" |]; FeatureNames = names; Domain = Domain.Features
      Prediction = [| 0.5; 0.5 |]; MinValue = nan; MaxValue = nan; TopLabels = [||]
      Labels = [ { Label = 1; Intercept = 0.0; Weights = weights; Score = 1.0; LocalPrediction = 0.5
                   UsedFeatures = Array.map fst weights } ] }

[<Tests>]
let tests =
    testList "Lime.Stability" [
        test "identical runs: zero std, full agreement" {
            let e = fake [| "a"; "b"; "c" |] [| 0, 0.5; 2, -0.25 |]
            let r = Stability.report (fun _ -> e) [ 1UL; 2UL; 3UL ] 1
            Expect.equal (r.Features |> Array.map (fun f -> f.Feature)) [| 0; 2 |] "by |mean|"
            Expect.equal (r.Features |> Array.map (fun f -> f.Std)) [| 0.0; 0.0 |] "no spread"
            Expect.equal r.MeanJaccard 1.0 "same sets"
            Expect.equal r.MeanSpearman 1.0 "same ranks" }
        test "two different runs: mean, population std, frequency, Jaccard" {
            let runs = Map [ 1UL, fake [| "a"; "b" |] [| 0, 1.0 |]; 2UL, fake [| "a"; "b" |] [| 0, 3.0; 1, 1.0 |] ]
            let r = Stability.report (fun s -> runs[s]) [ 1UL; 2UL ] 1
            let a = r.Features |> Array.find (fun f -> f.Feature = 0)
            let b = r.Features |> Array.find (fun f -> f.Feature = 1)
            Expect.equal (a.Mean, a.Std, a.Frequency) (2.0, 1.0, 1.0) "feature a"
            Expect.equal (b.Mean, b.Std, b.Frequency) (0.5, 0.5, 0.5) "feature b"
            Expect.equal r.MeanJaccard 0.5 "{a} vs {a, b}" }
        test "spearman of reversed ranks is -1" {
            Expect.floatClose Accuracy.veryHigh (Stability.spearman [| 1.0; 2.0; 3.0 |] [| 3.0; 2.0; 1.0 |]) -1.0 "" }
        test "SP-LIME picks the explanation covering the important features first" {
            let names = [| "a"; "b"; "c"; "d" |]
            let exps =
                [| fake names [| 0, 1.0 |]
                   fake names [| 1, 0.1; 2, 0.1 |]
                   fake names [| 0, 0.9; 3, 0.2 |]
                   fake names [| 2, 0.05 |] |]
            // importance: a = sqrt 1.9, b = sqrt .1, c = sqrt .15, d = sqrt .2; exp 2 covers a and d.
            let picked = SubmodularPick.pick exps 2
            Expect.equal picked[0] 2 "a + d first"
            Expect.equal picked[1] 1 "then b + c"
            let w, cols = SubmodularPick.explanationMatrix exps
            Expect.equal cols [| "a"; "b"; "c"; "d" |] "first-seen feature order"
            Expect.equal w[2, 0] 0.9 "W entries are the weights" }
        test "SP-LIME ties go to the highest index, as LIME's >=" {
            let names = [| "a" |]
            let exps = [| fake names [| 0, 1.0 |]; fake names [| 0, 1.0 |] |]
            Expect.equal (SubmodularPick.pick exps 1) [| 1 |] "" }
        test "SP-LIME run: sampled instances are distinct and reproducible" {
            let explain i = fake [| "a"; "b" |] [| (i % 2), float i |]
            let chosen, exps, picked = SubmodularPick.run explain 10 (PickMethod.Sample(4, 9UL)) 2
            let chosen2, _, _ = SubmodularPick.run explain 10 (PickMethod.Sample(4, 9UL)) 2
            Expect.equal chosen chosen2 "same seed, same sample"
            Expect.equal (Array.distinct chosen).Length 4 "distinct"
            Expect.equal exps.Length 4 "explained"
            Expect.equal picked.Length 2 "picked" } ]
