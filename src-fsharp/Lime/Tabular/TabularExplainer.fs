/// LimeTabularExplainer: perturb a row around the training distribution (Gaussian for continuous
/// features, training frequencies for categorical and discretized ones), then Explain.run.
/// Layer: Lime/Tabular. Read next: RecurrentExplainer.fs.
namespace ScratchML.Lime

open System
open ScratchML

/// How a tabular explainer is built (LimeTabularExplainer's arguments; defaults in `Tabular.defaults`).
type TabularOptions =
    { Mode: Mode
      /// One name per column; empty → "0", "1", ….
      FeatureNames: string[]
      /// Columns holding category codes (sampled from training frequencies, named NAME=int(value)).
      CategoricalFeatures: int list
      /// Optional names of the codes of a categorical column: NAME=names[int(value)].
      CategoricalNames: Map<int, string[]>
      Discretization: Discretization
      /// None → 0.75·sqrt(#columns).
      KernelWidth: float option
      FeatureSelection: FeatureSelection
      /// Gaussian samples centred on the instance instead of the training mean.
      SampleAroundInstance: bool
      ClassNames: string[] }

/// How one row is explained (explain_instance's arguments).
type TabularExplainOptions =
    { Labels: LabelChoice
      NumFeatures: int
      NumSamples: int
      Distance: Distance
      Batching: Batching
      /// The SplitMix64 seed of this explanation's samples.
      Seed: uint64 }

/// A fitted tabular explainer: scaler, discretizer and categorical frequencies of the training data.
type TabularExplainer =
    { Options: TabularOptions
      FeatureNames: string[]
      Discretizer: Discretizer option
      /// Columns sampled from frequencies: the categorical ones, or all when discretizing.
      Categorical: int list
      /// StandardScaler mean and population std (scale 1 for zero variance), with mean 0 and
      /// scale 1 on the categorical columns.
      ScalerMean: float[]
      ScalerScale: float[]
      /// Per categorical column: its sorted distinct training values and their frequencies.
      Values: Map<int, float[] * float[]>
      KernelWidth: float }

[<RequireQualifiedAccess>]
module Tabular =
    /// LIME's defaults: classification, quartile discretizer, auto feature selection.
    let defaults =
        { Mode = Mode.Classification
          FeatureNames = [||]
          CategoricalFeatures = []
          CategoricalNames = Map.empty
          Discretization = Discretization.Quartile
          KernelWidth = None
          FeatureSelection = FeatureSelection.Auto
          SampleAroundInstance = false
          ClassNames = [||] }

    /// explain_instance's defaults: label 1, 10 features, 5000 samples, euclidean, one batch.
    let explainDefaults =
        { Labels = LabelChoice.Labels [ 1 ]
          NumFeatures = 10
          NumSamples = 5000
          Distance = Distance.Euclidean
          Batching = Batching.Whole
          Seed = 0UL }

    let private checkFinite (name: string) (data: float[,]) =
        for i in 0 .. Array2D.length1 data - 1 do
            for j in 0 .. Array2D.length2 data - 1 do
                if not (Double.IsFinite data[i, j]) then
                    invalidArg name $"{name} has {data[i, j]} at row {i}, column {j}"

    /// StandardScaler(with_mean=False).fit: mean = Σx/n, var = (Σ(x − mean)² − (Σ(x − mean))²/n)/n
    /// (sequential sums over rows, as scikit-learn's first batch), scale = sqrt(var) or 1 if ≈ 0.
    let scaler (data: float[,]) =
        let n, d = Array2D.length1 data, Array2D.length2 data
        let mean = Array.init d (fun j ->
            let mutable s = 0.0
            for i in 0 .. n - 1 do s <- s + data[i, j]
            s / float n)
        let scale = Array.init d (fun j ->
            let mutable sq, c = 0.0, 0.0
            for i in 0 .. n - 1 do
                let t = data[i, j] - mean[j]
                sq <- sq + t * t
                c <- c + t
            let var = (sq - c * c / float n) / float n
            let s = sqrt var
            if s < 10.0 * 2.220446049250313e-16 then 1.0 else s)
        mean, scale

    /// Build the explainer from training rows (LimeTabularExplainer.__init__).
    let create (options: TabularOptions) (trainingData: float[,]) : TabularExplainer =
        let n, d = Array2D.length1 trainingData, Array2D.length2 trainingData
        if n = 0 || d = 0 then invalidArg "trainingData" $"trainingData is {n}×{d}: it needs rows and columns"
        checkFinite "trainingData" trainingData
        let names = if options.FeatureNames.Length = 0 then Array.init d string else options.FeatureNames
        if names.Length <> d then invalidArg "FeatureNames" $"{names.Length} feature names for {d} columns"
        for c in options.CategoricalFeatures do
            if c < 0 || c >= d then invalidArg "CategoricalFeatures" $"column {c} is not in 0..{d - 1}"
        let disc =
            match options.Discretization with
            | Discretization.Continuous -> None
            | kind -> Some (Discretizer.fit kind trainingData options.CategoricalFeatures names)
        let categorical = if disc.IsSome then [ 0 .. d - 1 ] else options.CategoricalFeatures
        let mean, scale = scaler trainingData
        let source =
            match disc with
            | Some ds ->
                let rows = Array.init n (fun i -> Discretizer.discretizeRow ds (Array.init d (fun j -> trainingData[i, j])))
                Array2D.init n d (fun i j -> rows[i][j])
            | None -> trainingData
        let values =
            categorical
            |> List.map (fun c ->
                let column = Discretizer.column source c
                let counts = column |> Array.countBy id |> Array.sortBy fst
                let total = float n
                c, (Array.map fst counts, counts |> Array.map (fun (_, k) -> float k / total)))
            |> Map.ofList
        for c in categorical do
            mean[c] <- 0.0
            scale[c] <- 1.0
        { Options = options
          FeatureNames = names
          Discretizer = disc
          Categorical = categorical
          ScalerMean = mean
          ScalerScale = scale
          Values = values
          KernelWidth = defaultArg options.KernelWidth (Kernels.tabularWidth d) }

    /// The value whose cumulative frequency first exceeds u (inverse CDF on one uniform).
    let private choose (values: float[]) (cumulative: float[]) (u: float) =
        let mutable k = 0
        while k < values.Length - 1 && u >= cumulative[k] do k <- k + 1
        values[k]

    /// __data_inverse: `data` (what the local model sees before scaling: binary for categorical
    /// and discretized columns; row 0 the instance) and `inverse` (the rows the classifier sees).
    /// Row i ≥ 1 owns 2·d draws of the stream (Sampling.rows); column j uses draws 2j and 2j+1:
    /// continuous columns one Gaussian (Box–Muller on both), categorical and discretized columns
    /// the first for the category/bin (training frequencies) and, when discretized, the second for
    /// the value inside the bin (truncated normal; unused when the bin's min = max).
    let sample (ex: TabularExplainer) (instance: float[]) (numSamples: int) (seed: uint64) =
        let d = instance.Length
        let data = Array2D.zeroCreate numSamples d
        let inverse = Array2D.zeroCreate numSamples d
        let firstRow =
            match ex.Discretizer with
            | None -> instance
            | Some disc -> Discretizer.discretizeRow disc instance
        let centre = if ex.Options.SampleAroundInstance then instance else ex.ScalerMean
        let kinds =
            Array.init d (fun j ->
                match ex.Values.TryFind j with
                | Some (values, freqs) -> Some (values, Array.scan (+) 0.0 freqs |> Array.tail)
                | None -> None)
        let samplers =
            match ex.Discretizer with
            | Some disc -> disc.Bins |> Array.map (Option.map (fun fb -> Array.init fb.Means.Length (Discretizer.binSampler fb)))
            | None -> Array.create d None
        Sampling.rows seed numSamples (2 * d) (fun rng i ->
            for j in 0 .. d - 1 do
                match kinds[j] with
                | None ->
                    let v = rng.Normal() * ex.ScalerScale[j] + centre[j]
                    data[i, j] <- v
                    inverse[i, j] <- v
                | Some (values, cumulative) ->
                    let category = choose values cumulative (rng.Uniform())
                    data[i, j] <- if category = firstRow[j] then 1.0 else 0.0
                    let u = rng.Uniform()
                    inverse[i, j] <-
                        match samplers[j] with
                        | Some bins ->
                            match bins[int category] with
                            | Choice1Of2 fixedValue -> fixedValue
                            | Choice2Of2 draw -> draw u
                        | None -> category)
        for j in 0 .. d - 1 do
            inverse[0, j] <- instance[j]
            data[0, j] <- if kinds[j].IsSome then 1.0 else instance[j]
        data, inverse

    /// The feature names of an explanation: categorical columns NAME=int(value) (or its category
    /// name), and with a discretizer the instance's bin names.
    let featureNames (ex: TabularExplainer) (instance: float[]) =
        let names = Array.copy ex.FeatureNames
        for c in ex.Options.CategoricalFeatures do
            let isBinned = ex.Discretizer |> Option.exists (fun ds -> ds.Bins[c].IsSome)
            if not isBinned then
                let code = int instance[c] // Python int(): truncation toward zero
                let value =
                    match ex.Options.CategoricalNames.TryFind c with
                    | Some cats -> cats[code]
                    | None -> string code
                names[c] <- $"{names[c]}={value}"
        match ex.Discretizer with
        | Some disc ->
            let bins = Discretizer.discretizeRow disc instance
            names |> Array.mapi (fun j name ->
                match disc.Bins[j] with
                | Some fb -> fb.Names[int bins[j]]
                | None -> name)
        | None -> names

    /// The explanation from given samples (`data`, `inverse` as `sample` makes them): scale, measure
    /// distances, call the classifier on `inverse` in batches, fit the local models.
    let explainSamples (ex: TabularExplainer) (instance: float[]) (data: float[,]) (inverse: float[,])
                       (classifier: float[,] -> float[,]) (options: TabularExplainOptions) =
        let n, d = Array2D.length1 data, Array2D.length2 data
        let scaled = Array2D.zeroCreate n d
        for i in 0 .. n - 1 do
            for j in 0 .. d - 1 do scaled[i, j] <- (data[i, j] - ex.ScalerMean[j]) / ex.ScalerScale[j]
        let distances = Kernels.distances options.Distance scaled
        let predictions =
            Explain.inBatches options.Batching n (fun start count ->
                classifier (if start = 0 && count = n then inverse else Matrix.rows inverse start count))
        Explain.checkPredictions ex.Options.Mode predictions
        let weights = Kernels.weights ex.KernelWidth distances
        Explain.run ex.Options.Mode ex.Options.ClassNames (featureNames ex instance) Domain.Features
            scaled predictions weights options.Labels options.NumFeatures ex.Options.FeatureSelection

    /// Explain one row: sample around it with SplitMix64(seed), then `explainSamples`.
    let explain (ex: TabularExplainer) (instance: float[]) (classifier: float[,] -> float[,])
                (options: TabularExplainOptions) =
        let d = ex.FeatureNames.Length
        if instance.Length <> d then invalidArg "instance" $"instance has {instance.Length} values, the training data {d} columns"
        for j in 0 .. d - 1 do
            if not (Double.IsFinite instance[j]) then invalidArg "instance" $"instance has {instance[j]} in column {j}"
        Explain.positive "numSamples" options.NumSamples
        Explain.positive "numFeatures" options.NumFeatures
        if options.NumFeatures > d then
            invalidArg "numFeatures" $"numFeatures = {options.NumFeatures} but the data has only {d} features"
        let data, inverse = sample ex instance options.NumSamples options.Seed
        explainSamples ex instance data inverse classifier options
