/// Distances from every perturbed row to the instance (row 0), and LIME's kernel turning a
/// distance into a sample weight. Layer: Lime. Read next: WeightedRidge.fs.
namespace ScratchML.Lime

open System
open System.Runtime.InteropServices

/// How far a perturbed row is from the instance.
[<RequireQualifiedAccess>]
type Distance =
    /// d = ‖x − x₀‖₂ (LimeTabularExplainer, on scaled or binary rows).
    | Euclidean
    /// d = 1 − x·x₀ / (‖x‖‖x₀‖), clipped to [0, 2]; a zero row has similarity 0, so d = 1
    /// (scikit-learn normalises a zero vector to zero). Text LIME multiplies it by 100.
    | Cosine

[<RequireQualifiedAccess>]
module Kernels =
    /// LIME's default kernel: w = sqrt(exp(−d²/width²)) = exp(−d²/(2·width²)).
    let exponential (width: float) (d: float) = sqrt (exp (-(d * d) / (width * width)))

    /// Default kernel widths: tabular 0.75·sqrt(#features), text 25, image 0.25.
    let tabularWidth (featureCount: int) = sqrt (float featureCount) * 0.75

    /// The text explainer's kernel width.
    [<Literal>]
    let TextWidth = 25.0

    /// The image explainer's kernel width.
    [<Literal>]
    let ImageWidth = 0.25

    /// d(xᵢ, x₀) = sqrt(Σⱼ (xᵢⱼ − x₀ⱼ)²) for every row i of `rows` (row 0 is the instance).
    /// Each sum runs over j in order; four rows are summed side by side so the additions of one
    /// row do not wait for each other's results.
    let euclidean (rows: float[,]) : float[] =
        let n, d = Array2D.length1 rows, Array2D.length2 rows
        let result = Array.zeroCreate n
        if n > 0 then
            let all = MemoryMarshal.CreateReadOnlySpan(&rows[0, 0], n * d)
            let x0 = all.Slice(0, d).ToArray()
            let mutable i = 0
            while i + 4 <= n do
                let mutable s0, s1, s2, s3 = 0.0, 0.0, 0.0, 0.0
                let start = i * d
                for j in 0 .. d - 1 do
                    let c = x0[j]
                    let e0 = all[start + j] - c
                    let e1 = all[start + d + j] - c
                    let e2 = all[start + 2 * d + j] - c
                    let e3 = all[start + 3 * d + j] - c
                    s0 <- s0 + e0 * e0
                    s1 <- s1 + e1 * e1
                    s2 <- s2 + e2 * e2
                    s3 <- s3 + e3 * e3
                result[i] <- sqrt s0
                result[i + 1] <- sqrt s1
                result[i + 2] <- sqrt s2
                result[i + 3] <- sqrt s3
                i <- i + 4
            while i < n do
                let mutable s = 0.0
                for j in 0 .. d - 1 do
                    let e = all[i * d + j] - x0[j]
                    s <- s + e * e
                result[i] <- sqrt s
                i <- i + 1
        result

    /// Cosine distance of every row to row 0 as scikit-learn computes it: each row divided by
    /// its norm sqrt(Σx²) (a zero row stays zero), d = clip(1 − x̂ᵢ·x̂₀, 0, 2).
    let cosine (rows: float[,]) : float[] =
        let n, d = Array2D.length1 rows, Array2D.length2 rows
        let norm i =
            let mutable s = 0.0
            for j in 0 .. d - 1 do s <- s + rows[i, j] * rows[i, j]
            let s = sqrt s
            if s = 0.0 then 1.0 else s
        let n0 = norm 0
        let x0 = Array.init d (fun j -> rows[0, j] / n0)
        Array.init n (fun i ->
            let ni = norm i
            let mutable sim = 0.0
            for j in 0 .. d - 1 do
                if rows[i, j] <> 0.0 && x0[j] <> 0.0 then sim <- sim + (rows[i, j] / ni) * x0[j]
            min 2.0 (max 0.0 (1.0 - sim)))

    /// The chosen distance of every row to row 0.
    let distances (distance: Distance) (rows: float[,]) =
        match distance with
        | Distance.Euclidean -> euclidean rows
        | Distance.Cosine -> cosine rows

    /// Kernel weights wᵢ = sqrt(exp(−dᵢ²/width²)).
    let weights (width: float) (distances: float[]) = distances |> Array.map (exponential width)
