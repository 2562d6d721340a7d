/// Feature maps as a PNG grid: what a layer's channels respond to in one image.
/// Layer: Plots, after Filters.fs. Read next: the C# facade (Model.SaveFeatureMaps).
///
/// The activations of an image layer for one input are C maps of H×W numbers (a convolution's
/// output: where in the image each filter fires). Each map is min-max normalised on its own
/// and drawn as a grey tile, channel c in tile c of a near-square grid.
namespace ScratchML.Plots

open ScratchML
open ScratchML.NN

/// Drawing the activations of one image.
[<RequireQualifiedAccess>]
module FeatureMaps =
    /// Pixels per activation so an H×W map is drawn about 96 pixels wide (at least 1).
    let defaultScale (side: int) = max 1 (96 / max 1 side)

    /// One grey tile per channel of maps [C; H; W] or [1; C; H; W]: cell (i, j) of tile c is
    /// level(a[c,i,j]) with the min and max taken over map c.
    let tiles (maps: Tensor) : Tile list =
        let shape =
            match maps.Shape with
            | [| 1; c; h; w |] | [| c; h; w |] -> [| c; h; w |]
            | other -> invalidArg "maps" $"feature maps are [C; H; W] (or one image [1; C; H; W]), got {Shape.show other}"
        let channels, h, w = shape[0], shape[1], shape[2]
        [ for c in 0 .. channels - 1 ->
            let value i j = maps.At((c * h + i) * w + j)
            let lo, hi = TileGrid.range (seq { for i in 0 .. h - 1 do for j in 0 .. w - 1 -> value i j })
            { Height = h; Width = w; Color = fun i j -> let g = TileGrid.level lo hi (value i j) in g, g, g } ]

    /// Write feature maps [C; H; W] (or [1; C; H; W]) as a PNG, `scale` pixels per activation.
    let save (path: string) (scale: int) (maps: Tensor) =
        let grid = tiles maps
        TileGrid.write path (TileGrid.png (TileGrid.squareColumns grid.Length) scale grid)

    /// Write the feature maps of the model's layer at `index` (0-based) for one image (its
    /// values in any shape with the model's input size) as a PNG; a scale of None draws each
    /// map about 96 pixels wide. The layer's output must be image-shaped [1; C; H; W].
    let saveLayer (path: string) (scale: int option) (model: Model) (index: int) (image: Tensor) =
        if image.Numel <> Shape.numel model.InputShape then
            invalidArg "image" $"one image has {Shape.numel model.InputShape} values ({Shape.show model.InputShape}), got {image.Numel}"
        let x = Tensor.reshape (Array.append [| 1 |] model.InputShape) (Tensor.contiguous image)
        let maps = Model.activations model index x
        if maps.Rank <> 4 then
            let layer = model.Network.Layers[index]
            invalidArg "index" $"layer {index} ({layer.Name}) gives {Shape.show maps.Shape}, not feature maps [1; C; H; W]"
        save path (scale |> Option.defaultValue (defaultScale (max maps.Shape[2] maps.Shape[3]))) maps
