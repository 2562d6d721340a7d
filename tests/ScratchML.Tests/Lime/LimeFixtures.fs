/// Reading LIME fixture values into the shapes the library takes (float[,], float[], names),
/// and comparing at the fixtures README's tolerances.
module ScratchML.Tests.Lime.LimeFixtures

open System.Text.Json
open Expecto
open ScratchML.Tests

/// A fixture array as a matrix (2-d) — a 1-d array becomes one column.
let matrix (e: JsonElement) =
    let a = Fixtures.array e
    let rows = a.Shape[0]
    let cols = if a.Shape.Length > 1 then a.Shape[1] else 1
    Array2D.init rows cols (fun i j -> a.Data[i * cols + j])

/// A fixture array as its flat data.
let vector (e: JsonElement) = (Fixtures.array e).Data

/// A JSON list of strings.
let strings (e: JsonElement) = [| for x in e.EnumerateArray() -> x.GetString() |]

/// A JSON list of ints.
let ints (e: JsonElement) = [| for x in e.EnumerateArray() -> x.GetInt32() |]

/// A property by dotted path.
let rec at (path: string) (e: JsonElement) =
    match path.IndexOf '.' with
    | -1 -> e.GetProperty path
    | i -> at path[i + 1 ..] (e.GetProperty path[.. i - 1])

/// LIME weights, intercepts, scores: rtol 1e-8 (fixtures README, Tolerances).
let weightClose = Tolerance.close 1e-8 1e-12

/// Assert two float sequences agree elementwise under `close`.
let expectAll (close: float -> float -> bool) (what: string) (actual: float[]) (expected: float[]) =
    Expect.equal actual.Length expected.Length $"{what}: length"
    for i in 0 .. actual.Length - 1 do
        if not (close actual[i] expected[i]) then
            failtest $"{what}[{i}]: got {actual[i]:R}, expected {expected[i]:R}"

/// Assert one number under `close`.
let expectClose (close: float -> float -> bool) (what: string) (actual: float) (expected: float) =
    if not (close actual expected) then failtest $"{what}: got {actual:R}, expected {expected:R}"

/// The expected exp list [[feature, weight], ...].
let expList (e: JsonElement) =
    [| for p in e.EnumerateArray() -> p[0].GetInt32(), p[1].GetDouble() |]

/// Compare a LabelExplanation with a fixture result (indices and order exact, numbers rtol 1e-8).
let expectResult (what: string) (actual: ScratchML.Lime.LabelExplanation) (expected: JsonElement) =
    let exp = expList (expected.GetProperty "exp")
    Expect.equal (Array.map fst actual.Weights) (Array.map fst exp) $"{what}: feature order"
    expectAll weightClose $"{what}: weights" (Array.map snd actual.Weights) (Array.map snd exp)
    expectClose weightClose $"{what}: intercept" actual.Intercept (expected.GetProperty("intercept").GetDouble())
    expectClose weightClose $"{what}: score" actual.Score (expected.GetProperty("score").GetDouble())
    expectClose weightClose $"{what}: local_pred" actual.LocalPrediction (expected.GetProperty("local_pred").GetDouble())
