/// The text explainer against the original LIME: IndexedString on every recorded case (pieces,
/// vocabulary, positions, offsets, inverse_removing) and a full explain_instance run fed with
/// LIME's recorded neighbourhood.
module ScratchML.Tests.Lime.TextTests

open System.Text.Json
open System.Text.RegularExpressions
open Expecto
open ScratchML.Lime
open ScratchML.Tests
open ScratchML.Tests.Lime.LimeFixtures

/// One bow_true / bow_false section of a case.
let checkIndexed (text: string) (split: string) (bow: bool) (e: JsonElement) =
    let what = $"{Regex.Escape text} bow={bow}"
    let s = IndexedString.create split bow "UNKWORDZ" text
    Expect.equal s.Pieces (strings (e.GetProperty "as_list")) $"{what}: as_list"
    Expect.equal s.Vocabulary (strings (e.GetProperty "inverse_vocab")) $"{what}: inverse_vocab"
    let positions =
        [| for p in e.GetProperty("positions").EnumerateArray() ->
            if p.ValueKind = JsonValueKind.Array then ints p else [| p.GetInt32() |] |]
    Expect.equal s.Positions positions $"{what}: positions"
    Expect.equal s.StringStart (ints (e.GetProperty "string_start")) $"{what}: string_start"
    let spos = [| for p in e.GetProperty("string_position_of_each_word").EnumerateArray() -> ints p |]
    Expect.equal (Array.init s.Vocabulary.Length (IndexedString.stringPositions s)) spos $"{what}: string positions"
    for r in e.GetProperty("inverse_removing").EnumerateArray() do
        let remove = ints (r.GetProperty "remove")
        match r.GetProperty("result").ValueKind with
        | JsonValueKind.Null ->
            Expect.throwsT<System.ArgumentException> (fun () -> IndexedString.inverseRemoving s remove |> ignore)
                $"{what}: remove {remove} should fail as in LIME"
        | _ -> Expect.equal (IndexedString.inverseRemoving s remove) (r.GetProperty("result").GetString()) $"{what}: remove %A{remove}"

let indexedString (root: JsonElement) () =
    for case in root.GetProperty("cases").EnumerateArray() do
        let text, split = case.GetProperty("text").GetString(), case.GetProperty("split_expression").GetString()
        checkIndexed text split true (case.GetProperty "bow_true")
        checkIndexed text split false (case.GetProperty "bow_false")

/// tokens = re.findall(r'\w+', s); z = bias + Σ weights[token.lower()]; p = [1 − σ(z), σ(z)].
let bagOfWordsClassifier (c: JsonElement) =
    let weights = [ for p in c.GetProperty("weights").EnumerateObject() -> p.Name, p.Value.GetDouble() ] |> Map.ofList
    let bias = c.GetProperty("bias").GetDouble()
    let word = Regex($"[{PyRegex.WordClass}]+")
    fun (texts: string[]) ->
        Array2D.init texts.Length 2 (fun i j ->
            let mutable z = bias
            for m in word.Matches texts[i] do
                z <- z + (weights.TryFind(m.Value.ToLowerInvariant()) |> Option.defaultValue 0.0)
            let p = 1.0 / (1.0 + exp -z)
            if j = 0 then 1.0 - p else p)

let explainRecorded (root: JsonElement) () =
    let cfg = root.GetProperty "explainer"
    let text = root.GetProperty("text").GetString()
    let options =
        { Text.defaults with
            KernelWidth = cfg.GetProperty("kernel_width").GetDouble()
            Bow = cfg.GetProperty("bow").GetBoolean()
            SplitExpression = cfg.GetProperty("split_expression").GetString()
            FeatureSelection = LimeBaseTests.selectionOf (cfg.GetProperty("feature_selection").GetString()) }
    let indexed = Text.index options text
    Expect.equal indexed.Vocabulary (strings (root.GetProperty "inverse_vocab")) "inverse_vocab"
    let data = matrix (root.GetProperty "neighborhood_data")
    let n, d = Array2D.length1 data, Array2D.length2 data
    let perturbed = strings (root.GetProperty "perturbed_strings")
    for i in 0 .. n - 1 do
        let text = if i = 0 then indexed.Raw else IndexedString.inverseRemoving indexed [ for j in 0 .. d - 1 do if data[i, j] = 0.0 then j ]
        Expect.equal text perturbed[i] $"perturbed_strings[{i}]"
    let distances = Kernels.cosine data |> Array.map (fun x -> x * 100.0)
    expectAll (Tolerance.close 1e-12 1e-11) "distances" distances (vector (root.GetProperty "distances"))
    let classifier = bagOfWordsClassifier (root.GetProperty "classifier")
    let labels = classifier perturbed
    expectAll (Tolerance.close 1e-12 1e-15) "neighborhood_labels" (Seq.cast<float> labels |> Array.ofSeq) (vector (root.GetProperty "neighborhood_labels"))
    let explainOptions =
        { Text.explainDefaults with
            Labels = LabelChoice.Labels (ints (cfg.GetProperty "labels") |> List.ofArray)
            NumFeatures = cfg.GetProperty("num_features").GetInt32()
            NumSamples = n }
    let e = Text.explainSamples options indexed data classifier explainOptions
    let result = root.GetProperty "result"
    let label = result.GetProperty("label").GetInt32()
    expectResult "explanation" (e.For label) result
    let asList = [| for p in result.GetProperty("as_list").EnumerateArray() -> p[0].GetString() |]
    Expect.equal (e.AsList label |> Array.map fst) asList "as_list words"

let fixtureTests =
    Fixtures.family "lime_text" (fun file root ->
        match file with
        | "indexed_string" -> Ok (indexedString root)
        | "explain" -> Ok (explainRecorded root)
        | other -> Error $"no handler for lime_text/{other}")

/// Python's \w versus .NET's on the characters where they differ.
let wordCharTests =
    testList "PyRegex" [
        let word (s: string) = PyRegex.isWordRune (System.Text.Rune.GetRuneAt(s, 0))
        test "combining acute is not a word character" { Expect.isFalse (word "\u0301") "" }
        test "superscript two is a word character" { Expect.isTrue (word "²") "" }
        test "undertie is not a word character" { Expect.isFalse (word "‿") "" }
        test "underscore is a word character" { Expect.isTrue (word "_") "" }
        test "astral letter is a word character" { Expect.isTrue (word "𝐀") "" }
        test "emoji is not a word character" { Expect.isFalse (word "😀") "" }
        test "translated \\W+ splits like the scanner" {
            let text = "naïve x² a‿b 𝐀x😀y, 3½!"
            let translated = PyRegex.translate @"\W+"
            let regex = Regex("(" + translated + ")|$")
            let viaRegex = PyRegex.split regex "café x² a‿b" |> List.choose id |> List.filter ((<>) "")
            Expect.equal (Array.ofList viaRegex) (PyRegex.splitWords "café x² a‿b") "BMP text"
            Expect.equal (PyRegex.splitWords text |> String.concat "") text "pieces rebuild the text" } ]

/// IndexedCharacters: every code point is a feature (spaces too); bow groups equal characters.
let charTests =
    testList "IndexedCharacters" [
        test "bow: distinct characters in first-occurrence order" {
            let s = IndexedString.characters true "\000" "abca 𝐀"
            Expect.equal s.Vocabulary [| "a"; "b"; "c"; " "; "𝐀" |] "a surrogate pair is one character"
            Expect.equal s.Positions[0] [| 0; 3 |] "both a's"
            Expect.equal (IndexedString.inverseRemoving s [ 0 ]) "bc 𝐀" "removed everywhere" }
        test "no bow: each occurrence masked with chr(0)" {
            let s = IndexedString.characters false "\000" "aba"
            Expect.equal (IndexedString.inverseRemoving s [ 2 ]) "ab\000" "last a masked" }
        test "char-level explainer finds the decisive character" {
            let classify (texts: string[]) =
                Array2D.init texts.Length 2 (fun i j -> let p = (if texts[i].Contains 'x' then 0.9 else 0.1) in if j = 0 then 1.0 - p else p)
            let e = Text.explain { Text.defaults with CharLevel = true } "abxcd" classify { Text.explainDefaults with NumFeatures = 1; NumSamples = 400 }
            Expect.equal (e.AsList 1 |> Array.map fst) [| "x" |] "x decides" } ]

[<Tests>]
let tests = testList "Lime.Text" [ fixtureTests; wordCharTests; charTests ]
