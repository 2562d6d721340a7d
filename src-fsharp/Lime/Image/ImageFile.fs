/// Reading and writing image files: PNG/JPEG (and whatever else Skia decodes) through SkiaSharp,
/// a maintained codec; binary PPM (P6: a text header, then raw bytes) read here, it is that simple.
/// Layer: Lime/Image. Every error names the file. Read next: ImageExplanation.fs.
namespace ScratchML.Lime.Image

open System
open System.IO
open System.Text
open SkiaSharp

[<RequireQualifiedAccess>]
module ImageFile =
    let private fail (path: string) (reason: string) : 'a =
        raise (InvalidDataException $"image file '{path}': {reason}")

    /// Parse a binary PPM: "P6", width, height, maxval (whitespace-separated, '#' comments to end
    /// of line), one whitespace byte, then H·W·3 samples (1 byte if maxval < 256, else 2 big-endian).
    /// Pixel value = sample / maxval.
    let parsePpm (path: string) (bytes: byte[]) : RgbImage =
        let mutable pos = 0
        let skipSpaceAndComments () =
            let mutable go = true
            while go && pos < bytes.Length do
                if bytes[pos] = byte '#' then
                    while pos < bytes.Length && bytes[pos] <> byte '\n' do pos <- pos + 1
                elif Char.IsWhiteSpace(char bytes[pos]) then pos <- pos + 1
                else go <- false
        let token what =
            skipSpaceAndComments ()
            let start = pos
            let isText i = not (Char.IsWhiteSpace(char bytes[i])) && bytes[i] <> byte '#'
            while pos < bytes.Length && isText pos do
                pos <- pos + 1
            if pos = start then fail path $"truncated header: expected {what}"
            Encoding.ASCII.GetString(bytes, start, pos - start)
        let number what =
            let t = token what
            match Int32.TryParse t with
            | true, v when v > 0 -> v
            | _ -> fail path $"header {what} must be a positive integer, got '{t}'"
        if bytes.Length < 2 || bytes[0] <> byte 'P' then
            fail path "not a PPM file (no 'P' magic number)"
        match token "magic number" with
        | "P6" -> ()
        | "P5" ->
            fail path "is a greyscale PGM (P5, 1 channel); expected an RGB PPM (P6, 3 channels)"
        | "P3" -> fail path "is a plain-text PPM (P3); only binary PPM (P6) is read"
        | m -> fail path $"magic number '{m}' is not binary PPM (P6)"
        let width = number "width"
        let height = number "height"
        let maxval = number "maxval"
        if maxval > 65535 then fail path $"maxval {maxval} exceeds 65535"
        // Exactly one whitespace byte separates the header from the raster.
        if pos >= bytes.Length || not (Char.IsWhiteSpace(char bytes[pos])) then
            fail path "no whitespace after maxval"
        pos <- pos + 1
        let sampleBytes = if maxval < 256 then 1 else 2
        let expected = int64 width * int64 height * 3L * int64 sampleBytes
        let available = int64 (bytes.Length - pos)
        if available < expected then
            fail path
                $"raster too short: {width}×{height}×3 samples need {expected} bytes, found {available}"
        let scale = 1.0 / float maxval
        let pixels =
            Array.init (width * height * 3) (fun i ->
                let v =
                    if sampleBytes = 1 then int bytes[pos + i]
                    else (int bytes[pos + 2 * i] <<< 8) ||| int bytes[pos + 2 * i + 1]
                if v > maxval then fail path $"sample {i} is {v}, above maxval {maxval}"
                // uint8 / 255 exactly as NumPy computes it (one division, not a multiplication).
                if maxval = 255 then float v / 255.0 else float v * scale)
        RgbImage.create height width pixels

    /// Decode with SkiaSharp to RGBA8888 (unpremultiplied), then to RGB in [0, 1] (byte / 255).
    /// Greyscale becomes R = G = B (as LIME's gray2rgb); transparent pixels are an error.
    let decode (path: string) (bytes: byte[]) : RgbImage =
        use data = SKData.CreateCopy bytes
        use codec = SKCodec.Create data
        if isNull codec then
            fail path "SkiaSharp cannot decode it (not a PNG, JPEG, WebP, GIF or BMP image, or corrupt)"
        let info =
            SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul)
        use bitmap = new SKBitmap(info)
        match codec.GetPixels(info, bitmap.GetPixels()) with
        | SKCodecResult.Success -> ()
        | r -> fail path $"decoding failed ({r})"
        let rgba = bitmap.Bytes
        let n = info.Width * info.Height
        let pixels = Array.zeroCreate<float> (n * 3)
        for p in 0 .. n - 1 do
            if rgba[p * 4 + 3] <> 255uy then
                let alpha = rgba[p * 4 + 3]
                fail path
                    $"has transparent pixels (4 channels, RGBA; pixel {p} alpha {alpha}); an RGB image (3 channels) is expected"
            for k in 0 .. 2 do pixels[p * 3 + k] <- float rgba[p * 4 + k] / 255.0
        RgbImage.create info.Height info.Width pixels

    /// Load an image file: `.ppm` by the P6 reader, anything else by SkiaSharp.
    let load (path: string) : RgbImage =
        if not (File.Exists path) then
            raise (FileNotFoundException($"image file '{path}' does not exist", path))
        let bytes = File.ReadAllBytes path
        // Netpbm files start with P1..P7; the PPM reader then names the unsupported kinds.
        if bytes.Length >= 2 && bytes[0] = byte 'P' && bytes[1] >= byte '1' && bytes[1] <= byte '7' then
            parsePpm path bytes
        else decode path bytes

    /// Encode an image as PNG bytes (each value clamped to [0, 1], ×255, rounded).
    let toPng (image: RgbImage) : byte[] =
        let info = SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul)
        use bitmap = new SKBitmap(info)
        let rgba = Array.zeroCreate<byte> (image.PixelCount * 4)
        for p in 0 .. image.PixelCount - 1 do
            for k in 0 .. 2 do
                let v = Math.Clamp(image.Pixels[p * 3 + k], 0.0, 1.0)
                rgba[p * 4 + k] <- byte (Math.Round(255.0 * v))
            rgba[p * 4 + 3] <- 255uy
        Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length)
        use encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100)
        encoded.ToArray()
