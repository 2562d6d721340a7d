using System.CommandLine;
using Spectre.Console;

namespace ScratchML.Cli;

/// <summary>`scratchml train DATASET`: one subcommand per shipped data set. `train mnist` trains
/// a multi-layer perceptron (default) or, with `--model cnn`, a convolutional network on the 60,000 MNIST training digits with a progress bar (loss and accuracy per epoch), prints
/// test accuracy and saves the model; `--plot curve.png` also draws the per-epoch loss and accuracy.</summary>
public static class TrainCommand
{
    /// <summary>Builds the command: `train` with one subcommand per data set.</summary>
    public static Command Create() => new("train", "Train a model on a shipped data set, report test accuracy, save it.")
    {
        MnistCommand(),
        TrainCharLmCommand.Create(),
        TrainTextCommand.Create(),
        TrainCatsDogsCommand.Create(),
    };

    /// <summary>`train mnist`.</summary>
    private static Command MnistCommand()
    {
        var kind = new Option<string>("--model") { Description = "mlp (dense layers) or cnn (two 5×5 convolutions with max pooling, then dense layers)", DefaultValueFactory = _ => "mlp" };
        var hidden = new Option<string>("--hidden") { Description = "hidden dense layer sizes, comma-separated (after the convolutions for cnn)", DefaultValueFactory = _ => "256" };
        var channels = new Option<string>("--channels") { Description = "cnn: output channels of the two convolutions, comma-separated", DefaultValueFactory = _ => "32,64" };
        var epochs = new Option<int>("--epochs", "-e") { Description = "passes over the training data", DefaultValueFactory = _ => 10 };
        var optimizer = new Option<string>("--optimizer", "-o") { Description = "adam, adamw, sgd, rmsprop or adagrad", DefaultValueFactory = _ => "adam" };
        var lr = new Option<double?>("--lr") { Description = "learning rate (default: 1e-3 for adam/adamw/rmsprop, 0.1 for sgd, 0.01 for adagrad)" };
        var batch = new Option<int>("--batch-size", "-b") { Description = "examples per step", DefaultValueFactory = _ => 64 };
        var seed = new Option<int>("--seed") { Description = "seed of the initial weights and the shuffling", DefaultValueFactory = _ => 0 };
        var dropout = new Option<double>("--dropout") { Description = "dropout probability after each hidden layer (0: none)", DefaultValueFactory = _ => 0.2 };
        var limit = new Option<int?>("--limit") { Description = "train on the first N training digits only (quick runs)" };
        var output = new Option<string>("--out") { Description = "model file to write", DefaultValueFactory = _ => "models/mnist.safetensors" };
        var plot = new Option<string?>("--plot") { Description = "write the loss/accuracy curve to this PNG (the test digits are then also evaluated after each epoch)" };
        var command = new Command("mnist", "Train a multi-layer perceptron or a convolutional network on MNIST, report test accuracy, save the model.")
        {
            kind, hidden, channels, epochs, optimizer, lr, batch, seed, dropout, limit, output, plot,
        };
        command.SetAction(p =>
        {
            var sizes = ParseSizes(p.GetValue(hidden)!);
            var rule = MakeOptimizer(p.GetValue(optimizer)!, p.GetValue(lr));
            var train = Mnist.Train();
            if (p.GetValue(limit) is int n) train = train.Take(n);
            var test = Mnist.Test();
            var model = p.GetValue(kind)!.ToLowerInvariant() switch
            {
                "mlp" => new Model(Sequential.Mlp(784, sizes, 10, p.GetValue(dropout)), seed: p.GetValue(seed)),
                // a CNN sees each 784-pixel row as one 1×28×28 image (row-major: row 0 at the top)
                "cnn" => new Model(Cnn(ParseSizes(p.GetValue(channels)!, "--channels"), sizes, p.GetValue(dropout)), new[] { 1, 28, 28 }, seed: p.GetValue(seed)),
                var other => throw new ArgumentException($"--model: unknown '{other}' (mlp, cnn)"),
            };
            model.Compile(rule);
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(model.ToString())}[/], {Markup.Escape(rule.GetType().Name)} lr {rule.LearningRate}, " +
                                   $"{train.Count} digits, batches of {p.GetValue(batch)}");
            var plotPath = p.GetValue(plot);
            var history = Run(model, train, plotPath is null ? null : test, p.GetValue(epochs), p.GetValue(batch), p.GetValue(seed));
            foreach (var e in history)
                Console.WriteLine($"epoch {e.Epoch,2}: loss {e.Loss:F4}  accuracy {e.Accuracy:P2}  {e.Seconds:F1} s");
            var result = model.Evaluate(test);
            var seconds = history.Average(e => e.Seconds);
            AnsiConsole.MarkupLine($"test accuracy [bold]{result.Accuracy:P2}[/] (loss {result.Loss:F4}), {seconds:F1} s ({seconds / 60:F2} min) per epoch");
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
        return EpochProgress.Run(epochs,
            e => $"epoch {e.Epoch,2}/{epochs}  loss {e.Loss:F4}  accuracy {e.Accuracy:P2}  {e.Seconds:F1} s",
            (onBatch, onEpoch) => model.Fit(train, epochs, batchSize, validation, shuffleSeed: seed, onBatch: onBatch, onEpoch: onEpoch));
    }

    internal static int[] ParseSizes(string text, string option = "--hidden")
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var sizes = parts.Select(s => int.TryParse(s, out var v) && v > 0 ? v
            : throw new ArgumentException($"{option}: '{s}' is not a positive size")).ToArray();
        return sizes;
    }

    /// <summary>The MNIST CNN: [1, 28, 28] → Conv2d(1 → c₁, 5×5) → ReLU → MaxPool2d(2) → [c₁, 12, 12]
    /// → Conv2d(c₁ → c₂, 5×5) → ReLU → MaxPool2d(2) → [c₂, 4, 4] → Flatten (c₂·16) → Dropout →
    /// (Dense → ReLU → Dropout) per hidden size → Dense(10) logits.</summary>
    internal static Sequential Cnn(int[] channels, int[] hidden, double dropout)
    {
        if (channels.Length != 2) throw new ArgumentException($"--channels: two sizes (one per convolution), got {channels.Length}");
        var layers = new List<Layer>
        {
            new Conv2d(1, channels[0], 5), Activation.Relu, new MaxPool2d(2),
            new Conv2d(channels[0], channels[1], 5), Activation.Relu, new MaxPool2d(2),
            new Flatten(),
        };
        var width = channels[1] * 4 * 4;
        foreach (var size in hidden)
        {
            if (dropout > 0) layers.Add(new Dropout(dropout));
            layers.Add(new Dense(width, size));
            layers.Add(Activation.Relu);
            width = size;
        }
        if (dropout > 0) layers.Add(new Dropout(dropout));
        layers.Add(new Dense(width, 10));
        return new Sequential(layers.ToArray());
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
