/// The HTML report: self-contained, one section per explained label, one bar per weight, the
/// explained words highlighted.
module ScratchML.Tests.Lime.ReportTests

open System.Text.RegularExpressions
open Expecto
open ScratchML.Lime

let count (pattern: string) (html: string) = Regex.Matches(html, pattern).Count

[<Tests>]
let tests =
    testList "Lime.Report" [
        test "tabular: bars, names escaped, no external resources" {
            let e = StabilityTests.fake [| "a<b"; "c & d"; "e" |] [| 1, -0.4; 0, 0.2 |]
            let html = e.ToHtml()
            Expect.stringStarts html "<!DOCTYPE html>" "a page"
            Expect.equal (count "<section class=\"label\"" html) 1 "one label"
            Expect.equal (count "class=\"bar\"" html) 2 "one bar per weight"
            Expect.stringContains html "a&lt;b" "names are escaped"
            Expect.stringContains html "c &amp; d" "names are escaped"
            Expect.isFalse (Regex.IsMatch(html, "(src|href)=|<script|https?:")) "self-contained" }
        test "text: every occurrence of an explained word is highlighted" {
            let text = "good film, good cast, bad end"
            let classify (texts: string[]) =
                Array2D.init texts.Length 2 (fun i j ->
                    let z = float (Regex.Matches(texts[i], "good").Count) - float (Regex.Matches(texts[i], "bad").Count)
                    let p = 1.0 / (1.0 + exp -z) in if j = 0 then 1.0 - p else p)
            let e = Text.explain Text.defaults text classify { Text.explainDefaults with NumFeatures = 2; NumSamples = 300 }
            let html = Report.html e
            let words = (e.For 1).Weights |> Array.map (fun (f, _) -> e.FeatureNames[f])
            Expect.equal (Set.ofArray words) (set [ "good"; "bad" ]) "the two words that matter"
            Expect.equal (count "<mark" html) 3 "good twice, bad once" }
        test "image domain: one cell per pixel of a small segment map" {
            let e = { StabilityTests.fake [| "0"; "1" |] [| 1, 0.3 |] with Domain = Domain.Image(Array2D.init 4 6 (fun i j -> if j < 3 then 0 else 1)) }
            let html = Report.html e
            let cells = html[html.IndexOf "class=\"segments\"" ..]
            Expect.equal (count "<rect x=" cells) 24 "4 × 6 cells" } ]
