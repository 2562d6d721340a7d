/// Reading the reference fixtures (PyTorch 1.13, original LIME) and turning each file into a test.
/// The folder is $SCRATCHML_FIXTURES, default ../shared/fixtures (relative to the repo root).
module ScratchML.Tests.Fixtures

open System
open System.IO
open System.Text.Json
open Expecto

/// The repository root: the first folder above the test binary that holds ScratchML.sln.
let repoRoot =
    let rec up (d: DirectoryInfo) =
        if isNull d then Directory.GetCurrentDirectory()
        elif File.Exists(Path.Combine(d.FullName, "ScratchML.sln")) then d.FullName
        else up d.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

/// The fixtures folder: $SCRATCHML_FIXTURES, else ../shared/fixtures beside the repository.
let folder =
    match Environment.GetEnvironmentVariable "SCRATCHML_FIXTURES" with
    | null | "" -> Path.GetFullPath(Path.Combine(repoRoot, "..", "shared", "fixtures"))
    | dir -> Path.GetFullPath dir

/// A fixture array: shape and flat row-major data (int64 data converted to float exactly).
type Array = { Shape: int[]; DType: string; Data: float[] }

/// Parse `{"shape": [...], "dtype": ..., "data": [...]}`.
let array (e: JsonElement) =
    { Shape = [| for d in e.GetProperty("shape").EnumerateArray() -> d.GetInt32() |]
      DType = e.GetProperty("dtype").GetString()
      Data = [| for x in e.GetProperty("data").EnumerateArray() -> x.GetDouble() |] }

/// Named arrays of an object, in the file's key order (the framework's argument order).
let arrays (e: JsonElement) =
    [ for p in e.EnumerateObject() -> p.Name, array p.Value ]

/// Every *.json file of a family, sorted by name, parsed.
let files (family: string) =
    let dir = Path.Combine(folder, family)
    if not (Directory.Exists dir) then []
    else
        [ for path in Directory.GetFiles(dir, "*.json") |> Array.sort ->
            Path.GetFileNameWithoutExtension path, (fun () -> JsonDocument.Parse(File.ReadAllText path).RootElement) ]

/// The test name of a fixture file; Main.fs tallies families by this prefix.
let testName family file = $"fixtures/{family}/{file}"

/// One test per file of the family. `handler file root` returns Some check for files it knows,
/// or None with a reason (e.g. "conv2d arrives with the CNN issue") — listed as pending, never dropped.
let family (family: string) (handler: string -> JsonElement -> Result<unit -> unit, string>) =
    let cases =
        files family
        |> List.map (fun (file, load) ->
            let root = load ()
            match handler file root with
            | Ok check -> testCase (testName family file) check
            | Error reason -> ptestCase $"{testName family file} (pending: {reason})" ignore)
    testList family cases
