/// Model, training loop and checkpoints: XOR is learnt, save → load predicts identically,
/// W1's first-epoch loss on a small subset is deterministic and agrees across precisions.
module ScratchML.Tests.NN.ModelTests

open System
open System.IO
open Expecto
open ScratchML
open ScratchML.NN
open ScratchML.Tests.NN.NNCheck

let private xor =
    { X = tensor [| 4; 2 |] [| 0.0; 0.0; 0.0; 1.0; 1.0; 0.0; 1.0; 1.0 |]
      Y = Train.oneHot DType.Float64 2 [| 0; 1; 1; 0 |] }

let private xorOptions =
    { Train.defaults (Loss.CrossEntropy Reduction.Mean) (Optimizer.Adam { AdamOptions.Defaults with LearningRate = 0.05 }) with
        Epochs = 300
        BatchSize = 4 }

/// The first W1 epoch on the first `rows` training digits (fixed order, batches of 64).
let private w1FirstEpoch (dtype: DType) (rows: int) =
    let train, _ = Mnist.w1 (Mnist.defaultFolder ())
    let x = Buffers.convert dtype train.Images
    let subset = Buffers.zeros dtype [| rows; 784 |]
    Buffers.copyRows x (ReadOnlySpan(Array.init rows id)) subset
    let model = Model.create (Sequential.mlp 784 [ 256 ] 10 Activation.Relu) [| 784 |] dtype InitScheme.Splitmix 0
    let options = { Train.defaults (Loss.CrossEntropy Reduction.Mean) (Optimizer.Sgd (SgdOptions.Defaults 0.1)) with Epochs = 1; Shuffle = None }
    (Train.fit options model (Train.classification dtype 10 subset train.Labels[.. rows - 1])).Head.Loss

[<Tests>]
let tests =
    testList "NN.Model" [
        test "Buffers.rows: a run of rows as a view of the data (no copy), checked like copyRows" {
            let data = Tensor.ofArray [| 5; 4 |] (Array.init 20 float)
            let batch = Buffers.rows data 1 3 [| 3; 2; 2 |]
            Expect.isTrue (obj.ReferenceEquals(batch.Storage, data.Storage)) "same storage"
            Expect.equal (Tensor.toArray batch) (Array.init 12 (fun i -> float (4 + i))) "rows 1..3"
            let copied = Buffers.zeros DType.Float64 [| 3; 2; 2 |]
            Buffers.copyRows data (ReadOnlySpan [| 1; 2; 3 |]) copied
            Expect.equal (Tensor.toArray batch) (Tensor.toArray copied) "as copyRows"
            Expect.throwsT<ArgumentException> (fun () -> Buffers.rows data 0 2 [| 2; 3 |] |> ignore) "3 numbers per row"
        }
        test "a fixed-seed 2-8-2 tanh MLP learns XOR" {
            let model = Model.create (Sequential.mlp 2 [ 8 ] 2 Activation.Tanh) [| 2 |] DType.Float64 InitScheme.PyTorch 3
            let history = Train.fit xorOptions model xor
            Expect.equal (Model.predictClasses model xor.X) [| 0; 1; 1; 0 |] "XOR truth table"
            Expect.isLessThan (List.last history).Loss 0.05 "loss near 0"
            Expect.equal (List.last history).Accuracy 1.0 "training accuracy"
        }
        test "same seed, same training: bit-identical parameters (with dropout and shuffling)" {
            let run () =
                let net = Sequential.ofSpecs [ LayerSpec.Dense (2, 8); LayerSpec.Activation Activation.Relu
                                               LayerSpec.Dropout 0.25; LayerSpec.Dense (8, 2) ]
                let model = Model.create net [| 2 |] DType.Float64 InitScheme.PyTorch 5
                Train.fit { xorOptions with Epochs = 20; BatchSize = 3; Shuffle = Some 7 } model xor |> ignore
                model.Values |> List.map values
            Expect.equal (run ()) (run ()) "identical"
        }
        test "dropout does not change predictions (evaluation mode)" {
            let net = Sequential.ofSpecs [ LayerSpec.Dense (2, 8); LayerSpec.Dropout 0.5; LayerSpec.Dense (8, 2) ]
            let model = Model.create net [| 2 |] DType.Float64 InitScheme.PyTorch 1
            let a = values (Model.predict model xor.X)
            Expect.equal (values (Model.predict model xor.X)) a "deterministic"
            let plain = Model.ofValues (Sequential.ofSpecs [ LayerSpec.Dense (2, 8); LayerSpec.Dense (8, 2) ]) [| 2 |] DType.Float64 1 model.Values
            Expect.equal (values (Model.predict plain xor.X)) a "as without dropout"
        }
        test "save → load gives identical predictions and architecture" {
            let net = Sequential.ofSpecs [ LayerSpec.Dense (2, 5); LayerSpec.Activation (Activation.LeakyRelu 0.1)
                                           LayerSpec.Dropout 0.2; LayerSpec.Dense (5, 3); LayerSpec.Activation Activation.LogSoftmax ]
            let model = Model.create net [| 2 |] DType.Float32 InitScheme.Xavier 11
            let path = Path.Combine(Path.GetTempPath(), $"scratchml-model-{Guid.NewGuid()}.safetensors")
            try
                Checkpoint.save path model
                let loaded = Checkpoint.load path
                Expect.equal loaded.Network.Specs model.Network.Specs "architecture"
                Expect.equal loaded.DType DType.Float32 "dtype"
                Expect.equal (values (Model.predict loaded xor.X)) (values (Model.predict model xor.X)) "predictions"
            finally File.Delete path
        }
        test "a CNN and an embedding + LSTM model round-trip through a file" {
            let roundTrip (net: Sequential) (input: int[]) (x: Tensor) =
                let model = Model.create net input DType.Float64 InitScheme.PyTorch 3
                let path = Path.Combine(Path.GetTempPath(), $"scratchml-model-{Guid.NewGuid()}.safetensors")
                try
                    Checkpoint.save path model
                    let loaded = Checkpoint.load path
                    Expect.equal loaded.Network.Specs model.Network.Specs "architecture"
                    Expect.equal (values (Model.predict loaded x)) (values (Model.predict model x)) "predictions"
                    Model.predict model x
                finally File.Delete path
            let cnn =
                Sequential.ofSpecs
                    [ LayerSpec.Conv2d (1, 2, (3, 3), { Conv2dSpec.Default with Padding = (1, 1) }); LayerSpec.Activation Activation.Relu
                      LayerSpec.MaxPool2d (Pool2dSpec.Square 2); LayerSpec.AvgPool2d (Pool2dSpec.Square 2, true)
                      LayerSpec.Flatten; LayerSpec.Dense (2, 3) ]
            Expect.equal [ for p in cnn.Parameters -> p.Name ] [ "conv1.weight"; "conv1.bias"; "fc1.weight"; "fc1.bias" ] "PyTorch-style names"
            let images = Tensor.ofArray [| 2; 1; 4; 4 |] (Array.init 32 (fun i -> float (i % 7) / 7.0))
            Expect.equal (roundTrip cnn [| 1; 4; 4 |] images).Shape [| 2; 3 |] "logits"
            let lstm = { Recurrent.spec CellKind.Lstm 4 5 with NumLayers = 2; Bidirectional = true }
            let rnn =
                Sequential.ofSpecs [ LayerSpec.Embedding (10, 4); LayerSpec.Recurrent (lstm, Readout.Last); LayerSpec.Dense (10, 2) ]
            Expect.equal (rnn.Parameters |> List.map (fun p -> p.Name) |> List.take 3)
                [ "embedding1.weight"; "lstm1.weight_ih_l0"; "lstm1.weight_hh_l0" ] "PyTorch-style names"
            let ids = Tensor.ofArray [| 3; 6 |] (Array.init 18 (fun i -> float (i * 7 % 10)))
            Expect.equal (roundTrip rnn [| 6 |] ids).Shape [| 3; 2 |] "logits from h_T of both directions"
        }
        test "loading a safetensors file without an architecture is a clear error" {
            let path = Path.Combine(Path.GetTempPath(), $"scratchml-bare-{Guid.NewGuid()}.safetensors")
            try
                SafeTensors.save path Map.empty [ "w", tensor [| 2 |] [| 1.0; 2.0 |] ]
                let e = Expect.throwsC (fun () -> Checkpoint.load path |> ignore) id
                Expect.stringContains e.Message "architecture" "names what is missing"
            finally File.Delete path
        }
        test "early stopping stops when the loss stops improving" {
            let stats loss = { Epoch = 0; Loss = loss; Accuracy = nan; ValidationLoss = nan; ValidationAccuracy = nan; Seconds = 0.0 }
            let stop = Callbacks.earlyStopping 2 0.0
            Expect.equal (stop [ stats 1.0; stats 0.9 ]) Decision.Continue "improving"
            Expect.equal (stop [ stats 1.0; stats 0.9; stats 0.95; stats 0.91 ]) Decision.Stop "two epochs without improvement"
            let model = Model.create (Sequential.mlp 2 [ 4 ] 2 Activation.Tanh) [| 2 |] DType.Float64 InitScheme.PyTorch 0
            let frozen = Optimizer.Sgd (SgdOptions.Defaults 0.0) // lr 0: the loss never improves
            let history = Train.fit { xorOptions with Optimizer = frozen; Epochs = 50; Callbacks = [ stop ] } model xor
            Expect.equal history.Length 3 "stopped after patience"
        }
        test "W1's first epoch on 640 digits: deterministic, float32 agrees with float64" {
            let a = w1FirstEpoch DType.Float32 640
            Expect.equal (w1FirstEpoch DType.Float32 640) a "bit-identical rerun"
            let b = w1FirstEpoch DType.Float64 640
            Expect.isTrue (abs (a - b) < 1e-5 * b) $"float32 {a} vs float64 {b}"
            Expect.isTrue (a > 0.5 && a < 2.3) $"a learning loss below ln 10: {a}"
        }
    ]
