/// Weighted ridge regression exactly as scikit-learn's Ridge(alpha, fit_intercept=True) with
/// sample_weight: LIME's local surrogate model. Layer: Lime. Read next: Lars.fs.
namespace ScratchML.Lime

open System
open System.Threading.Tasks
open System.Numerics.Tensors

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
        columns |> Array.map (fun c ->
            let mutable s = 0.0
            for i in 0 .. w.Length - 1 do s <- s + x[i, c] * w[i]
            s / sw)

    /// Zⱼ = (x·ⱼ − x̄ⱼ)·sqrt(w): the centred, sqrt-weighted columns scikit-learn solves on.
    let weightedColumns (x: float[,]) (columns: int[]) (means: float[]) (sqrtW: float[]) =
        columns |> Array.mapi (fun k c -> Array.init sqrtW.Length (fun i -> (x[i, c] - means[k]) * sqrtW[i]))

    /// G = ZᵀZ (k×k, symmetric); each entry one SIMD dot product, rows split over the cores
    /// when the work is large (each entry is computed by one thread: results do not depend on it).
    let gram (z: float[][]) =
        let k = z.Length
        let g = Array2D.zeroCreate k k
        let row a =
            for b in 0 .. a do
                let v = TensorPrimitives.Dot(ReadOnlySpan z[a], ReadOnlySpan z[b])
                g[a, b] <- v
                g[b, a] <- v
        let work = if k = 0 then 0 else k * k * z[0].Length
        if work > 2_000_000 then Parallel.For(0, k, row) |> ignore
        else for a in 0 .. k - 1 do row a
        g

    /// Solve (ZᵀZ + αI)β = Zᵀy as scikit-learn's "cholesky" solver does: Cholesky of the normal
    /// equations (k ≤ n) or of the kernel ZZᵀ + αI (k > n, β = Zᵀ·dual); when the matrix is not
    /// positive definite (e.g. α = 0 with a constant column) it falls back to the SVD solve.
    let solve (alpha: float) (z: float[][]) (y: float[]) : float[] =
        let k, n = z.Length, y.Length
        let svd () = Numerics.svdRidge alpha (Array2D.init n k (fun i j -> z[j][i])) y
        if k = 0 then [||]
        elif k <= n then
            let a = gram z
            for j in 0 .. k - 1 do a[j, j] <- a[j, j] + alpha
            let zy = z |> Array.map (fun c -> TensorPrimitives.Dot(ReadOnlySpan c, ReadOnlySpan y))
            match Numerics.cholesky a with
            | Some l -> Numerics.choleskySolve l zy
            | None -> svd ()
        else
            let kernel = Array2D.init n n (fun i j ->
                let mutable s = 0.0
                for c in 0 .. k - 1 do s <- s + z[c][i] * z[c][j]
                if i = j then s + alpha else s)
            match Numerics.cholesky kernel with
            | Some l ->
                let dual = Numerics.choleskySolve l y
                z |> Array.map (fun c -> TensorPrimitives.Dot(ReadOnlySpan c, ReadOnlySpan dual))
            | None -> svd ()

    /// Fit Ridge(alpha) with sample weights w on the given columns of x:
    /// x̄ = Σwx/Σw, ȳ = Σwy/Σw, β = (XcᵀWXc + αI)⁻¹XcᵀWyc, intercept = ȳ − x̄·β
    /// (the intercept is not penalised; α is not scaled by n or Σw).
    let fit (alpha: float) (x: float[,]) (columns: int[]) (y: float[]) (w: float[]) : RidgeModel =
        let means = columnMeans x columns w
        let ym = Numerics.weightedMean y w
        let sqrtW = w |> Array.map sqrt
        let z = weightedColumns x columns means sqrtW
        let zy = Array.init y.Length (fun i -> (y[i] - ym) * sqrtW[i])
        let beta = solve alpha z zy
        let mutable dot = 0.0
        for j in 0 .. beta.Length - 1 do dot <- dot + means[j] * beta[j]
        { Intercept = ym - dot; Coef = beta; Columns = Array.copy columns }

    /// ŷ for row i of x: intercept + Σⱼ x[i, colⱼ]·βⱼ.
    let predictRow (model: RidgeModel) (x: float[,]) (i: int) =
        let mutable s = 0.0
        for j in 0 .. model.Coef.Length - 1 do s <- s + x[i, model.Columns[j]] * model.Coef[j]
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
