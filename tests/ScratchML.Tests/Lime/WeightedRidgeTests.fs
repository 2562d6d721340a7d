/// WeightedRidge against a direct solve of the augmented normal equations, and the α = 0 cases
/// forward selection relies on.
module ScratchML.Tests.Lime.WeightedRidgeTests

open Expecto
open FsCheck
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open ScratchML
open ScratchML.Lime

/// A weighted problem: n rows, k columns, values and positive weights from SplitMix64(seed).
let problem (seed: int) (n: int) (k: int) =
    let rng = SplitMix64 seed
    let x = Array2D.init n k (fun _ _ -> rng.Normal())
    let y = Array.init n (fun _ -> rng.Normal())
    let w = Array.init n (fun _ -> 0.05 + rng.Uniform())
    x, y, w

/// min_θ Σ wᵢ(yᵢ − θ₀ − xᵢ·β)² + α|β|² solved directly: [1 X]ᵀW[1 X] + diag(0, α…) by LU.
let direct (alpha: float) (x: float[,]) (y: float[]) (w: float[]) =
    let n, k = Array2D.length1 x, Array2D.length2 x
    let a = Matrix<float>.Build.Dense(n, k + 1, fun i j -> if j = 0 then 1.0 else x[i, j - 1])
    let wd = Matrix<float>.Build.Diagonal w
    let p = Matrix<float>.Build.Diagonal(k + 1, k + 1, fun j -> if j = 0 then 0.0 else alpha)
    let theta = (a.Transpose() * wd * a + p).LU().Solve(a.Transpose() * wd * Vector<float>.Build.DenseOfArray y)
    theta[0], theta.ToArray()[1..]

let close a b = abs (a - b) <= 1e-9 + 1e-8 * abs b

let tests =
    testList "Lime.WeightedRidge" [
        testProperty "equals the direct weighted solve" <| fun (seed: int) (alphaIndex: byte) (shape: byte) ->
            let n, k = 5 + int shape % 20, 1 + int shape % 4
            let alpha = [| 0.0; 0.01; 1.0; 10.0 |][int alphaIndex % 4]
            let x, y, w = problem seed n k
            let model = WeightedRidge.fit alpha x [| 0 .. k - 1 |] y w
            let b0, beta = direct alpha x y w
            (close model.Intercept b0 && Array.forall2 close model.Coef beta)
            |> Prop.label $"seed {seed}, n {n}, k {k}, alpha {alpha}"

        test "alpha 0 with a constant column takes the minimum-norm solution" {
            let x, y, w = problem 3 30 2
            let withConstant = Array2D.init 30 3 (fun i j -> if j = 2 then 1.0 else x[i, j])
            let model = WeightedRidge.fit 0.0 withConstant [| 0; 1; 2 |] y w
            let plain = WeightedRidge.fit 0.0 x [| 0; 1 |] y w
            Expect.floatClose Accuracy.high model.Coef[0] plain.Coef[0] "coef 0"
            Expect.floatClose Accuracy.high model.Coef[1] plain.Coef[1] "coef 1"
            Expect.isTrue (abs model.Coef[2] < 1e-6) $"constant column coef {model.Coef[2]}" }

        test "more columns than rows uses the kernel form" {
            let x, y, w = problem 5 4 7
            let model = WeightedRidge.fit 1.0 x [| 0 .. 6 |] y w
            let b0, beta = direct 1.0 x y w
            Expect.isTrue (close model.Intercept b0 && Array.forall2 close model.Coef beta) "matches direct" }

        test "weighted R² is 1 on an exact linear target" {
            let x, _, w = problem 9 40 3
            let y = Array.init 40 (fun i -> 0.5 + 2.0 * x[i, 0] - x[i, 2])
            let model = WeightedRidge.fit 0.0 x [| 0; 1; 2 |] y w
            Expect.floatClose Accuracy.high (WeightedRidge.score model x y w) 1.0 "R²" } ]
