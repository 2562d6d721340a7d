/// Training on augmented images: Train.loop with a hook before each epoch — the whole
/// training set is replaced by a freshly augmented copy (Augment.batch) before its batches run.
/// Layer: NN, after Train.fs. Read next: Checkpoint.fs.
namespace ScratchML.NN

open System
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
    /// validation: Train.loop), except that epoch e trains on Augment.batch rng policy data.X,
    /// where `rng` is one SplitMix64 stream seeded with `seed` and drawn from epoch after epoch,
    /// with the learning rate of the schedule.
    let fit (policy: AugmentPolicy) (schedule: Schedule) (seed: int) (options: FitOptions)
            (model: Model) (data: Dataset) : EpochStats list =
        match options.Loss with
        | Loss.CrossEntropy _ -> ()
        | other ->
            invalidArg "options" $"augmented training needs a cross-entropy loss, got {other}"
        let pristine = Buffers.convert DType.Float32 data.X
        let augmentStream = SplitMix64(seed)
        Train.loop options model data.Y (fun epoch ->
            Augment.batch augmentStream policy pristine |> Buffers.convert model.DType,
            scaled (factor schedule options.Epochs epoch) options.Optimizer)
