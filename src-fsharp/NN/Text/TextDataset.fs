/// Labelled texts: loading a gzipped JSON-lines corpus, the shipped SpamAssassin mailing-list
/// set, and a stratified train/test split drawn with SplitMix64.
/// Layer: NN/Text, after Vocabulary.fs. Read next: NaiveBayes.fs (the baseline).
namespace ScratchML.NN

open System
open System.IO
open System.IO.Compression
open System.Text.Json
open ScratchML

/// Texts with class labels: Labels[i] ∈ 0 … ClassNames.Length − 1 is the class of Texts[i];
/// Ids name the source of each text.
type TextDataset =
    { Ids: string[]
      Texts: string[]
      Labels: int[]
      ClassNames: string[] }
    /// Number of texts.
    member d.Count = d.Texts.Length

/// Loading, subsetting and splitting text datasets.
[<RequireQualifiedAccess>]
module TextDataset =
    /// The rows `rows` of a dataset, in that order (class names unchanged).
    let subset (rows: int[]) (d: TextDataset) =
        { d with Ids = rows |> Array.map (fun i -> d.Ids[i]); Texts = rows |> Array.map (fun i -> d.Texts[i])
                 Labels = rows |> Array.map (fun i -> d.Labels[i]) }

    /// The first n texts (all when n ≥ Count).
    let take (n: int) (d: TextDataset) = subset (Array.init (min n d.Count) id) d

    /// Read a gzipped JSON-lines file of {"id": …, "label": …, "text": …} objects. Class names
    /// are the distinct labels in ordinal order, so the class ids do not depend on line order.
    let load (path: string) : TextDataset =
        use file = File.OpenRead path
        use gzip = new GZipStream(file, CompressionMode.Decompress)
        use reader = new StreamReader(gzip, Text.Encoding.UTF8)
        let records = ResizeArray<string * string * string>()
        let mutable line = reader.ReadLine()
        while not (isNull line) do
            if line.Trim() <> "" then
                let at = records.Count + 1
                try
                    use doc = JsonDocument.Parse line
                    let field (name: string) = doc.RootElement.GetProperty(name).GetString()
                    records.Add((field "id", field "label", field "text"))
                with
                | :? JsonException | :? Collections.Generic.KeyNotFoundException | :? InvalidOperationException ->
                    raise (FormatException $"{path}: record {at} is not an object with string id, label and text")
            line <- reader.ReadLine()
        let names = records |> Seq.map (fun (_, l, _) -> l) |> Seq.distinct |> Seq.sortWith (fun a b -> String.CompareOrdinal(a, b)) |> Array.ofSeq
        { Ids = [| for i, _, _ in records -> i |]
          Texts = [| for _, _, t in records -> t |]
          Labels = [| for _, l, _ in records -> Array.IndexOf(names, l) |]
          ClassNames = names }

    /// A stratified split: each class's rows, shuffled by Fisher–Yates with one SplitMix64(seed)
    /// stream (classes in id order), give their first round(count·testFraction) rows to the test
    /// set. Returns (train rows, test rows), each in increasing row order.
    let stratifiedSplit (testFraction: float) (seed: uint64) (labels: int[]) : int[] * int[] =
        if not (testFraction > 0.0 && testFraction < 1.0) then
            invalidArg "testFraction" $"must be in (0, 1), got {testFraction}"
        let rng = SplitMix64 seed
        let classes = if labels.Length = 0 then 0 else Array.max labels + 1
        let train, test = ResizeArray<int>(), ResizeArray<int>()
        for c in 0 .. classes - 1 do
            let rows = labels |> Array.indexed |> Array.filter (fun (_, l) -> l = c) |> Array.map fst
            for i in rows.Length - 1 .. -1 .. 1 do
                let j = rng.Below(i + 1)
                let t = rows[i] in rows[i] <- rows[j]; rows[j] <- t
            let testCount = int (Math.Round(float rows.Length * testFraction, MidpointRounding.AwayFromZero))
            test.AddRange rows[.. testCount - 1]
            train.AddRange rows[testCount ..]
        Array.sort (train.ToArray()), Array.sort (test.ToArray())

/// The shipped SpamAssassin mailing-list set (data/spamassassin/lists.jsonl.gz, rebuilt by
/// scripts/fetch-spam-assassin.sh): 2,652 ham message bodies from six lists, headers and
/// list footers removed; classes exmh, fork, ilug, razor-users, rpm-list, spamassassin.
[<RequireQualifiedAccess>]
module MailingLists =
    /// The shipped file's name under data/spamassassin.
    [<Literal>]
    let FileName = "lists.jsonl.gz"

    /// The fixed split: 20% of each class for testing, drawn with seed 2026.
    [<Literal>]
    let TestFraction = 0.2
    /// The seed of the fixed split.
    [<Literal>]
    let SplitSeed = 2026UL

    /// The shipped file: searched upwards from the working directory, then from the program's folder.
    let defaultPath () =
        match ShippedData.find "spamassassin" FileName with
        | Some path -> path
        | None ->
            failwith ("data/spamassassin/lists.jsonl.gz not found above the working directory or the "
                      + "program (scripts/fetch-spam-assassin.sh rebuilds it)")

    /// Every message of the shipped set.
    let all () = TextDataset.load (defaultPath ())

    /// (train, test): the fixed stratified 80/20 split of the shipped set.
    let split () =
        let d = all ()
        let train, test = TextDataset.stratifiedSplit TestFraction SplitSeed d.Labels
        TextDataset.subset train d, TextDataset.subset test d
