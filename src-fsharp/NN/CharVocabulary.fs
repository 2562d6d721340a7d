/// A character vocabulary: the distinct characters of a text, sorted, each with its index.
/// Layer: NN data, after Sotu.fs. Read next: CharLm.fs (the model that reads these indices).
namespace ScratchML.NN

open System

/// The characters a language model knows: Chars[k] is the character of token id k.
type CharVocabulary(chars: char[]) =
    let index =
        let d = Collections.Generic.Dictionary<char, int>()
        chars |> Array.iteri (fun k c ->
            if d.ContainsKey c then invalidArg "chars" $"character {c} appears twice"
            d[c] <- k)
        d

    /// The characters, in id order.
    member _.Chars = Array.copy chars

    /// Number of characters V.
    member _.Size = chars.Length

    /// The id of `c`, if it is in the vocabulary.
    member _.TryIndex(c: char) = match index.TryGetValue c with | true, k -> Some k | _ -> None

    /// The ids of a text; a character outside the vocabulary is an ArgumentException naming it.
    member v.Encode(text: string) : int[] =
        text.ToCharArray() |> Array.map (fun c ->
            match v.TryIndex c with
            | Some k -> k
            | None -> invalidArg "text" $"character '{c}' (U+{int c:X4}) is not in the model's vocabulary")

    /// The text of a sequence of ids.
    member _.Decode(ids: int seq) = String(ids |> Seq.map (fun k -> chars[k]) |> Array.ofSeq)

    /// The vocabulary as one string (the characters in id order), as saved in a model file.
    override _.ToString() = String chars

/// Building vocabularies.
[<RequireQualifiedAccess>]
module CharVocabulary =
    /// The distinct characters of `text`, sorted by code point: ids 0 … V−1.
    let ofText (text: string) = CharVocabulary(text.ToCharArray() |> Array.distinct |> Array.sort)

    /// A vocabulary from its saved string (`ToString`).
    let ofString (chars: string) = CharVocabulary(chars.ToCharArray())
