/// Which interpretable features enter the local model (LimeBase.feature_selection).
/// Layer: Lime. Read next: Explanation.fs.
namespace ScratchML.Lime

/// LIME's feature-selection methods.
[<RequireQualifiedAccess>]
type FeatureSelection =
    /// All features; num_features is ignored.
    | NoSelection
    /// Greedy: each round adds the feature whose Ridge(α=0) fit has the highest weighted R².
    | ForwardSelection
    /// The num_features largest |βⱼ·x₀ⱼ| of a Ridge(α=0.01) fit on all features.
    | HighestWeights
    /// The least-regularised knot of the lasso path with at most num_features nonzeros.
    | LassoPath
    /// ForwardSelection when num_features ≤ 6, else HighestWeights.
    | Auto

[<RequireQualifiedAccess>]
module FeatureSelection =
    /// Python's sorted(key=|v|, reverse=True): descending |v|, ties keep their input order.
    let byAbsDescending (pairs: (int * float)[]) =
        pairs
        |> Array.indexed // the input position breaks ties, so the sort is stable by construction
        |> Array.sortWith (fun (i, (_, a)) (j, (_, b)) ->
            match compare (abs b) (abs a) with
            | 0 -> compare i j
            | c -> c)
        |> Array.map snd

    /// forward_selection: rounds = min(numFeatures, d); per round the strictly best weighted R²
    /// of Ridge(α=0) on used + [f] wins (start −1e8, so the lowest index wins ties). The fits share
    /// `problem` (prepared on every column of x).
    let forward (problem: WeightedRidge.Problem) (x: float[,]) (y: float[]) (w: float[])
                (numFeatures: int) =
        let d = Array2D.length2 x
        let used = ResizeArray<int>()
        for _ in 1 .. min numFeatures d do
            let mutable best, bestScore = 0, -100000000.0
            for f in 0 .. d - 1 do
                if not (used.Contains f) then
                    let columns = Array.append (used.ToArray()) [| f |]
                    let model = WeightedRidge.fitSubset 0.0 problem columns
                    let score = WeightedRidge.score model x y w
                    if score > bestScore then
                        best <- f
                        bestScore <- score
            used.Add best
        used.ToArray()

    /// highest_weights: Ridge(α=0.01) on all columns, rank by |βⱼ·x₀ⱼ| (stable), keep the first k.
    let highestWeights (problem: WeightedRidge.Problem) (x: float[,]) (numFeatures: int) =
        let d = Array2D.length2 x
        let model = WeightedRidge.fitSubset 0.01 problem [| 0 .. d - 1 |]
        Array.init d (fun j -> j, model.Coef[j] * x[0, j])
        |> byAbsDescending
        |> Array.truncate numFeatures
        |> Array.map fst

    /// The data lasso_path hands to LARS: Z = (X − x̄_w)·sqrt(w), t = (y − ȳ_w)·sqrt(w), i.e. the
    /// Z and Target of the weighted ridge problem on every column.
    let lassoInputs (x: float[,]) (y: float[]) (w: float[]) =
        let problem = WeightedRidge.prepare x [| 0 .. Array2D.length2 x - 1 |] y w
        problem.Z, problem.Target

    /// lasso_path: walk the path from its last knot down to knot 1 and take the nonzero set of
    /// the first knot with ≤ numFeatures nonzeros (ascending indices; one knot → all features).
    let lasso (problem: WeightedRidge.Problem) (numFeatures: int) =
        let path = Lars.lassoPath problem.Z problem.Target // lassoInputs, already prepared
        let d, steps = Array2D.length1 path.Coefs, Array2D.length2 path.Coefs
        let nonzero k = [| for f in 0 .. d - 1 do if path.Coefs[f, k] <> 0.0 then f |]
        let mutable chosen = [| 0 .. d - 1 |]
        let mutable k = steps - 1
        let mutable found = false
        while not found && k >= 1 do
            chosen <- nonzero k
            if chosen.Length <= numFeatures then found <- true
            k <- k - 1
        chosen

    /// The features `method` selects, in selection order; `problem` is
    /// `WeightedRidge.prepare x [| 0 .. d − 1 |] y w`, shared with the caller's final fit.
    let rec select (method: FeatureSelection) (problem: WeightedRidge.Problem) (x: float[,]) (y: float[])
                   (w: float[]) (numFeatures: int) =
        match method with
        | FeatureSelection.NoSelection -> [| 0 .. Array2D.length2 x - 1 |]
        | FeatureSelection.ForwardSelection -> forward problem x y w numFeatures
        | FeatureSelection.HighestWeights -> highestWeights problem x numFeatures
        | FeatureSelection.LassoPath -> lasso problem numFeatures
        | FeatureSelection.Auto ->
            let m = if numFeatures <= 6 then FeatureSelection.ForwardSelection else FeatureSelection.HighestWeights
            select m problem x y w numFeatures
