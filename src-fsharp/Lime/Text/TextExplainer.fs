/// LimeTextExplainer: remove random subsets of words, ask the classifier about the shortened
/// texts, weight by cosine distance ×100 (kernel width 25), then Explain.run.
/// Layer: Lime/Text. Read next: Stability.fs.
namespace ScratchML.Lime

open System
open System.Threading.Tasks
open ScratchML

/// How a text explainer is built (LimeTextExplainer's arguments).
type TextOptions =
    { ClassNames: string[]
      KernelWidth: float
      /// Bag of words: a feature is a word type and removing it removes every occurrence.
      Bow: bool
      /// The separator pattern (Python syntax; \w means Python's word characters).
      SplitExpression: string
      /// Replacement of a removed occurrence when Bow = false; None → "UNKWORDZ" (chr(0) per character).
      MaskString: string option
      /// Features are characters instead of words (IndexedCharacters).
      CharLevel: bool
      FeatureSelection: FeatureSelection }

/// How one text is explained (explain_instance's arguments).
type TextExplainOptions =
    { Labels: LabelChoice
      NumFeatures: int
      NumSamples: int
      Distance: Distance
      Batching: Batching
      /// The SplitMix64 seed of this explanation's samples.
      Seed: uint64 }

[<RequireQualifiedAccess>]
module Text =
    /// LIME's defaults: bow, split on \W+, kernel width 25, auto feature selection.
    let defaults =
        { ClassNames = [||]
          KernelWidth = Kernels.TextWidth
          Bow = true
          SplitExpression = IndexedString.DefaultSplit
          MaskString = None
          CharLevel = false
          FeatureSelection = FeatureSelection.Auto }

    /// explain_instance's defaults: label 1, 10 features, 5000 samples, cosine distance.
    let explainDefaults =
        { Labels = LabelChoice.Labels [ 1 ]
          NumFeatures = 10
          NumSamples = 5000
          Distance = Distance.Cosine
          Batching = Batching.Whole
          Seed = 0UL }

    /// The indexed text the options describe.
    let index (options: TextOptions) (text: string) =
        if options.CharLevel then IndexedString.characters options.Bow (defaultArg options.MaskString "\000") text
        else IndexedString.create options.SplitExpression options.Bow (defaultArg options.MaskString "UNKWORDZ") text

    /// The binary neighbourhood: row 0 all ones; row i ≥ 1 (owning n + 1 draws of the stream,
    /// see Sampling.rows) draws a count k = below(n) + 1 in [1, n], then k distinct word ids by a
    /// partial Fisher–Yates shuffle, set to 0. Returns the rows and the removed ids of each row.
    let sample (wordCount: int) (numSamples: int) (seed: uint64) =
        let data = Matrix.create numSamples wordCount 1.0
        let removed = Array.create numSamples [||]
        Sampling.rows seed numSamples (wordCount + 1) (fun rng i ->
            let perm = Array.init wordCount id
            let k = rng.Below wordCount + 1
            for j in 0 .. k - 1 do
                let r = j + rng.Below(wordCount - j)
                let t = perm[j] in perm[j] <- perm[r]; perm[r] <- t
                data[i, perm[j]] <- 0.0
            removed[i] <- perm[0 .. k - 1])
        data, removed

    /// The character spans (UTF-16 start, length) of each feature, for reports.
    let spans (s: IndexedString) =
        s.Positions |> Array.map (Array.map (fun p -> s.Utf16Start[p], s.Pieces[p].Length))

    /// The explanation from a given neighbourhood (rows of 0/1 over the vocabulary, row 0 all ones):
    /// perturbed texts = inverse_removing of the zero columns (built on all cores), classifier in
    /// batches, distance ×100, local models.
    let explainSamples (options: TextOptions) (indexed: IndexedString) (data: float[,])
                       (classifier: string[] -> float[,]) (explainOptions: TextExplainOptions) =
        let n, d = Array2D.length1 data, Array2D.length2 data
        let texts = Array.zeroCreate n
        Parallelism.forEach n (fun i ->
            if i = 0 then texts[0] <- indexed.Raw
            else texts[i] <- IndexedString.inverseRemovingMask indexed (fun j -> data[i, j] = 0.0))
        let predictions = Explain.inBatches explainOptions.Batching n (fun start count -> classifier texts[start .. start + count - 1])
        Explain.checkPredictions Mode.Classification predictions
        let distances = Kernels.distances explainOptions.Distance data |> Array.map (fun x -> x * 100.0)
        let weights = Kernels.weights options.KernelWidth distances
        Explain.run Mode.Classification options.ClassNames indexed.Vocabulary (Domain.Text(indexed.Raw, spans indexed))
            data predictions weights explainOptions.Labels explainOptions.NumFeatures options.FeatureSelection

    /// Explain a text: index it, sample with SplitMix64(seed), then `explainSamples`.
    let explain (options: TextOptions) (text: string) (classifier: string[] -> float[,]) (explainOptions: TextExplainOptions) =
        if String.IsNullOrEmpty text then invalidArg "text" "text is empty: there is nothing to explain"
        let indexed = index options text
        let n = IndexedString.numWords indexed
        if n = 0 then invalidArg "text" $"text has no words for the split expression {options.SplitExpression}"
        Explain.positive "numSamples" explainOptions.NumSamples
        Explain.positive "numFeatures" explainOptions.NumFeatures
        if explainOptions.NumFeatures > n then
            invalidArg "numFeatures" $"numFeatures = {explainOptions.NumFeatures} but the text has only {n} distinct words"
        let data, _ = sample n explainOptions.NumSamples explainOptions.Seed
        explainSamples options indexed data classifier explainOptions
