/// The character-level language model: vocabulary, learning a repeated string, sampling,
/// saving and loading. Mirrors src-fsharp/NN/CharVocabulary.fs and CharLm.fs.
module ScratchML.Tests.NN.CharLmTests

open System
open System.IO
open Expecto
open ScratchML.NN

/// A tiny model that learns "hello world. " repeated (a few seconds).
let private tinyOptions =
    { CharLmOptions.Defaults with
        Embedding = 8; Hidden = 32; Steps = 13; BatchSize = 4; LearningRate = 1e-2; Batches = 120; Seed = 1 }

let private repeated = String.replicate 40 "hello world. "

/// Trained once, shared by the tests that need a trained model.
let private trained =
    lazy (
        let lm = CharLm.create tinyOptions (CharVocabulary.ofText repeated)
        let losses = CharLm.fit tinyOptions lm repeated (fun _ _ _ -> ())
        lm, losses)

[<Tests>]
let tests =
    testList "NN.CharLm" [
        test "the vocabulary is the sorted distinct characters, and decodes what it encodes" {
            let v = CharVocabulary.ofText "hello world"
            Expect.equal (string v) " dehlorw" "sorted"
            Expect.equal (v.Encode "hello") [| 3; 2; 4; 4; 5 |] "ids"
            Expect.equal (v.Decode (v.Encode "world hello")) "world hello" "round trip"
            Expect.throwsT<ArgumentException> (fun () -> v.Encode "hex" |> ignore) "x is unknown"
        }
        test "pick: temperature 0 is the argmax; u walks the cumulative weights" {
            let logits = [| 0.0; 2.0; 1.0 |]
            Expect.equal (CharLm.pick logits 0.0 0.99) 1 "argmax"
            // weights e^(z−2): 0.135, 1, 0.368 (sum 1.503): u = 0 → 0, u = 0.5 → 1, u = 0.99 → 2
            Expect.equal (CharLm.pick logits 1.0 0.0) 0 "first"
            Expect.equal (CharLm.pick logits 1.0 0.5) 1 "middle"
            Expect.equal (CharLm.pick logits 1.0 0.99) 2 "last"
        }
        test "a tiny LSTM learns a repeated string and samples it back" {
            let lm, losses = trained.Force()
            let first = Array.average losses[.. 4]
            let last = Array.average losses[losses.Length - 5 ..]
            Expect.isLessThan last (0.2 * first) $"loss drops: {first} → {last}"
            Expect.equal (CharLm.sample lm "hello" 20 0.0 0) " world. hello world." "greedy continuation"
            Expect.isLessThan (CharLm.bitsPerChar lm (String.replicate 30 "hello world. ")) 0.5 "bits/char"
        }
        test "save → load gives the same samples and the same bits per character" {
            let lm, _ = trained.Force()
            let path = Path.Combine(Path.GetTempPath(), $"charlm-{Guid.NewGuid()}.safetensors")
            try
                CharLm.save path lm
                let loaded = CharLm.load path
                Expect.equal (string loaded.Vocabulary) (string lm.Vocabulary) "vocabulary"
                Expect.equal (CharLm.sample loaded "wor" 40 1.0 7) (CharLm.sample lm "wor" 40 1.0 7) "same draws"
                let text = String.replicate 20 "hello world. "
                Expect.equal (CharLm.bitsPerChar loaded text) (CharLm.bitsPerChar lm text) "same score"
            finally File.Delete path
        }
        test "a model file without a vocabulary is rejected" {
            let path = Path.Combine(Path.GetTempPath(), $"mlp-{Guid.NewGuid()}.safetensors")
            try
                let model = Model.create (Sequential.mlp 2 [ 3 ] 2 Activation.Relu) [| 2 |] ScratchML.DType.Float32 InitScheme.PyTorch 0
                Checkpoint.save path model
                Expect.throws (fun () -> CharLm.load path |> ignore) "no vocabulary"
            finally File.Delete path
        }
        test "sampling rejects an empty prompt and a negative temperature" {
            let lm, _ = trained.Force()
            Expect.throwsT<ArgumentException> (fun () -> CharLm.sample lm "" 5 1.0 0 |> ignore) "empty"
            Expect.throwsT<ArgumentException> (fun () -> CharLm.sample lm "h" 5 -1.0 0 |> ignore) "temperature"
        }
    ]
