/// W3 of ../shared/bench/WORKLOADS.md: an embedding + LSTM (or GRU) classifier on synthetic token
/// sequences, Adam, timing only. Layer: Bench (calls NN's Model and Train). Read next: Workloads.fs.
///
/// Exactly the reference: 2000 sequences of 50 ids in [0, 5000) then 2000 labels in [0, 4), all
/// from one SplitMix64 stream with seed 7; Embedding(5000, 32) → one recurrent layer (hidden 64,
/// batch-first, zero initial state) → h_T → Linear(64, 4); mean softmax cross-entropy; Adam
/// lr 1e-3; batches of 32 in order (the 63rd holds 16); 4 epochs; epoch_s = median of epochs 2..4.
/// The unrolled 50-step graph and its symbolic gradient are compiled once per batch size.
namespace ScratchML.Bench

open System.Globalization
open ScratchML
open ScratchML.NN

[<RequireQualifiedAccess>]
module W3 =
    /// Vocabulary, embedding width, hidden size, steps, batch, classes, sequences (the reference's
    /// V, E, H, T, B, C, N).
    let vocabulary, embedding, hidden, steps, batchSize, classes, count = 5000, 32, 64, 50, 32, 4, 2000

    /// Epochs of W3.
    let epochs = 4

    /// The synthetic data: tokens [N; T] row-major by `below(5000)`, then labels by `below(4)`,
    /// one stream with seed 7 (first tokens 1020, 175, 2664, 1544, 3142).
    let data () : int[] * int[] =
        let rng = SplitMix64 7UL
        let tokens = Array.init (count * steps) (fun _ -> rng.Below vocabulary)
        let labels = Array.init count (fun _ -> rng.Below classes)
        tokens, labels

    /// The W3 network for a cell kind: Embedding(5000, 32) → LSTM/GRU(32, 64) → h_T → Linear(64, 4).
    let network (kind: CellKind) =
        Sequential.ofSpecs
            [ LayerSpec.Embedding (vocabulary, embedding)
              LayerSpec.Recurrent (Recurrent.spec kind embedding hidden, Readout.Last)
              LayerSpec.Dense (hidden, classes) ]

    /// Training options of W3: mean cross-entropy, Adam lr 1e-3 (PyTorch's defaults), fixed order.
    let options =
        { Train.defaults (Loss.CrossEntropy Reduction.Mean) (Optimizer.Adam AdamOptions.Defaults) with
            Epochs = epochs
            BatchSize = batchSize
            Shuffle = None }

    /// The float32 dataset: token ids as values (exact below 2²⁴), one-hot labels.
    let dataset () =
        let tokens, labels = data ()
        let x = Tensor.ofArray [| count; steps |] (Array.map float tokens)
        Train.classification DType.Float32 classes x labels

    /// One cell's RESULT lines: epoch k's time and mean loss (epoch 1 includes compiling the
    /// programs of batch sizes 32 and 16, as the reference's first epoch includes its warm-up),
    /// epoch_s (median of epochs 2..4).
    let runCell (kind: CellKind) (epochCount: int) (emit: string -> unit) =
        let name = if kind = CellKind.Lstm then "W3-lstm" else "W3-gru"
        let line metric value more = emit { Workload = name; Metric = metric; Value = value; Extra = more }.Line
        let model = Model.create (network kind) [| steps |] DType.Float32 InitScheme.PyTorch 0
        let data = dataset ()
        let history = Train.fit { options with Epochs = epochCount } model data
        for s in history do
            line $"epoch{s.Epoch}_s" s.Seconds [ "mean_train_loss", s.Loss.ToString("F5", CultureInfo.InvariantCulture) ]
        line "epoch_s" (Report.median [ for s in history.Tail -> s.Seconds ]) [ "epochs", $"2..{epochCount}" ]

    /// Run W3 with `threads` GEMM threads: the LSTM, then the GRU.
    let run (threads: int) (emit: string -> unit) =
        Gemm.defaultThreads <- threads
        runCell CellKind.Lstm epochs emit
        runCell CellKind.Gru epochs emit
