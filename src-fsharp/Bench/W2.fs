/// W2 of ../shared/bench/WORKLOADS.md: a small CNN on the 8000 MNIST digits of W1, plain SGD.
/// Layer: Bench (calls NN's Model and Train). Read next: Workloads.fs.
///
/// x[1,28,28] → conv1 (1→8, 5×5) → ReLU → max-pool 2 → conv2 (8→16, 5×5) → ReLU → max-pool 2
/// → flatten (C,H,W: 16·4·4 = 256) → fc (256 → 10) → logits. Exactly the reference: splitmix
/// init (seed 42; conv1.weight, conv1.bias, conv2.weight, conv2.bias, fc.weight, fc.bias, fan_in
/// 25, 25, 200, 200, 256, 256), W1's fixed interleaved order never shuffled, batches of 64 (125
/// per epoch), mean softmax cross-entropy, p ← p − 0.05·∇p, 3 epochs. Float32 (the workload),
/// then float64 (extra `dtype=float64`).
namespace ScratchML.Bench

open ScratchML
open ScratchML.NN

[<RequireQualifiedAccess>]
module W2 =
    /// Epochs, batch size and learning rate of W2.
    let epochs, batchSize, learningRate = 3, 64, 0.05

    /// The shape of one example: one channel of 28×28 pixels.
    let inputShape = [| 1; Mnist.Side; Mnist.Side |]

    /// The W2 network with WORKLOADS.md's parameter names, so its parameter order is the init
    /// order: conv1.weight [8;1;5;5], conv1.bias [8], conv2.weight [16;8;5;5], conv2.bias [16],
    /// fc.weight [10;256], fc.bias [10].
    let network () : Sequential =
        let conv name inputs outputs = Conv2d.layer name inputs outputs (5, 5) Conv2dSpec.Default
        let pool name = Pool2d.max name (Pool2dSpec.Square 2)
        { Layers =
            [ conv "conv1" 1 8
              Activations.layer "relu1" Activation.Relu
              pool "maxpool1"
              conv "conv2" 8 16
              Activations.layer "relu2" Activation.Relu
              pool "maxpool2"
              Flatten.layer "flatten"
              Dense.layer "fc" 256 10 ] }

    /// Training options of W2: mean cross-entropy, plain SGD lr 0.05, fixed order.
    let options =
        { W1.options with
            Optimizer = Optimizer.Sgd (SgdOptions.Defaults learningRate)
            Epochs = epochs }

    /// Digits [n; 784] (rows of 28×28 pixels) as images [n; 1; 28; 28]: the same numbers, the
    /// convolution's NCHW layout.
    let images (digits: Tensor) = Tensor.reshape [| digits.Shape[0]; 1; Mnist.Side; Mnist.Side |] digits

    /// Train W2 in `dtype` on a training split for `epochCount` epochs: the model and its history.
    let train (dtype: DType) (trainSet: MnistSplit) (epochCount: int) =
        let model = Model.create (network ()) inputShape dtype InitScheme.Splitmix 0
        let data = Train.classification dtype 10 (images trainSet.Images) trainSet.Labels
        let history = Train.fit { options with Epochs = epochCount } model data
        model, history

    /// One precision's RESULT lines (MnistResults.emit): per-epoch time and loss, epoch_s,
    /// test accuracy, infer_2000_s.
    let private runIn (dtype: DType) (trainSet: MnistSplit) (testSet: MnistSplit) (emit: string -> unit) =
        let model, history = train dtype trainSet epochs
        MnistResults.emit "W2" dtype model history (images testSet.Images) testSet.Labels emit

    /// Run W2 with `threads` threads (GEMM and convolution): float32, then float64.
    let run (threads: int) (emit: string -> unit) =
        Gemm.defaultThreads <- threads
        let trainSet, testSet = Mnist.w1 (Mnist.defaultFolder ())
        runIn DType.Float32 trainSet testSet emit
        runIn DType.Float64 trainSet testSet emit
