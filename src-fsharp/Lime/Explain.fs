/// LIME's core loop, shared by every explainer: perturb → predict → kernel weights → feature
/// selection → weighted ridge → Explanation. The explainers (Tabular, Text, Image) only make the
/// perturbations and name the features. Layer: Lime. Read next: Tabular/Discretizers.fs.
namespace ScratchML.Lime

open System
open System.Threading.Tasks

/// Which labels to explain.
[<RequireQualifiedAccess>]
type LabelChoice =
    /// These labels (LIME's labels=(1,)).
    | Labels of int list
    /// The k most probable labels at the instance, most probable first (LIME's top_labels=k).
    | Top of int

/// How the classifier is called: rows in batches of BatchSize, batches on all cores when Parallel
/// (only for a thread-safe classifier; the stacked result is the same either way).
type Batching =
    { BatchSize: int
      Parallel: bool }

    /// One call with every row (LIME's tabular and text behaviour).
    static member Whole = { BatchSize = Int32.MaxValue; Parallel = false }

[<RequireQualifiedAccess>]
module Explain =
    /// Validate a positive count argument, naming it in the error.
    let positive (name: string) (value: int) =
        if value <= 0 then invalidArg name $"{name} must be positive, got {value}"

    /// LimeBase.explain_instance_with_data with precomputed kernel weights: select features on
    /// (data, labels[:, label], weights), fit Ridge(α=1) on them, return intercept, weights in LIME's
    /// order (|w| descending, stable), weighted R² and the prediction at row 0.
    let withWeights (data: float[,]) (labels: float[,]) (weights: float[]) (label: int)
                    (numFeatures: int) (selection: FeatureSelection) : LabelExplanation =
        let n = Array2D.length1 data
        if Array2D.length1 labels <> n then
            invalidArg "labels" $"labels has {Array2D.length1 labels} rows, data has {n}"
        if weights.Length <> n then invalidArg "weights" $"weights has {weights.Length} entries, data has {n} rows"
        if label < 0 || label >= Array2D.length2 labels then
            invalidArg "label" $"label {label} is not a column of the predictions (0..{Array2D.length2 labels - 1})"
        // numFeatures > d is allowed here, as in LIME's LimeBase (the image explainer's default is
        // 100000): selection then keeps every feature. The explainers refuse it for their callers.
        positive "numFeatures" numFeatures
        let y = Array.init n (fun i -> labels[i, label])
        // One pass over the data for every fit: selection and the final model solve sub-blocks.
        let problem = WeightedRidge.prepare data (Array.init (Array2D.length2 data) id) y weights
        let used = FeatureSelection.select selection problem data y weights numFeatures
        let model = WeightedRidge.fitSubset 1.0 problem used
        { Label = label
          Intercept = model.Intercept
          Weights = Array.zip used model.Coef |> FeatureSelection.byAbsDescending
          Score = WeightedRidge.score model data y weights
          LocalPrediction = WeightedRidge.predictRow model data 0
          UsedFeatures = used }

    /// LimeBase.explain_instance_with_data: weights = kernel(distances), then `withWeights`.
    let withData (kernel: float -> float) (data: float[,]) (labels: float[,]) (distances: float[])
                 (label: int) (numFeatures: int) (selection: FeatureSelection) =
        withWeights data labels (Array.map kernel distances) label numFeatures selection

    /// Call `predict start count` on consecutive row ranges of at most batchSize rows and stack
    /// the results (rows × outputs). Every batch must return `count` rows and the same columns.
    let inBatches (batching: Batching) (rows: int) (predict: int -> int -> float[,]) : float[,] =
        positive "batchSize" batching.BatchSize
        let size = max 1 (min batching.BatchSize rows)
        let starts = [| 0 .. size .. rows - 1 |]
        let call s =
            let count = min size (rows - s)
            let out = predict s count
            if Array2D.length1 out <> count then
                invalidArg "classifier" $"the classifier returned {Array2D.length1 out} rows for {count} inputs"
            out
        let parts =
            if batching.Parallel && starts.Length > 1 then
                let parts = Array.zeroCreate starts.Length
                Parallelism.forEach starts.Length (fun b -> parts[b] <- call starts[b])
                parts
            else Array.map call starts
        let cols = if parts.Length = 0 then 0 else Array2D.length2 parts[0]
        let all = Array2D.zeroCreate rows cols
        for b in 0 .. parts.Length - 1 do
            let p = parts[b]
            if Array2D.length2 p <> cols then
                invalidArg "classifier" $"the classifier returned {Array2D.length2 p} columns, then {cols}"
            Matrix.setRows all starts[b] p
        all

    /// Check classifier output: finite, and for classification probabilities in [0, 1] whose rows
    /// sum to 1 (|Σ − 1| ≤ 1e-5, NumPy allclose's tolerance); a regressor has one column.
    let checkPredictions (mode: Mode) (predictions: float[,]) =
        let n, k = Array2D.length1 predictions, Array2D.length2 predictions
        for i in 0 .. n - 1 do
            for j in 0 .. k - 1 do
                if not (Double.IsFinite predictions[i, j]) then
                    invalidArg "classifier" $"the classifier returned {predictions[i, j]} at row {i}, column {j}"
        match mode with
        | Mode.Regression ->
            if k <> 1 then invalidArg "classifier" $"a regressor must return one column, got {k}"
        | Mode.Classification ->
            if k < 1 then invalidArg "classifier" "the classifier returned no columns"
            for i in 0 .. n - 1 do
                let mutable s = 0.0
                for j in 0 .. k - 1 do
                    let p = predictions[i, j]
                    if p < -1e-12 || p > 1.0 + 1e-12 then
                        invalidArg "classifier" $"not a probability: {p} at row {i}, column {j}"
                    s <- s + p
                if abs (s - 1.0) > 1e-5 then
                    invalidArg "classifier" $"probabilities of row {i} sum to {s}, not 1"

    /// The labels to explain: the given ones, or the top k at the instance (argsort, last k,
    /// reversed: ties resolved as NumPy's stable argsort does).
    let labelsToExplain (choice: LabelChoice) (instancePrediction: float[]) =
        match choice with
        | LabelChoice.Labels ls ->
            for l in ls do
                if l < 0 || l >= instancePrediction.Length then
                    invalidArg "labels" $"label {l} is not one of the {instancePrediction.Length} outputs"
            [||], ls
        | LabelChoice.Top k ->
            positive "topLabels" k
            let order = Array.init instancePrediction.Length id |> Array.sortBy (fun j -> instancePrediction[j])
            let top = order[max 0 (order.Length - k) ..] |> Array.rev
            top, List.ofArray top

    /// The shared tail of every explainer: kernel weights, one local model per label, Explanation.
    /// For regression the model is fitted on column 0 and reported as label 1, label 0 holding the
    /// negated weights (as LIME does).
    let run (mode: Mode) (classNames: string[]) (featureNames: string[]) (domain: Domain)
            (data: float[,]) (predictions: float[,]) (weights: float[])
            (choice: LabelChoice) (numFeatures: int) (selection: FeatureSelection) : Explanation =
        let k = Array2D.length2 predictions
        let instance = Array.init k (fun j -> predictions[0, j])
        match mode with
        | Mode.Classification ->
            let top, labels = labelsToExplain choice instance
            { Mode = mode
              ClassNames = if classNames.Length > 0 then classNames else Array.init k string
              FeatureNames = featureNames
              Domain = domain
              Prediction = instance
              MinValue = nan
              MaxValue = nan
              TopLabels = top
              Labels = labels |> List.map (fun l -> withWeights data predictions weights l numFeatures selection) }
        | Mode.Regression ->
            let e = withWeights data predictions weights 0 numFeatures selection
            let ys = Array.init (Array2D.length1 predictions) (fun i -> predictions[i, 0])
            { Mode = mode
              ClassNames = [| "negative"; "positive" |]
              FeatureNames = featureNames
              Domain = domain
              Prediction = instance
              MinValue = Array.min ys
              MaxValue = Array.max ys
              TopLabels = [||]
              Labels =
                [ { e with Weights = e.Weights |> Array.map (fun (f, w) -> f, -1.0 * w) }
                  { e with Label = 1 } ] }
