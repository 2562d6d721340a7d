/// The test runner: every test in the assembly, then a tally per fixture family and the final
/// line `N passed, N failed[, N skipped]` that CI reads.
module ScratchML.Tests.Main

open System.Text.RegularExpressions
open Expecto
open Expecto.Impl

/// "fixtures torch_ops: 61 passed, 0 failed, 17 pending of 78 files", one line per family.
let familyTally (s: TestRunSummary) =
    let family (name: string) =
        let m = Regex.Match(name, @"fixtures/([^/]+)/")
        if m.Success then Some m.Groups[1].Value else None
    let tally (results: (FlatTest * TestSummary) list) =
        results |> List.choose (fun (t, _) -> family (String.concat "/" t.name))
    let passed, failed, pending = tally s.passed, tally (s.failed @ s.errored), tally s.ignored
    for f in passed @ failed @ pending |> List.distinct |> List.sort do
        let count xs = xs |> List.filter ((=) f) |> List.length
        let p, x, q = count passed, count failed, count pending
        printfn $"fixtures {f}: {p} passed, {x} failed, {q} pending of {p + x + q} files"

/// Every temporary file of the run — the tests', and those of the processes they start (the
/// CLI, headless Chromium, dotnet fsi for the docs), which inherit TMPDIR — goes into one folder
/// that is removed when the run ends, so the suite leaves nothing behind in the system's temp.
let private withRunTempFolder (run: unit -> int) =
    let folder = System.IO.Directory.CreateTempSubdirectory("scratchml-test-run-").FullName
    let previous = System.Environment.GetEnvironmentVariable "TMPDIR"
    System.Environment.SetEnvironmentVariable("TMPDIR", folder)
    try run ()
    finally
        System.Environment.SetEnvironmentVariable("TMPDIR", previous)
        try System.IO.Directory.Delete(folder, true) with :? System.IO.IOException | :? System.UnauthorizedAccessException -> ()

/// The whole suite, ending with the line "N passed, N failed"; `--vecmath-hash` instead prints
/// VecMath's sweep hash (the VecMath test runs this assembly so under other JIT settings).
[<EntryPoint>]
let main argv =
    if argv = [| "--vecmath-hash" |] then
        stdout.WriteLine(Core.Tensor.VecMathTests.sweepHash ())
        0
    else
    let mutable summary = None
    let rc =
        withRunTempFolder (fun () ->
            runTestsInAssemblyWithCLIArgs
                [ CLIArguments.Colours 0; CLIArguments.No_Spinner
                  CLIArguments.Append_Summary_Handler(SummaryHandler(fun s -> summary <- Some s)) ]
                argv)
    match summary with
    | Some s ->
        // Expecto leaves an escape code behind: start on a fresh line.
        stdout.Write "\n"
        familyTally s
        let p, f, k = s.passed.Length, s.failed.Length + s.errored.Length, s.ignored.Length
        stdout.Write(if k > 0 then $"{p} passed, {f} failed, {k} skipped\n" else $"{p} passed, {f} failed\n")
    | None -> ()
    rc
