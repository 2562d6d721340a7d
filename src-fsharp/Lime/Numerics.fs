/// The few numerical building blocks LIME needs, written to match NumPy/SciPy where the
/// last bits matter: NumPy's pairwise summation, percentiles, rounding; Cholesky and SVD solves.
/// Layer: Lime (above Core). Read next: Sampling.fs.
namespace ScratchML.Lime

open System

/// Row-major float matrices (float[,]) moved in bulk: F#'s Array2D.copy/blit go element by element
/// through generic accessors, two orders of magnitude slower on the sample matrices.
[<RequireQualifiedAccess>]
module Matrix =
    /// A copy of m.
    let copy (m: float[,]) =
        let c = Array2D.zeroCreate (Array2D.length1 m) (Array2D.length2 m)
        Buffer.BlockCopy(m, 0, c, 0, m.Length * 8)
        c

    /// Rows [start, start + count) of m as a new matrix.
    let rows (m: float[,]) (start: int) (count: int) =
        let cols = Array2D.length2 m
        let c = Array2D.zeroCreate count cols
        Buffer.BlockCopy(m, start * cols * 8, c, 0, count * cols * 8)
        c

    /// Copy all of `part` into `target` starting at row `start` (same column count).
    let setRows (target: float[,]) (start: int) (part: float[,]) =
        Buffer.BlockCopy(part, 0, target, start * Array2D.length2 target * 8, part.Length * 8)

    /// An n×m matrix filled with v.
    let create (n: int) (m: int) (v: float) =
        let c = Array2D.zeroCreate n m
        for i in 0 .. n - 1 do
            for j in 0 .. m - 1 do c[i, j] <- v
        c

[<RequireQualifiedAccess>]
module Numerics =
    /// NumPy's pairwise sum of x[start .. start+n-1] (blocks of 8 partial sums, halving above
    /// 128 elements): the order `np.sum` uses on a contiguous 1-d array, so means agree bit for bit.
    let rec pairwiseSumRange (x: float[]) (start: int) (n: int) : float =
        if n < 8 then
            let mutable s = 0.0
            for i in start .. start + n - 1 do s <- s + x[i]
            s
        elif n <= 128 then
            let r = Array.init 8 (fun j -> x[start + j])
            let mutable i = 8
            while i < n - (n % 8) do
                for j in 0 .. 7 do r[j] <- r[j] + x[start + i + j]
                i <- i + 8
            let mutable s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n do
                s <- s + x[start + i]
                i <- i + 1
            s
        else
            let half = n / 2
            let half = half - half % 8
            pairwiseSumRange x start half + pairwiseSumRange x (start + half) (n - half)

    /// Σ xᵢ in NumPy's pairwise order.
    let pairwiseSum (x: float[]) = pairwiseSumRange x 0 x.Length

    /// np.mean(x) = pairwise Σ xᵢ / n.
    let mean (x: float[]) = pairwiseSum x / float x.Length

    /// np.std(x) (population): sqrt(pairwise Σ (xᵢ − mean)² / n).
    let std (x: float[]) =
        let m = mean x
        sqrt (pairwiseSum (x |> Array.map (fun v -> (v - m) * (v - m))) / float x.Length)

    /// np.average(x, weights=w) = pairwise Σ wᵢxᵢ / pairwise Σ wᵢ.
    let weightedMean (x: float[]) (w: float[]) =
        pairwiseSum (Array.map2 (*) x w) / pairwiseSum w

    /// np.around(x, decimals): rint(x·10ᵈ)/10ᵈ with ties to even (NumPy's definition).
    let around (decimals: int) (x: float) =
        let f = Math.Pow(10.0, float decimals)
        Math.Round(x * f, MidpointRounding.ToEven) / f

    /// np.percentile(values, p), linear method: on sorted v, h = (n−1)·p/100,
    /// result = lerp(v⌊h⌋, v⌊h⌋₊₁, h − ⌊h⌋) with NumPy's two-sided lerp (b − (b−a)(1−t) for t ≥ ½).
    let percentile (sorted: float[]) (p: float) =
        let n = sorted.Length
        let h = float (n - 1) * (p / 100.0)
        let below = Math.Floor h
        let lo = min (int below) (n - 1)
        let hi = min (lo + 1) (n - 1)
        let t = h - below
        let a, b = sorted[lo], sorted[hi]
        let diff = b - a
        if t >= 0.5 then b - diff * (1.0 - t) else a + diff * t

    /// Cholesky factor L (lower, A = L·Lᵀ) as LAPACK dpotrf computes it; None when a pivot is
    /// not positive (the matrix is not numerically positive definite: SciPy raises LinAlgError).
    let cholesky (a: float[,]) : float[,] option =
        let n = Array2D.length1 a
        let l = Array2D.zeroCreate n n
        let mutable ok = true
        let mutable j = 0
        while ok && j < n do
            let mutable d = a[j, j]
            for k in 0 .. j - 1 do d <- d - l[j, k] * l[j, k]
            if not (d > 0.0) then ok <- false
            else
                let ljj = sqrt d
                l[j, j] <- ljj
                for i in j + 1 .. n - 1 do
                    let mutable s = a[i, j]
                    for k in 0 .. j - 1 do s <- s - l[i, k] * l[j, k]
                    l[i, j] <- s / ljj
            j <- j + 1
        if ok then Some l else None

    /// Solve L·Lᵀ·x = b by forward then backward substitution (LAPACK dpotrs).
    let choleskySolve (l: float[,]) (b: float[]) =
        let n = b.Length
        let y = Array.copy b
        for i in 0 .. n - 1 do
            let mutable s = y[i]
            for k in 0 .. i - 1 do s <- s - l[i, k] * y[k]
            y[i] <- s / l[i, i]
        for i in n - 1 .. -1 .. 0 do
            let mutable s = y[i]
            for k in i + 1 .. n - 1 do s <- s - l[k, i] * y[k]
            y[i] <- s / l[i, i]
        y

    /// Ridge by SVD, scikit-learn's fallback `_solve_svd`: Z = U·S·Vᵀ,
    /// β = V · diag(sᵢ/(sᵢ² + α) for sᵢ > 1e-15, else 0) · Uᵀy. With α = 0 it is the minimum-norm
    /// least-squares solution. `z` is n×k (rows × columns).
    let svdRidge (alpha: float) (z: float[,]) (y: float[]) =
        let m = MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.DenseOfArray z
        let svd = m.Svd(true)
        let u, s, vt = svd.U, svd.S, svd.VT
        let k = Array2D.length2 z
        let r = min (Array2D.length1 z) k
        let beta = Array.zeroCreate k
        for c in 0 .. r - 1 do
            if s[c] > 1e-15 then
                let mutable uty = 0.0
                for i in 0 .. y.Length - 1 do uty <- uty + u[i, c] * y[i]
                let d = s[c] / (s[c] * s[c] + alpha) * uty
                for j in 0 .. k - 1 do beta[j] <- beta[j] + vt[c, j] * d
        beta
