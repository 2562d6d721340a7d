/// LIME's IndexedString and IndexedCharacters: a text cut into pieces (words and the separators
/// between them), the vocabulary of word features, and the text with some words removed.
/// Layer: Lime/Text. Read next: TextExplainer.fs.
namespace ScratchML.Lime

open System
open System.Text
open System.Text.RegularExpressions

/// A text as LIME indexes it. Feature id j is Vocabulary[j]; with Bow a word type (all its
/// occurrences), without Bow one occurrence.
type IndexedString =
    { Raw: string
      /// as_list: the pieces in order; concatenated they give Raw.
      Pieces: string[]
      /// Whether each piece is a word (the separator pattern does not match at its start).
      IsWord: bool[]
      /// inverse_vocab: the word of each feature id.
      Vocabulary: string[]
      /// positions: the piece indices of each feature's occurrences (one with Bow = false).
      Positions: int[][]
      Bow: bool
      /// What replaces a removed occurrence when Bow = false ("UNKWORDZ"; chr(0) for characters).
      MaskString: string
      /// The feature id of each piece (−1 for separators).
      PieceFeature: int[]
      /// string_start: offset of each piece in code points (Python's string indices).
      StringStart: int[]
      /// The same offsets in UTF-16 units (.NET string indices).
      Utf16Start: int[] }

[<RequireQualifiedAccess>]
module IndexedString =
    /// LIME's default separator pattern.
    [<Literal>]
    let DefaultSplit = @"\W+"

    let private build (raw: string) (pieces: string[]) (isWord: bool[]) (bow: bool) (mask: string) =
        let vocab = Collections.Generic.Dictionary<string, int>()
        let words = ResizeArray<string>()
        let positions = ResizeArray<ResizeArray<int>>()
        for i in 0 .. pieces.Length - 1 do
            if isWord[i] then
                if bow then
                    match vocab.TryGetValue pieces[i] with
                    | true, id -> positions[id].Add i
                    | _ ->
                        vocab[pieces[i]] <- words.Count
                        words.Add pieces[i]
                        positions.Add(ResizeArray [ i ])
                else
                    words.Add pieces[i]
                    positions.Add(ResizeArray [ i ])
        let pieceFeature = Array.create pieces.Length -1
        positions |> Seq.iteri (fun id ps -> for p in ps do pieceFeature[p] <- id)
        let starts (len: string -> int) = pieces |> Array.scan (fun acc p -> acc + len p) 0 |> Array.truncate (max 1 pieces.Length)
        { Raw = raw
          Pieces = pieces
          IsWord = isWord
          Vocabulary = words.ToArray()
          Positions = positions |> Seq.map (fun p -> p.ToArray()) |> Array.ofSeq
          Bow = bow
          MaskString = mask
          PieceFeature = pieceFeature
          StringStart = starts PyRegex.codePoints
          Utf16Start = starts (fun p -> p.Length) }

    /// Index a text: pieces = re.split('(' + split + ')|$', text) without empty strings; a piece is
    /// a word unless the pattern matches at its start (LIME's non_word = splitter.match).
    let create (splitExpression: string) (bow: bool) (maskString: string) (text: string) =
        if isNull text then nullArg "text"
        let pieces, isWord =
            if splitExpression = DefaultSplit then
                let pieces = PyRegex.splitWords text
                let isWord (p: string) =
                    let mutable r = Rune()
                    Rune.TryGetRuneAt(p, 0, &r) && PyRegex.isWordRune r
                pieces, Array.map isWord pieces
            else
                let regex = Regex($"({PyRegex.translate splitExpression})|$", RegexOptions.CultureInvariant)
                let pieces = PyRegex.split regex text |> List.choose id |> List.filter (fun s -> s <> "") |> Array.ofList
                pieces, pieces |> Array.map (fun p -> let m = regex.Match p in not (m.Success && m.Index = 0))
        build text pieces isWord bow maskString

    /// IndexedCharacters: every code point is a piece and a word (spaces included).
    let characters (bow: bool) (maskString: string) (text: string) =
        if isNull text then nullArg "text"
        let pieces = ResizeArray<string>()
        let mutable i = 0
        while i < text.Length do
            let len = if Char.IsHighSurrogate text[i] && i + 1 < text.Length && Char.IsLowSurrogate text[i + 1] then 2 else 1
            pieces.Add(text.Substring(i, len))
            i <- i + len
        let pieces = pieces.ToArray()
        build text pieces (Array.create pieces.Length true) bow maskString

    /// Number of word features.
    let numWords (s: IndexedString) = s.Vocabulary.Length

    /// string_position(id): code-point offsets of the feature's occurrences.
    let stringPositions (s: IndexedString) (id: int) = s.Positions[id] |> Array.map (fun p -> s.StringStart[p])

    /// inverse_removing with the removed features given as a mask over feature ids: one pass
    /// measuring the result, one copying the kept runs of the raw text (consecutive kept pieces
    /// are contiguous in it) straight into the new string.
    let inverseRemovingMask (s: IndexedString) (removed: int -> bool) =
        let mutable length = 0
        for i in 0 .. s.Pieces.Length - 1 do
            let f = s.PieceFeature[i]
            if f < 0 || not (removed f) then length <- length + s.Pieces[i].Length
            elif not s.Bow then length <- length + s.MaskString.Length
        String.Create(length, s, fun (span: Span<char>) s ->
            let raw = s.Raw.AsSpan()
            let mutable at, runStart = 0, 0
            for i in 0 .. s.Pieces.Length - 1 do
                let f = s.PieceFeature[i]
                if f >= 0 && removed f then
                    let start = s.Utf16Start[i]
                    raw.Slice(runStart, start - runStart).CopyTo(span.Slice at)
                    at <- at + start - runStart
                    if not s.Bow then
                        s.MaskString.AsSpan().CopyTo(span.Slice at)
                        at <- at + s.MaskString.Length
                    runStart <- start + s.Pieces[i].Length
            raw.Slice(runStart).CopyTo(span.Slice at))

    /// inverse_removing: the text without the given features. Bow: their pieces disappear;
    /// otherwise each removed occurrence becomes MaskString. A text with no words and Bow = false
    /// raises, as LIME does (its IndexError).
    let inverseRemoving (s: IndexedString) (remove: int seq) =
        if not s.Bow && s.Vocabulary.Length = 0 then
            invalidArg "remove" "the text has no words to remove (LIME raises IndexError here)"
        let keep = Array.create s.Pieces.Length true
        for id in remove do
            if id < 0 || id >= s.Vocabulary.Length then
                invalidArg "remove" $"word id {id} is not in 0..{s.Vocabulary.Length - 1}"
            for p in s.Positions[id] do keep[p] <- false
        let sb = StringBuilder(s.Raw.Length)
        for i in 0 .. s.Pieces.Length - 1 do
            if keep[i] then sb.Append(s.Pieces[i]) |> ignore
            elif not s.Bow then sb.Append(s.MaskString) |> ignore
        sb.ToString()
