/// Weighted ridge regression exactly as scikit-learn's Ridge(alpha, fit_intercept=True) with
/// sample_weight: LIME's local surrogate model. Layer: Lime. Read next: Lars.fs.
namespace ScratchML.Lime

open System
open System.Buffers
open System.Threading.Tasks
open System.Runtime.InteropServices
open System.Runtime.Intrinsics

/// A fitted linear model ŷ = intercept + x·coef (coef over the columns it was fitted on).
type RidgeModel =
    { Intercept: float
      Coef: float[]
      /// The columns of the data matrix the coefficients belong to, in coefficient order.
      Columns: int[] }

[<RequireQualifiedAccess>]
module WeightedRidge =
    /// Weighted column means x̄ⱼ = Σᵢ wᵢxᵢⱼ / Σᵢ wᵢ (row by row, as NumPy reduces axis 0).
    let columnMeans (x: float[,]) (columns: int[]) (w: float[]) =
        let sw = Numerics.pairwiseSum w
        let sums = Array.zeroCreate columns.Length
        let d = Array2D.length2 x
        for i in 0 .. w.Length - 1 do // rows outer: x is row-major
            let row = MemoryMarshal.CreateReadOnlySpan(&x[i, 0], d)
            let wi = w[i]
            for k in 0 .. columns.Length - 1 do sums[k] <- sums[k] + row[columns[k]] * wi
        sums |> Array.map (fun s -> s / sw)

    /// Zⱼ = (x·ⱼ − x̄ⱼ)·sqrt(w): the centred, sqrt-weighted columns scikit-learn solves on.
    let weightedColumns (x: float[,]) (columns: int[]) (means: float[]) (sqrtW: float[]) =
        let z = columns |> Array.map (fun _ -> Array.zeroCreate<float> sqrtW.Length)
        let d = Array2D.length2 x
        for i in 0 .. sqrtW.Length - 1 do
            let row = MemoryMarshal.CreateReadOnlySpan(&x[i, 0], d)
            let si = sqrtW[i]
            for k in 0 .. columns.Length - 1 do z[k][i] <- (row[columns[k]] - means[k]) * si
        z

    /// Rows per chunk of the Gram kernel: 512 rows of ~100 columns stay in a 512 KB L2 cache.
    [<Literal>]
    let private ChunkRows = 512

    /// G = ZᵀZ (k×k, symmetric) by a register-blocked SIMD kernel: 4 columns of Z against 2 at a
    /// time, 4 rows per FMA, on a zero-padded column-major copy. Rows go in chunks of 512 (cache
    /// sized); each chunk's partial Gram is computed by one thread and the partials are added in
    /// chunk order, so the result never depends on the number of threads.
    let gram (z: float[][]) =
        let k = z.Length
        let g = Array2D.zeroCreate k k
        if k > 0 then
            let n = z[0].Length
            let kp, np = (k + 3) / 4 * 4, (n + 3) / 4 * 4
            // A pooled buffer (1 MB for LIME's 5000×30): a fresh one per fit costs more in page
            // faults and zeroing than the kernel itself. Only the copied columns and zero padding
            // are read.
            let buf = ArrayPool<float>.Shared.Rent(kp * np)
            Array.Clear(buf, 0, kp * np)
            for c in 0 .. k - 1 do Array.blit z[c] 0 buf (c * np) n
            let chunks = (np + ChunkRows - 1) / ChunkRows
            let partials = Array.init chunks (fun _ -> Array2D.zeroCreate<float> k k)
            let chunk (c: int) =
                let p = partials[c]
                let r0, r1 = c * ChunkRows, min np ((c + 1) * ChunkRows)
                for a in 0 .. 4 .. kp - 1 do
                    let a0, a1, a2, a3 = a * np, (a + 1) * np, (a + 2) * np, (a + 3) * np
                    for b in 0 .. 2 .. a + 3 do
                        let b0, b1 = b * np, (b + 1) * np
                        let mutable s00 = Vector256<float>.Zero
                        let mutable s01 = Vector256<float>.Zero
                        let mutable s10 = Vector256<float>.Zero
                        let mutable s11 = Vector256<float>.Zero
                        let mutable s20 = Vector256<float>.Zero
                        let mutable s21 = Vector256<float>.Zero
                        let mutable s30 = Vector256<float>.Zero
                        let mutable s31 = Vector256<float>.Zero
                        let mutable i = r0
                        while i < r1 do
                            let v0 = Vector256.Create(buf, b0 + i)
                            let v1 = Vector256.Create(buf, b1 + i)
                            let u = Vector256.Create(buf, a0 + i)
                            s00 <- Vector256.FusedMultiplyAdd(u, v0, s00)
                            s01 <- Vector256.FusedMultiplyAdd(u, v1, s01)
                            let u = Vector256.Create(buf, a1 + i)
                            s10 <- Vector256.FusedMultiplyAdd(u, v0, s10)
                            s11 <- Vector256.FusedMultiplyAdd(u, v1, s11)
                            let u = Vector256.Create(buf, a2 + i)
                            s20 <- Vector256.FusedMultiplyAdd(u, v0, s20)
                            s21 <- Vector256.FusedMultiplyAdd(u, v1, s21)
                            let u = Vector256.Create(buf, a3 + i)
                            s30 <- Vector256.FusedMultiplyAdd(u, v0, s30)
                            s31 <- Vector256.FusedMultiplyAdd(u, v1, s31)
                            i <- i + 4
                        let put r c (v: Vector256<float>) =
                            if r < k && c < k && c <= r then p[r, c] <- ScratchML.VecMath.laneSum v
                        put a b s00; put a (b + 1) s01; put (a + 1) b s10; put (a + 1) (b + 1) s11
                        put (a + 2) b s20; put (a + 2) (b + 1) s21; put (a + 3) b s30; put (a + 3) (b + 1) s31
            if k * k * n > 4_000_000 then Parallelism.forEach chunks chunk
            else for c in 0 .. chunks - 1 do chunk c
            ArrayPool<float>.Shared.Return buf
            for r in 0 .. k - 1 do
                for c in 0 .. r do
                    let mutable s = 0.0
                    for part in partials do s <- s + part[r, c]
                    g[r, c] <- s
                    g[c, r] <- s
        g

    /// Solve (G + αI)β = b by Cholesky (LAPACK dpotrf/dpotrs); None when G + αI is not
    /// numerically positive definite. G is not modified.
    let private choleskyRidge (alpha: float) (g: float[,]) (b: float[]) =
        let k = b.Length
        let a = Array2D.init k k (fun r c -> if r = c then g[r, c] + alpha else g[r, c])
        Numerics.cholesky a |> Option.map (fun l -> Numerics.choleskySolve l b)

    /// Solve (ZᵀZ + αI)β = Zᵀy as scikit-learn's "cholesky" solver does: Cholesky of the normal
    /// equations (k ≤ n) or of the kernel ZZᵀ + αI (k > n, β = Zᵀ·dual); when the matrix is not
    /// positive definite (e.g. α = 0 with a constant column) it falls back to the SVD solve.
    let solve (alpha: float) (z: float[][]) (y: float[]) : float[] =
        let k, n = z.Length, y.Length
        let svd () = Numerics.svdRidge alpha (Array2D.init n k (fun i j -> z[j][i])) y
        if k = 0 then [||]
        elif k <= n then
            let zy = z |> Array.map (fun c -> ScratchML.VecMath.dot (ReadOnlySpan c) (ReadOnlySpan y))
            match choleskyRidge alpha (gram z) zy with
            | Some beta -> beta
            | None -> svd ()
        else
            let kernel = Array2D.init n n (fun i j ->
                let mutable s = 0.0
                for c in 0 .. k - 1 do s <- s + z[c][i] * z[c][j]
                if i = j then s + alpha else s)
            match Numerics.cholesky kernel with
            | Some l ->
                let dual = Numerics.choleskySolve l y
                z |> Array.map (fun c -> ScratchML.VecMath.dot (ReadOnlySpan c) (ReadOnlySpan dual))
            | None -> svd ()

    /// What every weighted ridge fit on a subset of `columns` needs, computed once: weighted
    /// means x̄, ȳ, the centred sqrt-weighted columns Z and target t = (y − ȳ)·sqrt(w), Zᵀt and the
    /// Gram matrix ZᵀZ. Centring is per column, so a subset's Z, Zᵀt and ZᵀZ are sub-blocks of
    /// these (bit for bit: each entry is summed over the rows in the same order): feature selection
    /// and the final model share one pass over the data.
    type Problem =
        { Columns: int[]
          Means: float[]
          YMean: float
          Z: float[][]
          Target: float[]
          Zt: float[]
          /// ZᵀZ, computed on first use (only the k ≤ n solve needs it).
          Gram: Lazy<float[,]> }

    /// The shared parts of every fit on subsets of `columns` of x with targets y and weights w.
    let prepare (x: float[,]) (columns: int[]) (y: float[]) (w: float[]) : Problem =
        let means = columnMeans x columns w
        let ym = Numerics.weightedMean y w
        let sqrtW = w |> Array.map sqrt
        let z = weightedColumns x columns means sqrtW
        let t = Array.init y.Length (fun i -> (y[i] - ym) * sqrtW[i])
        { Columns = columns
          Means = means
          YMean = ym
          Z = z
          Target = t
          Zt = z |> Array.map (fun c -> ScratchML.VecMath.dot (ReadOnlySpan c) (ReadOnlySpan t))
          Gram = lazy (gram z) }

    /// Fit Ridge(alpha) on the prepared columns at `positions` (indices into problem.Columns):
    /// x̄ = Σwx/Σw, ȳ = Σwy/Σw, β = (XcᵀWXc + αI)⁻¹XcᵀWyc, intercept = ȳ − x̄·β (the intercept is
    /// not penalised; α is not scaled by n or Σw). Solved as `solve` does, on sub-blocks.
    let fitSubset (alpha: float) (problem: Problem) (positions: int[]) : RidgeModel =
        let k, n = positions.Length, problem.Target.Length
        let means = positions |> Array.map (fun p -> problem.Means[p])
        let subsetZ () = positions |> Array.map (fun p -> problem.Z[p])
        let beta =
            if k = 0 then [||]
            elif k <= n then
                let g = problem.Gram.Force()
                let sub = Array2D.init k k (fun r c -> g[positions[r], positions[c]])
                match choleskyRidge alpha sub (positions |> Array.map (fun p -> problem.Zt[p])) with
                | Some beta -> beta
                | None -> solve alpha (subsetZ ()) problem.Target
            else solve alpha (subsetZ ()) problem.Target
        let mutable dot = 0.0
        for j in 0 .. beta.Length - 1 do dot <- dot + means[j] * beta[j]
        { Intercept = problem.YMean - dot
          Coef = beta
          Columns = positions |> Array.map (fun p -> problem.Columns[p]) }

    /// Fit Ridge(alpha) with sample weights w on the given columns of x: `fitSubset` on all of them.
    let fit (alpha: float) (x: float[,]) (columns: int[]) (y: float[]) (w: float[]) : RidgeModel =
        fitSubset alpha (prepare x columns y w) (Array.init columns.Length id)

    /// ŷ for row i of x: intercept + Σⱼ x[i, colⱼ]·βⱼ.
    let predictRow (model: RidgeModel) (x: float[,]) (i: int) =
        let row = MemoryMarshal.CreateReadOnlySpan(&x[i, 0], Array2D.length2 x)
        let mutable s = 0.0
        for j in 0 .. model.Coef.Length - 1 do s <- s + row[model.Columns[j]] * model.Coef[j]
        s + model.Intercept

    /// Weighted R² (sklearn r2_score): 1 − Σw(y − ŷ)² / Σw(y − ȳ)², ȳ the weighted mean;
    /// a zero denominator gives 1 when the numerator is 0, else 0.
    let score (model: RidgeModel) (x: float[,]) (y: float[]) (w: float[]) =
        let ym = Numerics.weightedMean y w
        let mutable num = 0.0
        let mutable den = 0.0
        for i in 0 .. y.Length - 1 do
            let r = y[i] - predictRow model x i
            num <- num + w[i] * r * r
            den <- den + w[i] * (y[i] - ym) * (y[i] - ym)
        if den = 0.0 then (if num = 0.0 then 1.0 else 0.0) else 1.0 - num / den
