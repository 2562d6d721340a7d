/// The tokenizer: golden splits, and agreement with LIME text's words on random texts (so LIME
/// removes exactly the classifier's tokens).
module ScratchML.Tests.NN.Text.TokenizerTests

open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML.NN
open ScratchML.Lime

/// Texts over letters (ASCII, accented, Greek, CJK), digits, '_', punctuation, spaces, a
/// combining accent, a superscript and an astral letter (𝐀, two UTF-16 units).
let private texts =
    Gen.elements [ "a"; "Z"; "é"; "Ω"; "中"; "7"; "_"; "-"; "."; " "; "\n"; "'"; "\u0301"; "²"; "𝐀"; "@" ]
    |> Gen.listOf |> Gen.map (String.concat "")

[<Tests>]
let tests =
    testList "NN.Text.Tokenizer" [
        test "words are lower-cased runs of word characters" {
            Expect.equal (Tokenizer.words "Re: RPM-List, 2 builds") [| "re"; "rpm"; "list"; "2"; "builds" |] "golden"
            Expect.equal (Tokenizer.words "snake_case x²  Ünïcode!") [| "snake_case"; "x²"; "ünïcode" |] "'_', numbers, accents"
            Expect.equal (Tokenizer.words " ... ") [||] "no words"
        }
        testProperty "the words are LIME's word pieces, lower-cased" <| Prop.forAll (Arb.fromGen texts) (fun text ->
            let indexed = IndexedString.create IndexedString.DefaultSplit false "UNKWORDZ" text
            let lime = Array.zip indexed.Pieces indexed.IsWord |> Array.filter snd |> Array.map (fun (p, _) -> p.ToLowerInvariant())
            Tokenizer.words text = lime)
    ]
