/// A vocabulary: the K most frequent training words get ids, everything else is "unknown";
/// texts become fixed-length id sequences for an embedding layer.
/// Layer: NN/Text, after Tokenizer.fs. Read next: TextDataset.fs.
///
/// Padding goes BEFORE the text (and truncation keeps the first T words): a classifier that
/// reads the recurrent layer's LAST state then sees the text's final words last. Padding after
/// the text would put up to T − n steps of padding between the text and the state the classifier
/// reads, and an LSTM forgets over long runs of identical inputs.
namespace ScratchML.NN

open System
open System.Collections.Generic
open System.Text.Json

/// Word ↔ id: ids 0 (padding) and 1 (unknown) are reserved, ids 2 … are words by decreasing
/// training count (ties in ordinal order of the words, so the same texts give the same ids).
type Vocabulary =
    { Words: string[] }
    /// Number of ids, reserved ones included (the embedding's row count).
    member v.Size = v.Words.Length

/// Building vocabularies and encoding texts.
[<RequireQualifiedAccess>]
module Vocabulary =
    /// Id of the padding token (written before short texts).
    [<Literal>]
    let Padding = 0
    /// Id of every word outside the vocabulary.
    [<Literal>]
    let Unknown = 1
    /// How the reserved ids print.
    let reserved = [| "<pad>"; "<unk>" |]

    /// The vocabulary of a tokenised corpus: the reserved ids, then the (maxSize − 2) words of
    /// highest count that occur at least `minCount` times.
    let build (maxSize: int) (minCount: int) (documents: string[] seq) : Vocabulary =
        if maxSize < 3 then invalidArg "maxSize" $"a vocabulary needs room for a word, got {maxSize}"
        let counts = Dictionary<string, int>(StringComparer.Ordinal)
        for words in documents do
            for w in words do
                counts[w] <- (match counts.TryGetValue w with | true, c -> c | _ -> 0) + 1
        let kept =
            counts
            |> Seq.filter (fun kv -> kv.Value >= minCount)
            |> Seq.sortWith (fun a b ->
                if a.Value <> b.Value then compare b.Value a.Value else String.CompareOrdinal(a.Key, b.Key))
            |> Seq.truncate (maxSize - reserved.Length)
            |> Seq.map (fun kv -> kv.Key)
        { Words = Array.append reserved (Array.ofSeq kept) }

    /// word → id, for encoding.
    let index (v: Vocabulary) : IReadOnlyDictionary<string, int> =
        let d = Dictionary<string, int>(StringComparer.Ordinal)
        v.Words |> Array.iteri (fun i w -> if i >= reserved.Length then d[w] <- i)
        d :> _

    /// The ids of words: the word's id, or Unknown.
    let ids (index: IReadOnlyDictionary<string, int>) (words: string[]) =
        words |> Array.map (fun w -> match index.TryGetValue w with | true, id -> id | _ -> Unknown)

    /// A fixed-length sequence of `length` ids: the first `length` ids, Padding in front when
    /// there are fewer: [a; b] at length 4 → [0; 0; a; b].
    let pad (length: int) (ids: int[]) =
        if length < 1 then invalidArg "length" $"a sequence needs at least one step, got {length}"
        let kept = Array.truncate length ids
        Array.append (Array.create (length - kept.Length) Padding) kept

    /// Texts → ids [n; length] as float values of `dtype` (an embedding reads ids from the
    /// model's input tensor): tokenise, look up, truncate or pad in front.
    let encode (v: Vocabulary) (dtype: ScratchML.DType) (length: int) (texts: string[]) : ScratchML.Tensor =
        let index = index v
        let rows = texts |> Array.map (Tokenizer.words >> ids index >> pad length)
        let values = Array.init (texts.Length * length) (fun k -> float (rows[k / length][k % length]))
        Buffers.convert dtype (ScratchML.Tensor.ofArray [| texts.Length; length |] values)

    /// The vocabulary as a JSON array of its words (reserved ones first).
    let toJson (v: Vocabulary) = JsonSerializer.Serialize(v.Words)

    /// A vocabulary from `toJson`'s array; the reserved ids must come first.
    let ofJson (json: string) : Vocabulary =
        let words = JsonSerializer.Deserialize<string[]>(json)
        if isNull words || words.Length < reserved.Length || words[0 .. reserved.Length - 1] <> reserved then
            raise (FormatException "a vocabulary is a JSON array of words starting with \"<pad>\", \"<unk>\"")
        { Words = words }
