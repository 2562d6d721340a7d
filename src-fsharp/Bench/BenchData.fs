/// Where the benchmark inputs live: $SCRATCHML_BENCH_DATA, else ../shared/bench/data next to the
/// repository root (the folder holding ScratchML.sln). Layer: Bench.
namespace ScratchML.Bench

open System
open System.IO

[<RequireQualifiedAccess>]
module BenchData =
    /// The data folder (not checked for existence: the workload reading a file says which is missing).
    let folder () =
        match Environment.GetEnvironmentVariable "SCRATCHML_BENCH_DATA" with
        | null | "" ->
            let rec up (d: DirectoryInfo) =
                if isNull d then Path.GetFullPath(Path.Combine("..", "shared", "bench", "data"))
                elif File.Exists(Path.Combine(d.FullName, "ScratchML.sln")) then
                    Path.GetFullPath(Path.Combine(d.FullName, "..", "shared", "bench", "data"))
                else up d.Parent
            up (DirectoryInfo AppContext.BaseDirectory)
        | dir -> Path.GetFullPath dir

    /// The full path of a data file; a clear error when it is absent.
    let file (name: string) =
        let path = Path.Combine(folder (), name)
        if not (File.Exists path) then
            raise (FileNotFoundException($"benchmark input {name} not found in {folder ()} (set SCRATCHML_BENCH_DATA)", path))
        path
