/// The training loop: batches, one compiled step each, per-epoch history, callbacks.
/// Layer: NN, after Model.fs. Read next: Checkpoint.fs (saving what was learnt).
namespace ScratchML.NN

open System
open System.Diagnostics
open ScratchML

/// Examples and their targets: X [n; inputShape…], Y [n; outputShape…] (one-hot rows for
/// cross-entropy, 0/1 for binary cross-entropy, values for MSE), contiguous.
type Dataset =
    { X: Tensor
      Y: Tensor }
    /// Number of examples.
    member d.Count = d.X.Shape[0]

/// The figures of one epoch. Accuracy is NaN for a regression loss; validation figures are NaN
/// without validation data.
type EpochStats =
    { Epoch: int
      /// Mean over the epoch's batches of the batch objective (loss + penalty).
      Loss: float
      Accuracy: float
      ValidationLoss: float
      ValidationAccuracy: float
      Seconds: float }

/// What a callback tells the loop after an epoch.
[<RequireQualifiedAccess>]
type Decision =
    | Continue
    | Stop

/// How to train: loss, optimizer, regularizer, batches, epochs, shuffling, callbacks.
type FitOptions =
    { Loss: Loss
      Optimizer: Optimizer
      Regularizer: Regularizer
      Epochs: int
      BatchSize: int
      /// None: the data's order every epoch. Some seed: a Fisher–Yates permutation per epoch
      /// drawn with SplitMix64.below from one stream with this seed.
      Shuffle: int option
      Validation: Dataset option
      /// Called after every epoch with the history so far (last = this epoch).
      Callbacks: (EpochStats list -> Decision) list
      /// Called after every batch with (epoch, batches done, batches per epoch), e.g. for a
      /// progress bar.
      OnBatch: int -> int -> int -> unit }

/// Building datasets, evaluating, fitting.
[<RequireQualifiedAccess>]
module Train =
    /// Defaults around a loss and an optimizer: no penalty, 10 epochs of 64, shuffled with
    /// seed 0, no validation, no callbacks.
    let defaults (loss: Loss) (optimizer: Optimizer) =
        { Loss = loss; Optimizer = optimizer; Regularizer = Regularizer.None; Epochs = 10
          BatchSize = 64; Shuffle = Some 0; Validation = None; Callbacks = []
          OnBatch = fun _ _ _ -> () }

    /// One-hot targets [n; classes] for class labels (the cross-entropy target layout).
    let oneHot (dtype: DType) (classes: int) (labels: int[]) : Tensor =
        let t = Buffers.zeros dtype [| labels.Length; classes |]
        labels |> Array.iteri (fun i label ->
            if label < 0 || label >= classes then invalidArg "labels" $"label {label} at {i} is not in 0..{classes - 1}"
            match t.Storage with
            | Storage.F32 a -> a[i * classes + label] <- 1.0f
            | Storage.F64 a -> a[i * classes + label] <- 1.0)
        t

    /// A classification dataset: inputs and one-hot targets of their labels.
    let classification (dtype: DType) (classes: int) (x: Tensor) (labels: int[]) =
        { X = Buffers.convert dtype x; Y = oneHot dtype classes labels }

    /// Whether a loss trains a classifier (then accuracy is reported).
    let private classifies (loss: Loss) =
        match loss with
        | Loss.CrossEntropy _ | Loss.BinaryCrossEntropyWithLogits _ -> true
        | Loss.Mse _ -> false

    /// Correct predictions in the first `count` rows of outputs against targets (argmax of a
    /// one-hot row, or a 0/1 value for one logit).
    let private correct (outputs: Tensor) (targets: Tensor) (count: int) =
        let predicted = Model.classes outputs
        let width = Shape.numel targets.Shape / targets.Shape[0]
        let expected =
            if width = 1 then Array.init count (fun i -> if Buffers.at targets i >= 0.5 then 1 else 0)
            else Model.classes targets
        let mutable hits = 0
        for i in 0 .. count - 1 do
            if predicted[i] = expected[i] then hits <- hits + 1
        hits

    /// Batches of an epoch as (start, size) over an order of n rows: ⌈n/b⌉ batches, the last
    /// one smaller when b does not divide n.
    let batches (n: int) (batchSize: int) =
        [ for start in 0 .. batchSize .. n - 1 -> start, min batchSize (n - start) ]

    /// Mean objective and accuracy of the model on a dataset, in evaluation mode.
    let evaluate (model: Model) (loss: Loss) (regularizer: Regularizer) (batchSize: int) (data: Dataset) =
        let data = { X = Buffers.convert model.DType data.X; Y = Buffers.convert model.DType data.Y }
        let mutable total, hits = 0.0, 0
        for start, size in batches data.Count batchSize do
            let plan = Model.plan model PlanKind.Evaluate (loss, regularizer) size
            // in data order: the program reads views of the batch's rows
            let x, y = Buffers.rows data.X start size plan.X.Shape, Buffers.rows data.Y start size plan.Y.Shape
            match plan.RunOn x y with
            | value :: prediction :: _ ->
                total <- total + Buffers.at value 0 * float size
                if classifies loss then hits <- hits + correct prediction y size
            | _ -> failwith "the evaluation program returns the loss and the prediction"
        total / float data.Count, (if classifies loss then float hits / float data.Count else nan)

    /// The training loop of `fit`, with a hook: before epoch e's batches, `prepare e` gives the
    /// inputs [n; inputShape…] (in the model's dtype, rows matching data.Y) and the optimizer it
    /// trains with (AugmentedTraining passes a freshly augmented copy and a scheduled rate).
    /// Per batch: copy it into the plan's inputs (or, in data order, pass views of its rows),
    /// draw dropout masks, run the compiled [loss; prediction; gradients; buffer values] program,
    /// step the optimizer in place and store the new buffer values (BatchNorm's running
    /// statistics). Returns the per-epoch history (shorter than Epochs when a callback stops).
    let internal loop (options: FitOptions) (model: Model) (targets: Tensor) (prepare: int -> Tensor * Optimizer) =
        if options.BatchSize < 1 then invalidArg "options" $"batch size must be ≥ 1, got {options.BatchSize}"
        let targets = Buffers.convert model.DType targets
        let count = targets.Shape[0]
        let parameters = Array.ofList model.Values
        let states = Optimizer.init options.Optimizer parameters
        let shuffler = options.Shuffle |> Option.map (fun seed -> SplitMix64(uint64 seed))
        let maskStream = SplitMix64(uint64 model.Seed ^^^ 0xD40F0D7UL)
        let order = Array.init count id
        let objective = options.Loss, options.Regularizer
        let mutable history = []
        let mutable epoch = 1
        while epoch <= options.Epochs do
            let clock = Stopwatch.StartNew()
            let inputs, optimizer = prepare epoch
            shuffler |> Option.iter (fun rng ->
                for i in order.Length - 1 .. -1 .. 1 do
                    let j = rng.Below(i + 1)
                    let t = order[i] in order[i] <- order[j]; order[j] <- t)
            let mutable total, hits, steps = 0.0, 0, 0
            let epochBatches = batches count options.BatchSize
            for start, size in epochBatches do
                let plan = Model.plan model PlanKind.Train objective size
                // in data order a batch is a run of rows: the program reads views of them
                let x, y =
                    if shuffler.IsNone then
                        Buffers.rows inputs start size plan.X.Shape, Buffers.rows targets start size plan.Y.Shape
                    else
                        let rows = ReadOnlySpan(order, start, size)
                        Buffers.copyRows inputs rows plan.X
                        Buffers.copyRows targets rows plan.Y
                        plan.X, plan.Y
                for mask, t in plan.Masks do Dropout.fill maskStream mask.Keep t.Storage
                let value, prediction, grads = Model.finishStep plan (plan.RunOn x y)
                Optimizer.step optimizer states parameters (Array.ofList grads)
                total <- total + Buffers.at value 0
                steps <- steps + 1
                if classifies options.Loss then hits <- hits + correct prediction y size
                options.OnBatch epoch steps epochBatches.Length
            let seconds = clock.Elapsed.TotalSeconds
            let validationLoss, validationAccuracy =
                match options.Validation with
                | Some v -> evaluate model options.Loss options.Regularizer (max options.BatchSize 256) v
                | None -> nan, nan
            let stats =
                { Epoch = epoch
                  Loss = total / float steps
                  Accuracy = if classifies options.Loss then float hits / float count else nan
                  ValidationLoss = validationLoss
                  ValidationAccuracy = validationAccuracy
                  Seconds = seconds }
            history <- history @ [ stats ]
            let stop = options.Callbacks |> List.exists (fun callback -> callback history = Decision.Stop)
            epoch <- if stop then Int32.MaxValue else epoch + 1
        history

    /// Train with options on a dataset: `loop` with the same inputs and optimizer every epoch.
    let fit (options: FitOptions) (model: Model) (data: Dataset) : EpochStats list =
        let inputs = Buffers.convert model.DType data.X
        loop options model data.Y (fun _ -> inputs, options.Optimizer)

/// Ready-made callbacks.
[<RequireQualifiedAccess>]
module Callbacks =
    /// Early stopping: stop when the monitored figure (validation loss when there is validation
    /// data, else training loss) has not improved by more than minDelta for `patience` epochs.
    let earlyStopping (patience: int) (minDelta: float) : EpochStats list -> Decision =
        fun history ->
            let monitored (s: EpochStats) = if Double.IsNaN s.ValidationLoss then s.Loss else s.ValidationLoss
            let values = history |> List.map monitored |> Array.ofList
            let best = values |> Array.mapi (fun i v -> i, v) |> Array.fold (fun (bi, bv) (i, v) -> if v < bv - minDelta then (i, v) else (bi, bv)) (0, values[0])
            if values.Length - 1 - fst best >= patience then Decision.Stop else Decision.Continue
