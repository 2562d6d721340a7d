/// Test images with obvious regions, and label-map agreement measures (adjusted Rand index,
/// pixel agreement after best matching) shared by the segmentation tests.
module ScratchML.Tests.Lime.Image.Synthetic

open ScratchML
open ScratchML.Lime.Image

/// The four quadrant colours (RGB in [0, 1]): red, green, blue, yellow.
let quadrantColours = [| [| 0.9; 0.1; 0.1 |]; [| 0.1; 0.8; 0.2 |]; [| 0.1; 0.2; 0.9 |]; [| 0.9; 0.9; 0.2 |] |]

/// Quadrant index of pixel (r, c) in an n×n image: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right.
let quadrantOf n r c = (if r < n / 2 then 0 else 2) + (if c < n / 2 then 0 else 1)

/// An n×n image of 4 flat colour quadrants plus uniform noise of ±noise per value (SplitMix64 seed).
let quadrants (n: int) (noise: float) (seed: int) =
    let rng = SplitMix64(seed)
    let pixels =
        [| for r in 0 .. n - 1 do
             for c in 0 .. n - 1 do
                 for k in 0 .. 2 -> quadrantColours[quadrantOf n r c][k] + noise * (2.0 * rng.Uniform() - 1.0) |]
    RgbImage.create n n pixels

/// The ground-truth label map of `quadrants n`.
let quadrantLabels n = [| for r in 0 .. n - 1 do for c in 0 .. n - 1 -> quadrantOf n r c |]

/// Adjusted Rand index (Hubert & Arabie) of two label maps: 1 = identical partitions, ≈0 = chance.
let adjustedRand (a: int[]) (b: int[]) =
    let choose2 (x: int64) = float (x * (x - 1L) / 2L)
    let table = System.Collections.Generic.Dictionary<struct (int * int), int64>()
    let rows = System.Collections.Generic.Dictionary<int, int64>()
    let cols = System.Collections.Generic.Dictionary<int, int64>()
    let bump (d: System.Collections.Generic.Dictionary<'k, int64>) k =
        d[k] <- (match d.TryGetValue k with | true, v -> v + 1L | _ -> 1L)
    for i in 0 .. a.Length - 1 do
        bump table (struct (a[i], b[i]))
        bump rows a[i]
        bump cols b[i]
    let index = table.Values |> Seq.sumBy choose2
    let sa = rows.Values |> Seq.sumBy choose2
    let sb = cols.Values |> Seq.sumBy choose2
    let expected = sa * sb / choose2 (int64 a.Length)
    let maximum = 0.5 * (sa + sb)
    if maximum = expected then 1.0 else (index - expected) / (maximum - expected)

/// Fraction of pixels whose label in `a` maps to their label in `b` when each label of `a` is
/// matched to the label of `b` it overlaps most (many-to-one).
let pixelAgreement (a: int[]) (b: int[]) =
    a |> Array.mapi (fun i l -> l, b[i]) |> Array.groupBy fst
    |> Array.sumBy (fun (_, pairs) -> pairs |> Array.countBy snd |> Array.map snd |> Array.max)
    |> fun agree -> float agree / float a.Length
