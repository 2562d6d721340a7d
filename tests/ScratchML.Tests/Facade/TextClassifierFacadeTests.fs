/// The C# text classifier, naive Bayes and the shipped set as a .NET user sees them; and the
/// `scratchml train text` / `explain text` commands.
module ScratchML.Tests.Facade.TextClassifierFacadeTests

open System
open System.IO
open Expecto
open ScratchML
open ScratchML.Tests.Facade.CliTests

/// Texts of filler words; the "spam" class hides the word "viagra".
let private toy (seed: int) (n: int) =
    let rng = SplitMix64(uint64 seed)
    let filler = [| "meeting"; "lunch"; "report"; "today"; "team" |]
    let rows =
        Array.init n (fun i ->
            let words = Array.init (3 + rng.Below 4) (fun _ -> filler[rng.Below filler.Length])
            if i % 2 = 1 then words[rng.Below words.Length] <- "viagra"
            String.Join(" ", words), i % 2)
    TextSet(Array.map fst rows, Array.map snd rows, [| "ham"; "spam" |])

let private options =
    TextClassifierOptions(MaxLength = 8, EmbeddingSize = 6, HiddenSize = 6, Epochs = 25, BatchSize = 16,
                          LearningRate = 0.02, Dropout = 0.0, MinCount = 1, Seed = 1)

let private temp (extension: string) = Path.Combine(Path.GetTempPath(), $"text-{Guid.NewGuid()}{extension}")

[<Tests>]
let tests =
    testList "Facade.TextClassifier" [
        test "train, predict, probabilities, explain, save and load" {
            let epochs = ResizeArray<EpochResult>()
            let c = TextClassifier.Train(toy 1 64, options, onEpoch = Action<EpochResult>(epochs.Add))
            Expect.equal epochs.Count 25 "onEpoch per epoch"
            Expect.equal c.History.Count 25 "history"
            let test = toy 2 40
            Expect.isGreaterThanOrEqual (c.Accuracy test) 0.95 "held-out accuracy"
            Expect.equal (c.Predict "team lunch viagra today") 1 "spam"
            let p = c.PredictProbabilities [| "team lunch"; "viagra" |]
            Expect.floatClose Accuracy.high (p[0, 0] + p[0, 1]) 1.0 "row sums to 1"
            let m = c.ConfusionMatrix test
            Expect.equal (m[0, 0] + m[0, 1] + m[1, 0] + m[1, 1]) 40 "every text counted"
            let e = c.Explain("team lunch viagra today", numFeatures = 3, numSamples = 300)
            Expect.equal e.ClassNames[e.Label] "spam" "explains the prediction"
            Expect.equal e.Weights[0].Feature "viagra" "the signal word weighs most"
            let path = temp ".safetensors"
            try
                c.Save path
                let loaded = TextClassifier.Load path
                Expect.equal (loaded.PredictProbabilities test.Texts) (c.PredictProbabilities test.Texts) "same probabilities"
                Expect.sequenceEqual loaded.ClassNames c.ClassNames "class names"
            finally File.Delete path
        }
        test "bad options and files are ArgumentExceptions" {
            Expect.throwsT<ArgumentException> (fun () -> TextClassifier.Train(toy 1 8, TextClassifierOptions(MaxLength = 0)) |> ignore) "MaxLength 0"
            Expect.throwsT<ArgumentException> (fun () -> TextClassifier.Load "nowhere.safetensors" |> ignore) "no file"
            Expect.throwsT<ArgumentException> (fun () -> TextSet([| "a" |], [| 3 |], [| "x"; "y" |]) |> ignore) "label out of range"
        }
        test "naive Bayes from C#, and the shipped split" {
            let nb = NaiveBayesClassifier.Train(toy 1 64)
            Expect.equal (nb.Predict "team viagra lunch") 1 "the signal word decides"
            Expect.isGreaterThanOrEqual (nb.Accuracy(toy 2 40)) 0.9 "held-out accuracy"
            let train, test = MailingLists.Train(), MailingLists.Test()
            Expect.equal (train.Count, test.Count) (2122, 530) "split sizes"
            Expect.sequenceEqual test.ClassNames [ "exmh"; "fork"; "ilug"; "razor-users"; "rpm-list"; "spamassassin" ] "lists"
        }
        test "the network prints its layers, pooling included" {
            let c = TextClassifier.Train(toy 1 8, TextClassifierOptions(MaxLength = 4, EmbeddingSize = 2, HiddenSize = 2, Epochs = 1, MinCount = 1))
            Expect.stringContains (string c.Network) "PoolOverTime(max)" "pooling"
        }
        testSequenced <| test "scratchml train text --limit, then explain text; errors are one line" {
            let model = temp ".safetensors"
            let report = temp ".html"
            try
                let code, out, err =
                    scratchml [ "train"; "text"; "--limit"; "60"; "--epochs"; "1"; "--max-length"; "10"; "--hidden"; "4"
                                "--embedding"; "4"; "--vocabulary"; "500"; "--out"; model ]
                Expect.equal code 0 err
                for fragment in [ "60 training, 530 test"; "test accuracy"; "naive Bayes"; "razor-users"; "spamassassin" ] do
                    Expect.stringContains out fragment "train output"
                let code, out, err = scratchml [ "explain"; "text"; "apt-get install of the rpm fails"; "--model"; model
                                                 "--out"; report; "--samples"; "100"; "--features"; "3" ]
                Expect.equal code 0 err
                Expect.stringContains out "predicted" "prediction printed"
                Expect.isTrue (File.Exists report) "HTML report written"
                Expect.stringContains (File.ReadAllText report) "rpm" "the text is in the report"
                let code, out, err = scratchml [ "explain"; "text"; "--index"; "3"; "--model"; model; "--out"; report; "--samples"; "50" ]
                Expect.equal code 0 err
                Expect.stringContains out "true list" "test message's list"
                rejects [ "explain"; "text"; "hello"; "--index"; "1"; "--model"; model ] "either a message or --index"
                rejects [ "explain"; "text"; "--index"; "530"; "--model"; model ] "--index must be in 0..529"
                rejects [ "explain"; "text"; "?!"; "--model"; model ] "no words"
                rejects [ "explain"; "text"; "hello"; "--model"; "nowhere.safetensors" ] "no model at 'nowhere.safetensors'"
                rejects [ "train"; "text"; "--cell"; "tcn"; "--limit"; "10" ] "--cell"
            finally
                File.Delete model
                File.Delete report
        }
    ]
