/// LIME's discretizers: continuous features cut into bins at training percentiles (quartile,
/// decile) or at entropy-tree thresholds, with the per-bin statistics used to sample values back
/// (undiscretize). Layer: Lime/Tabular. Read next: TabularExplainer.fs.
namespace ScratchML.Lime

open System
open MathNet.Numerics

/// How continuous features are turned into interpretable ones.
[<RequireQualifiedAccess>]
type Discretization =
    /// Keep them continuous (LIME's discretize_continuous=False).
    | Continuous
    /// Bins at the 25th, 50th, 75th training percentiles (LIME's default).
    | Quartile
    /// Bins at the 10th, …, 90th percentiles.
    | Decile
    /// Bins at the thresholds of a depth-3 entropy decision tree fitted on the training labels.
    | Entropy of trainingLabels: int[]

/// The bins of one discretized feature.
type FeatureBins =
    { Feature: int
      /// Sorted distinct boundaries b₀ < … < b_{m−1}; bin i holds b_{i−1} < x ≤ bᵢ (m+1 bins).
      Boundaries: float[]
      /// "NAME <= b0", "b{i} < NAME <= b{i+1}", "NAME > b_last" with %.2f numbers.
      Names: string[]
      /// Per bin: mean, population std + 1e-11, min and max of the training values (undiscretize).
      Means: float[]
      Stds: float[]
      Mins: float[]
      Maxs: float[] }

/// A fitted discretizer: Some bins for each discretized feature, None for categorical ones.
type Discretizer = { Bins: FeatureBins option[] }

[<RequireQualifiedAccess>]
module Discretizer =
    /// np.searchsorted(boundaries, x, side='left'): the number of boundaries strictly below x
    /// (a value on a boundary falls in the lower bin).
    let binOf (boundaries: float[]) (x: float) =
        if Double.IsNaN x then boundaries.Length
        else
            let mutable lo, hi = 0, boundaries.Length
            while lo < hi do
                let mid = (lo + hi) / 2
                if boundaries[mid] < x then lo <- mid + 1 else hi <- mid
            lo

    /// The column of a matrix.
    let column (data: float[,]) (j: int) = Array.init (Array2D.length1 data) (fun i -> data[i, j])

    /// Percentile boundaries: np.percentile(column, ps) with linear interpolation.
    let percentiles (ps: float list) (values: float[]) =
        let sorted = Array.sort values
        ps |> List.map (Numerics.percentile sorted) |> Array.ofList

    /// The entropy tree's thresholds (sklearn DecisionTreeClassifier(criterion='entropy',
    /// max_depth=3) on one feature, in float32 as sklearn stores X); the median when it cannot split.
    let entropyThresholds (values: float[]) (labels: int[]) =
        let classes = Array.distinct labels |> Array.sort
        let x = values |> Array.map (fun v -> float (float32 v))
        let entropy (counts: float[]) (n: float) =
            let mutable h = 0.0
            for c in counts do
                if c > 0.0 then
                    let p = c / n
                    h <- h - p * (log p / log 2.0)
            h
        let thresholds = ResizeArray<float>()
        let rec split (idx: int[]) (depth: int) =
            let counts = classes |> Array.map (fun c -> idx |> Array.sumBy (fun i -> if labels[i] = c then 1.0 else 0.0))
            let n = float idx.Length
            if depth < 3 && idx.Length >= 2 && entropy counts n > 2.220446049250313e-16 then
                let order = idx |> Array.sortBy (fun i -> x[i]) // stable: ties keep sample order
                let xs = order |> Array.map (fun i -> x[i])
                if xs[xs.Length - 1] > xs[0] + 1e-7 then
                    let left = Array.zeroCreate classes.Length
                    let mutable best, bestProxy = -1, Double.NegativeInfinity
                    for p in 1 .. xs.Length - 1 do
                        let ci = Array.BinarySearch(classes, labels[order[p - 1]])
                        left[ci] <- left[ci] + 1.0
                        if xs[p] > xs[p - 1] + 1e-7 then
                            let nl, nr = float p, n - float p
                            let right = Array.map2 (-) counts left
                            let proxy = -nr * entropy right nr - nl * entropy left nl
                            if proxy > bestProxy then
                                best <- p
                                bestProxy <- proxy
                    if best > 0 then
                        let t = xs[best - 1] / 2.0 + xs[best] / 2.0
                        let t = if t = xs[best] || Double.IsInfinity t then xs[best - 1] else t
                        thresholds.Add t
                        split order[.. best - 1] (depth + 1)
                        split order[best ..] (depth + 1)
        split (Array.init values.Length id) 0
        if thresholds.Count = 0 then
            let s = Array.sort values
            let m = s.Length / 2
            [| if s.Length % 2 = 1 then s[m] else (s[m - 1] + s[m]) / 2.0 |]
        else thresholds.ToArray() |> Array.sort

    /// LIME's names for the bins of feature `name` at sorted boundaries.
    let names (name: string) (b: float[]) =
        [| yield $"{name} <= {PyFormat.f2 b[0]}"
           for i in 0 .. b.Length - 2 do yield $"{PyFormat.f2 b[i]} < {name} <= {PyFormat.f2 b[i + 1]}"
           yield $"{name} > {PyFormat.f2 b[b.Length - 1]}" |]

    /// Bins and per-bin statistics of one feature (BaseDiscretizer.__init__); empty bins get mean 0
    /// and std 1e-11.
    let featureBins (name: string) (feature: int) (values: float[]) (rawBoundaries: float[]) =
        let b = Array.distinct rawBoundaries |> Array.sort // np.unique
        let bins = values |> Array.map (binOf b)
        let stats =
            Array.init (b.Length + 1) (fun k ->
                let sel = [| for i in 0 .. values.Length - 1 do if bins[i] = k then values[i] |]
                if sel.Length = 0 then 0.0, 1e-11 else Numerics.mean sel, Numerics.std sel + 1e-11)
        { Feature = feature
          Boundaries = b
          Names = names name b
          Means = Array.map fst stats
          Stds = Array.map snd stats
          Mins = Array.append [| Array.min values |] b
          Maxs = Array.append b [| Array.max values |] }

    /// Fit a discretizer on training data; categorical features are left alone.
    let fit (kind: Discretization) (data: float[,]) (categorical: int list) (featureNames: string[]) =
        let d = Array2D.length2 data
        let boundaries values =
            match kind with
            | Discretization.Quartile -> percentiles [ 25.0; 50.0; 75.0 ] values
            | Discretization.Decile -> percentiles [ 10.0 .. 10.0 .. 90.0 ] values
            | Discretization.Entropy labels ->
                if labels.Length <> values.Length then
                    invalidArg "trainingLabels" $"{labels.Length} labels for {values.Length} training rows"
                entropyThresholds values labels
            | Discretization.Continuous -> invalidArg "kind" "Continuous is not a discretizer"
        { Bins =
            Array.init d (fun j ->
                if List.contains j categorical then None
                else
                    let values = column data j
                    Some (featureBins featureNames[j] j values (boundaries values))) }

    /// The bin of every discretized feature; other features keep their value.
    let discretizeRow (disc: Discretizer) (row: float[]) =
        row |> Array.mapi (fun j v ->
            match disc.Bins[j] with
            | Some fb -> float (binOf fb.Boundaries v)
            | None -> v)

    /// Φ(x), the standard normal CDF.
    let private phi (x: float) = 0.5 * SpecialFunctions.Erfc(-x / sqrt 2.0)

    /// Φ⁻¹(p), the standard normal quantile, by Wichura's algorithm AS 241 (PPND16: rational
    /// approximations, relative error about 1e-16).
    let normalQuantile (p: float) =
        let q = p - 0.5
        if abs q <= 0.425 then
            let r = 0.180625 - q * q
            q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r
                      + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
                      + 133.14166789178437745) * r + 3.387132872796366608)
              / (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r
                      + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
                      + 42.313330701600911252) * r + 1.0)
        else
            let r = sqrt (-log (if q < 0.0 then p else 1.0 - p))
            let v =
                if r <= 5.0 then
                    let r = r - 1.6
                    (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
                          + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                          + 4.6303378461565452959) * r + 1.42343711074968357734)
                    / (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
                          + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                          + 2.05319162663775882187) * r + 1.0)
                else
                    let r = r - 5.0
                    (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
                          + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                          + 5.4637849111641143699) * r + 6.6579046435011037772)
                    / (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
                          + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                          + 0.59983220655588793769) * r + 1.0)
            if q < 0.0 then -v else v

    /// A sampler of N(0,1) truncated to [a, b] by inversion of the CDF: u ∈ [0, 1) ↦
    /// Φ⁻¹(Φ(a) + u(Φ(b) − Φ(a))), on the upper tail (Q = 1 − Φ) when a ≥ 0, where Φ would round
    /// to 1. Φ(a), Φ(b) are computed once.
    let truncatedNormalSampler (a: float) (b: float) : float -> float =
        let clamp z = if Double.IsNaN z then a else min b (max a z)
        if a >= 0.0 then
            let qa, qb = phi -a, phi -b
            fun u -> clamp (-(normalQuantile (qb + u * (qa - qb))))
        else
            let pa, pb = phi a, phi b
            fun u -> clamp (normalQuantile (pa + u * (pb - pa)))

    /// One draw of N(0,1) truncated to [a, b] from one uniform u.
    let truncatedNormal (a: float) (b: float) (u: float) = truncatedNormalSampler a b u

    /// A sampler of values for bin k of a feature (get_undiscretize_values): u ↦ mean + std·z with
    /// z ~ N(0,1) truncated to [(min − mean)/std, (max − mean)/std]; None when min = max, where
    /// LIME returns the z-bound (min − mean)/std itself, not a value (a quirk of the original,
    /// kept on purpose; no uniform is drawn then).
    let binSampler (fb: FeatureBins) (k: int) : Choice<float, float -> float> =
        let mean, std = fb.Means[k], fb.Stds[k]
        let minz, maxz = (fb.Mins[k] - mean) / std, (fb.Maxs[k] - mean) / std
        if minz = maxz then Choice1Of2 minz
        else
            let z = truncatedNormalSampler minz maxz
            Choice2Of2 (fun u -> mean + std * z u)

    /// A value for bin k of a feature drawn from `rng` (see `binSampler`).
    let undiscretize (fb: FeatureBins) (k: int) (rng: ScratchML.SplitMix64) =
        match binSampler fb k with
        | Choice1Of2 fixedValue -> fixedValue
        | Choice2Of2 draw -> draw (rng.Uniform())
