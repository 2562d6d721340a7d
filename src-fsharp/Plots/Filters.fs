/// A convolution's learned filters as a PNG grid: what each output channel looks for.
/// Layer: Plots, after TileGrid.fs. Read next: FeatureMaps.fs.
///
/// A Conv2d weight W [C_out; C_in; kH; kW] holds one filter W[o] per output channel. Each filter
/// is min-max normalised on its own (its smallest weight black, its largest white), so the
/// pattern shows whatever the filter's scale. With one input channel a filter is a grey tile;
/// with three (an RGB image) its three slices are the red, green and blue of one colour tile;
/// with any other count each input slice gets its own grey tile, one grid row per filter.
namespace ScratchML.Plots

open ScratchML
open ScratchML.NN

/// Drawing convolution filters.
[<RequireQualifiedAccess>]
module Filters =
    /// Pixels per weight so a kH×kW filter is drawn about 64 pixels wide (at least 1).
    let defaultScale (kernel: int) = max 1 (64 / max 1 kernel)

    /// The tiles and grid columns of a weight [C_out; C_in; kH; kW]: tile o (or row o) is
    /// filter o, every cell level(W[o,c,i,j]) with the min and max taken over all of W[o].
    let tiles (weight: Tensor) : Tile list * int =
        if weight.Rank <> 4 then
            invalidArg "weight" $"a Conv2d weight is [C_out; C_in; kH; kW], got {Shape.show weight.Shape}"
        let outputs, inputs, kh, kw = weight.Shape[0], weight.Shape[1], weight.Shape[2], weight.Shape[3]
        let value o c i j = weight.At(((o * inputs + c) * kh + i) * kw + j)
        let filterRange o = TileGrid.range (seq { for c in 0 .. inputs - 1 do for i in 0 .. kh - 1 do for j in 0 .. kw - 1 -> value o c i j })
        let ranges = Array.init outputs filterRange
        let level o c i j = let lo, hi = ranges[o] in TileGrid.level lo hi (value o c i j)
        let tile color = { Height = kh; Width = kw; Color = color }
        match inputs with
        | 1 -> [ for o in 0 .. outputs - 1 -> tile (fun i j -> let g = level o 0 i j in g, g, g) ], TileGrid.squareColumns outputs
        | 3 -> [ for o in 0 .. outputs - 1 -> tile (fun i j -> level o 0 i j, level o 1 i j, level o 2 i j) ], TileGrid.squareColumns outputs
        | _ -> [ for o in 0 .. outputs - 1 do for c in 0 .. inputs - 1 -> tile (fun i j -> let g = level o c i j in g, g, g) ], inputs

    /// Write the filters of a weight [C_out; C_in; kH; kW] as a PNG, `scale` pixels per weight.
    let save (path: string) (scale: int) (weight: Tensor) =
        let grid, columns = tiles weight
        TileGrid.write path (TileGrid.png columns scale grid)

    /// Write the filters of the model's Conv2d layer at `index` (0-based) as a PNG; a scale of
    /// None draws each filter about 64 pixels wide.
    let saveLayer (path: string) (scale: int option) (model: Model) (index: int) =
        let layers = model.Network.Layers
        if index < 0 || index >= layers.Length then
            invalidArg "index" $"layer index {index} is not in 0..{layers.Length - 1}"
        let layer = layers[index]
        match layer.Spec with
        | LayerSpec.Conv2d (_, _, (kh, kw), _) ->
            let weight = model.Named |> List.find (fun (name, _) -> name = $"{layer.Name}.weight") |> snd
            save path (scale |> Option.defaultValue (defaultScale (max kh kw))) weight
        | _ -> invalidArg "index" $"layer {index} ({layer.Name}) is not a Conv2d layer: it has no filters to draw"
