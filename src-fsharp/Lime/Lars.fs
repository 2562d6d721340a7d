/// The lasso path by least-angle regression: scikit-learn's `lars_path(X, y, method='lasso')`
/// (Gram not precomputed), step for step, as LIME's "lasso_path" feature selection uses it.
/// Layer: Lime. Read next: FeatureSelection.fs.
namespace ScratchML.Lime

open System

/// The path: alphas[k] (in scikit-learn's 1/n scaling, alphas[0] = max|Xᵀy|/n) and the
/// coefficients at each knot, coefs[feature, k].
type LarsPath = { Alphas: float[]; Coefs: float[,]; Active: int list }

[<RequireQualifiedAccess>]
module Lars =
    let private tiny32 = 1.1754943508222875e-38 // np.finfo(np.float32).tiny, avoids 0/0
    let private eps = 2.220446049250313e-16 // np.finfo(float).eps
    let private equalityTolerance = 1.1920928955078125e-07 // np.finfo(np.float32).eps

    let private dot (a: float[]) (b: float[]) =
        let mutable s = 0.0
        for i in 0 .. a.Length - 1 do s <- s + a[i] * b[i]
        s

    /// The smallest strictly positive entry, or Double.MaxValue when none (arrayfuncs.min_pos).
    let minPos (xs: float seq) =
        let mutable m = Double.MaxValue
        for x in xs do if 0.0 < x && x < m then m <- x
        m

    /// BLAS drotg (reference implementation): the Givens rotation zeroing b against a.
    let private rotg (a: float) (b: float) =
        let roe = if abs a > abs b then a else b
        let scale = abs a + abs b
        if scale = 0.0 then 0.0, 1.0, 0.0
        else
            let r = scale * sqrt ((a / scale) ** 2.0 + (b / scale) ** 2.0)
            let r = (if roe >= 0.0 then 1.0 else -1.0) * r
            r, a / r, b / r

    /// Remove variable `goOut` from the n×n lower Cholesky factor L (arrayfuncs.cholesky_delete):
    /// shift the rows below up, then restore the triangle with Givens rotations.
    let private choleskyDelete (l: float[,]) (n: int) (goOut: int) =
        for i in goOut .. n - 2 do
            for j in 0 .. i + 1 do l[i, j] <- l[i + 1, j]
        for i in goOut .. n - 2 do
            let r, c, s = rotg l[i, i] l[i, i + 1]
            let r, c, s = if r < 0.0 then -r, -c, -s else r, c, s
            l[i, i] <- r
            l[i, i + 1] <- 0.0
            for row in i + 1 .. n - 2 do
                let x, y = l[row, i], l[row, i + 1]
                l[row, i] <- c * x + s * y
                l[row, i + 1] <- c * y - s * x

    /// lars_path(X, y, method='lasso', alpha_min=0, max_iter=500); `columns` are X's columns.
    let lassoPath (columns: float[][]) (y: float[]) : LarsPath =
        let nSamples = float y.Length
        let nFeatures = columns.Length
        let maxFeatures = min 500 nFeatures
        let x = Array.copy columns // columns are swapped as variables enter and leave
        let indices = Array.init nFeatures id
        let coefs = ResizeArray [ Array.zeroCreate<float> nFeatures ]
        let alphas = ResizeArray [ 0.0 ]
        let active = ResizeArray<int>()
        let mutable signActive = Array.zeroCreate<float> maxFeatures
        let l = Array2D.zeroCreate<float> maxFeatures maxFeatures
        let mutable cov = x |> Array.map (fun c -> dot c y)
        let mutable nIter, nActive, drop, fin = 0, 0, false, false
        while not fin do
            let mutable cIdx = 0
            for j in 1 .. cov.Length - 1 do if abs cov[j] > abs cov[cIdx] then cIdx <- j
            let cSigned = if cov.Length > 0 then cov[cIdx] else 0.0
            let c = abs cSigned
            alphas[nIter] <- c / nSamples
            if alphas[nIter] <= equalityTolerance then
                fin <- true // early stop: alpha within float32 eps of alpha_min = 0, kept as is
            elif nIter >= 500 || nActive >= nFeatures then fin <- true
            else
                let mutable skip = false
                if not drop then
                    // Append x_j to the Cholesky factor of XaᵀXa: L ← [L 0; w z], L·w = Xaᵀx_j.
                    signActive[nActive] <- float (sign cSigned)
                    let m, n = nActive, cIdx + nActive
                    let full = Array.copy cov
                    full[cIdx] <- cov[0]
                    full[0] <- cov[cIdx]
                    let t = indices[n] in indices[n] <- indices[m]; indices[m] <- t
                    let t = x[n] in x[n] <- x[m]; x[m] <- t
                    let nrm = sqrt (dot x[nActive] x[nActive])
                    let cc = nrm * nrm
                    for j in 0 .. nActive - 1 do l[nActive, j] <- dot x[nActive] x[j]
                    for i in 0 .. nActive - 1 do // forward substitution, L[:n,:n] · w = b
                        let mutable s = l[nActive, i]
                        for k in 0 .. i - 1 do s <- s - l[i, k] * l[nActive, k]
                        l[nActive, i] <- s / l[i, i]
                    let mutable v = 0.0
                    for j in 0 .. nActive - 1 do v <- v + l[nActive, j] * l[nActive, j]
                    let diag = max (sqrt (abs (cc - v))) eps
                    l[nActive, nActive] <- diag
                    if diag < 1e-7 then
                        // Degenerate regressor: scikit-learn zeroes its covariance and retries.
                        full[0] <- 0.0
                        let t = full[cIdx] in full[cIdx] <- full[0]; full[0] <- t
                        cov <- full
                        skip <- true
                    else
                        cov <- full[1..]
                        active.Add indices[nActive]
                        nActive <- nActive + 1
                if skip then ()
                elif nIter > 0 && alphas[nIter - 1] < alphas[nIter] then fin <- true
                else
                    let lActive = Array2D.init nActive nActive (fun i j -> l[i, j])
                    let signs = signActive[0 .. nActive - 1]
                    let mutable ls = Numerics.choleskySolve lActive signs
                    let mutable aa = 1.0
                    if ls.Length = 1 && ls[0] = 0.0 then ls[0] <- 1.0
                    else
                        aa <- 1.0 / sqrt (Array.fold2 (fun s a b -> s + a * b) 0.0 ls signs)
                        let mutable i = 0
                        while not (Double.IsFinite aa) do // L too ill-conditioned: nudge its diagonal
                            for d in 0 .. nActive - 1 do lActive[d, d] <- lActive[d, d] + (2.0 ** float i) * eps
                            ls <- Numerics.choleskySolve lActive signs
                            aa <- 1.0 / sqrt (max (Array.fold2 (fun s a b -> s + a * b) 0.0 ls signs) eps)
                            i <- i + 1
                        ls <- ls |> Array.map (fun v -> v * aa)
                    // Equiangular direction u = Xa·ls and its correlation with the inactive columns.
                    let eqDir = Array.zeroCreate y.Length
                    for j in 0 .. nActive - 1 do
                        let col, w = x[j], ls[j]
                        for s in 0 .. y.Length - 1 do eqDir[s] <- eqDir[s] + col[s] * w
                    let corr = Array.init cov.Length (fun k -> Numerics.around 15 (dot x[nActive + k] eqDir))
                    let g1 = minPos (Seq.init cov.Length (fun k -> (c - cov[k]) / (aa - corr[k] + tiny32)))
                    let g2 = minPos (Seq.init cov.Length (fun k -> (c + cov[k]) / (aa + corr[k] + tiny32)))
                    let mutable gamma = min (min g1 g2) (c / aa)
                    drop <- false
                    let coef = coefs[nIter]
                    let z = Array.init nActive (fun j -> -coef[active[j]] / (ls[j] + tiny32))
                    let zPos = minPos z
                    let idx = [ for j in nActive - 1 .. -1 .. 0 do if z[j] = zPos then j ]
                    if zPos < gamma then // a coefficient changes sign: the lasso drops it
                        for j in idx do signActive[j] <- -signActive[j]
                        gamma <- zPos
                        drop <- true
                    nIter <- nIter + 1
                    if coefs.Count <= nIter then
                        coefs.Add(Array.zeroCreate nFeatures)
                        alphas.Add 0.0
                    let coef, prev = coefs[nIter], coefs[nIter - 1]
                    for j in 0 .. nActive - 1 do coef[active[j]] <- prev[active[j]] + gamma * ls[j]
                    cov <- Array.init cov.Length (fun k -> cov[k] - gamma * corr[k])
                    if drop then
                        for ii in idx do choleskyDelete l nActive ii
                        nActive <- nActive - 1
                        for ii in idx do active.RemoveAt ii
                        for ii in idx do
                            for i in ii .. nActive - 1 do
                                let t = x[i] in x[i] <- x[i + 1]; x[i + 1] <- t
                                let t = indices[i] in indices[i] <- indices[i + 1]; indices[i + 1] <- t
                        let residual = Array.copy y
                        for j in 0 .. nActive - 1 do
                            let col, w = x[j], coef[active[j]]
                            for s in 0 .. y.Length - 1 do residual[s] <- residual[s] - col[s] * w
                        cov <- Array.append [| dot x[nActive] residual |] cov
                        let kept = signActive |> Array.indexed |> Array.filter (fun (j, _) -> not (List.contains j idx))
                        signActive <- Array.append (Array.map snd kept) [| 0.0 |]
        let steps = nIter + 1
        { Alphas = alphas.ToArray()[0 .. steps - 1]
          Coefs = Array2D.init nFeatures steps (fun f k -> coefs[k][f])
          Active = List.ofSeq active }
