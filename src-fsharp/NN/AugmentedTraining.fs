/// Training on augmented images: Train.fit's loop with one more step per epoch — the whole
/// training set is replaced by a freshly augmented copy (Augment.batch) before its batches run.
/// Layer: NN, after Train.fs. Read next: Checkpoint.fs.
namespace ScratchML.NN

open System
open System.Diagnostics
open ScratchML

/// How the learning rate changes from epoch to epoch.
[<RequireQualifiedAccess>]
type Schedule =
    /// The optimizer's rate every epoch.
    | Constant
    /// Cosine annealing per epoch: lrₑ = lr·½(1 + cos(π·(e − 1)/E)) for epochs e = 1..E (lr at
    /// the first epoch, falling smoothly towards 0 by the last).
    | Cosine

[<RequireQualifiedAccess>]
module AugmentedTraining =
    /// The optimizer with its learning rate multiplied by `factor` (its moments live in the
    /// per-parameter states, so changing the rate between steps is safe).
    let scaled (factor: float) (optimizer: Optimizer) =
        match optimizer with
        | Optimizer.Sgd o -> Optimizer.Sgd { o with LearningRate = o.LearningRate * factor }
        | Optimizer.Adagrad o -> Optimizer.Adagrad { o with LearningRate = o.LearningRate * factor }
        | Optimizer.RmsProp o -> Optimizer.RmsProp { o with LearningRate = o.LearningRate * factor }
        | Optimizer.Adam o -> Optimizer.Adam { o with LearningRate = o.LearningRate * factor }
        | Optimizer.AdamW o -> Optimizer.AdamW { o with LearningRate = o.LearningRate * factor }

    /// The factor of epoch e (1-based) of E under a schedule.
    let factor (schedule: Schedule) (epochs: int) (epoch: int) =
        match schedule with
        | Schedule.Constant -> 1.0
        | Schedule.Cosine -> 0.5 * (1.0 + cos (Math.PI * float (epoch - 1) / float epochs))

    /// Fit like `Train.fit` (same options, plans, optimizer steps, dropout masks, shuffling and
    /// validation), except that epoch e trains on Augment.batch rng policy data.X, where `rng`
    /// is one SplitMix64 stream seeded with `seed` and drawn from epoch after epoch, with the
    /// learning rate of the schedule.
    let fit (policy: AugmentPolicy) (schedule: Schedule) (seed: int) (options: FitOptions)
            (model: Model) (data: Dataset) : EpochStats list =
        if options.BatchSize < 1 then
            invalidArg "options" $"batch size must be ≥ 1, got {options.BatchSize}"
        match options.Loss with
        | Loss.CrossEntropy _ -> ()
        | other ->
            invalidArg "options" $"augmented training needs a cross-entropy loss, got {other}"
        let pristine = Buffers.convert DType.Float32 data.X
        let targets = Buffers.convert model.DType data.Y
        let parameters = Array.ofList model.Values
        let states = Optimizer.init options.Optimizer parameters
        let augmentStream = SplitMix64(seed)
        let shuffler = options.Shuffle |> Option.map (fun s -> SplitMix64(uint64 s))
        let maskStream = SplitMix64(uint64 model.Seed ^^^ 0xD40F0D7UL)
        let order = Array.init data.Count id
        let objective = options.Loss, options.Regularizer
        let mutable history = []
        let mutable epoch = 1
        while epoch <= options.Epochs do
            let clock = Stopwatch.StartNew()
            let optimizer = scaled (factor schedule options.Epochs epoch) options.Optimizer
            let inputs = Augment.batch augmentStream policy pristine |> Buffers.convert model.DType
            shuffler |> Option.iter (fun rng ->
                for i in order.Length - 1 .. -1 .. 1 do
                    let j = rng.Below(i + 1)
                    let t = order[i] in order[i] <- order[j]; order[j] <- t)
            let mutable total, hits, count = 0.0, 0, 0
            let epochBatches = Train.batches data.Count options.BatchSize
            for start, size in epochBatches do
                let plan = Model.plan model PlanKind.Train objective size
                let rows = ReadOnlySpan(order, start, size)
                Buffers.copyRows inputs rows plan.X
                Buffers.copyRows targets rows plan.Y
                for mask, t in plan.Masks do Dropout.fill maskStream mask.Keep t.Storage
                let value, prediction, grads = Model.finishStep plan (plan.Run ())
                Optimizer.step optimizer states parameters (Array.ofList grads)
                total <- total + Buffers.at value 0
                count <- count + 1
                let predicted, expected = Model.classes prediction, Model.classes plan.Y
                for i in 0 .. size - 1 do
                    if predicted[i] = expected[i] then hits <- hits + 1
                options.OnBatch epoch count epochBatches.Length
            let seconds = clock.Elapsed.TotalSeconds
            let validationLoss, validationAccuracy =
                match options.Validation with
                | Some v ->
                    let batch = max options.BatchSize 256
                    Train.evaluate model options.Loss options.Regularizer batch v
                | None -> nan, nan
            history <-
                history @ [ { Epoch = epoch; Loss = total / float count
                              Accuracy = float hits / float data.Count
                              ValidationLoss = validationLoss
                              ValidationAccuracy = validationAccuracy
                              Seconds = seconds } ]
            let stop =
                options.Callbacks |> List.exists (fun callback -> callback history = Decision.Stop)
            epoch <- if stop then Int32.MaxValue else epoch + 1
        history
