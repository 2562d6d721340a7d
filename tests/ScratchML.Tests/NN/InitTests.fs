/// Initialisers: the "splitmix" check values of WORKLOADS.md, bounds, fans and reproducibility.
module ScratchML.Tests.NN.InitTests

open Expecto
open ScratchML
open ScratchML.NN

let private values (t: Tensor) =
    match t.Storage with Storage.F64 a -> a | Storage.F32 a -> Array.map float a

/// W1's parameters in WORKLOADS.md's order: fc1.weight, fc1.bias, fc2.weight, fc2.bias.
let private w1Shapes = [ [| 256; 784 |], 784; [| 256 |], 784; [| 10; 256 |], 256; [| 10 |], 256 ]

[<Tests>]
let tests =
    testList "NN.Init" [
        test "splitmix: the first three W1 weights are WORKLOADS.md's check values" {
            let fc1 = Init.splitmix DType.Float32 w1Shapes |> List.head
            Expect.equal fc1.Shape [| 256; 784 |] "fc1.weight shape"
            let first = (values fc1)[0..2]
            // WORKLOADS.md prints them to 7 significant digits
            for x, e in Array.zip first [| 0.01725463; -0.02429212; -0.01581421 |] do
                Expect.floatClose { absolute = 5e-9; relative = 0.0 } x e "first weights"
        }
        test "splitmix: one stream, tensor after tensor, row-major" {
            let tensors = Init.splitmix DType.Float32 w1Shapes
            let rng = SplitMix64 42UL
            for t, (_, fanIn) in List.zip tensors w1Shapes do
                let bound = 1.0 / sqrt (float fanIn)
                let expected = Array.init t.Numel (fun _ -> float (rng.Symmetric bound))
                Expect.equal (values t) expected $"{t} continues the stream"
        }
        test "splitmix: float64 holds the same float32-rounded weights" {
            let a = Init.splitmix DType.Float32 w1Shapes |> List.map values
            let b = Init.splitmix DType.Float64 w1Shapes
            Expect.equal (b |> List.map (fun t -> t.DType)) [ for _ in b -> DType.Float64 ] "dtype"
            Expect.equal (b |> List.map values) a "same values"
        }
        test "fans of Linear and Conv2d weights" {
            Expect.equal (Init.fanIn [| 256; 784 |], Init.fanOut [| 256; 784 |]) (784, 256) "linear"
            let conv = [| 16; 8; 5; 5 |]
            Expect.equal (Init.fanIn conv, Init.fanOut conv) (200, 400) "conv2d"
        }
        test "PyTorch default weight: Kaiming a=√5 gives U(±1/√fan_in), and uses the range" {
            let w = Init.pytorchWeight (SplitMix64 1UL) DType.Float64 [| 64; 100 |] |> values
            let bound = 1.0 / sqrt 100.0
            Expect.all w (fun x -> abs x <= bound * (1.0 + 1e-15)) "inside ±1/√fan_in"
            Expect.isGreaterThan (Array.max w) (0.95 * bound) "reaches near +bound"
            Expect.isLessThan (Array.min w) (-0.95 * bound) "reaches near −bound"
        }
        test "PyTorch default bias: U(±1/√fan_in)" {
            let b = Init.pytorchBias (SplitMix64 2UL) DType.Float32 25 [| 1000 |] |> values
            Expect.all b (fun x -> abs x <= 0.2) "inside ±1/5"
            Expect.isGreaterThan (Array.max b) 0.19 "reaches near the bound"
        }
        test "Xavier uniform: U(±gain·√(6/(fan_in+fan_out)))" {
            let w = Init.xavierUniform (SplitMix64 3UL) DType.Float64 2.0 [| 30; 70 |] |> values
            let bound = 2.0 * sqrt (6.0 / 100.0)
            Expect.all w (fun x -> abs x <= bound * (1.0 + 1e-15)) "inside the bound"
            Expect.isGreaterThan (Array.max (Array.map abs w)) (0.99 * bound) "reaches the bound"
        }
        test "Xavier normal: sample std ≈ gain·√(2/(fan_in+fan_out))" {
            let w = Init.xavierNormal (SplitMix64 4UL) DType.Float64 1.0 [| 200; 300 |] |> values
            let std = sqrt (2.0 / 500.0)
            let mean = Array.average w
            let sampleStd = sqrt (Array.averageBy (fun x -> (x - mean) ** 2.0) w)
            let within2Percent = { absolute = 0.0; relative = 0.02 }
            Expect.floatClose within2Percent sampleStd std "std within 2% (60,000 draws)"
            Expect.isLessThan (abs mean) (0.02 * std) "mean ≈ 0"
        }
        test "zeros and same-seed reproducibility" {
            Expect.all (Init.zeros DType.Float32 [| 3; 4 |] |> values) ((=) 0.0) "zeros"
            let draw () = Init.pytorchWeight (SplitMix64 9UL) DType.Float32 [| 5; 7 |] |> values
            Expect.equal (draw ()) (draw ()) "same seed, same bits"
        }
    ]
