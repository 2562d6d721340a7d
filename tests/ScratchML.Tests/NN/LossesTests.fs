/// Losses and regularizers: gradient checks, PyTorch's loss fixtures, stability at ±1000.
module ScratchML.Tests.NN.LossesTests

open System
open System.IO
open System.Text.Json
open Expecto
open ScratchML
open ScratchML.NN
open ScratchML.Tests
open ScratchML.Tests.NN.NNCheck

/// A fixture of torch_ops: (logits/input array, target array, loss value, upstream, grad).
let private fixture (file: string) =
    let root = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.folder, "torch_ops", file + ".json"))).RootElement
    let one (section: string) = Fixtures.arrays (root.GetProperty section) |> List.head |> snd
    one "inputs", one "constants", (one "outputs").Data[0], (one "upstream").Data[0], one "grads"

/// Our loss on a torch_ops fixture: value and gradient against PyTorch's (rtol 1e-9).
/// Class-index targets become one-hot rows for `Losses.crossEntropy` and [n; 1] indices for
/// `Losses.crossEntropyIndices`.
let private torchCase (label: string) (file: string) (build: Expr -> Fixtures.Array -> Expr * Map<string, Tensor>) =
    test $"{label} equals PyTorch: {file}" {
        let input, target, value, upstream, grad = fixture file
        let z = Expr.var "z" input.Shape
        let loss, env = build z target
        let env = env.Add("z", tensor input.Shape input.Data)
        let actual = scalarOf env loss
        Expect.isTrue (Tolerance.torchOps actual value) $"loss {actual} vs {value}"
        let g = Grad.grad (loss * upstream) [ z ] |> List.head |> Eval.run env |> values
        for a, e in Array.zip g grad.Data do
            Expect.isTrue (Tolerance.torchOps a e) $"gradient {a} vs {e}"
    }

let private oneHot (target: Fixtures.Array) classes =
    let n = target.Data.Length
    tensor [| n; classes |] (Array.init (n * classes) (fun k -> if float (k % classes) = target.Data[k / classes] then 1.0 else 0.0))

let private ce reduction (z: Expr) (target: Fixtures.Array) =
    let y = Expr.var "y" z.Shape
    Losses.crossEntropy reduction z y, Map [ "y", oneHot target z.Shape[1] ]

let private ceIndices (z: Expr) (target: Fixtures.Array) =
    let n = target.Data.Length
    let c = Expr.var "c" [| n; 1 |]
    Losses.crossEntropyIndices Reduction.Mean z c, Map [ "c", tensor [| n; 1 |] target.Data ]

let private elementwise (loss: Expr -> Expr -> Expr) (z: Expr) (target: Fixtures.Array) =
    let y = Expr.var "y" target.Shape
    loss z y, Map [ "y", tensor target.Shape target.Data ]

[<Tests>]
let tests =
    testList "NN.Losses" [
        torchCase "one-hot" "cross_entropy" (ce Reduction.Mean)
        torchCase "one-hot" "cross_entropy_large_logits" (ce Reduction.Mean)
        torchCase "indices" "cross_entropy" ceIndices
        torchCase "indices" "cross_entropy_large_logits" ceIndices
        torchCase "mse" "mse_loss" (elementwise (Losses.mse Reduction.Mean))
        torchCase "bce" "bce_with_logits" (elementwise (Losses.binaryCrossEntropyWithLogits Reduction.Mean))
        torchCase "bce" "bce_with_logits_soft" (elementwise (Losses.binaryCrossEntropyWithLogits Reduction.Mean))
        torchCase "bce" "bce_with_logits_large" (elementwise (Losses.binaryCrossEntropyWithLogits Reduction.Mean))
        test "gradient checks of every loss, mean and sum, on [3; 4]" {
            let z = Expr.var "z" [| 3; 4 |]
            let y = Expr.var "y" [| 3; 4 |]
            let probabilities = tensor [| 3; 4 |] [| 0.1; 0.2; 0.3; 0.4; 1.0; 0.0; 0.0; 0.0; 0.25; 0.25; 0.25; 0.25 |]
            let env = Map [ "z", random 1 -2.0 2.0 [| 3; 4 |]; "y", probabilities ]
            for r in [ Reduction.Mean; Reduction.Sum ] do
                gradCheck env [ z; y ] (Losses.mse r z y)
                gradCheck env [ z ] (Losses.crossEntropy r z y)
                gradCheck env [ z; y ] (Losses.binaryCrossEntropyWithLogits r z y)
        }
        test "cross-entropy and BCE are finite and exact at logits ±1000" {
            let z = Expr.var "z" [| 2; 2 |]
            let y = Expr.var "y" [| 2; 2 |]
            let env = Map [ "z", tensor [| 2; 2 |] [| 1000.0; -1000.0; -1000.0; 1000.0 |]
                            "y", tensor [| 2; 2 |] [| 0.0; 1.0; 0.0; 1.0 |] ]
            // row 1 puts all mass on the wrong class: −log softmax = 2000; row 2 is right: 0
            let ce = scalarOf env (Losses.crossEntropy Reduction.Sum z y)
            Expect.floatClose Accuracy.veryHigh ce 2000.0 "CE"
            // softplus(z) − z·y per element: 1000, 1000, 0, 0
            let bce = scalarOf env (Losses.binaryCrossEntropyWithLogits Reduction.Sum z y)
            Expect.floatClose Accuracy.veryHigh bce 2000.0 "BCE"
            for loss in [ Losses.crossEntropy Reduction.Mean z y; Losses.binaryCrossEntropyWithLogits Reduction.Mean z y ] do
                let g = Grad.grad loss [ z ] |> List.head |> Eval.run env |> values
                Expect.isTrue (g |> Array.forall Double.IsFinite) $"finite gradient %A{g}"
            // BCE gradient: (σ(z) − y)/4 = [1, −1, 0, 0]/4
            let g = Grad.grad (Losses.binaryCrossEntropyWithLogits Reduction.Mean z y) [ z ] |> List.head |> Eval.run env |> values
            Expect.sequenceEqual g [| 0.25; -0.25; 0.0; 0.0 |] "σ(z) − y"
        }
        test "regularizers: values and gradient checks" {
            let w = Expr.var "w" [| 2; 2 |]
            let env = Map [ "w", tensor [| 2; 2 |] [| 0.5; -1.5; 2.0; -0.25 |] ]
            Expect.floatClose Accuracy.veryHigh (scalarOf env (Regularizers.l1 0.1 [ w ])) 0.425 "λΣ|w|"
            Expect.floatClose Accuracy.veryHigh (scalarOf env (Regularizers.l2 0.1 [ w ])) 0.65625 "λΣw²"
            let both = (Regularizers.penalty (Regularizer.L1L2 (0.1, 0.2)) [ w ]).Value
            Expect.floatClose Accuracy.veryHigh (scalarOf env both) (0.425 + 1.3125) "l1_l2"
            gradCheck env [ w ] both
            Expect.isNone (Regularizers.penalty Regularizer.None [ w ]) "none adds nothing"
        }
    ]
