/// W1 of ../shared/bench/WORKLOADS.md: the 784-256-10 MLP on 8000 MNIST digits, plain SGD.
/// Layer: Bench (calls NN's Model and Train). Read next: Workloads.fs.
///
/// Exactly the reference: splitmix init (seed 42; fc1.weight, fc1.bias, fc2.weight, fc2.bias),
/// the fixed interleaved order never shuffled, batches of 64 (125 per epoch), mean softmax
/// cross-entropy, p ← p − 0.1·∇p, 5 epochs. The loss and its gradient are one compiled program
/// (differentiated, simplified and compiled once); each step copies a batch into its input,
/// runs the program and updates the parameters in place. Runs float32 (the workload), then
/// float64 (the same numbers with less rounding; extra `dtype=float64`).
namespace ScratchML.Bench

open ScratchML
open ScratchML.NN

[<RequireQualifiedAccess>]
module W1 =
    /// Epochs, batch size and learning rate of W1.
    let epochs, batchSize, learningRate = 5, 64, 0.1

    /// The W1 network: Linear(784, 256) → ReLU → Linear(256, 10) → logits.
    let network () = Sequential.mlp 784 [ 256 ] 10 Activation.Relu

    /// Training options of W1: mean cross-entropy, plain SGD lr 0.1, fixed order.
    let options =
        { Loss = Loss.CrossEntropy Reduction.Mean
          Optimizer = Optimizer.Sgd (SgdOptions.Defaults learningRate)
          Regularizer = Regularizer.None
          Epochs = epochs
          BatchSize = batchSize
          Shuffle = None
          Validation = None
          Callbacks = []
          OnBatch = fun _ _ _ -> () }

    /// Train W1 in `dtype` on (train, test) and return the model and its per-epoch history.
    let train (dtype: DType) (trainSet: MnistSplit) (epochCount: int) =
        let model = Model.create (network ()) [| 784 |] dtype InitScheme.Splitmix 0
        let data = Train.classification dtype 10 trainSet.Images trainSet.Labels
        let history = Train.fit { options with Epochs = epochCount } model data
        model, history

    /// One precision's RESULT lines: epoch k's time and mean loss, epoch_s (median of epochs
    /// 2..5), accuracy on the 2000 test digits, infer_2000_s (median of calls 2..6).
    let private runIn (dtype: DType) (trainSet: MnistSplit) (testSet: MnistSplit) (emit: string -> unit) =
        let extra = if dtype = DType.Float64 then [ "dtype", "float64" ] else []
        let line metric value more = emit { Workload = "W1"; Metric = metric; Value = value; Extra = more @ extra }.Line
        let model, history = train dtype trainSet epochs
        for s in history do
            line $"epoch{s.Epoch}_s" s.Seconds [ "mean_train_loss", s.Loss.ToString("F5", System.Globalization.CultureInfo.InvariantCulture) ]
        line "epoch_s" (Report.median [ for s in history.Tail -> s.Seconds ]) [ "epochs", $"2..{epochs}"; "init", "splitmix" ]
        let testX = Buffers.convert dtype testSet.Images
        let predicted = Model.predictClasses model testX
        let hits = Array.fold2 (fun n p l -> if p = l then n + 1 else n) 0 predicted testSet.Labels
        line $"test_acc_after_{epochs}_epochs" (float hits / float predicted.Length) [ "init", "splitmix" ]
        let infer = [ for _ in 1..6 -> Report.time (fun () -> Model.predictClasses model testX |> ignore) ]
        line "infer_2000_s" (Report.median infer.Tail) [ "batch", "2000" ]

    /// Run W1 with `threads` GEMM threads: float32, then float64.
    let run (threads: int) (emit: string -> unit) =
        Gemm.defaultThreads <- threads
        let trainSet, testSet = Mnist.w1 (Mnist.defaultFolder ())
        runIn DType.Float32 trainSet testSet emit
        runIn DType.Float64 trainSet testSet emit
