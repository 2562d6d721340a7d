/// The recurrent text classifier on toy token tasks: it learns them (pooled LSTM, last-state
/// GRU), save → load gives the same probabilities, a model file without a vocabulary is refused.
module ScratchML.Tests.NN.Text.TextClassifierTests

open System.IO
open Expecto
open ScratchML
open ScratchML.NN

/// Texts of 3–7 filler words; class 1 texts hide the word "signal" at a random place.
let private toy (seed: uint64) (n: int) : TextDataset =
    let rng = SplitMix64 seed
    let filler = [| "alpha"; "beta"; "gamma"; "delta"; "eps" |]
    let texts, labels =
        Array.init n (fun i ->
            let words = Array.init (3 + rng.Below 5) (fun _ -> filler[rng.Below filler.Length])
            let label = i % 2
            if label = 1 then words[rng.Below words.Length] <- "Signal"
            String.concat " " words, label)
        |> Array.unzip
    { Ids = Array.init n string; Texts = texts; Labels = labels; ClassNames = [| "noise"; "signal" |] }

let private small =
    { TextClassifier.defaults with
        MaxLength = 8; EmbeddingSize = 6; HiddenSize = 6; Epochs = 25; BatchSize = 16; LearningRate = 0.02
        Dropout = 0.0; MinCount = 1; Seed = 3 }

let private trained (options: TextClassifierOptions) =
    let c = TextClassifier.create options (toy 1UL 64)
    TextClassifier.fit options (fun _ _ _ -> ()) ignore c (toy 1UL 64) |> ignore
    c

[<Tests>]
let tests =
    testList "NN.Text.TextClassifier" [
        test "a pooled LSTM learns which texts hold the signal word" {
            let c = trained small
            let test = toy 2UL 40
            Expect.isGreaterThanOrEqual (TextClassifier.accuracy test.Labels (TextClassifier.predict c test.Texts)) 0.95 "held-out accuracy"
        }
        test "a last-state GRU learns it too (padding in front)" {
            let c = trained { small with Kind = CellKind.Gru; Pooling = None }
            let test = toy 2UL 40
            Expect.isGreaterThanOrEqual (TextClassifier.accuracy test.Labels (TextClassifier.predict c test.Texts)) 0.95 "held-out accuracy"
        }
        test "save → load: same vocabulary, classes, T and probabilities" {
            let c = TextClassifier.create small (toy 1UL 64)
            let path = Path.Combine(Path.GetTempPath(), $"text-{System.Guid.NewGuid()}.safetensors")
            try
                TextClassifier.save path c
                let loaded = TextClassifier.load path
                Expect.equal loaded.Vocabulary c.Vocabulary "vocabulary"
                Expect.equal loaded.ClassNames c.ClassNames "classes"
                Expect.equal loaded.MaxLength 8 "T"
                let texts = (toy 5UL 10).Texts
                Expect.equal (TextClassifier.predictProbabilities loaded texts) (TextClassifier.predictProbabilities c texts) "bit-identical"
            finally File.Delete path
        }
        test "probabilities: rows sum to 1, argmax is the prediction, more texts than one batch" {
            let c = TextClassifier.create small (toy 1UL 64)
            let texts = (toy 6UL (TextClassifier.PredictBatch + 3)).Texts
            let p = TextClassifier.predictProbabilities c texts
            let predicted = TextClassifier.predict c texts
            for r in 0 .. texts.Length - 1 do
                Expect.floatClose Accuracy.high (p[r, 0] + p[r, 1]) 1.0 $"row {r}"
                Expect.equal predicted[r] (if p[r, 1] > p[r, 0] then 1 else 0) $"row {r}"
        }
        test "a model file without a vocabulary is refused, naming the file" {
            let model = Model.create (Sequential.mlp 2 [] 2 Activation.Relu) [| 2 |] DType.Float32 InitScheme.PyTorch 0
            let path = Path.Combine(Path.GetTempPath(), $"mlp-{System.Guid.NewGuid()}.safetensors")
            try
                Checkpoint.save path model
                Expect.throwsC (fun () -> TextClassifier.load path |> ignore) (fun e ->
                    Expect.stringContains e.Message path "file named"
                    Expect.stringContains e.Message "not a text classifier" "reason")
            finally File.Delete path
        }
    ]
