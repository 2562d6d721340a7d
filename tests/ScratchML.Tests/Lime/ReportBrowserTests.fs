/// The HTML reports rendered by a real browser: headless Chromium loads a tabular, a text and an
/// image report and screenshots them; the PNG (decoded with SkiaSharp) must show the page (not
/// blank, many colours) and the bar colours of both signs (#ff7f0e towards, #1f77b4 against).
/// Chromium missing: a failure when CI=true (CI installs it in .ci/run), a skip locally.
module ScratchML.Tests.Lime.ReportBrowserTests

open System
open System.Diagnostics
open System.IO
open Expecto
open SkiaSharp
open ScratchML
open ScratchML.Lime
open ScratchML.Lime.Image

/// The chromium executable on PATH, if any.
let chromium () =
    let path = Environment.GetEnvironmentVariable "PATH" |> Option.ofObj |> Option.defaultValue ""
    [ for dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries) do
        for name in [ "chromium"; "chromium-browser" ] -> Path.Combine(dir, name) ]
    |> List.tryFind File.Exists

/// Screenshot `html` at 800×`height` with headless Chromium; the PNG's path.
let screenshot (exe: string) (name: string) (html: string) (height: int) =
    let dir = Directory.CreateTempSubdirectory("scratchml-chromium").FullName
    let page = Path.Combine(dir, name + ".html")
    let png = Path.Combine(dir, name + ".png")
    File.WriteAllText(page, html)
    let profile = Path.Combine(dir, "profile")
    let info = ProcessStartInfo(exe, RedirectStandardOutput = true, RedirectStandardError = true)
    for a in [ "--headless"; "--no-sandbox"; "--disable-gpu"; "--no-first-run"
               "--disable-background-networking"; "--disable-component-update"; "--disable-sync"
               "--disable-quic"; $"--user-data-dir={profile}"
               $"--window-size=800,{height}"; $"--screenshot={png}"; Uri(page).AbsoluteUri ] do
        info.ArgumentList.Add a
    use p = Process.Start info
    let err = p.StandardError.ReadToEndAsync()
    p.StandardOutput.ReadToEnd() |> ignore
    if not (p.WaitForExit 90_000) then
        p.Kill true
        failtest $"chromium did not finish in 90 s on {page}"
    if not (File.Exists png) then failtest $"chromium wrote no screenshot (exit {p.ExitCode}): {err.Result}"
    png

/// Pixel counts of a decoded PNG: colour → count.
let histogram (png: string) =
    use bitmap = SKBitmap.Decode png
    Expect.isNotNull bitmap $"{png} decodes as an image"
    let counts = Collections.Generic.Dictionary<SKColor, int>()
    for y in 0 .. bitmap.Height - 1 do
        for x in 0 .. bitmap.Width - 1 do
            let c = bitmap.GetPixel(x, y)
            counts[c] <- (match counts.TryGetValue c with | true, n -> n | _ -> 0) + 1
    bitmap.Width, bitmap.Height, counts

/// Pixels within ±2 per channel of a colour (exact fills; the margin absorbs colour management).
let near (counts: Collections.Generic.Dictionary<SKColor, int>) (r: int, g: int, b: int) =
    counts |> Seq.sumBy (fun kv ->
        let c = kv.Key
        if abs (int c.Red - r) <= 2 && abs (int c.Green - g) <= 2 && abs (int c.Blue - b) <= 2 then kv.Value else 0)

let orange, blue = (0xff, 0x7f, 0x0e), (0x1f, 0x77, 0xb4)

/// Render and check one report: a real page, both bar colours, at least `minColours` colours.
let rendered (name: string) (html: string) (height: int) (minColours: int) =
    match chromium () with
    | None when Environment.GetEnvironmentVariable "CI" = "true" ->
        failtest "chromium is not installed, and CI=true: .ci/run must install it (apt-get install -y chromium)"
    | None -> skiptest "chromium is not on PATH (apt-get install -y chromium); the browser check is skipped locally"
    | Some exe ->
        let png = screenshot exe name html height
        let width, h, counts = histogram png
        Expect.equal (width, h) (800, height) "the screenshot has the window's size"
        let white = near counts (255, 255, 255)
        Expect.isLessThan white (width * h * 98 / 100) $"not blank: {white} of {width * h} pixels are white ({png})"
        Expect.isGreaterThanOrEqual counts.Count minColours $"distinct colours ({png})"
        Expect.isGreaterThan (near counts orange) 100 $"orange bars (towards the label) are visible ({png})"
        Expect.isGreaterThan (near counts blue) 100 $"blue bars (against the label) are visible ({png})"

let sigmoid z = 1.0 / (1.0 + exp -z)

let tabularHtml () =
    let rng = SplitMix64 11UL
    let training = Array2D.init 100 4 (fun _ _ -> rng.Normal())
    let classify (rows: float[,]) =
        Array2D.init (Array2D.length1 rows) 2 (fun i j ->
            let p = sigmoid (2.0 * rows[i, 0] - 1.5 * rows[i, 1] + 0.5 * rows[i, 2])
            if j = 1 then p else 1.0 - p)
    let options = { Tabular.defaults with FeatureNames = [| "alpha"; "beta"; "gamma"; "delta" |]; ClassNames = [| "no"; "yes" |] }
    let ex = Tabular.create options training
    let e = Tabular.explain ex [| 0.3; 0.2; -0.1; 0.4 |] classify { Tabular.explainDefaults with NumFeatures = 4; NumSamples = 1000; Seed = 1UL }
    e.ToHtml()

let textHtml () =
    let classify (texts: string[]) =
        Array2D.init texts.Length 2 (fun i j ->
            let has (w: string) = if texts[i].Contains w then 1.0 else 0.0
            let p = sigmoid (2.0 * has "great" + 1.0 * has "fun" - 2.5 * has "boring")
            if j = 1 then p else 1.0 - p)
    let options = { Text.defaults with ClassNames = [| "negative"; "positive" |] }
    let e = Text.explain options "a great and fun film with a boring middle" classify
                { Text.explainDefaults with NumFeatures = 4; NumSamples = 500; Seed = 2UL }
    e.ToHtml()

let imageHtml () =
    // 32×32: a bright textured left half, a dark textured right half; the classifier's p(1) is
    // the left half's mean red minus the right half's, squashed: both halves matter, with opposite signs.
    let rng = SplitMix64 3UL
    let pixels = Array.init (32 * 32 * 3) (fun i ->
        let c = (i / 3) % 32
        (if c < 16 then 0.6 else 0.2) + 0.4 * rng.Uniform())
    let image = RgbImage.create 32 32 pixels
    let classify (batch: RgbImage[]) =
        Array2D.init batch.Length 2 (fun b j ->
            let mutable s = 0.0
            for p in 0 .. 32 * 32 - 1 do
                let red = batch[b].Pixels[p * 3]
                // pixels equal to their segment mean count less: hiding changes the texture
                s <- s + (if p % 32 < 16 then red * red else -(red * red))
            let p1 = sigmoid (s / 100.0)
            if j = 1 then p1 else 1.0 - p1)
    // 16 superpixels: a 4×4 grid of 8×8 blocks (a fixed segmentation keeps the test about rendering).
    let blocks (im: RgbImage) =
        Segments.create im.Height im.Width (Array.init (im.Height * im.Width) (fun p -> (p / 32 / 8) * 4 + (p % 32) / 8))
    let args = { ImageExplainOptions.Defaults with Labels = LabelChoice.Labels [ 1 ]; NumFeatures = 6; NumSamples = 300
                                                   Segmentation = Some(Segmentation.Custom blocks) }
    let e = ImageExplainer.explain { ImageExplainerOptions.Defaults with Seed = 4 } args classify image
    e.ToHtml 6

[<Tests>]
let tests =
    testSequenced <| testList "Lime.ReportBrowser" [
        test "tabular report renders in headless Chromium" { rendered "tabular" (tabularHtml ()) 600 50 }
        test "text report renders in headless Chromium" { rendered "text" (textHtml ()) 800 50 }
        test "image report renders in headless Chromium" { rendered "image" (imageHtml ()) 1200 100 }
    ]
