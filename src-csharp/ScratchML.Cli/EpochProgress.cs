using Spectre.Console;

namespace ScratchML.Cli;

/// <summary>The training progress display every `train` subcommand shares: one Spectre.Console
/// bar per epoch, advanced after every batch, whose text becomes the epoch's figures when it ends.</summary>
internal static class EpochProgress
{
    /// <summary>Runs <paramref name="train"/>, handing it the batch and epoch callbacks that drive
    /// the bars; <paramref name="describe"/> turns a finished epoch into its bar's text.</summary>
    public static T Run<T>(int epochs, Func<EpochResult, string> describe,
                           Func<Action<int, int, int>, Action<EpochResult>, T> train)
    {
        T result = default!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var tasks = Enumerable.Range(1, epochs)
                    .Select(e => context.AddTask($"epoch {e,2}/{epochs}", autoStart: false, maxValue: 1))
                    .ToArray();
                result = train(
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
