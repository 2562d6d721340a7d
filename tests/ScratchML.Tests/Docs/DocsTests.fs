/// Every docs chapter is a script that must run to the end: `dotnet fsi docs/<chapter>.fsx`
/// exits non-zero when any line throws, and that fails this test (and so CI).
module ScratchML.Tests.Docs.DocsTests

open System.Diagnostics
open System.IO
open Expecto
open ScratchML.Tests

/// Run one chapter with dotnet fsi from the repository root; Ok or the tail of its output.
let runChapter (path: string) =
    let info = ProcessStartInfo("dotnet", $"fsi --nologo \"{path}\"", WorkingDirectory = Fixtures.repoRoot,
                                RedirectStandardOutput = true, RedirectStandardError = true)
    use p = Process.Start info
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEnd()
    p.WaitForExit()
    if p.ExitCode = 0 then Ok ()
    else
        let tail (s: string) = if s.Length > 3000 then s.Substring(s.Length - 3000) else s
        Error $"exit {p.ExitCode}\n{tail out.Result}\n{tail err}"

[<Tests>]
let tests =
    let chapters = Directory.GetFiles(Path.Combine(Fixtures.repoRoot, "docs"), "*.fsx") |> Array.sort
    testList "Docs" [
        for path in chapters ->
            testCase (Path.GetFileNameWithoutExtension path) (fun () ->
                match runChapter path with
                | Ok () -> ()
                | Error detail -> failtest $"docs/{Path.GetFileName path} failed: {detail}")
    ]
