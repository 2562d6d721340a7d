/// The image grid is a real PNG of the computed size, each image scaled to its own range.
module ScratchML.Tests.Plots.ImageGridTests

open System
open System.IO
open Expecto
open SkiaSharp
open ScratchML
open ScratchML.Plots

let private image caption values = { Caption = caption; Values = array2D values; ShowValues = false }

[<Tests>]
let tests = testList "Plots.ImageGrid" [
    test "grey scales each image to its own range; a constant image is mid-grey" {
        Expect.equal (ImageGrid.grey -2.0 2.0 -2.0) 0uy "min is black"
        Expect.equal (ImageGrid.grey -2.0 2.0 2.0) 255uy "max is white"
        Expect.equal (ImageGrid.grey -2.0 2.0 0.0) 128uy "middle"
        Expect.equal (ImageGrid.grey 1.0 1.0 1.0) 128uy "constant"
    }
    test "size and pixels: slots as wide as the widest image, values as cells" {
        let a = image "a" [ [ 0.0; 1.0 ]; [ 2.0; 3.0 ] ]            // 2×2
        let b = image "b" [ [ -1.0; 5.0; 0.0 ] ]                     // 1×3
        let bytes = ImageGrid.render 2 10 [ a; b ]
        use bitmap = SKBitmap.Decode(bytes: byte[])
        // margin 8, slot width 3·10 = 30, slot height 2·10 + caption 22 = 42
        Expect.equal (bitmap.Width, bitmap.Height) (8 + 2 * (30 + 8), 8 + 42 + 8) "size"
        // a is centred in its 30-pixel slot: left = 8 + (30 − 20)/2 = 13; b starts at 8 + 38 = 46
        let at x y = bitmap.GetPixel(x, y).Red
        Expect.equal (at 15 10) 0uy "a[0,0] = 0 is a's minimum: black"
        Expect.equal (at 28 22) 255uy "a[1,1] = 3 is a's maximum: white"
        Expect.equal (at 50 10) 0uy "b[0,0] = −1 is b's minimum: black"
        Expect.equal (at 60 10) 255uy "b[0,1] = 5 is b's maximum: white"
    }
    test "filters: one image per (output, input) channel" {
        let weights = Tensor.ofArray [| 3; 2; 2; 2 |] (Array.init 24 float)
        let images = ImageGrid.ofFilters weights
        Expect.equal (images |> List.map (fun i -> i.Caption)) [ "0.0"; "0.1"; "1.0"; "1.1"; "2.0"; "2.1" ] "captions"
        Expect.equal images[3].Values (array2D [ [ 12.0; 13.0 ]; [ 14.0; 15.0 ] ]) "filter 1, channel 1"
        Expect.throws (fun () -> ImageGrid.ofFilters (Tensor.ofArray [| 2; 2 |] (Array.zeroCreate 4)) |> ignore) "not 4-d"
    }
    test "save writes the PNG atomically" {
        let path = Path.Combine(Path.GetTempPath(), "scratchml-grid-" + Guid.NewGuid().ToString("N"), "g.png")
        try
            ImageGrid.save path 4 8 [ { image "v" [ [ 1.0; 2.0 ] ] with ShowValues = true } ]
            Expect.isTrue (File.Exists path) "written"
            Expect.isFalse (File.Exists(path + ".tmp")) "no temp file"
            use bitmap = SKBitmap.Decode path
            Expect.isNotNull bitmap "decodes"
        finally
            let folder = Path.GetDirectoryName path
            if Directory.Exists folder then Directory.Delete(folder, true)
    }
]
