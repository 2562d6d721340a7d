/// The RESULT lines W1 and W2 share: both train on the W1 digits and report the same figures.
/// Layer: Bench (after Report.fs and BenchData.fs). Read next: W1.fs, W2.fs.
namespace ScratchML.Bench

open ScratchML
open ScratchML.NN

[<RequireQualifiedAccess>]
module MnistResults =
    /// One precision's lines of `workload` for a trained model: epoch k's time and mean loss,
    /// epoch_s (median of epochs 2..last), accuracy on the test inputs after the last epoch,
    /// infer_2000_s (one forward pass of all test inputs plus argmax, median of calls 2..6).
    let emit (workload: string) (dtype: DType) (model: Model) (history: EpochStats list) (testX: Tensor)
             (labels: int[]) (emit: string -> unit) =
        let epochs = history.Length
        let extra = if dtype = DType.Float64 then [ "dtype", "float64" ] else []
        let line metric value more = emit { Workload = workload; Metric = metric; Value = value; Extra = more @ extra }.Line
        let invariant = System.Globalization.CultureInfo.InvariantCulture
        for s in history do
            line $"epoch{s.Epoch}_s" s.Seconds [ "mean_train_loss", s.Loss.ToString("F5", invariant) ]
        line "epoch_s" (Report.median [ for s in history.Tail -> s.Seconds ]) [ "epochs", $"2..{epochs}"; "init", "splitmix" ]
        let testX = Buffers.convert dtype testX
        let predicted = Model.predictClasses model testX
        let hits = Array.fold2 (fun n p l -> if p = l then n + 1 else n) 0 predicted labels
        line $"test_acc_after_{epochs}_epochs" (float hits / float predicted.Length) [ "init", "splitmix" ]
        let infer = [ for _ in 1..6 -> Report.time (fun () -> Model.predictClasses model testX |> ignore) ]
        line "infer_2000_s" (Report.median infer.Tail) [ "batch", "2000" ]
