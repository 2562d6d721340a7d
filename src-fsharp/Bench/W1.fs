/// W1 of ../shared/bench/WORKLOADS.md: the 784-256-10 MLP on 8000 MNIST digits, plain SGD.
/// Layer: Bench (calls NN's Model and Train). Read next: Workloads.fs.
///
/// Exactly the reference: splitmix init (seed 42; fc1.weight, fc1.bias, fc2.weight, fc2.bias),
/// the fixed interleaved order never shuffled, batches of 64 (125 per epoch), mean softmax
/// cross-entropy, p ← p − 0.1·∇p, 5 epochs. The loss and its gradient are one compiled program
/// (differentiated, simplified and compiled once); each step reads its batch as a view of the
/// data's rows, runs the program and updates the parameters in place. Runs float32 (the workload), then
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

    /// One precision's RESULT lines (MnistResults.emit): per-epoch time and loss, epoch_s,
    /// test accuracy, infer_2000_s.
    let private runIn (dtype: DType) (trainSet: MnistSplit) (testSet: MnistSplit) (emit: string -> unit) =
        let model, history = train dtype trainSet epochs
        MnistResults.emit "W1" dtype model history testSet.Images testSet.Labels emit

    /// Run W1 with `threads` GEMM threads: float32, then float64.
    let run (threads: int) (emit: string -> unit) =
        Gemm.defaultThreads <- threads
        let trainSet, testSet = Mnist.w1 (Mnist.defaultFolder ())
        runIn DType.Float32 trainSet testSet emit
        runIn DType.Float64 trainSet testSet emit
