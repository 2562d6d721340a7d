using Spectre.Console;

namespace ScratchML.Cli;

/// <summary>The training progress display every `train` subcommand shares: one Spectre.Console
/// bar per epoch, advanced after every batch, whose text becomes the epoch's figures when it ends;
/// optionally a first bar for work done before the epochs (e.g. computing features).</summary>
internal static class EpochProgress
{
    /// <summary>Runs <paramref name="train"/>, handing it the batch and epoch callbacks that drive
    /// the bars; <paramref name="describe"/> turns a finished epoch into its bar's text.</summary>
    public static T Run<T>(int epochs, Func<EpochResult, string> describe,
                           Func<Action<int, int, int>, Action<EpochResult>, T> train) =>
        Run(null, epochs, describe, (_, onBatch, onEpoch) => train(onBatch, onEpoch));

    /// <summary>As <see cref="Run{T}(int, Func{EpochResult, string}, Func{Action{int, int, int}, Action{EpochResult}, T})"/>,
    /// with a first bar for the work before the epochs: <paramref name="preparation"/> gives its
    /// text while running and, from the total, once done (null: no such bar); <paramref name="train"/>
    /// also gets its (done, total) callback.</summary>
    public static T Run<T>((string Running, Func<int, string> Done)? preparation, int epochs, Func<EpochResult, string> describe,
                           Func<Action<int, int>, Action<int, int, int>, Action<EpochResult>, T> train)
    {
        T result = default!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var first = preparation is { } p ? context.AddTask(p.Running, maxValue: 1) : null;
                var tasks = Enumerable.Range(1, epochs)
                    .Select(e => context.AddTask($"epoch {e,2}/{epochs}", autoStart: false, maxValue: 1))
                    .ToArray();
                result = train(
                    (done, total) =>
                    {
                        if (first is null) return;
                        first.MaxValue = total;
                        first.Value = done;
                        if (done == total) first.Description = preparation!.Value.Done(total);
                    },
                    (epoch, done, total) =>
                    {
                        var task = tasks[epoch - 1];
                        if (!task.IsStarted) task.StartTask();
                        task.Value = (double)done / total;
                    },
                    e =>
                    {
                        var task = tasks[e.Epoch - 1];
                        task.Description = describe(e);
                        task.Value = task.MaxValue;
                        task.StopTask();
                    });
            });
        return result;
    }
}
