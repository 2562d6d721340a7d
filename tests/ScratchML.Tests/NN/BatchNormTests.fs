/// BatchNorm2d: PyTorch reference vectors (made by scripts/batchnorm_reference.py) for the
/// training and evaluation forward, the gradients and the running statistics; a finite-difference
/// gradient check; buffers through Model, Train and Checkpoint; a tiny CNN that learns.
module ScratchML.Tests.NN.BatchNormTests

open System
open System.IO
open System.Text.Json
open Expecto
open ScratchML
open ScratchML.NN
open ScratchML.Tests
open ScratchML.Tests.NN.NNCheck

/// The reference files: tests/ScratchML.Tests/NN/data/batch_norm2d_*.json, sorted.
let private referenceFiles =
    let dir = Path.Combine(Fixtures.repoRoot, "tests", "ScratchML.Tests", "NN", "data")
    Directory.GetFiles(dir, "batch_norm2d_*.json") |> Array.sort |> List.ofArray

/// One reference case: its arrays by section and name, and eps, momentum.
type private Reference =
    { Name: string
      Get: string -> string -> Tensor
      Eps: float
      Momentum: float }

let private load (path: string) =
    let root = JsonDocument.Parse(File.ReadAllText path).RootElement
    let get (section: string) (name: string) =
        let a = Fixtures.array (root.GetProperty(section).GetProperty name)
        tensor a.Shape a.Data
    let parameters = root.GetProperty "params"
    { Name = Path.GetFileNameWithoutExtension path; Get = get
      Eps = parameters.GetProperty("eps").GetDouble(); Momentum = parameters.GetProperty("momentum").GetDouble() }

/// Every element within the torch_ops tolerance (rtol 1e-9, atol 1e-12).
let private expectClose (what: string) (actual: Tensor) (expected: Tensor) =
    Expect.equal actual.Shape expected.Shape $"{what}: shape"
    for i, (a, e) in Array.indexed (Array.zip (values actual) (values expected)) do
        Expect.isTrue (Tolerance.torchOps a e) $"{what}[{i}]: {a} vs {e}"

/// The layer of a reference case and its environment (input and the buffers before the step).
let private setup (r: Reference) =
    let input = r.Get "inputs" "input"
    let layer = BatchNorm2d.layer "bn1" input.Shape[1] r.Eps r.Momentum
    let x = Expr.var "x" input.Shape
    let env =
        Map [ "x", input; "bn1.weight", r.Get "inputs" "weight"; "bn1.bias", r.Get "inputs" "bias"
              "bn1.running_mean", r.Get "constants" "running_mean"; "bn1.running_var", r.Get "constants" "running_var" ]
    layer, x, env

let private referenceTests (path: string) =
    let r = load path
    testList r.Name [
        test "training forward, gradients and running statistics equal PyTorch's" {
            let layer, x, env = setup r
            let y = layer.Forward Mode.Train x
            expectClose "train_out" (Eval.run env y) (r.Get "outputs" "train_out")
            let loss = Expr.sumAll (Expr.constant (r.Get "upstream" "train_out") * y)
            let wrt = x :: (layer.Parameters |> List.map (fun p -> p.Var))
            let grads = Grad.grad loss wrt |> List.map Simplify.run
            for g, name in List.zip grads [ "input"; "weight"; "bias" ] do
                expectClose $"∂L/∂{name}" (Eval.run env g) (r.Get "grads" name)
            let updates = Map (Sequential.updates { Layers = [ layer ] } x)
            for name in [ "running_mean"; "running_var" ] do
                expectClose name (Eval.run env updates[$"bn1.{name}"]) (r.Get "outputs" name)
            let counted = Eval.run (env.Add("bn1.num_batches_tracked", tensor [||] [| 4.0 |])) updates["bn1.num_batches_tracked"]
            Expect.equal (values counted) [| 5.0 |] "the step counter grows by one"
        }
        test "one compiled training step stores the running statistics; evaluation uses them" {
            let input = r.Get "inputs" "input"
            let spec = LayerSpec.BatchNorm2d (input.Shape[1], r.Eps, r.Momentum)
            let model =
                Model.ofState (Sequential.ofSpecs [ spec ]) input.Shape[1..] DType.Float64 0
                    [ r.Get "inputs" "weight"; r.Get "inputs" "bias" ]
                    [ r.Get "constants" "running_mean"; r.Get "constants" "running_var"; tensor [||] [| 0.0 |] ]
            let target = Tensor.zeros DType.Float64 input.Shape
            // learning rate 0: the parameters stay, so evaluation reads PyTorch's γ and β
            let options =
                { Train.defaults (Loss.Mse Reduction.Mean) (Optimizer.Sgd (SgdOptions.Defaults 0.0)) with
                    Epochs = 1; BatchSize = input.Shape[0]; Shuffle = None }
            Train.fit options model { X = input; Y = target } |> ignore
            let buffers = Map model.NamedBuffers
            for name in [ "running_mean"; "running_var" ] do
                expectClose name buffers[$"bn1.{name}"] (r.Get "outputs" name)
            Expect.equal (values buffers["bn1.num_batches_tracked"]) [| 1.0 |] "one step counted"
            expectClose "eval_out" (Model.predict model input) (r.Get "outputs" "eval_out")
        }
    ]

/// A tiny CNN with batch norm for 28×28 digits: conv 3×3 → bn → relu → maxpool 2 → dense.
let private digitNet () =
    Sequential.ofSpecs
        [ LayerSpec.Conv2d (1, 4, (3, 3), Conv2dSpec.Default); LayerSpec.BatchNorm2d (4, 1e-5, 0.1)
          LayerSpec.Activation Activation.Relu; LayerSpec.MaxPool2d (Pool2dSpec.Square 2)
          LayerSpec.Flatten; LayerSpec.Dense (4 * 13 * 13, 10) ]

[<Tests>]
let tests =
    testList "NN.BatchNorm" [
        testList "reference" (referenceFiles |> List.map referenceTests)
        test "there are reference files" {
            Expect.isGreaterThanOrEqual referenceFiles.Length 3 "scripts/batchnorm_reference.py writes three"
        }
        test "training-mode gradient with respect to x, γ and β matches central differences" {
            let layer = BatchNorm2d.layer "bn" 2 1e-5 0.1
            let x = Expr.var "x" [| 2; 2; 2; 3 |]
            let env =
                Map [ "x", random 1 -2.0 2.0 [| 2; 2; 2; 3 |]
                      "bn.weight", random 2 0.5 1.5 [| 2 |]
                      "bn.bias", random 3 -1.0 1.0 [| 2 |] ]
            let wrt = x :: (layer.Parameters |> List.map (fun p -> p.Var))
            gradCheck env wrt (project 7 (layer.Forward Mode.Train x))
        }
        test "evaluation-mode gradient with respect to x, γ and β matches central differences" {
            let layer = BatchNorm2d.layer "bn" 3 1e-3 0.1
            let x = Expr.var "x" [| 2; 3; 2; 2 |]
            let env =
                Map [ "x", random 4 -2.0 2.0 [| 2; 3; 2; 2 |]
                      "bn.weight", random 5 0.5 1.5 [| 3 |]; "bn.bias", random 6 -1.0 1.0 [| 3 |]
                      "bn.running_mean", random 8 -0.5 0.5 [| 3 |]; "bn.running_var", random 9 0.5 2.0 [| 3 |] ]
            let wrt = x :: (layer.Parameters |> List.map (fun p -> p.Var))
            gradCheck env wrt (project 11 (layer.Forward Mode.Eval x))
        }
        test "names, first values and what an optimizer sees" {
            let net = Sequential.ofSpecs [ LayerSpec.Conv2d (1, 2, (3, 3), Conv2dSpec.Default); LayerSpec.BatchNorm2d (2, 1e-5, 0.1) ]
            Expect.equal [ for p in net.Parameters -> p.Name ] [ "conv1.weight"; "conv1.bias"; "bn1.weight"; "bn1.bias" ] "parameters"
            Expect.equal [ for b in net.Buffers -> b.Name ] [ "bn1.running_mean"; "bn1.running_var"; "bn1.num_batches_tracked" ] "buffers"
            for scheme in [ InitScheme.PyTorch; InitScheme.Xavier; InitScheme.Splitmix ] do
                let model = Model.create net [| 1; 5; 5 |] DType.Float32 scheme 3
                let named = Map model.Named
                Expect.equal (values named["bn1.weight"]) [| 1.0; 1.0 |] $"γ = 1 ({scheme})"
                Expect.equal (values named["bn1.bias"]) [| 0.0; 0.0 |] $"β = 0 ({scheme})"
                Expect.equal [ for _, t in model.NamedBuffers -> values t ] [ [| 0.0; 0.0 |]; [| 1.0; 1.0 |]; [| 0.0 |] ] "running mean 0, var 1, no step yet"
                Expect.equal model.Values.Length 4 "the optimizer's tensors are the parameters only"
            // constants take no draws: the conv weights are the benchmark stream's first values
            let plain = Model.create (Sequential.ofSpecs [ LayerSpec.Conv2d (1, 2, (3, 3), Conv2dSpec.Default) ]) [| 1; 5; 5 |] DType.Float32 InitScheme.Splitmix 0
            let withBn = Model.create net [| 1; 5; 5 |] DType.Float32 InitScheme.Splitmix 0
            Expect.equal (values withBn.Values.Head) (values plain.Values.Head) "splitmix stream unchanged"
        }
        test "a wrong input shape and a single value per channel are clear errors" {
            let layer = BatchNorm2d.layer "bn" 3 1e-5 0.1
            let e = Expect.throwsC (fun () -> layer.Forward Mode.Eval (Expr.var "x" [| 2; 4; 2; 2 |]) |> ignore) id
            Expect.stringContains e.Message "[batch; 3; H; W]" "names the expected shape"
            let e = Expect.throwsC (fun () -> layer.Forward Mode.Train (Expr.var "x" [| 1; 3; 1; 1 |]) |> ignore) id
            Expect.stringContains e.Message "more than one value per channel" "as PyTorch"
            Expect.equal (layer.Forward Mode.Eval (Expr.var "x" [| 1; 3; 1; 1 |])).Shape [| 1; 3; 1; 1 |] "evaluation is fine"
        }
        test "save → load keeps buffers and predictions; a missing buffer is an error naming the file" {
            let net = digitNet ()
            let model = Model.create net [| 1; 28; 28 |] DType.Float32 InitScheme.PyTorch 5
            let x = random 3 0.0 1.0 [| 6; 784 |]
            let options =
                { Train.defaults (Loss.CrossEntropy Reduction.Mean) (Optimizer.Sgd (SgdOptions.Defaults 0.05)) with
                    Epochs = 1; BatchSize = 3 }
            Train.fit options model (Train.classification DType.Float32 10 x [| 0; 1; 2; 3; 4; 5 |]) |> ignore
            Expect.notEqual (values (snd model.NamedBuffers.Head)) (Array.zeroCreate 4) "the running mean moved"
            let path = Path.Combine(Path.GetTempPath(), $"scratchml-bn-{Guid.NewGuid()}.safetensors")
            let stripped = Path.Combine(Path.GetTempPath(), $"scratchml-bn-stripped-{Guid.NewGuid()}.safetensors")
            try
                Checkpoint.save path model
                let file = SafeTensors.load path
                Expect.containsAll (file.Tensors |> List.map fst) [ "bn1.running_mean"; "bn1.running_var"; "bn1.num_batches_tracked" ] "state_dict names"
                let counter = (Map model.NamedBuffers)["bn1.num_batches_tracked"]
                Expect.equal (values counter) [| 2.0 |] "two batches of 3"
                let loaded = Checkpoint.load path
                for (name, a), (_, b) in List.zip loaded.NamedBuffers model.NamedBuffers do
                    Expect.equal (values a) (values b) name
                Expect.equal (values (Model.predict loaded x)) (values (Model.predict model x)) "predictions"
                SafeTensors.save stripped file.Metadata (file.Tensors |> List.filter (fun (n, _) -> n <> "bn1.running_var"))
                let e = Expect.throwsC (fun () -> Checkpoint.load stripped |> ignore) id
                Expect.stringContains e.Message "bn1.running_var" "names the tensor"
                Expect.stringContains e.Message (Path.GetFileName stripped) "names the file"
            finally
                File.Delete path
                File.Delete stripped
        }
        test "a tiny CNN with batch norm learns 300 MNIST digits, deterministically" {
            let train, _ = Mnist.w1 (Mnist.defaultFolder ())
            let rows = 300
            let x = Buffers.zeros DType.Float32 [| rows; 784 |]
            Buffers.copyRows train.Images (ReadOnlySpan(Array.init rows id)) x
            let data = Train.classification DType.Float32 10 x train.Labels[.. rows - 1]
            let run () =
                let model = Model.create (digitNet ()) [| 1; 28; 28 |] DType.Float32 InitScheme.PyTorch 1
                let options =
                    { Train.defaults (Loss.CrossEntropy Reduction.Mean) (Optimizer.Adam { AdamOptions.Defaults with LearningRate = 0.01 }) with
                        Epochs = 3; BatchSize = 32 }
                let history = Train.fit options model data
                history, model
            let history, model = run ()
            let losses = history |> List.map (fun s -> s.Loss)
            Expect.isLessThan losses[2] (0.6 * losses[0]) $"the loss drops: {losses}"
            let evaluationLoss, accuracy = Train.evaluate model (Loss.CrossEntropy Reduction.Mean) Regularizer.None 100 data
            Expect.isGreaterThan accuracy 0.7 $"evaluation mode (running statistics) fits the digits: loss {evaluationLoss}"
            let again, model2 = run ()
            Expect.equal (again |> List.map (fun s -> s.Loss)) losses "same seed, same losses"
            Expect.equal [ for _, t in model2.NamedBuffers -> values t ] [ for _, t in model.NamedBuffers -> values t ] "same buffers"
        }
    ]
