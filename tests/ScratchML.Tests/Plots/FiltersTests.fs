/// Filter grids: the PNG decodes, has the tile layout's size, and a known filter is drawn,
/// min-max normalised, in its own tile (grey for one input channel, colour for three).
module ScratchML.Tests.Plots.FiltersTests

open System
open System.IO
open Expecto
open SkiaSharp
open ScratchML
open ScratchML.NN
open ScratchML.Plots
open ScratchML.Tests.NN.NNCheck

/// A fresh temporary PNG path; the file is removed after `f`.
let inTempPng (f: string -> unit) =
    let path = Path.Combine(Path.GetTempPath(), $"scratchml-tiles-{Guid.NewGuid():N}.png")
    try f path finally File.Delete path

/// Decode a PNG (fails the test when it does not decode).
let decode (path: string) =
    let bitmap = SKBitmap.Decode path
    Expect.isNotNull bitmap "the PNG decodes"
    bitmap

/// (r, g, b) of a pixel.
let rgb (bitmap: SKBitmap) (x: int) (y: int) =
    let c = bitmap.GetPixel(x, y)
    c.Red, c.Green, c.Blue

/// The colour at the centre of cell (i, j) of tile `index` in a grid.
let cell (bitmap: SKBitmap) (columns: int) (tileHeight: int) (tileWidth: int) (scale: int) (index: int) (i: int) (j: int) =
    let left, top = TileGrid.origin columns tileHeight tileWidth scale index
    rgb bitmap (left + j * scale + scale / 2) (top + i * scale + scale / 2)

[<Tests>]
let tests = testList "Plots.Filters" [
    test "grey filters: grid size, the ramp filter in tile 3, gaps in the background colour" {
        // five 3×3 filters of one input channel: random ones and, in filter 3, a ramp 0.1·k − 0.4
        let weight = random 7 -1.0 1.0 [| 5; 1; 3; 3 |] |> values
        for k in 0 .. 8 do weight[3 * 9 + k] <- 0.1 * float k - 0.4
        let scale = 4
        inTempPng (fun path ->
            Filters.save path scale (tensor [| 5; 1; 3; 3 |] weight)
            use bitmap = decode path
            // ⌈√5⌉ = 3 columns, 2 rows of 12-pixel tiles with 2-pixel gaps
            Expect.equal (bitmap.Width, bitmap.Height) (3 * 12 + 4 * TileGrid.Gap, 2 * 12 + 3 * TileGrid.Gap) "layout size"
            Expect.equal (TileGrid.origin 3 3 3 scale 3) (TileGrid.Gap, 2 * TileGrid.Gap + 12) "tile 3 starts row 2"
            for i in 0 .. 2 do
                for j in 0 .. 2 do
                    let g = byte (Math.Round(255.0 * float (3 * i + j) / 8.0))
                    Expect.equal (cell bitmap 3 3 3 scale 3 i j) (g, g, g) $"ramp cell ({i}, {j})"
            Expect.equal (rgb bitmap 0 0) TileGrid.Background "border"
            Expect.equal (rgb bitmap (TileGrid.Gap + 12) 5) TileGrid.Background "gap between tiles"
            Expect.equal (cell bitmap 3 3 3 scale 5 1 1) TileGrid.Background "the empty sixth slot"
            // every drawn filter spans black to white
            for index in 0 .. 4 do
                let levels = [ for i in 0 .. 2 do for j in 0 .. 2 -> let r, _, _ = cell bitmap 3 3 3 scale index i j in r ]
                Expect.equal (List.min levels, List.max levels) (0uy, 255uy) $"filter {index} normalised")
    }
    test "colour filters: the three input channels are red, green and blue" {
        // filter 1: red slice at the filter's maximum, green at its minimum, blue halfway
        let weight = random 3 -0.5 0.5 [| 2; 3; 2; 2 |] |> values
        for k in 0 .. 3 do
            weight[12 + k] <- 2.0
            weight[12 + 4 + k] <- -2.0
            weight[12 + 8 + k] <- 0.0
        inTempPng (fun path ->
            Filters.save path 5 (tensor [| 2; 3; 2; 2 |] weight)
            use bitmap = decode path
            Expect.equal (bitmap.Width, bitmap.Height) (2 * 10 + 3 * TileGrid.Gap, 10 + 2 * TileGrid.Gap) "two tiles in a row"
            for i in 0 .. 1 do
                for j in 0 .. 1 do
                    Expect.equal (cell bitmap 2 2 2 5 1 i j) (255uy, 0uy, 128uy) $"cell ({i}, {j}) of filter 1")
    }
    test "other input counts: one grey tile per (filter, input channel), a row per filter" {
        let weight = random 5 -1.0 1.0 [| 3; 2; 3; 3 |]
        inTempPng (fun path ->
            Filters.save path 2 weight
            use bitmap = decode path
            Expect.equal (bitmap.Width, bitmap.Height) (2 * 6 + 3 * TileGrid.Gap, 3 * 6 + 4 * TileGrid.Gap) "2 columns, 3 rows")
    }
    test "a model's Conv2d layer is drawn; another layer or a bad weight is a clear error" {
        let net = Sequential.ofSpecs [ LayerSpec.Conv2d (1, 4, (5, 5), Conv2dSpec.Default); LayerSpec.Activation Activation.Relu ]
        let model = Model.create net [| 1; 8; 8 |] DType.Float32 InitScheme.PyTorch 2
        inTempPng (fun path ->
            Filters.saveLayer path None model 0
            use bitmap = decode path
            let scale = Filters.defaultScale 5
            Expect.equal (bitmap.Width, bitmap.Height) (TileGrid.size 2 2 5 5 scale) "2×2 grid of 5×5 filters"
            let weight = snd model.Named.Head
            let w k = weight.At(k)
            let lo, hi = TileGrid.range [ for k in 0 .. 24 -> w (2 * 25 + k) ]
            let g = TileGrid.level lo hi (w (2 * 25 + 1 * 5 + 3))
            Expect.equal (cell bitmap 2 5 5 scale 2 1 3) (g, g, g) "the model's filter 2 in tile 2")
        let e = Expect.throwsC (fun () -> Filters.saveLayer "unused.png" None model 1) id
        Expect.stringContains e.Message "relu1" "names the layer"
        Expect.throwsT<ArgumentException> (fun () -> Filters.tiles (tensor [| 2; 3 |] (Array.zeroCreate 6)) |> ignore) "rank 2"
    }
]
