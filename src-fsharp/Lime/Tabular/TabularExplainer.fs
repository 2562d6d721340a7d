/// LimeTabularExplainer: perturb a row around the training distribution (Gaussian for continuous
/// features, training frequencies for categorical and discretized ones), then Explain.run.
/// Layer: Lime/Tabular. Read next: RecurrentExplainer.fs.
namespace ScratchML.Lime

#nowarn "9" // stack-allocated row buffers in the sampling loop (NativePtr.stackalloc)

open System
open System.Numerics
open System.Runtime.InteropServices
open System.Runtime.Intrinsics
open FSharp.NativeInterop
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

    /// How one column of a perturbed row is drawn, prepared once per explanation so the row loop
    /// reads flat arrays only. A Gaussian column has no Values; a category (or bin) column has its
    /// sorted Values, the Thresholds that pick one, and for a discretized column the Draws of their
    /// bins (Values are the bins present in the training data: an empty bin has no entry).
    type private ColumnPlan =
        { Values: float[]
          /// The cumulative frequencies but the last, padded with +∞ to a multiple of 4.
          Thresholds: float[]
          /// 1 where the value equals the instance's (its bin when discretized), else 0.
          Indicator: float[]
          /// Per value, how a number is drawn inside its bin (null for an undiscretized column).
          Draws: Discretizer.BinDraw[] }

    /// The index of the value whose cumulative frequency first exceeds u (inverse CDF on one
    /// uniform; the last value if none does) = the number of thresholds ≤ u, since they are sorted.
    /// Counted four at a time with a vector compare: a search would branch on random data.
    let inline private choose (thresholds: float[]) (u: float) =
        let uv = Vector256.Create u
        let mutable k = 0
        for c in 0 .. 4 .. thresholds.Length - 1 do
            let below = Vector256.GreaterThanOrEqual(uv, Vector256.Create(thresholds, c))
            k <- k + BitOperations.PopCount(below.ExtractMostSignificantBits())
        k

    /// The sampling plan of every column.
    let private plans (ex: TabularExplainer) (instance: float[]) =
        let firstRow =
            match ex.Discretizer with
            | None -> instance
            | Some disc -> Discretizer.discretizeRow disc instance
        Array.init instance.Length (fun j ->
            let draws (values: float[]) =
                match ex.Discretizer |> Option.bind (fun disc -> disc.Bins[j]) with
                | Some fb -> values |> Array.map (fun bin -> Discretizer.binDraw fb (int bin))
                | None -> null
            match ex.Values.TryFind j with
            | Some (values, freqs) ->
                let cumulative = Array.scan (+) 0.0 freqs |> Array.tail
                let m = values.Length - 1
                { Values = values
                  Thresholds =
                    Array.init ((m + 3) / 4 * 4) (fun c -> if c < m then cumulative[c] else infinity)
                  Indicator = values |> Array.map (fun v -> if v = firstRow[j] then 1.0 else 0.0)
                  Draws = draws values }
            | None -> { Values = null; Thresholds = null; Indicator = null; Draws = null })

    /// __data_inverse: `data` (what the local model sees before scaling: binary for categorical
    /// and discretized columns; row 0 the instance) and `inverse` (the rows the classifier sees).
    /// Row i ≥ 1 owns 2·d draws of the stream (Sampling.rows); column j uses draws 2j and 2j+1:
    /// continuous columns one Gaussian (Box–Muller on both), categorical and discretized columns
    /// the first for the category/bin (training frequencies) and, when discretized, the second for
    /// the value inside the bin (truncated normal by inversion, Discretizer.drawValue). A row first
    /// draws every column, then takes the normal quantiles of its bins four at a time, then maps
    /// them into the bins: the values are those of drawValue, bit for bit.
    let sample (ex: TabularExplainer) (instance: float[]) (numSamples: int) (seed: uint64) =
        let d = instance.Length
        let data = Array2D.zeroCreate numSamples d
        let inverse = Array2D.zeroCreate numSamples d
        let centre = if ex.Options.SampleAroundInstance then instance else ex.ScalerMean
        let scale = ex.ScalerScale
        let plans = plans ex instance
        let padded = (d + 3) / 4 * 4
        Sampling.rows seed numSamples (2 * d) (fun rng i ->
            let dataRow = MemoryMarshal.CreateSpan(&data[i, 0], d)
            let inverseRow = MemoryMarshal.CreateSpan(&inverse[i, 0], d)
            // Per column: the CDF value to invert (½ where there is none) and the chosen value.
            let probabilities =
                Span<float>(NativePtr.toVoidPtr (NativePtr.stackalloc<float> padded), padded)
            let chosen = Span<int>(NativePtr.toVoidPtr (NativePtr.stackalloc<int> d), d)
            probabilities.Fill 0.5
            for j in 0 .. d - 1 do
                let plan = plans[j]
                if isNull plan.Values then
                    let v = rng.Normal() * scale[j] + centre[j]
                    dataRow[j] <- v
                    inverseRow[j] <- v
                else
                    let k = choose plan.Thresholds (rng.Uniform())
                    dataRow[j] <- plan.Indicator[k]
                    let u = rng.Uniform()
                    if isNull plan.Draws then inverseRow[j] <- plan.Values[k]
                    else
                        chosen[j] <- k
                        probabilities[j] <- Discretizer.probability plan.Draws[k] u
            Discretizer.normalQuantiles probabilities
            for j in 0 .. d - 1 do
                let draws = plans[j].Draws
                if not (isNull draws) then
                    inverseRow[j] <- Discretizer.valueAt draws[chosen[j]] probabilities[j])
        for j in 0 .. d - 1 do
            inverse[0, j] <- instance[j]
            data[0, j] <- if isNull plans[j].Values then instance[j] else 1.0
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
        let identity = Array.forall ((=) 0.0) ex.ScalerMean && Array.forall ((=) 1.0) ex.ScalerScale
        let scaled =
            if identity then data // discretized: (x − 0)/1 = x, no copy
            else
                let scaled = Array2D.zeroCreate n d
                for i in 0 .. n - 1 do
                    for j in 0 .. d - 1 do scaled[i, j] <- (data[i, j] - ex.ScalerMean[j]) / ex.ScalerScale[j]
                scaled
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
