/// Feature-map grids: a model's activations for one image, one min-max normalised grey tile
/// per channel, in the grid the layout says.
module ScratchML.Tests.Plots.FeatureMapsTests

open System
open Expecto
open ScratchML
open ScratchML.NN
open ScratchML.Plots
open ScratchML.Tests.NN.NNCheck
open ScratchML.Tests.Plots.FiltersTests

[<Tests>]
let tests = testList "Plots.FeatureMaps" [
    test "maps [1; C; H; W]: grid size and a known map in its tile" {
        let maps = random 4 -3.0 3.0 [| 1; 5; 4; 6 |] |> values
        for k in 0 .. 23 do maps[4 * 24 + k] <- float (k % 6)   // channel 4: columns 0..5
        inTempPng (fun path ->
            FeatureMaps.save path 3 (tensor [| 1; 5; 4; 6 |] maps)
            use bitmap = decode path
            Expect.equal (bitmap.Width, bitmap.Height) (TileGrid.size 3 2 4 6 3) "3 columns, 2 rows"
            for i in 0 .. 3 do
                for j in 0 .. 5 do
                    let g = byte (Math.Round(255.0 * float j / 5.0))
                    Expect.equal (cell bitmap 3 4 6 3 4 i j) (g, g, g) $"map 4 cell ({i}, {j})")
    }
    test "a model's convolution maps for one image: the identity filter shows the image" {
        // conv 3×3 with padding 1: filter 0 is the identity (centre 1), filter 1 its negative
        let net = Sequential.ofSpecs [ LayerSpec.Conv2d (1, 2, (3, 3), { Conv2dSpec.Default with Padding = (1, 1) })
                                       LayerSpec.Flatten; LayerSpec.Dense (2 * 5 * 5, 3) ]
        let weight = Array.zeroCreate 18
        weight[4] <- 1.0
        weight[9 + 4] <- -1.0
        let dense = random 3 -1.0 1.0 [| 3; 50 |]
        let model =
            Model.ofValues net [| 1; 5; 5 |] DType.Float64 0
                [ tensor [| 2; 1; 3; 3 |] weight; tensor [| 2 |] [| 0.0; 0.0 |]; dense; tensor [| 3 |] [| 0.0; 0.0; 0.0 |] ]
        let image = random 9 0.0 1.0 [| 25 |]
        let maps = Model.activations model 0 (tensor [| 1; 25 |] (values image))
        Expect.equal maps.Shape [| 1; 2; 5; 5 |] "conv output"
        Expect.equal (Array.take 25 (values maps)) (values image) "identity filter"
        let logits = Model.activations model 2 (tensor [| 1; 25 |] (values image))
        Expect.equal (values logits) (values (Model.predict model (tensor [| 1; 25 |] (values image)))) "last layer = predict"
        inTempPng (fun path ->
            FeatureMaps.saveLayer path (Some 4) model (Model.layerIndex model "conv1") image
            use bitmap = decode path
            Expect.equal (bitmap.Width, bitmap.Height) (TileGrid.size 2 1 5 5 4) "two maps side by side"
            let lo, hi = TileGrid.range (values image)
            for i in 0 .. 4 do
                for j in 0 .. 4 do
                    let g = TileGrid.level lo hi (image.At(i * 5 + j))
                    Expect.equal (cell bitmap 2 5 5 4 0 i j) (g, g, g) $"map 0 = the image at ({i}, {j})"
                    let r, _, _ = cell bitmap 2 5 5 4 1 i j
                    Expect.equal r (255uy - g) $"map 1 = the negative at ({i}, {j})")
        let e = Expect.throwsC (fun () -> FeatureMaps.saveLayer "unused.png" None model 2 image) id
        Expect.stringContains e.Message "fc1" "a dense layer has no feature maps"
        let e = Expect.throwsC (fun () -> Model.layerIndex model "conv9" |> ignore) id
        Expect.stringContains e.Message "conv1, flatten1, fc1" "lists the layers"
    }
]
