/// Layers over token sequences: an embedding table and a recurrent stack, batch-first.
/// Layer: NN, after BatchNorm.fs. Read next: Sequential.fs.
///
/// Thin wrappers: the lookup is Embedding.lookup, the unrolled recurrence is Recurrent.run
/// (Recurrent.fs explains the graph and BPTT); here they only get names and initialisers.
namespace ScratchML.NN

open ScratchML

/// Embedding and recurrent layers.
[<RequireQualifiedAccess>]
module SequenceLayers =
    /// An embedding named `name`: "<name>.weight" [vocabulary; dimension], drawn N(0, 1) as
    /// nn.Embedding. y[…, :] = W[x[…], :]   x: ids [batch; …] → [batch; …; dimension].
    let embedding (name: string) (vocabulary: int) (dimension: int) : Layer =
        if vocabulary < 1 || dimension < 1 then
            invalidArg "vocabulary" $"an embedding needs positive sizes, got {vocabulary} × {dimension}"
        let weight = Embedding.weight $"{name}.weight" vocabulary dimension
        { Layer.stateless name (LayerSpec.Embedding (vocabulary, dimension)) (fun _ x -> Embedding.lookup weight x) with
            Parameters = [ { Var = weight; FanIn = dimension; Init = ParameterInit.Normal 1.0 } ] }

    /// A recurrent stack named `name` with PyTorch's parameter names under it
    /// ("<name>.weight_ih_l0", …), each drawn U(±1/√H) as nn.LSTM/GRU/RNN (fan_in H, so the
    /// splitmix scheme draws the same bound). Input [batch; T; I] (the spec is made batch-first);
    /// output per `readout`: h_T of the last layer [batch; D·H] or every step [batch; T; D·H].
    let recurrent (name: string) (spec: RecurrentSpec) (readout: Readout) : Layer =
        let spec = { spec with BatchFirst = true }
        let variables = Recurrent.variables $"{name}." spec
        let bound = 1.0 / sqrt (float spec.HiddenSize)
        let parameters =
            [ for parameter, _ in Recurrent.parameterShapes spec ->
                { Var = variables[parameter]; FanIn = spec.HiddenSize; Init = ParameterInit.Uniform bound } ]
        let forward _ (x: Expr) =
            if x.Rank <> 3 || x.Shape[2] <> spec.InputSize then
                invalidArg "x" $"{name} expects [batch; T; {spec.InputSize}], got {Shape.show x.Shape}"
            let result = Recurrent.run spec variables x None None None
            match readout with
            | Readout.Sequence -> result.Output
            | Readout.Last ->
                let last = (spec.NumLayers - 1) * spec.Directions
                let rows = [ for k in last .. last + spec.Directions - 1 -> Expr.slice [ Slice.Index k ] result.HN ]
                match rows with
                | [ h ] -> h
                | _ -> Expr.concat 1 rows
        { Layer.stateless name (LayerSpec.Recurrent (spec, readout)) forward with Parameters = parameters }

    /// The lower-case kind of a recurrent layer, its name prefix ("lstm", "gru", "rnn").
    let kindName (kind: CellKind) =
        match kind with
        | CellKind.Lstm -> "lstm"
        | CellKind.Gru -> "gru"
        | CellKind.RnnTanh | CellKind.RnnRelu -> "rnn"
