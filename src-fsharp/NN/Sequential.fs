/// Sequential: layers applied one after another, built from a list of specs with names.
/// Layer: NN, after Dropout.fs. Read next: Losses.fs.
namespace ScratchML.NN

open ScratchML

/// A stack of layers; the output of each is the input of the next: y = fₙ(…f₂(f₁(x))).
type Sequential =
    { Layers: Layer list }
    /// Every parameter, layer by layer, weight before bias (PyTorch's `parameters()` order).
    member s.Parameters = s.Layers |> List.collect (fun l -> l.Parameters)
    /// Every dropout mask the network reads in training.
    member s.Masks = s.Layers |> List.collect (fun l -> l.Masks)
    /// Every buffer (running statistics), layer by layer.
    member s.Buffers = s.Layers |> List.collect (fun l -> l.Buffers)
    /// The architecture, as saved beside the weights.
    member s.Specs = s.Layers |> List.map (fun l -> l.Spec)

/// Building and applying stacks.
[<RequireQualifiedAccess>]
module Sequential =
    /// Build layers from specs, naming them like a PyTorch module with attributes: dense layers
    /// fc1, fc2, …; conv1, …; bn1, …; dropout1, …; flatten1, …; activations by kind (relu1, …).
    let ofSpecs (specs: LayerSpec list) : Sequential =
        let counts = System.Collections.Generic.Dictionary<string, int>()
        let nameFor kind =
            let k = (match counts.TryGetValue kind with | true, c -> c | _ -> 0) + 1
            counts[kind] <- k
            $"{kind}{k}"
        let build spec =
            match spec with
            | LayerSpec.Dense (inputs, outputs) -> Dense.layer (nameFor "fc") inputs outputs
            | LayerSpec.Activation a -> Activations.layer (nameFor (Activations.name a)) a
            | LayerSpec.Dropout p -> Dropout.layer (nameFor "dropout") p
            | LayerSpec.Flatten -> Flatten.layer (nameFor "flatten")
            | LayerSpec.Conv2d (inputs, outputs, kernel, conv) -> Conv2d.layer (nameFor "conv") inputs outputs kernel conv
            | LayerSpec.MaxPool2d pool -> Pool2d.max (nameFor "maxpool") pool
            | LayerSpec.AvgPool2d (pool, countIncludePad) -> Pool2d.average (nameFor "avgpool") pool countIncludePad
            | LayerSpec.BatchNorm2d (channels, eps, momentum) -> BatchNorm2d.layer (nameFor "bn") channels eps momentum
            | LayerSpec.Embedding (vocabulary, dimension) -> SequenceLayers.embedding (nameFor "embedding") vocabulary dimension
            | LayerSpec.Recurrent (spec, readout) -> SequenceLayers.recurrent (nameFor (SequenceLayers.kindName spec.Kind)) spec readout
            | LayerSpec.PoolOverTime pooling -> TimePoolingLayer.layer (nameFor "pool") pooling
        { Layers = specs |> List.map build }

    /// The multi-layer perceptron inputs → hidden₁ → … → outputs with `activation` between
    /// dense layers and none after the last (its outputs are logits).
    let mlp (inputs: int) (hidden: int list) (outputs: int) (activation: Activation) : Sequential =
        let sizes = inputs :: hidden @ [ outputs ]
        let denses = List.pairwise sizes |> List.map LayerSpec.Dense
        let specs =
            denses |> List.mapi (fun i d ->
                if i < denses.Length - 1 then [ d; LayerSpec.Activation activation ] else [ d ])
        ofSpecs (List.concat specs)

    /// The network's output expression for input x: y = fₙ(…f₁(x)) in the given mode.
    let forward (mode: Mode) (net: Sequential) (x: Expr) : Expr =
        net.Layers |> List.fold (fun h layer -> layer.Forward mode h) x

    /// The buffer updates of a training step on input x: each layer's `Updates` applied to
    /// that layer's input in the training graph, as (buffer name, new value) pairs.
    let updates (net: Sequential) (x: Expr) : (string * Expr) list =
        let _, found =
            net.Layers |> List.fold (fun (h, acc) layer -> layer.Forward Mode.Train h, acc @ layer.Updates h) (x, [])
        found
