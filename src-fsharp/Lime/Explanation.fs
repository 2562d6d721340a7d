/// What an explanation holds: per explained label the local linear model (intercept, weights in
/// LIME's order, weighted R², local prediction), plus what the features mean (names, words,
/// segments). Layer: Lime. Read next: Explain.fs.
namespace ScratchML.Lime

/// Classification explains class probabilities; regression explains one predicted number.
[<RequireQualifiedAccess>]
type Mode =
    | Classification
    | Regression

/// The local model for one label (the tuple LimeBase.explain_instance_with_data returns).
type LabelExplanation =
    { Label: int
      /// ŷ = intercept + Σⱼ weightⱼ·xⱼ over the used features.
      Intercept: float
      /// (feature id, weight) sorted by |weight| descending, ties in selection order (LIME's exp).
      Weights: (int * float)[]
      /// Weighted R² of the local model on the neighbourhood.
      Score: float
      /// The local model's prediction at the instance (row 0).
      LocalPrediction: float
      /// The selected features in selection order.
      UsedFeatures: int[] }

/// What the interpretable features are, for reports.
[<RequireQualifiedAccess>]
type Domain =
    /// Named features (tabular): names are in FeatureNames.
    | Features
    /// Words of a text: the raw text and, per feature id, the (start, length) character spans
    /// (UTF-16 offsets into the text) of its occurrences.
    | Text of text: string * spans: (int * int)[][]
    /// Superpixels of an image: the segment label map (height × width); feature id = segment.
    | Image of segments: int[,]

/// A LIME explanation of one prediction.
type Explanation =
    { Mode: Mode
      ClassNames: string[]
      /// The name of each interpretable feature id (as_list strings).
      FeatureNames: string[]
      Domain: Domain
      /// Classification: the model's probabilities at the instance; regression: [| prediction |].
      Prediction: float[]
      /// Regression only: min and max prediction over the neighbourhood (else NaN).
      MinValue: float
      MaxValue: float
      /// The labels ordered by probability when top labels were asked for (else empty).
      TopLabels: int[]
      /// One local model per explained label, in the order they were explained.
      Labels: LabelExplanation list }

    /// The local model of a label (KeyNotFoundException naming the known labels otherwise).
    member e.For(label: int) =
        match e.Labels |> List.tryFind (fun l -> l.Label = label) with
        | Some l -> l
        | None ->
            let known = e.Labels |> List.map (fun l -> string l.Label) |> String.concat ", "
            raise (System.Collections.Generic.KeyNotFoundException $"label {label} was not explained (explained: {known})")

    /// as_map: label → [(feature id, weight)] in LIME's order.
    member e.AsMap = e.Labels |> List.map (fun l -> l.Label, l.Weights) |> Map.ofList

    /// as_list(label): [(feature name, weight)] in LIME's order.
    member e.AsList(label: int) =
        (e.For label).Weights |> Array.map (fun (f, w) -> e.FeatureNames[f], w)

    /// The explained labels.
    member e.AvailableLabels = e.Labels |> List.map (fun l -> l.Label)
