/// Pooling over time: values on a hand-made sequence, gradients against central differences,
/// the checkpoint JSON round trip.
module ScratchML.Tests.NN.TimePoolingTests

open Expecto
open ScratchML
open ScratchML.NN
open ScratchML.Tests.NN.NNCheck

let private x0 = tensor [| 1; 3; 2 |] [| 1.0; -2.0; 5.0; 0.5; -1.0; 3.0 |] // steps (1,−2) (5,0.5) (−1,3)

[<Tests>]
let tests =
    testList "NN.TimePooling" [
        test "max and mean over the time axis of [1; 3; 2]" {
            let x = Expr.var "x" [| 1; 3; 2 |]
            let run pooling = values (Eval.run (Map [ "x", x0 ]) ((TimePoolingLayer.layer "pool1" pooling).Forward Mode.Eval x))
            Expect.equal (run TimePooling.Max) [| 5.0; 3.0 |] "max_t"
            Expect.equal (run TimePooling.Mean) [| 5.0 / 3.0; 1.5 / 3.0 |] "Σ_t / T"
        }
        test "gradients match central differences (max off ties)" {
            for pooling in [ TimePooling.Max; TimePooling.Mean ] do
                let x = Expr.var "x" [| 2; 4; 3 |]
                let y = (TimePoolingLayer.layer "pool1" pooling).Forward Mode.Train x
                gradCheck (Map [ "x", random 7 -1.0 1.0 [| 2; 4; 3 |] ]) [ x ] (project 3 y)
        }
        test "a rank-2 input is refused with its shape" {
            Expect.throwsC (fun () -> (TimePoolingLayer.layer "pool1" TimePooling.Max).Forward Mode.Eval (Expr.var "x" [| 2; 3 |]) |> ignore)
                (fun e -> Expect.stringContains e.Message "[2; 3]" "shape named")
        }
        test "the architecture JSON keeps the pooling kind" {
            for pooling, name in [ TimePooling.Max, "max"; TimePooling.Mean, "mean" ] do
                let specs = [ LayerSpec.Embedding (5, 3)
                              LayerSpec.Recurrent ({ Recurrent.spec CellKind.Gru 3 4 with BatchFirst = true }, Readout.Sequence)
                              LayerSpec.PoolOverTime pooling; LayerSpec.Dense (4, 2) ]
                let model = Model.create (Sequential.ofSpecs specs) [| 6 |] DType.Float32 InitScheme.PyTorch 0
                let json = Checkpoint.architecture model
                Expect.stringContains json $"\"pooling\":\"{name}\"" "written"
                let parsed, _, _, _ = Checkpoint.parseArchitecture json
                Expect.equal parsed specs "read back"
        }
    ]
