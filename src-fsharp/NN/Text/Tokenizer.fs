/// Tokenisation for text classifiers: a text → its words, lower-cased.
/// Layer: NN/Text, first file. Read next: Vocabulary.fs (words → ids).
///
/// A word is a maximal run of Python word characters (letters, numbers, '_'): the same rule as
/// LIME text's default split on \W+ (Lime/Text/PyRegex.fs), so every word LIME removes from a
/// text is exactly one of the tokens the classifier reads. NN does not reference Lime, so the
/// eight-category rule is repeated here; a test checks the two agree on random texts.
namespace ScratchML.NN

open System
open System.Globalization
open System.Text

/// Splitting texts into lower-case words.
[<RequireQualifiedAccess>]
module Tokenizer =
    /// Python's \w on one code point: a letter (Lu Ll Lt Lm Lo), a number (Nd Nl No) or '_'.
    let isWordRune (r: Rune) =
        if r.Value = int '_' then true
        else
            match Rune.GetUnicodeCategory r with
            | UnicodeCategory.UppercaseLetter | UnicodeCategory.LowercaseLetter
            | UnicodeCategory.TitlecaseLetter | UnicodeCategory.ModifierLetter
            | UnicodeCategory.OtherLetter | UnicodeCategory.DecimalDigitNumber
            | UnicodeCategory.LetterNumber | UnicodeCategory.OtherNumber -> true
            | _ -> false

    /// The words of a text in order, each lower-cased (invariant culture):
    /// words("Re: RPM-List, 2 builds") = [| "re"; "rpm"; "list"; "2"; "builds" |].
    let words (text: string) : string[] =
        if isNull text then nullArg "text"
        let found = ResizeArray<string>()
        let mutable start = -1 // UTF-16 index where the current word began, −1 between words
        let mutable i = 0
        while i < text.Length do
            let mutable r = Rune()
            // a lone surrogate is one non-word code point, as in a Python str
            let word, length =
                if Rune.TryGetRuneAt(text, i, &r) then isWordRune r, r.Utf16SequenceLength else false, 1
            if word && start < 0 then start <- i
            elif not word && start >= 0 then
                found.Add(text.Substring(start, i - start).ToLowerInvariant())
                start <- -1
            i <- i + length
        if start >= 0 then found.Add(text.Substring(start).ToLowerInvariant())
        found.ToArray()
