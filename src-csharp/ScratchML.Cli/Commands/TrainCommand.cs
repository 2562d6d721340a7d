using System.CommandLine;
using Spectre.Console;

namespace ScratchML.Cli;

/// <summary>`scratchml train DATASET`: one subcommand per shipped data set. `train mnist` trains
/// on the 60,000 MNIST training digits with a progress bar (loss and accuracy per epoch), prints
/// test accuracy and saves the model; `--plot curve.png` also draws the per-epoch loss and accuracy.</summary>
public static class TrainCommand
{
    /// <summary>Builds the command: `train` with one subcommand per data set.</summary>
    public static Command Create() => new("train", "Train a model on a shipped data set, report test accuracy, save it.")
    {
        MnistCommand(),
        TrainCatsDogsCommand.Create(),
    };

    /// <summary>`train mnist`.</summary>
    private static Command MnistCommand()
    {
        var hidden = new Option<string>("--hidden") { Description = "hidden layer sizes, comma-separated", DefaultValueFactory = _ => "256" };
        var epochs = new Option<int>("--epochs", "-e") { Description = "passes over the training data", DefaultValueFactory = _ => 10 };
        var optimizer = new Option<string>("--optimizer", "-o") { Description = "adam, adamw, sgd, rmsprop or adagrad", DefaultValueFactory = _ => "adam" };
        var lr = new Option<double?>("--lr") { Description = "learning rate (default: 1e-3 for adam/adamw/rmsprop, 0.1 for sgd, 0.01 for adagrad)" };
        var batch = new Option<int>("--batch-size", "-b") { Description = "examples per step", DefaultValueFactory = _ => 64 };
        var seed = new Option<int>("--seed") { Description = "seed of the initial weights and the shuffling", DefaultValueFactory = _ => 0 };
        var dropout = new Option<double>("--dropout") { Description = "dropout probability after each hidden layer (0: none)", DefaultValueFactory = _ => 0.2 };
        var limit = new Option<int?>("--limit") { Description = "train on the first N training digits only (quick runs)" };
        var output = new Option<string>("--out") { Description = "model file to write", DefaultValueFactory = _ => "models/mnist.safetensors" };
        var plot = new Option<string?>("--plot") { Description = "write the loss/accuracy curve to this PNG (the test digits are then also evaluated after each epoch)" };
        var command = new Command("mnist", "Train a multi-layer perceptron on MNIST, report test accuracy, save the model.")
        {
            hidden, epochs, optimizer, lr, batch, seed, dropout, limit, output, plot,
        };
        command.SetAction(p =>
        {
            var sizes = ParseSizes(p.GetValue(hidden)!);
            var rule = MakeOptimizer(p.GetValue(optimizer)!, p.GetValue(lr));
            var train = Mnist.Train();
            if (p.GetValue(limit) is int n) train = train.Take(n);
            var test = Mnist.Test();
            var model = new Model(Sequential.Mlp(784, sizes, 10, p.GetValue(dropout)), seed: p.GetValue(seed));
            model.Compile(rule);
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(model.ToString())}[/], {Markup.Escape(rule.GetType().Name)} lr {rule.LearningRate}, " +
                                   $"{train.Count} digits, batches of {p.GetValue(batch)}");
            var plotPath = p.GetValue(plot);
            var history = Run(model, train, plotPath is null ? null : test, p.GetValue(epochs), p.GetValue(batch), p.GetValue(seed));
            foreach (var e in history)
                Console.WriteLine($"epoch {e.Epoch,2}: loss {e.Loss:F4}  accuracy {e.Accuracy:P2}  {e.Seconds:F1} s");
            var result = model.Evaluate(test);
            var minutes = history.Average(e => e.Seconds) / 60;
            AnsiConsole.MarkupLine($"test accuracy [bold]{result.Accuracy:P2}[/] (loss {result.Loss:F4}), {minutes:F2} min per epoch");
            var path = p.GetValue(output)!;
            model.Save(path);
            AnsiConsole.MarkupLine($"saved [bold]{Markup.Escape(path)}[/]");
            if (plotPath is not null)
            {
                TrainingCurve.Save(history, plotPath);
                AnsiConsole.MarkupLine($"plotted [bold]{Markup.Escape(plotPath)}[/]");
            }
            return 0;
        });
        return command;
    }

    /// <summary>Trains with a Spectre.Console progress bar: one task per epoch, advanced per batch,
    /// whose description shows the epoch's loss and accuracy when it ends.</summary>
    private static IReadOnlyList<EpochResult> Run(Model model, DigitSet train, DigitSet? validation, int epochs, int batchSize, int seed)
    {
        IReadOnlyList<EpochResult> history = Array.Empty<EpochResult>();
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var tasks = Enumerable.Range(1, epochs)
                    .Select(e => context.AddTask($"epoch {e,2}/{epochs}", autoStart: false, maxValue: 1))
                    .ToArray();
                history = model.Fit(train, epochs, batchSize, validation, shuffleSeed: seed,
                    onBatch: (epoch, done, total) =>
                    {
                        var task = tasks[epoch - 1];
                        if (!task.IsStarted) task.StartTask();
                        task.Value = (double)done / total;
                    },
                    onEpoch: e =>
                    {
                        var task = tasks[e.Epoch - 1];
                        task.Description = $"epoch {e.Epoch,2}/{epochs}  loss {e.Loss:F4}  accuracy {e.Accuracy:P2}  {e.Seconds:F1} s";
                        task.Value = task.MaxValue;
                        task.StopTask();
                    });
            });
        return history;
    }

    internal static int[] ParseSizes(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var sizes = parts.Select(s => int.TryParse(s, out var v) && v > 0 ? v
            : throw new ArgumentException($"--hidden: '{s}' is not a positive size")).ToArray();
        return sizes;
    }

    internal static Optimizer MakeOptimizer(string name, double? lr) => name.ToLowerInvariant() switch
    {
        "adam" => new Adam(lr ?? 1e-3),
        "adamw" => new Adam(lr ?? 1e-3, weightDecay: 0.01, decoupledWeightDecay: true),
        "sgd" => new Sgd(lr ?? 0.1),
        "rmsprop" => new RmsProp(lr ?? 1e-3),
        "adagrad" => new Adagrad(lr ?? 0.01),
        _ => throw new ArgumentException($"--optimizer: unknown '{name}' (adam, adamw, sgd, rmsprop, adagrad)"),
    };
}
