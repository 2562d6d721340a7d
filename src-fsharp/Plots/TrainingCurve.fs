/// Training curves as PNG: per-epoch loss (training, validation) and accuracy from a history.
/// Layer: Plots, on top of NN (Train.EpochStats). Read next: the CLI's `train --plot`.
namespace ScratchML.Plots

open System
open System.IO
open ScottPlot
open ScratchML.NN

/// Drawing and saving the curve of a training history.
[<RequireQualifiedAccess>]
module TrainingCurve =
    /// Epoch numbers and the finite values of one series (NaN marks "not measured").
    let private series (pick: EpochStats -> float) (history: EpochStats list) =
        let points = history |> List.filter (fun e -> Double.IsFinite(pick e))
        [| for e in points -> float e.Epoch |], [| for e in points -> pick e |]

    /// A line with markers on an axis, labelled for the legend; nothing when there is no point.
    let private line (plot: Plot) (axis: IYAxis) (label: string) (color: Color) (pattern: LinePattern)
                     (xs: float[], ys: float[]) =
        if xs.Length > 0 then
            let s = plot.Add.Scatter(xs, ys, color)
            s.LegendText <- label
            s.LinePattern <- pattern
            s.LineWidth <- 2.0f
            s.MarkerSize <- 7.0f
            s.Axes.YAxis <- axis

    /// The plot: losses (solid) on the left axis, accuracies in % (dashed) on the right axis,
    /// x = epoch 1…n; the legend sits below the axes so it never hides a point.
    let plot (history: EpochStats list) : Plot =
        if List.isEmpty history then invalidArg "history" "the training history is empty"
        let plot = new Plot()
        let right = plot.Axes.Right
        let percent pick = series (fun e -> 100.0 * pick e) history
        line plot plot.Axes.Left "training loss" Colors.Blue LinePattern.Solid (series (fun e -> e.Loss) history)
        line plot plot.Axes.Left "validation loss" Colors.Orange LinePattern.Solid (series (fun e -> e.ValidationLoss) history)
        line plot right "training accuracy (%)" Colors.Blue LinePattern.Dashed (percent (fun e -> e.Accuracy))
        line plot right "validation accuracy (%)" Colors.Orange LinePattern.Dashed (percent (fun e -> e.ValidationAccuracy))
        plot.Title("Training curve")
        plot.XLabel("epoch")
        plot.YLabel("loss")
        right.Label.Text <- "accuracy (%)"
        // Integer epochs only: the default ticks would put 1.5, 2.5… between them.
        plot.Axes.Bottom.TickGenerator <- TickGenerators.NumericFixedInterval(1.0)
        plot.Axes.SetLimitsX(0.5, float (List.last history).Epoch + 0.5)
        plot.ShowLegend(Edge.Bottom) |> ignore
        plot

    /// Write the curve as a PNG of width × height pixels, atomically: rendered to `path.tmp`
    /// next to it, then renamed over `path` (a reader never sees half a file).
    let save (path: string) (width: int) (height: int) (history: EpochStats list) =
        let full = Path.GetFullPath path
        let folder = Path.GetDirectoryName full
        if not (String.IsNullOrEmpty folder) then Directory.CreateDirectory folder |> ignore
        let temp = full + ".tmp"
        use p = plot history
        let bytes = p.GetImageBytes(width, height, ImageFormat.Png)
        File.WriteAllBytes(temp, bytes)
        File.Move(temp, full, true)
