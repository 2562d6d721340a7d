/// LimeBase against the original LIME: every feature-selection method × num_features on the
/// lime_base fixtures, plus kernels and distances.
module ScratchML.Tests.Lime.LimeBaseTests

open System.Text.Json
open Expecto
open ScratchML.Lime
open ScratchML.Tests
open ScratchML.Tests.Lime.LimeFixtures

let selectionOf = function
    | "none" -> FeatureSelection.NoSelection
    | "forward_selection" -> FeatureSelection.ForwardSelection
    | "highest_weights" -> FeatureSelection.HighestWeights
    | "lasso_path" -> FeatureSelection.LassoPath
    | "auto" -> FeatureSelection.Auto
    | other -> failwith $"unknown feature_selection {other}"

/// binary.json / continuous.json: explain_instance_with_data for each recorded case.
let explainWithData (root: JsonElement) () =
    let data = matrix (root.GetProperty "neighborhood_data")
    let labels = matrix (root.GetProperty "neighborhood_labels")
    let distances = vector (root.GetProperty "distances")
    let width = root.GetProperty("kernel_width").GetDouble()
    let label = root.GetProperty("label").GetInt32()
    let weights = Kernels.weights width distances
    expectAll weightClose "kernel_weights" weights (vector (root.GetProperty "kernel_weights"))
    // The debug section: the alpha = 0.01 ridge and the full LARS path.
    let y = Array.init (Array2D.length1 labels) (fun i -> labels[i, label])
    let hw = at "debug.highest_weights_ridge" root
    let ridge = WeightedRidge.fit 0.01 data [| 0 .. Array2D.length2 data - 1 |] y weights
    expectAll weightClose "ridge(0.01).coef" ridge.Coef (vector (hw.GetProperty "coef"))
    expectClose weightClose "ridge(0.01).intercept" ridge.Intercept (hw.GetProperty("intercept").GetDouble())
    let lp = at "debug.lasso_path" root
    let z, t = FeatureSelection.lassoInputs data y weights
    let path = Lars.lassoPath z t
    expectAll (Tolerance.close 1e-8 1e-12) "lars alphas" path.Alphas (vector (lp.GetProperty "alphas"))
    let coefs = matrix (lp.GetProperty "coefs")
    Expect.equal (Array2D.length2 path.Coefs) (Array2D.length2 coefs) "lars path length"
    for f in 0 .. Array2D.length1 coefs - 1 do
        let row (m: float[,]) = Array.init (Array2D.length2 m) (fun k -> m[f, k])
        expectAll (Tolerance.close 1e-8 1e-10) $"lars coefs[{f}]" (row path.Coefs) (row coefs)
    for case in root.GetProperty("results").EnumerateArray() do
        let method = case.GetProperty("feature_selection").GetString()
        let k = case.GetProperty("num_features").GetInt32()
        let what = $"{method} k={k}"
        let e = Explain.withData (Kernels.exponential width) data labels distances label k (selectionOf method)
        Expect.equal e.UsedFeatures (ints (case.GetProperty "used_features")) $"{what}: used_features"
        expectResult what e case

/// distances_kernels.json: the three explainers' distances and kernel weights on binary rows.
let distancesKernels (root: JsonElement) () =
    let rows = matrix (root.GetProperty "rows")
    let check (name: string) (distances: float[]) (scale: float) =
        let e = root.GetProperty name
        // Row 0 is ~1e-16 in scikit-learn (rounding of x̂·x̂); compare with an absolute floor.
        expectAll (Tolerance.close 1e-12 (1e-13 * scale)) $"{name} distances" distances (vector (e.GetProperty "distances"))
        let w = Kernels.weights (e.GetProperty("kernel_width").GetDouble()) distances
        expectAll (Tolerance.close 1e-12 1e-15) $"{name} kernel_weights" w (vector (e.GetProperty "kernel_weights"))
    check "text" (Kernels.cosine rows |> Array.map (fun d -> d * 100.0)) 100.0
    check "image" (Kernels.cosine rows) 1.0
    check "tabular" (Kernels.euclidean rows) 1.0

let fixtureTests =
    Fixtures.family "lime_base" (fun file root ->
        match file with
        | "binary" | "continuous" -> Ok (explainWithData root)
        | "distances_kernels" -> Ok (distancesKernels root)
        | other -> Error $"no handler for lime_base/{other}")

[<Tests>]
let tests = testList "Lime.LimeBase" [ fixtureTests ]
