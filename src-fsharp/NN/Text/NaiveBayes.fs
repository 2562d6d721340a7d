/// Multinomial naive Bayes on bags of words: the baseline a recurrent text classifier must face.
/// Layer: NN/Text, after TextDataset.fs. Read next: TextClassifier.fs.
///
/// Each class c is a bag of word draws with probabilities θ_c,w; a text's words are independent
/// draws given its class. Training counts; prediction adds logarithms:
///   log π_c = log(N_c / N)                                   (N_c texts of class c out of N)
///   log θ_c,w = log((n_c,w + α) / (n_c + α·|V|))             (Laplace/Lidstone smoothing α)
///   score_c(d) = log π_c + Σ_w count(w, d)·log θ_c,w          (words of d outside V ignored)
///   P(c | d) = softmax_c(score_c(d))
namespace ScratchML.NN

open System
open System.Collections.Generic

/// A trained multinomial naive Bayes classifier: its word index (V = every training word),
/// log π_c and log θ_c,w (LogLikelihood[c][w]).
type NaiveBayes =
    { Index: IReadOnlyDictionary<string, int>
      LogPrior: float[]
      LogLikelihood: float[][]
      Alpha: float }
    /// Number of classes.
    member m.Classes = m.LogPrior.Length

/// Training and applying naive Bayes on tokenised texts.
[<RequireQualifiedAccess>]
module NaiveBayes =
    /// Count words per class and turn the counts into log π_c and smoothed log θ_c,w
    /// (α = 1: Laplace). `documents[i]` are the words of text i, `labels[i]` ∈ 0 … classes − 1.
    let train (alpha: float) (classes: int) (documents: string[][]) (labels: int[]) : NaiveBayes =
        if documents.Length <> labels.Length then invalidArg "labels" $"{labels.Length} labels for {documents.Length} texts"
        if not (alpha > 0.0) then invalidArg "alpha" $"smoothing must be positive, got {alpha}"
        let index = Dictionary<string, int>(StringComparer.Ordinal)
        for words in documents do
            for w in words do
                if not (index.ContainsKey w) then index[w] <- index.Count
        let counts = Array.init classes (fun _ -> Array.zeroCreate<float> index.Count)
        let texts = Array.zeroCreate<float> classes
        for words, c in Array.zip documents labels do
            if c < 0 || c >= classes then invalidArg "labels" $"label {c} is not in 0..{classes - 1}"
            texts[c] <- texts[c] + 1.0
            for w in words do counts[c][index[w]] <- counts[c][index[w]] + 1.0
        let vocabulary = float index.Count
        { Index = index
          LogPrior = texts |> Array.map (fun n -> log (n / float documents.Length))
          LogLikelihood =
            counts |> Array.map (fun row ->
                let total = Array.sum row
                row |> Array.map (fun n -> log ((n + alpha) / (total + alpha * vocabulary))))
          Alpha = alpha }

    /// score_c(d) = log π_c + Σ_w count(w, d)·log θ_c,w for every class (the joint log-likelihood).
    let scores (model: NaiveBayes) (words: string[]) : float[] =
        let s = Array.copy model.LogPrior
        for w in words do
            match model.Index.TryGetValue w with
            | true, j -> for c in 0 .. s.Length - 1 do s[c] <- s[c] + model.LogLikelihood[c][j]
            | _ -> ()
        s

    /// P(c | d) = e^(score_c − m) / Σ_k e^(score_k − m), m = max_k score_k (no overflow).
    let probabilities (model: NaiveBayes) (words: string[]) : float[] =
        let s = scores model words
        let m = Array.max s
        let e = s |> Array.map (fun v -> exp (v - m))
        let total = Array.sum e
        e |> Array.map (fun v -> v / total)

    /// The class of highest score (first on ties).
    let predict (model: NaiveBayes) (words: string[]) : int =
        let s = scores model words
        let mutable best = 0
        for c in 1 .. s.Length - 1 do
            if s[c] > s[best] then best <- c
        best

    /// Train on a text dataset with Tokenizer.words and α = 1.
    let ofDataset (d: TextDataset) =
        train 1.0 d.ClassNames.Length (d.Texts |> Array.map Tokenizer.words) d.Labels
