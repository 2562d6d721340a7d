/// Where the data sets shipped in the repository's data/ folder are found at run time.
/// Layer: NN, after Idx.fs. Read next: Mnist.fs.
namespace ScratchML.NN

open System
open System.IO

/// Locating data/<set>/<file> from a program that may run anywhere inside the repository.
[<RequireQualifiedAccess>]
module ShippedData =
    /// The first data/`set`/`file` upwards from the working directory, then upwards from the
    /// program's folder (the CLI's bin/ lies inside the repository), if any.
    let find (set: string) (file: string) : string option =
        let rec up (start: DirectoryInfo) =
            if isNull start then None
            else
                let candidate = Path.Combine(start.FullName, "data", set, file)
                if File.Exists candidate then Some candidate else up start.Parent
        [ Environment.CurrentDirectory; AppContext.BaseDirectory ] |> List.tryPick (DirectoryInfo >> up)
