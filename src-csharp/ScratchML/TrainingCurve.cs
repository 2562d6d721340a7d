using Microsoft.FSharp.Collections;
using Fs = ScratchML.NN;

namespace ScratchML;

/// <summary>A training history drawn as a PNG: training and validation loss (left axis) and
/// accuracy in % (right axis) per epoch; series that were not measured (NaN) are left out.</summary>
public static class TrainingCurve
{
    /// <summary>Writes the curve of <paramref name="history"/> to <paramref name="path"/> as a PNG of
    /// <paramref name="width"/> × <paramref name="height"/> pixels, atomically (temp file + rename).</summary>
    /// <param name="history">Per-epoch figures, as returned by <see cref="Model.Fit(DigitSet, int, int, DigitSet, int?, int?, Action{EpochResult}, Action{int, int, int})"/>.</param>
    /// <param name="path">The PNG file to write; its folder is created when missing.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <example><code>TrainingCurve.Save(model.Fit(Mnist.Train(), epochs: 5, validation: Mnist.Test()), "loss.png");</code></example>
    public static void Save(IEnumerable<EpochResult> history, string path, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (width < 100 || height < 100)
            throw new ArgumentException($"the image must be at least 100 × 100 pixels, got {width} × {height}", nameof(width));
        var stats = history.Select(e => new Fs.EpochStats(e.Epoch, e.Loss, e.Accuracy, e.ValidationLoss, e.ValidationAccuracy, e.Seconds)).ToList();
        if (stats.Count == 0) throw new ArgumentException("the training history is empty", nameof(history));
        Plots.TrainingCurve.save(path, width, height, ListModule.OfSeq(stats));
    }
}
