/// Python `re` semantics where LIME's tokenisation depends on them: the word-character class
/// (Python's \w is str.isalnum() or '_', .NET's is [\p{L}\p{Mn}\p{Nd}\p{Pc}]), and re.split
/// with a capturing group. Layer: Lime/Text. Read next: IndexedString.fs.
namespace ScratchML.Lime

open System
open System.Text
open System.Text.RegularExpressions

[<RequireQualifiedAccess>]
module PyRegex =
    /// Python's \w on one code point: a letter (Lu Ll Lt Lm Lo), a number (Nd Nl No: isalnum
    /// counts superscripts like ² and numerals like Ⅻ), or '_'. Combining marks (Mn, Mc) and
    /// connector punctuation other than '_' (‿) are NOT word characters, unlike in .NET.
    let isWordRune (r: Rune) =
        if r.Value = int '_' then true
        else
            match Rune.GetUnicodeCategory r with
            | Globalization.UnicodeCategory.UppercaseLetter
            | Globalization.UnicodeCategory.LowercaseLetter
            | Globalization.UnicodeCategory.TitlecaseLetter
            | Globalization.UnicodeCategory.ModifierLetter
            | Globalization.UnicodeCategory.OtherLetter
            | Globalization.UnicodeCategory.DecimalDigitNumber
            | Globalization.UnicodeCategory.LetterNumber
            | Globalization.UnicodeCategory.OtherNumber -> true
            | _ -> false

    /// The .NET class body of Python's \w (BMP; see `translate` for astral characters).
    [<Literal>]
    let WordClass = @"\p{L}\p{Nd}\p{Nl}\p{No}_"

    /// Python's \s adds the separators \x1c–\x1f to .NET's \s.
    [<Literal>]
    let SpaceClass = @"\s\x1c-\x1f"

    /// Rewrite a Python pattern for .NET with Python's meaning of \w \W \s \S \b \B \Z.
    /// Limits: \W or \S inside a [...] class is rejected (no .NET equivalent in one class), and
    /// .NET matches UTF-16 units, so astral-plane letters count as non-word characters here
    /// (the default \W+ split does not use this path: see `splitWords`).
    let translate (pattern: string) =
        let sb = StringBuilder()
        let mutable i = 0
        let mutable inClass = false
        let mutable classStart = -1
        let word = $"[{WordClass}]"
        while i < pattern.Length do
            let c = pattern[i]
            if c = '\\' && i + 1 < pattern.Length then
                let e = pattern[i + 1]
                match inClass, e with
                | false, 'w' -> sb.Append(word) |> ignore
                | false, 'W' -> sb.Append($"[^{WordClass}]") |> ignore
                | false, 's' -> sb.Append($"[{SpaceClass}]") |> ignore
                | false, 'S' -> sb.Append($"[^{SpaceClass}]") |> ignore
                | false, 'b' -> sb.Append($"(?:(?<={word})(?!{word})|(?<!{word})(?={word}))") |> ignore
                | false, 'B' -> sb.Append($"(?:(?<={word})(?={word})|(?<!{word})(?!{word}))") |> ignore
                | false, 'Z' -> sb.Append(@"\z") |> ignore
                | true, 'w' -> sb.Append(WordClass) |> ignore
                | true, 's' -> sb.Append(SpaceClass) |> ignore
                | true, ('W' | 'S') ->
                    invalidArg "splitExpression" $"\\{e} inside a character class is not supported: {pattern}"
                | _ -> sb.Append(c).Append(e) |> ignore
                i <- i + 2
            else
                if not inClass && c = '[' then
                    inClass <- true
                    classStart <- i
                elif inClass && c = ']' then
                    // ']' right after '[' or '[^' is a literal
                    let literal = i = classStart + 1 || (i = classStart + 2 && pattern[classStart + 1] = '^')
                    if not literal then inClass <- false
                sb.Append(c) |> ignore
                i <- i + 1
        sb.ToString()

    /// re.split(pattern, text) for a pattern with one capturing group: text between matches and
    /// the group's text (None when it did not take part), Python ≥ 3.7 rules for empty matches
    /// (an empty match may not sit where the previous match ended empty).
    let split (regex: Regex) (text: string) : string option list =
        let out = ResizeArray<string option>()
        let mutable last, pos = 0, 0
        let mutable mustAdvance = false
        let mutable fin = false
        while not fin do
            let mutable m = if pos <= text.Length then regex.Match(text, pos) else Match.Empty
            if m.Success && mustAdvance && m.Length = 0 && m.Index = pos then
                m <- if pos + 1 <= text.Length then regex.Match(text, pos + 1) else Match.Empty
            if not m.Success then fin <- true
            else
                out.Add(Some text[last .. m.Index - 1])
                for g in 1 .. m.Groups.Count - 1 do
                    out.Add(if m.Groups[g].Success then Some m.Groups[g].Value else None)
                mustAdvance <- m.Length = 0
                last <- m.Index + m.Length
                pos <- last
        out.Add(Some text[last ..])
        List.ofSeq out

    /// Python's len(s): code points (a surrogate pair counts once, a lone surrogate once).
    let codePoints (s: string) =
        let mutable n, i = 0, 0
        while i < s.Length do
            i <- i + (if Char.IsHighSurrogate s[i] && i + 1 < s.Length && Char.IsLowSurrogate s[i + 1] then 2 else 1)
            n <- n + 1
        n

    /// The default tokenisation `re.split(r'(\W+)|$', text)` without empty pieces, by a scan over
    /// code points with Python's \w: maximal runs of word and non-word characters alternate.
    let splitWords (text: string) : string[] =
        let pieces = ResizeArray<string>()
        let mutable start, i = 0, 0
        let mutable current = None
        while i < text.Length do
            let mutable r = Rune()
            // A lone surrogate is one non-word code point, as in a Python str.
            let w, len = if Rune.TryGetRuneAt(text, i, &r) then isWordRune r, r.Utf16SequenceLength else false, 1
            match current with
            | Some c when c <> w ->
                pieces.Add text[start .. i - 1]
                start <- i
            | _ -> ()
            current <- Some w
            i <- i + len
        if text.Length > start then pieces.Add text[start ..]
        pieces.ToArray()
