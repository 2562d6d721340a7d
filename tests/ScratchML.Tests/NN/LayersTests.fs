/// Layers: gradient checks on tiny shapes (float64, central differences), PyTorch's linear
/// fixture, dropout's train/eval behaviour, flatten and Sequential naming.
module ScratchML.Tests.NN.LayersTests

open System.IO
open System.Text.Json
open Expecto
open ScratchML
open ScratchML.NN
open ScratchML.Tests
open ScratchML.Tests.NN.NNCheck

/// Check a parameter-free layer's gradient with respect to its input x [2; 3].
let private activationCheck (activation: Activation) =
    test $"gradient of {Activations.name activation}" {
        let x = Expr.var "x" [| 2; 3 |]
        // |x| ≥ 0.1 keeps relu and leaky relu off their kink
        let x0 = random 3 0.1 2.0 [| 2; 3 |] |> values |> Array.mapi (fun i v -> if i % 2 = 0 then -v else v)
        let layer = Activations.layer "a" activation
        gradCheck (Map [ "x", tensor [| 2; 3 |] x0 ]) [ x ] (project 5 (layer.Forward Mode.Train x))
    }

[<Tests>]
let tests =
    testList "NN.Layers" [
        test "dense: gradient with respect to x, W and b" {
            let layer = Dense.layer "fc" 3 2
            let x = Expr.var "x" [| 4; 3 |]
            let env =
                Map [ "x", random 1 -1.0 1.0 [| 4; 3 |]
                      "fc.weight", random 2 -1.0 1.0 [| 2; 3 |]
                      "fc.bias", random 3 -1.0 1.0 [| 2 |] ]
            let wrt = x :: (layer.Parameters |> List.map (fun p -> p.Var))
            gradCheck env wrt (project 7 (layer.Forward Mode.Train x))
        }
        test "dense equals PyTorch's linear fixture (value and gradients)" {
            let path = Path.Combine(Fixtures.folder, "torch_ops", "linear.json")
            let root = JsonDocument.Parse(File.ReadAllText path).RootElement
            let inputs = Fixtures.arrays (root.GetProperty "inputs") |> Map
            let arr name = let a = inputs[name] in tensor a.Shape a.Data
            let w = inputs["weight"]
            let layer = Dense.layer "fc" w.Shape[1] w.Shape[0]
            let x = Expr.var "x" inputs["input"].Shape
            let y = layer.Forward Mode.Eval x
            let env = Map [ "x", arr "input"; "fc.weight", arr "weight"; "fc.bias", arr "bias" ]
            let expected = (Fixtures.array (root.GetProperty("outputs").GetProperty "out")).Data
            let actual = values (Eval.run env y)
            for a, e in Array.zip actual expected do
                Expect.isTrue (Tolerance.torchOps a e) $"linear value {a} vs {e}"
            let upstream = Fixtures.array (root.GetProperty("upstream").GetProperty "out")
            let l = Expr.sumAll (Expr.constant (tensor upstream.Shape upstream.Data) * y)
            let grads = Grad.grad l (x :: (layer.Parameters |> List.map (fun p -> p.Var)))
            let expectedGrads = Fixtures.arrays (root.GetProperty "grads")
            for g, (name, e) in List.zip grads expectedGrads do
                for a, b in Array.zip (values (Eval.run env g)) e.Data do
                    Expect.isTrue (Tolerance.torchOps a b) $"grad {name}: {a} vs {b}"
        }
        activationCheck Activation.Identity
        activationCheck Activation.Relu
        activationCheck (Activation.LeakyRelu 0.01)
        activationCheck Activation.Sigmoid
        activationCheck Activation.Tanh
        activationCheck Activation.Softmax
        activationCheck Activation.LogSoftmax
        test "dropout is the identity in eval mode" {
            let layer = Dropout.layer "d" 0.5
            let x = Expr.var "x" [| 3; 4 |]
            Expect.equal (layer.Forward Mode.Eval x).Id x.Id "same node"
        }
        test "dropout in training multiplies by its mask; gradient is the mask" {
            let layer = Dropout.layer "d" 0.25
            let x = Expr.var "x" [| 2; 3 |]
            let y = layer.Forward Mode.Train x
            let mask = tensor [| 2; 3 |] (Array.zeroCreate 6)
            Dropout.fill (SplitMix64 9UL) 0.75 mask.Storage
            let m = values mask
            Expect.isTrue (m |> Array.forall (fun v -> v = 0.0 || abs (v - 1.0 / 0.75) < 1e-15)) "0 or 1/keep"
            let env = Map [ "x", random 4 -1.0 1.0 [| 2; 3 |]; "d.mask", mask ]
            let expected = Array.map2 (*) (values env["x"]) m
            Expect.sequenceEqual (values (Eval.run env y)) expected "x ⊙ mask"
            gradCheck env [ x ] (project 2 y)
        }
        test "dropout masks keep about 1 − p of the elements" {
            let mask = tensor [| 10000 |] (Array.zeroCreate 10000)
            Dropout.fill (SplitMix64 1UL) 0.7 mask.Storage
            let kept = values mask |> Array.filter (fun v -> v <> 0.0) |> Array.length
            Expect.isTrue (abs (float kept / 10000.0 - 0.7) < 0.02) $"kept {kept} of 10000"
        }
        test "flatten: shape and gradient" {
            let x = Expr.var "x" [| 2; 2; 3 |]
            let y = (Flatten.layer "f").Forward Mode.Train x
            Expect.equal y.Shape [| 2; 6 |] "[batch; 2·3]"
            gradCheck (Map [ "x", random 8 -1.0 1.0 [| 2; 2; 3 |] ]) [ x ] (project 3 y)
        }
        test "sequential names layers like PyTorch attributes and chains shapes" {
            let net = Sequential.mlp 4 [ 3 ] 2 Activation.Tanh
            Expect.equal [ for p in net.Parameters -> p.Name ] [ "fc1.weight"; "fc1.bias"; "fc2.weight"; "fc2.bias" ] "names"
            Expect.equal (Sequential.forward Mode.Eval net (Expr.var "x" [| 5; 4 |])).Shape [| 5; 2 |] "output"
        }
        test "a two-layer MLP: gradient with respect to every parameter" {
            let net = Sequential.mlp 3 [ 4 ] 2 Activation.Tanh
            let x = Expr.var "x" [| 2; 3 |]
            let env =
                Map [ yield "x", random 1 -1.0 1.0 [| 2; 3 |]
                      for i, p in List.indexed net.Parameters -> p.Name, random (10 + i) -0.5 0.5 p.Shape ]
            gradCheck env (net.Parameters |> List.map (fun p -> p.Var)) (project 4 (Sequential.forward Mode.Train net x))
        }
    ]
