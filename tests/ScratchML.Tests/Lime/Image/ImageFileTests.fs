/// Tests of Lime/Image/ImageFile.fs: the PPM reader (W6's image, malformed headers), SkiaSharp
/// PNG round trip, and errors that name the file.
module ScratchML.Tests.Lime.Image.ImageFileTests

open System
open System.IO
open System.Text
open Expecto
open ScratchML.Lime.Image

let private ppm (header: string) (raster: byte[]) = Array.append (Encoding.ASCII.GetBytes header) raster

let private expectError (path: string) (bytes: byte[]) (fragment: string) =
    let e = Expect.throwsC (fun () -> ImageFile.parsePpm path bytes |> ignore) id
    Expect.stringContains e.Message path "names the file"
    Expect.stringContains e.Message fragment "says why"

let private temp (ext: string) = Path.Combine(Path.GetTempPath(), $"scratchml-{Guid.NewGuid():N}{ext}")

[<Tests>]
let tests =
    testList "Lime.Image.ImageFile" [
        test "a 2×1 P6 with a comment reads as byte/255, row-major RGB" {
            let image = ImageFile.parsePpm "a.ppm" (ppm "P6\n# made by hand\n2 1\n255\n" [| 255uy; 0uy; 51uy; 0uy; 128uy; 255uy |])
            Expect.equal (image.Height, image.Width) (1, 2) "size"
            Expect.sequenceEqual image.Pixels [| 1.0; 0.0; 51.0 / 255.0; 0.0; 128.0 / 255.0; 1.0 |] "pixels"
        }
        test "16-bit samples are big-endian over maxval" {
            let image = ImageFile.parsePpm "b.ppm" (ppm "P6 1 1 1000\n" [| 3uy; 232uy; 0uy; 0uy; 1uy; 244uy |])
            Expect.sequenceEqual image.Pixels [| 1.0; 0.0; 0.5 |] "pixels"
        }
        test "malformed PPMs fail with the file name and the reason" {
            expectError "short.ppm" (ppm "P6 2 2 255\n" [| 1uy; 2uy; 3uy |]) "raster too short"
            expectError "grey.ppm" (ppm "P5 2 2 255\n" (Array.zeroCreate 4)) "1 channel"
            expectError "text.ppm" (ppm "P3 1 1 255\n1 2 3" [||]) "P3"
            expectError "bad.ppm" (ppm "P6 two 2 255\n" [||]) "width"
            expectError "cut.ppm" (ppm "P6 2" [||]) "height"
        }
        test "PNG round trip through SkiaSharp keeps the bytes" {
            let pixels = [| for i in 0 .. 4 * 3 * 3 - 1 -> float ((i * 37) % 256) / 255.0 |]
            let image = RgbImage.create 4 3 pixels
            let path = temp ".png"
            try
                File.WriteAllBytes(path, ImageFile.toPng image)
                let back = ImageFile.load path
                Expect.equal (back.Height, back.Width) (4, 3) "size"
                Expect.sequenceEqual back.Pixels pixels "pixels"
            finally File.Delete path
        }
        test "JPEG decodes through SkiaSharp (lossy: within 0.05 of a smooth image)" {
            let pixels = [| for r in 0 .. 15 do for c in 0 .. 15 do for k in 0 .. 2 -> 0.1 + 0.025 * float (r + c + k) |]
            use bitmap = new SkiaSharp.SKBitmap(16, 16)
            for r in 0 .. 15 do
                for c in 0 .. 15 do
                    let v k = byte (Math.Round(255.0 * pixels[(r * 16 + c) * 3 + k]))
                    bitmap.SetPixel(c, r, SkiaSharp.SKColor(v 0, v 1, v 2))
            let path = temp ".jpg"
            try
                do
                    use data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 100)
                    File.WriteAllBytes(path, data.ToArray())
                let back = ImageFile.load path
                Expect.equal (back.Height, back.Width) (16, 16) "size"
                Array.iter2 (fun a e -> Expect.isLessThan (abs (a - e)) 0.05 "close") back.Pixels pixels
            finally File.Delete path
        }
        test "greyscale PNG becomes R = G = B; transparent PNG is an error naming the file" {
            let grey = new SkiaSharp.SKBitmap(SkiaSharp.SKImageInfo(2, 1, SkiaSharp.SKColorType.Gray8))
            grey.SetPixel(0, 0, SkiaSharp.SKColor(51uy, 51uy, 51uy))
            grey.SetPixel(1, 0, SkiaSharp.SKColor(204uy, 204uy, 204uy))
            let path = temp ".png"
            try
                do
                    use data = grey.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100)
                    File.WriteAllBytes(path, data.ToArray())
                let back = ImageFile.load path
                Expect.sequenceEqual back.Pixels [| 0.2; 0.2; 0.2; 0.8; 0.8; 0.8 |] "grey → RGB"
                use rgba = new SkiaSharp.SKBitmap(SkiaSharp.SKImageInfo(1, 1, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul))
                rgba.SetPixel(0, 0, SkiaSharp.SKColor(10uy, 20uy, 30uy, 128uy))
                do
                    use data = rgba.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100)
                    File.WriteAllBytes(path, data.ToArray())
                let e = Expect.throwsC (fun () -> ImageFile.load path |> ignore) id
                Expect.stringContains e.Message path "names the file"
                Expect.stringContains e.Message "4 channels" "says why"
            finally
                grey.Dispose()
                File.Delete path
        }
        test "a file that is no image, or missing, fails naming the file" {
            let path = temp ".png"
            try
                File.WriteAllText(path, "this is not an image")
                let e = Expect.throwsC (fun () -> ImageFile.load path |> ignore) id
                Expect.stringContains e.Message path "names the file"
            finally File.Delete path
            let missing = temp ".jpg"
            let e = Expect.throwsC (fun () -> ImageFile.load missing |> ignore) id
            Expect.stringContains e.Message missing "names the missing file"
        }
        test "an image of the wrong shape is rejected with the expected shape" {
            let e = Expect.throwsC (fun () -> RgbImage.ofShape [| 4; 4 |] (Array.zeroCreate 16) |> ignore) id
            Expect.stringContains e.Message "[H; W; 3]" "rank"
            let e = Expect.throwsC (fun () -> RgbImage.ofShape [| 2; 2; 4 |] (Array.zeroCreate 16) |> ignore) id
            Expect.stringContains e.Message "[H; W; 3]" "channels"
        }
    ]
