/// LIME's discretizers: continuous features cut into bins at training percentiles (quartile,
/// decile) or at entropy-tree thresholds, with the per-bin statistics used to sample values back
/// (undiscretize). Layer: Lime/Tabular. Read next: TabularExplainer.fs.
namespace ScratchML.Lime

open System
open System.Numerics
open System.Runtime.Intrinsics
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

    // Wichura's AS 241 (PPND16) coefficients, highest power first: Φ⁻¹ is a ratio of two
    // degree-7 polynomials, in q² near the centre (|q| ≤ 0.425, q = p − ½) and in
    // r = sqrt(−ln min(p, 1 − p)) in the tails (r ≤ 5 and r > 5).
    /// Centre, numerator (in 0.180625 − q²).
    let private centralNumerator =
        [| 2509.0809287301226727; 33430.575583588128105; 67265.770927008700853;
           45921.953931549871457; 13731.693765509461125; 1971.5909503065514427;
           133.14166789178437745; 3.387132872796366608 |]
    /// Centre, denominator.
    let private centralDenominator =
        [| 5226.495278852545925; 28729.085735721942674; 39307.89580009271061;
           21213.794301586595867; 5394.1960214247511077; 687.1870074920579083;
           42.313330701600911252; 1.0 |]
    /// Tail r ≤ 5, numerator (in r − 1.6).
    let private tailNumerator =
        [| 7.7454501427834140764e-4; 0.0227238449892691845833; 0.24178072517745061177;
           1.27045825245236838258; 3.64784832476320460504; 5.7694972214606914055;
           4.6303378461565452959; 1.42343711074968357734 |]
    /// Tail r ≤ 5, denominator.
    let private tailDenominator =
        [| 1.05075007164441684324e-9; 5.475938084995344946e-4; 0.0151986665636164571966;
           0.14810397642748007459; 0.68976733498510000455; 1.6763848301838038494;
           2.05319162663775882187; 1.0 |]
    /// Far tail r > 5, numerator (in r − 5).
    let private farNumerator =
        [| 2.01033439929228813265e-7; 2.71155556874348757815e-5; 0.0012426609473880784386;
           0.026532189526576123093; 0.29656057182850489123; 1.7848265399172913358;
           5.4637849111641143699; 6.6579046435011037772 |]
    /// Far tail r > 5, denominator.
    let private farDenominator =
        [| 2.04426310338993978564e-15; 1.4215117583164458887e-7; 1.8463183175100546818e-5;
           7.868691311456132591e-4; 0.0148753612908506148525; 0.13692988092273580531;
           0.59983220655588793769; 1.0 |]

    /// Horner's rule c₀xⁿ + … + cₙ = (…(c₀·x + c₁)·x + …)·x + cₙ, each product and sum rounded.
    let private horner (c: float[]) (x: float) =
        let mutable acc = c[0]
        for m in 1 .. c.Length - 1 do acc <- acc * x + c[m]
        acc

    /// Horner's rule on four lanes: the same products and sums as `horner` (no fused multiply–add),
    /// so every lane is rounded exactly as the scalar rule rounds it.
    let private horner4 (c: float[]) (x: Vector256<float>) =
        let mutable acc = Vector256.Create c[0]
        for m in 1 .. c.Length - 1 do acc <- acc * x + Vector256.Create c[m]
        acc

    /// Φ⁻¹(p), the standard normal quantile, by Wichura's algorithm AS 241 (PPND16: rational
    /// approximations, relative error about 1e-16): with q = p − ½, Φ⁻¹ = q·A(0.180625 − q²)/B(…)
    /// for |q| ≤ 0.425, else ±C(r − 1.6)/D(…) (r ≤ 5) or ±E(r − 5)/F(…), r = sqrt(−ln min(p, 1 − p)).
    /// The readable reference: the sampler runs `normalQuantiles`, which tests check against it.
    let normalQuantile (p: float) =
        let q = p - 0.5
        if abs q <= 0.425 then
            let r = 0.180625 - q * q
            q * horner centralNumerator r / horner centralDenominator r
        else
            let r = sqrt (-log (if q < 0.0 then p else 1.0 - p))
            let v =
                if r <= 5.0 then horner tailNumerator (r - 1.6) / horner tailDenominator (r - 1.6)
                else horner farNumerator (r - 5.0) / horner farDenominator (r - 5.0)
            if q < 0.0 then -v else v

    /// Φ⁻¹ of four probabilities, lane for lane bit-identical to `normalQuantile`: both branches
    /// are computed and blended (a data-dependent branch per value costs more than the arithmetic),
    /// the far tail only when a lane needs it. The logarithm is Math.Log per tail lane, because
    /// Vector256.Log differs from it in the last bits.
    let normalQuantile4 (p: Vector256<float>) =
        let q = p - Vector256.Create 0.5
        let isCentral = Vector256.LessThanOrEqual(Vector256.Abs q, Vector256.Create 0.425)
        let s = Vector256.Create 0.180625 - q * q
        let central = q * horner4 centralNumerator s / horner4 centralDenominator s
        let mutable tailLanes = (~~~(isCentral.ExtractMostSignificantBits())) &&& 0xFu
        if tailLanes = 0u then central
        else
            let isLower = Vector256.LessThan(q, Vector256<float>.Zero)
            let x = Vector256.ConditionalSelect(isLower, p, Vector256<float>.One - p)
            let mutable logs = Vector256.Create -1.0 // central lanes: r = 1, computed and discarded
            while tailLanes <> 0u do
                let lane = BitOperations.TrailingZeroCount tailLanes
                logs <- logs.WithElement(lane, log (x.GetElement lane))
                tailLanes <- tailLanes &&& (tailLanes - 1u)
            let r = Vector256.Sqrt(-logs)
            let isNear = Vector256.LessThanOrEqual(r, Vector256.Create 5.0)
            let near = r - Vector256.Create 1.6
            let mutable v = horner4 tailNumerator near / horner4 tailDenominator near
            if isNear.ExtractMostSignificantBits() <> 0xFu then
                let far = r - Vector256.Create 5.0
                let farV = horner4 farNumerator far / horner4 farDenominator far
                v <- Vector256.ConditionalSelect(isNear, v, farV)
            let tail = Vector256.ConditionalSelect(isLower, -v, v)
            Vector256.ConditionalSelect(isCentral, central, tail)

    /// Φ⁻¹ of every element of p, in place, four at a time (callers pad p to a multiple of 4).
    let normalQuantiles (p: Span<float>) =
        if p.Length % 4 <> 0 then invalidArg "p" $"length {p.Length} is not a multiple of 4"
        for i in 0 .. 4 .. p.Length - 1 do
            let group = p.Slice(i, 4)
            let z = normalQuantile4 (Vector256.Create<float>(Span.op_Implicit group: ReadOnlySpan<float>))
            z.CopyTo group

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

    /// How to draw a value for one bin (get_undiscretize_values), precomputed so the sampling
    /// loop calls no closures: value = mean + std·z, z ~ N(0,1) truncated to [a, b] =
    /// [(min − mean)/std, (max − mean)/std] by inversion between the CDF values P0, P1 (upper-tail
    /// values when UpperTail). When min = max LIME returns the z-bound a itself, not a value (a
    /// quirk of the original, kept on purpose).
    type BinDraw =
        { Fixed: bool
          Mean: float
          Std: float
          A: float
          B: float
          UpperTail: bool
          P0: float
          P1: float }

    /// The draw parameters of bin k of a feature.
    let binDraw (fb: FeatureBins) (k: int) =
        let mean, std = fb.Means[k], fb.Stds[k]
        let a, b = (fb.Mins[k] - mean) / std, (fb.Maxs[k] - mean) / std
        let upper = a >= 0.0
        { Fixed = (a = b); Mean = mean; Std = std; A = a; B = b; UpperTail = upper
          P0 = (if upper then phi -b else phi a)
          P1 = (if upper then phi -a else phi b) }

    /// The CDF value bin draw `d` inverts for one uniform u ∈ [0, 1): P0 + u·(P1 − P0).
    let inline probability (d: BinDraw) (u: float) = d.P0 + u * (d.P1 - d.P0)

    /// The bin's value from the normal quantile q = Φ⁻¹(probability d u): z = ±q (− on the upper
    /// tail) clamped to [a, b] (NaN → a), value = mean + std·z; a for a fixed bin.
    let inline valueAt (d: BinDraw) (q: float) =
        if d.Fixed then d.A
        else
            let z = if d.UpperTail then -q else q
            let z = if Double.IsNaN z then d.A elif z < d.A then d.A elif z > d.B then d.B else z
            d.Mean + d.Std * z

    /// The bin's value for one uniform u ∈ [0, 1) (u is ignored for a fixed bin).
    let drawValue (d: BinDraw) (u: float) =
        if d.Fixed then d.A else valueAt d (normalQuantile (probability d u))

    /// A value for bin k of a feature drawn from `rng` (one uniform unless the bin is fixed).
    let undiscretize (fb: FeatureBins) (k: int) (rng: ScratchML.SplitMix64) =
        let d = binDraw fb k
        if d.Fixed then d.A else drawValue d (rng.Uniform())
