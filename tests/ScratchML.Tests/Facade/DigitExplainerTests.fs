/// LIME explanations of MNIST predictions through the facade and `scratchml explain mnist`: a tiny
/// MLP trained for a few hundred steps on 400 digits, then one test digit explained.
module ScratchML.Tests.Facade.DigitExplainerTests

open System
open System.IO
open System.Text.RegularExpressions
open Expecto
open ScratchML
open ScratchML.Tests.Facade.CliTests

/// 784-32-10 trained for 20 epochs of 13 batches (260 Adam steps) on the first 400 training digits.
let private tiny =
    lazy
        let model = Model(Sequential.Mlp(784, [ 32 ], 10), seed = 1)
        model.Compile(Adam(1e-2))
        model.Fit(Mnist.Train().Take(400), epochs = 20, batchSize = 32) |> ignore
        model

let private digits = lazy Mnist.Test()

let private explain seed segmentation =
    DigitExplanations.Explain(tiny.Value, digits.Value, 0, seed, segmentation, samples = 300)

let private weights (e: DigitExplanation) = [ for w in e.Weights -> w.Superpixel, w.Weight ]

[<Tests>]
let tests =
    testList "Facade.DigitExplainer" [
        test "the tiny model learnt something (sanity of the fixture)" {
            let accuracy = tiny.Value.Evaluate(digits.Value.Take(500)).Accuracy
            Expect.isGreaterThan accuracy 0.7 "test accuracy of the tiny model on 500 digits"
        }
        test "the same seed gives bit-identical weights; another seed other weights" {
            let a, b = explain (Nullable 5) DigitSegmentation.Slic, explain (Nullable 5) DigitSegmentation.Slic
            Expect.sequenceEqual (weights a) (weights b) "same seed"
            Expect.equal a.Intercept b.Intercept "intercept"
            let c = explain (Nullable 6) DigitSegmentation.Slic
            Expect.notEqual (weights c) (weights a) "seed 6 vs seed 5"
        }
        for segmentation in [ DigitSegmentation.Slic; DigitSegmentation.Quickshift; DigitSegmentation.Felzenszwalb ] do
            test $"{segmentation}: the superpixels cover the image and every one has a weight" {
                let e = explain (Nullable 0) segmentation
                Expect.equal e.Superpixels.Count 784 "one label per pixel"
                Expect.all e.Superpixels (fun l -> l >= 0 && l < e.SuperpixelCount) "labels in range"
                Expect.equal (Seq.distinct e.Superpixels |> Seq.length) e.SuperpixelCount "every label used"
                Expect.isGreaterThanOrEqual e.SuperpixelCount 3 "a digit is split into several superpixels"
                let ids = e.Weights |> Seq.map (fun w -> w.Superpixel) |> Seq.sort |> List.ofSeq
                Expect.equal ids [ 0 .. e.SuperpixelCount - 1 ] "each superpixel once"
                Expect.equal (e.Weights |> Seq.sumBy (fun w -> w.Pixels)) 784 "pixel counts"
                let magnitudes = e.Weights |> Seq.map (fun w -> abs w.Weight) |> List.ofSeq
                Expect.equal magnitudes (List.sortDescending magnitudes) "largest |weight| first"
                let predicted = Seq.indexed e.Probabilities |> Seq.maxBy snd |> fst
                Expect.equal e.Predicted predicted "the explained class is the most probable one"
            }
        test "the report is one self-contained page showing the digit" {
            let html = (explain (Nullable 0) DigitSegmentation.Slic).ToHtml(5)
            Expect.stringStarts html "<!DOCTYPE html>" "a page"
            Expect.stringContains html "data:image/png;base64," "the digit inlined as PNG"
            Expect.stringContains html "<svg" "weight bars"
            Expect.isFalse (Regex.IsMatch(html, "(src|href)\\s*=\\s*[\"']?(https?:)?//|url\\(|@import|<script")) "no network"
        }
        test "explain mnist without a model: one stderr line, exit 2" {
            let missing = Path.Combine(Path.GetTempPath(), $"no-model-{Guid.NewGuid():N}.safetensors")
            rejects [ "explain"; "mnist"; "--index"; "0"; "--model"; missing ] "scratchml train mnist"
        }
        test "explain mnist writes the report and prints the weights" {
            let folder = Directory.CreateTempSubdirectory("scratchml-explain").FullName
            try
                let model = Path.Combine(folder, "tiny.safetensors")
                tiny.Value.Save model
                let report = Path.Combine(folder, "report.html")
                let code, out, err =
                    scratchml [ "explain"; "mnist"; "--index"; "0"; "--model"; model; "--out"; report
                                "--samples"; "200"; "--seed"; "1" ]
                Expect.equal code 0 err
                Expect.stringContains out "predicted" "prediction line"
                Expect.stringContains out "superpixels" "segment count"
                Expect.isTrue (File.Exists report) "report written"
                Expect.stringContains (File.ReadAllText report) "data:image/png;base64," "the digit"
                Expect.isEmpty (Directory.GetFiles(folder, "*.tmp")) "no temporary left behind"
            finally
                Directory.Delete(folder, true)
        }
        test "explain mnist rejects an unknown segmentation" {
            rejects [ "explain"; "mnist"; "--segmentation"; "watershed" ] "watershed"
        }
    ]
