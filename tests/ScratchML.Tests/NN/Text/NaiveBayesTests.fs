/// Multinomial naive Bayes on a corpus small enough to check by hand.
module ScratchML.Tests.NN.Text.NaiveBayesTests

open Expecto
open ScratchML.NN

// class 0: "a a b", "a c"; class 1: "b b c". V = {a, b, c}, α = 1.
// π = (2/3, 1/3); θ₀ = ((3+1)/(5+3), (1+1)/8, (1+1)/8) = (1/2, 1/4, 1/4);
// θ₁ = ((0+1)/(3+3), (2+1)/6, (1+1)/6) = (1/6, 1/2, 1/3).
let private model =
    NaiveBayes.train 1.0 2 [| [| "a"; "a"; "b" |]; [| "a"; "c" |]; [| "b"; "b"; "c" |] |] [| 0; 0; 1 |]

let private close (expected: float) (actual: float) what = Expect.floatClose Accuracy.veryHigh actual expected what

[<Tests>]
let tests =
    testList "NN.Text.NaiveBayes" [
        test "priors and smoothed word probabilities" {
            close (log (2.0 / 3.0)) model.LogPrior[0] "π₀"
            let theta c w = exp (model.LogLikelihood[c][model.Index[w]])
            for w, p in [ "a", 0.5; "b", 0.25; "c", 0.25 ] do close p (theta 0 w) $"θ₀,{w}"
            for w, p in [ "a", 1.0 / 6.0; "b", 0.5; "c", 1.0 / 3.0 ] do close p (theta 1 w) $"θ₁,{w}"
        }
        test "P(class | \"a b\") = (1/12, 1/36) normalised = (3/4, 1/4)" {
            let p = NaiveBayes.probabilities model [| "a"; "b" |]
            close 0.75 p[0] "class 0"
            close 0.25 p[1] "class 1"
            Expect.equal (NaiveBayes.predict model [| "a"; "b" |]) 0 "argmax"
            Expect.equal (NaiveBayes.predict model [| "b"; "b" |]) 1 "2/3·1/16 < 1/3·1/4"
        }
        test "unknown words are ignored: the priors remain" {
            let p = NaiveBayes.probabilities model [| "zzz" |]
            close (2.0 / 3.0) p[0] "π₀"
        }
        test "labels out of range are refused" {
            Expect.throwsT<System.ArgumentException> (fun () -> NaiveBayes.train 1.0 2 [| [| "a" |] |] [| 2 |] |> ignore) "label 2"
        }
    ]
