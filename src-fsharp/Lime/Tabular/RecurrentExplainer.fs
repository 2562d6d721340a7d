/// RecurrentTabularExplainer: explain a sequence model by flattening each (timesteps × features)
/// sample into one row of features × timesteps columns, named NAME_t-k (k steps before the last).
/// Layer: Lime/Tabular. Read next: Text/PyRegex.fs.
namespace ScratchML.Lime

/// A tabular explainer over flattened sequences, remembering the sequence shape.
type RecurrentExplainer =
    { Tabular: TabularExplainer
      Timesteps: int
      Features: int }

[<RequireQualifiedAccess>]
module Recurrent =
    /// Flat column of (timestep t, feature f): f·T + t (LIME transposes to features × timesteps).
    let column (timesteps: int) (t: int) (f: int) = f * timesteps + t

    /// Flatten samples [n][T][F] into rows of F·T columns in LIME's order.
    let flatten (samples: float[,][]) =
        let n = samples.Length
        let steps, feats = Array2D.length1 samples[0], Array2D.length2 samples[0]
        Array2D.init n (feats * steps) (fun i c -> samples[i][c % steps, c / steps])

    /// Back from flat rows to [n][T][F].
    let unflatten (timesteps: int) (features: int) (rows: float[,]) =
        Array.init (Array2D.length1 rows) (fun i ->
            Array2D.init timesteps features (fun t f -> rows[i, column timesteps t f]))

    /// Build from training sequences [n][timesteps × features]; names become NAME_t-(T−1−t)
    /// (default names feature0, feature1, …).
    let create (options: TabularOptions) (training: float[,][]) =
        if training.Length = 0 then invalidArg "training" "no training sequences"
        let steps, feats = Array2D.length1 training[0], Array2D.length2 training[0]
        for s in training do
            if Array2D.length1 s <> steps || Array2D.length2 s <> feats then
                invalidArg "training" "every training sequence must have the same timesteps × features shape"
        let baseNames = if options.FeatureNames.Length = 0 then Array.init feats (sprintf "feature%d") else options.FeatureNames
        if baseNames.Length <> feats then invalidArg "FeatureNames" $"{baseNames.Length} names for {feats} features"
        let names = [| for n in baseNames do for t in 0 .. steps - 1 -> $"{n}_t-{steps - (t + 1)}" |]
        { Tabular = Tabular.create { options with FeatureNames = names } (flatten training)
          Timesteps = steps
          Features = feats }

    /// Explain one sequence (timesteps × features); the classifier receives sequences.
    let explain (ex: RecurrentExplainer) (sequence: float[,]) (classifier: float[,][] -> float[,])
                (options: TabularExplainOptions) =
        if Array2D.length1 sequence <> ex.Timesteps || Array2D.length2 sequence <> ex.Features then
            invalidArg "sequence" $"sequence is {Array2D.length1 sequence}×{Array2D.length2 sequence}, expected {ex.Timesteps}×{ex.Features}"
        let row = (flatten [| sequence |])
        let flat = Array.init (Array2D.length2 row) (fun c -> row[0, c])
        Tabular.explain ex.Tabular flat (fun rows -> classifier (unflatten ex.Timesteps ex.Features rows)) options
