/// The training curve is a real PNG: written atomically, decodable, of the asked size, drawn.
module ScratchML.Tests.Plots.TrainingCurveTests

open System
open System.IO
open Expecto
open SkiaSharp
open ScratchML.NN
open ScratchML.Plots

/// A made-up history of n epochs: loss falling, accuracy rising; validation optional.
let private history (n: int) (withValidation: bool) =
    [ for e in 1 .. n ->
        { Epoch = e; Loss = 1.0 / float e; Accuracy = 1.0 - 0.5 / float e
          ValidationLoss = (if withValidation then 1.2 / float e else nan)
          ValidationAccuracy = (if withValidation then 0.9 - 0.5 / float e else nan)
          Seconds = 0.1 } ]

/// A fresh temporary folder, removed after `f`.
let private inTemp (f: string -> unit) =
    let folder = Path.Combine(Path.GetTempPath(), "scratchml-plot-" + Guid.NewGuid().ToString("N"))
    try f folder finally if Directory.Exists folder then Directory.Delete(folder, true)

/// Decode a PNG and count its non-white pixels and distinct colours.
let private inspect (path: string) =
    use bitmap = SKBitmap.Decode path
    Expect.isNotNull bitmap "the PNG decodes"
    let pixels = bitmap.Pixels
    let nonWhite = pixels |> Array.filter (fun c -> c.Red < 250uy || c.Green < 250uy || c.Blue < 250uy) |> Array.length
    bitmap.Width, bitmap.Height, float nonWhite / float pixels.Length, (pixels |> Array.distinct).Length

[<Tests>]
let tests = testList "Plots.TrainingCurve" [
    for withValidation in [ true; false ] do
        testCase $"PNG written, decodes, not blank (validation {withValidation})" (fun () ->
            inTemp (fun folder ->
                let path = Path.Combine(folder, "sub", "curve.png")   // the folder is created
                TrainingCurve.save path 640 400 (history 5 withValidation)
                Expect.isTrue (File.Exists path) "the PNG exists"
                Expect.isFalse (File.Exists(path + ".tmp")) "no temp file is left behind"
                let header = File.ReadAllBytes(path)[0..7]
                Expect.sequenceEqual header [| 0x89uy; 0x50uy; 0x4Euy; 0x47uy; 0x0Duy; 0x0Auy; 0x1Auy; 0x0Auy |] "PNG signature"
                let width, height, inked, colours = inspect path
                Expect.equal (width, height) (640, 400) "the asked size"
                // Axes, ticks, labels, 2–4 coloured lines and a legend: a few % of the pixels, many colours.
                Expect.isGreaterThan inked 0.01 $"inked fraction {inked}"
                Expect.isLessThan inked 0.5 $"inked fraction {inked}"
                Expect.isGreaterThan colours 20 $"distinct colours {colours}"))
    testCase "overwrites an existing file" (fun () ->
        inTemp (fun folder ->
            Directory.CreateDirectory folder |> ignore
            let path = Path.Combine(folder, "curve.png")
            File.WriteAllText(path, "old")
            TrainingCurve.save path 320 200 (history 2 true)
            let width, height, _, _ = inspect path
            Expect.equal (width, height) (320, 200) "replaced by the PNG"))
    testCase "an empty history is refused" (fun () ->
        Expect.throwsT<ArgumentException> (fun () -> TrainingCurve.plot [] |> ignore) "empty history")
]
