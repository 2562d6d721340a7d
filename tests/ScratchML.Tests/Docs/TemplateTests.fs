/// The docs' page template typesets LaTeX with the KaTeX shipped in docs/katex: the shipped files are
/// exactly those scripts/fetch-katex.sh lists (same checksums), the template loads them by relative
/// paths, and headless Chromium, given a page made from the template, turns every formula into
/// KaTeX's markup (and leaves code alone). The full `./build.sh docs` takes minutes, so the page's
/// content is a fragment in the form fsdocs 22.2 writes plus LaTeX printed by the library.
module ScratchML.Tests.Docs.TemplateTests

open System
open System.Diagnostics
open System.IO
open System.Security.Cryptography
open System.Text.RegularExpressions
open Expecto
open ScratchML
open ScratchML.Tests

let docs = Path.Combine(Fixtures.repoRoot, "docs")
let template () = File.ReadAllText(Path.Combine(docs, "_template.html"))

/// (path under docs/katex, SHA-256) for every file the fetch script checks and copies.
let listedKatexFiles () =
    let script = File.ReadAllText(Path.Combine(Fixtures.repoRoot, "scripts", "fetch-katex.sh"))
    // "<64 hex>  dist/fonts/x.woff2" lines (the last one closes the quoted list with '); the
    // tarball's line names "$tmp/…" and is left out.
    [ for m in Regex.Matches(script, @"([0-9a-f]{64})  ([\w./-]+)'?$", RegexOptions.Multiline) ->
        let path = m.Groups[2].Value
        (if path.StartsWith "dist/" then path.Substring 5 else path), m.Groups[1].Value ]
    |> List.sort

let sha256 (path: string) = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes path)).ToLowerInvariant()

/// The page's math as fsdocs 22.2 writes it: $…$ → \(…\), $$…$$ → \[…\] (HTML-escaped, in
/// span.math); `include-it-raw` of a string puts the string in as it is. Plus a code block with
/// $$ in it, which must stay text.
let content () =
    let x, w = Expr.scalarVar "x", Expr.scalarVar "w"
    let z = w * x
    let y = Expr.tanh z
    let dydw = Grad.grad y [ w ] |> List.head |> Simplify.run
    let listing = Print.latexListing [ "z", z; "y", y ] y
    String.concat "\n" [
        """<p>Inline <span class="math">\(a_1 &lt; b\)</span> and display:</p>"""
        """<p><span class="math">\[\bar v_i = \sum_j \bar v_j \, \frac{\partial v_j}{\partial v_i}\]</span></p>"""
        """<pre class="fssnip highlighted"><code lang="fsharp">printfn "$$\\frac{1}{2}$$"</code></pre>"""
        """<table class="pre"><tr><td><pre><code>$$\frac{1}{2}$$</code></pre></td></tr></table>"""
        $"$$\\frac{{\\partial y}}{{\\partial w}} = {Print.latex dydw}$$"
        "$$" + listing + "$$" ]

/// Once the fonts are requested: "loaded" when KaTeX's main font came through its relative url.
let fontProbe =
    """<script>document.addEventListener("DOMContentLoaded", () =>
         document.fonts.load("16px KaTeX_Main").then(
           faces => document.body.dataset.katexFont = faces.length > 0 ? "loaded" : "none",
           () => document.body.dataset.katexFont = "error"));</script>"""

/// The template with its parameters filled in as fsdocs would, for a site served under /ScratchML/.
let page () =
    let filled =
        (template ())
            .Replace("{{fsdocs-content}}", content () + fontProbe)
            .Replace("{{fsdocs-list-of-documents}}",
                     """<li class="nav-item"><a class="nav-link" href="/ScratchML/autodiff.html">Chapter 1</a></li>""")
            .Replace("{{root}}", "/ScratchML/")
    Regex.Replace(filled, @"\{\{[a-z-]+\}\}", "")

/// The DOM after Chromium ran the page's scripts (page in a folder with a copy of docs/katex).
let renderedDom (exe: string) =
    let dir = Directory.CreateTempSubdirectory("scratchml-docs-template").FullName
    for file, _ in listedKatexFiles () do
        let target = Path.Combine(dir, "katex", file)
        Directory.CreateDirectory(Path.GetDirectoryName target) |> ignore
        File.Copy(Path.Combine(docs, "katex", file), target)
    let html = Path.Combine(dir, "chapter.html")
    File.WriteAllText(html, page ())
    let profile = Path.Combine(dir, "profile")
    let info = ProcessStartInfo(exe, RedirectStandardOutput = true, RedirectStandardError = true)
    for a in [ "--headless"; "--no-sandbox"; "--disable-gpu"; "--no-first-run"
               "--disable-background-networking"; "--disable-component-update"; "--disable-sync"
               $"--user-data-dir={profile}"
               // virtual time: the deferred scripts, DOMContentLoaded and the font load all finish
               "--virtual-time-budget=10000"; "--dump-dom"; Uri(html).AbsoluteUri ] do
        info.ArgumentList.Add a
    use p = Process.Start info
    let err = p.StandardError.ReadToEndAsync()
    let dom = p.StandardOutput.ReadToEndAsync()
    if not (p.WaitForExit 90_000) then
        p.Kill true
        failtest $"chromium did not finish in 90 s on {html}"
    if p.ExitCode <> 0 then failtest $"chromium exit {p.ExitCode}: {err.Result}"
    dom.Result

let count (pattern: string) (text: string) = Regex.Matches(text, pattern).Count

let withChromium (check: string -> unit) () =
    match Lime.ReportBrowserTests.chromium () with
    | None when Environment.GetEnvironmentVariable "CI" = "true" ->
        failtest "chromium is not installed, and CI=true: .ci/run must install it (apt-get install -y chromium)"
    | None -> skiptest "chromium is not on PATH (apt-get install -y chromium); the browser check is skipped locally"
    | Some exe -> check exe

[<Tests>]
let tests =
    testList "Docs.Template" [
        test "docs/katex holds exactly the files fetch-katex.sh checks, byte for byte" {
            let listed = listedKatexFiles ()
            let root = Path.Combine(docs, "katex")
            let shipped =
                Directory.GetFiles(root, "*", SearchOption.AllDirectories)
                |> Array.map (fun f -> Path.GetRelativePath(root, f).Replace('\\', '/'), sha256 f)
                |> Array.sort |> List.ofArray
            Expect.isGreaterThan listed.Length 20 "the script lists KaTeX's js, css, auto-render, LICENSE and fonts"
            Expect.equal shipped listed "docs/katex = the script's list, with its checksums"
        }
        test "the template names no address of the web and loads KaTeX by relative paths" {
            let t = template ()
            Expect.isFalse (t.Contains "://") "no http(s) address (no CDN)"
            for file in [ "katex/katex.min.css"; "katex/katex.min.js"; "katex/contrib/auto-render.min.js" ] do
                Expect.stringContains t $"\"{file}\"" $"the template loads {file}"
                Expect.isTrue (File.Exists(Path.Combine(docs, file))) $"docs/{file} is shipped"
        }
        testCase "Chromium typesets every formula of a page made from the template" (withChromium (fun exe ->
            let dom = renderedDom exe
            // KaTeX writes class="katex" on each formula and katex-display around display ones.
            Expect.equal (count "class=\"katex\"" dom) 4 $"formulas typeset:\n{dom}"
            Expect.equal (count "class=\"katex-display\"" dom) 3 "display formulas: \\[…\\] and two $$…$$"
            Expect.equal (count "katex-error" dom) 0 "KaTeX parsed every formula (the library's LaTeX too)"
            // Apart from the LaTeX KaTeX keeps in <annotation>, the code, the scripts (the delimiters)
            // and comments, no LaTeX source is left.
            let rest =
                Regex.Replace(dom, @"<annotation\b.*?</annotation>|<pre\b.*?</pre>|<script\b.*?</script>|<!--.*?-->",
                              "", RegexOptions.Singleline)
            for raw in [ @"\frac"; @"\partial"; "$$"; @"\["; @"\(" ] do
                Expect.isFalse (rest.Contains raw) $"no raw {raw} outside math and code"
            Expect.stringContains dom """<code>$$\frac{1}{2}$$</code>""" "fsi output in <pre> stays text"
            Expect.stringContains dom "data-katex-font=\"loaded\"" "KaTeX's fonts load from katex/fonts"
            Expect.stringContains dom "href=\"autodiff.html\"" "menu links become relative"))
    ]
