/// The image classifier through the facade and `scratchml explain image` / `train catsdogs`: a tiny
/// CNN trained in seconds on reddish vs bluish 8×8 images, saved, loaded, asked about the shipped
/// photos and explained; bad images and arguments give one clear line and exit code 2.
module ScratchML.Tests.Facade.ImageClassifierTests

open System
open System.IO
open Expecto
open ScratchML
open ScratchML.Tests
open ScratchML.Tests.Facade.CliTests

let private photos = Path.Combine(Fixtures.repoRoot, "data", "photos")
let private chelsea = Path.Combine(photos, "chelsea.png")
let private temp (ext: string) = Path.Combine(Path.GetTempPath(), $"scratchml-{Guid.NewGuid():N}{ext}")

/// n images 8×8: class 0 has a bright red left or right half, class 1 a bright blue one, on noise.
let private toySet (seed: int) (n: int) =
    let rng = SplitMix64(seed)
    let images = Array4D.zeroCreate n 8 8 3
    let labels = Array.init n (fun i -> i % 2)
    for i in 0 .. n - 1 do
        let channel = if labels[i] = 0 then 0 else 2
        let left = rng.Below 2 = 0
        for r in 0 .. 7 do
            for c in 0 .. 7 do
                for k in 0 .. 2 do
                    let bright = k = channel && ((c < 4) = left)
                    images[i, r, c, k] <- Math.Clamp(0.3 * rng.Uniform() + (if bright then 0.7 else 0.0), 0.0, 1.0)
    ImageSet(images, labels, [| "red"; "blue" |])

let private tinyNetwork () =
    Sequential(Conv2d(3, 4, 3, padding = 1), Activation.Relu, MaxPool2d(2), Flatten(), Dense(4 * 4 * 4, 2))

let private tiny =
    lazy (ImageClassifier.Train(toySet 1 200, tinyNetwork (), epochs = 6, batchSize = 20, optimizer = Adam(0.01), seed = 0))

/// The tiny classifier saved once for the CLI tests.
let private tinyFile =
    lazy
        let path = temp ".safetensors"
        tiny.Value.Save path
        path

/// A solid colour photo h×w×3.
let private solid h w (rgb: float[]) = Array3D.init h w 3 (fun _ _ k -> rgb[k])

[<Tests>]
let tests =
    testList "Facade.ImageClassifier" [
        test "the tiny CNN learns red vs blue (held-out accuracy ≥ 95%)" {
            let result = tiny.Value.Evaluate(toySet 2 100)
            Expect.isGreaterThanOrEqual result.Accuracy 0.95 "held-out accuracy"
            Expect.equal tiny.Value.History.Count 6 "one result per epoch"
        }
        test "a large photo is resized to the network's input: a red 100×60 image is 'red'" {
            let p = tiny.Value.Predict(solid 100 60 [| 0.95; 0.1; 0.1 |])
            Expect.equal p.ClassName "red" "class"
            Expect.floatClose Accuracy.veryHigh (Seq.sum (Seq.cast<float> p.Probabilities)) 1.0 "probabilities sum to 1"
            let q = tiny.Value.Predict(solid 100 60 [| 0.1; 0.1; 0.95 |])
            Expect.equal q.ClassName "blue" "class"
        }
        test "saving and loading keeps the class names and every probability" {
            let loaded = ImageClassifier.Load tinyFile.Value
            Expect.sequenceEqual loaded.ClassNames [ "red"; "blue" ] "class names"
            let photo = ImageClassifier.LoadImage chelsea
            Expect.sequenceEqual (loaded.Predict photo).Probabilities (tiny.Value.Predict photo).Probabilities "bit-identical"
        }
        test "a plain model file is not an image classifier" {
            let path = temp ".safetensors"
            Model(Sequential(Dense(2, 2)), seed = 0).Save path
            let e = Expect.throwsC (fun () -> ImageClassifier.Load path |> ignore) id
            Expect.isTrue (e :? InvalidDataException) e.Message
            Expect.stringContains e.Message path "names the file"
        }
        test "explaining the shipped chelsea photo writes a report with the overlay; the seed fixes it" {
            let photo = ImageClassifier.LoadImage chelsea
            Expect.equal (photo.GetLength 0, photo.GetLength 1, photo.GetLength 2) (224, 224, 3) "224×224 RGB"
            let explain () = tiny.Value.Explain(photo, ImageSegmentation.Slic, displaySize = 64, numSamples = 80, seed = 3)
            let e = explain ()
            Expect.equal e.ClassNames.[e.Label] (tiny.Value.Predict photo).ClassName "explains the predicted class"
            Expect.isGreaterThan e.Weights.Count 5 "several superpixels"
            Expect.sequenceEqual [ for w in explain().Weights -> w.Weight ] [ for w in e.Weights -> w.Weight ] "same seed"
            let report = temp ".html"
            e.SaveHtml report
            let html = File.ReadAllText report
            Expect.stringContains html "data:image/png;base64," "inline PNG figures"
            Expect.stringContains html "superpixel" "superpixel names"
        }
        test "bad images and arguments are ArgumentExceptions naming the parameter" {
            let e = Expect.throwsC (fun () -> tiny.Value.Predict(Array3D.zeroCreate 4 4 4) |> ignore) id
            Expect.equal (e :?> ArgumentException).ParamName "image" "4 channels"
            let e2 = Expect.throwsC (fun () -> tiny.Value.Predict(solid 4 4 [| 2.0; 0.0; 0.0 |]) |> ignore) id
            Expect.stringContains e2.Message "not in [0, 1]" "range"
            let e3 = Expect.throwsC (fun () -> ImageSet(Array4D.zeroCreate 2 4 4 3, [| 0; 5 |], [| "a"; "b" |]) |> ignore) id
            Expect.equal (e3 :?> ArgumentException).ParamName "labels" "label 5"
        }
        test "CLI: explain image classifies and explains a shipped photo and writes the report" {
            let report = temp ".html"
            let code, out, err =
                scratchml [ "explain"; "image"; Path.Combine(photos, "dog.jpg"); "--model"; tinyFile.Value
                            "--segmenter"; "slic"; "--size"; "64"; "--samples"; "60"; "--out"; report ]
            Expect.equal code 0 err
            Expect.stringContains out "dog.jpg (224×224, seen as 8×8)" "what the model sees"
            Expect.stringContains out "superpixel" "top superpixels"
            Expect.isTrue (File.Exists report) "report written"
        }
        test "CLI: a file that is not an image is one line naming it, exit 2" {
            let path = temp ".jpg"
            File.WriteAllText(path, "not a picture")
            rejects [ "explain"; "image"; path; "--model"; tinyFile.Value ] path
        }
        test "CLI: a greyscale PGM or a transparent PNG is a channel-count error, exit 2" {
            let pgm = temp ".pgm"
            File.WriteAllBytes(pgm, Array.append (Text.Encoding.ASCII.GetBytes "P5 2 2 255\n") [| 0uy; 1uy; 2uy; 3uy |])
            rejects [ "explain"; "image"; pgm; "--model"; tinyFile.Value ] "1 channel"
            let png = temp ".png"
            use bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(2, 2, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul))
            bitmap.Erase(SkiaSharp.SKColor(10uy, 20uy, 30uy, 128uy))
            File.WriteAllBytes(png, bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100).ToArray())
            rejects [ "explain"; "image"; png; "--model"; tinyFile.Value ] "4 channels"
        }
        test "CLI: a missing photo, a missing model, an unknown segmenter are one line each, exit 2" {
            rejects [ "explain"; "image"; temp ".jpg"; "--model"; tinyFile.Value ] "does not exist"
            rejects [ "explain"; "image"; chelsea; "--model"; temp ".safetensors" ] "scratchml train catsdogs"
            rejects [ "explain"; "image"; chelsea; "--model"; tinyFile.Value; "--segmenter"; "watershed" ] "unknown 'watershed'"
            rejects [ "train"; "catsdogs"; "--epochs"; "0" ] "--epochs must be at least 1"
        }
    ]
