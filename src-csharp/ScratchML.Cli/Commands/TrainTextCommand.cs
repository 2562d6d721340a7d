using System.CommandLine;
using Spectre.Console;

namespace ScratchML.Cli;

/// <summary>`scratchml train text`: trains the recurrent text classifier (Embedding → LSTM/GRU →
/// max over time → Dense) on the shipped SpamAssassin mailing-list set with a progress bar, prints
/// test accuracy, the confusion matrix and a naive Bayes baseline's accuracy, and saves the model
/// with its vocabulary and class names.</summary>
public static class TrainTextCommand
{
    /// <summary>Builds the `text` subcommand of `train`.</summary>
    public static Command Create()
    {
        var defaults = new TextClassifierOptions();
        var epochs = new Option<int>("--epochs", "-e") { Description = "passes over the training messages", DefaultValueFactory = _ => defaults.Epochs };
        var cell = new Option<string>("--cell") { Description = "recurrent cell: lstm, gru or rnn", DefaultValueFactory = _ => "lstm" };
        var length = new Option<int>("--max-length", "-t") { Description = "words read per message (the first T)", DefaultValueFactory = _ => defaults.MaxLength };
        var hidden = new Option<int>("--hidden") { Description = "recurrent state size", DefaultValueFactory = _ => defaults.HiddenSize };
        var embedding = new Option<int>("--embedding") { Description = "word vector size", DefaultValueFactory = _ => defaults.EmbeddingSize };
        var vocabulary = new Option<int>("--vocabulary") { Description = "most ids in the vocabulary", DefaultValueFactory = _ => defaults.VocabularySize };
        var lastState = new Option<bool>("--last-state") { Description = "read the last state instead of the maximum over time" };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var batch = new Option<int>("--batch-size", "-b") { Description = "messages per step", DefaultValueFactory = _ => defaults.BatchSize };
        var seed = new Option<int>("--seed") { Description = "seed of the initial weights, dropout and shuffling", DefaultValueFactory = _ => 0 };
        var limit = new Option<int?>("--limit") { Description = "train on the first N training messages only (quick runs)" };
        var output = new Option<string>("--out") { Description = "model file to write", DefaultValueFactory = _ => "models/lists.safetensors" };
        var command = new Command("text", "Train an LSTM/GRU classifier of mailing-list messages, report test accuracy against naive Bayes, save it.")
        {
            epochs, cell, length, hidden, embedding, vocabulary, lastState, lr, batch, seed, limit, output,
        };
        command.SetAction(p =>
        {
            var options = new TextClassifierOptions
            {
                Cell = p.GetValue(cell)!.ToLowerInvariant() switch
                {
                    "lstm" => RecurrentCell.Lstm,
                    "gru" => RecurrentCell.Gru,
                    "rnn" => RecurrentCell.Rnn,
                    var s => throw new ArgumentException($"--cell: unknown '{s}' (lstm, gru, rnn)"),
                },
                Epochs = p.GetValue(epochs), MaxLength = p.GetValue(length), HiddenSize = p.GetValue(hidden),
                EmbeddingSize = p.GetValue(embedding), VocabularySize = p.GetValue(vocabulary),
                PoolOverTime = !p.GetValue(lastState), LearningRate = p.GetValue(lr), BatchSize = p.GetValue(batch),
                Seed = p.GetValue(seed),
            };
            var train = MailingLists.Train();
            if (p.GetValue(limit) is int n)
            {
                if (n < 2) throw new ArgumentException($"--limit must be at least 2, got {n}");
                train = train.Take(n);
            }
            var test = MailingLists.Test();
            AnsiConsole.MarkupLine($"SpamAssassin mailing lists: {train.Count} training, {test.Count} test messages, " +
                                   $"{train.ClassNames.Count} lists ({Markup.Escape(string.Join(", ", train.ClassNames))})");
            var classifier = Run(train, options);
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(classifier.ToString())}[/]");
            foreach (var e in classifier.History)
                Console.WriteLine($"epoch {e.Epoch,2}: loss {e.Loss:F4}  accuracy {e.Accuracy:P2}  {e.Seconds:F1} s");
            var matrix = classifier.ConfusionMatrix(test);
            var correct = Enumerable.Range(0, matrix.GetLength(0)).Sum(i => matrix[i, i]);
            AnsiConsole.Write(Confusion(matrix, test.ClassNames));
            var seconds = classifier.History.Average(e => e.Seconds);
            AnsiConsole.MarkupLine($"test accuracy [bold]{(double)correct / test.Count:P2}[/] ({correct}/{test.Count}), {seconds:F1} s per epoch");
            var baseline = NaiveBayesClassifier.Train(train);
            AnsiConsole.MarkupLine($"baseline: multinomial naive Bayes on all words, test accuracy [bold]{baseline.Accuracy(test):P2}[/]");
            var path = p.GetValue(output)!;
            classifier.Save(path);
            AnsiConsole.MarkupLine($"saved [bold]{Markup.Escape(path)}[/]");
            return 0;
        });
        return command;
    }

    /// <summary>Trains with one progress bar per epoch, advanced per step.</summary>
    private static TextClassifier Run(TextSet train, TextClassifierOptions options)
    {
        return EpochProgress.Run(options.Epochs,
            e => $"epoch {e.Epoch,2}/{options.Epochs}  loss {e.Loss:F4}  accuracy {e.Accuracy:P2}  {e.Seconds:F1} s",
            (onBatch, onEpoch) => TextClassifier.Train(train, options, onBatch: onBatch, onEpoch: onEpoch));
    }

    /// <summary>Rows: true list; columns: predicted list; the diagonal in bold.</summary>
    private static Table Confusion(int[,] matrix, IReadOnlyList<string> names)
    {
        var table = new Table { Title = new TableTitle("test messages: true list (rows) × predicted list (columns)") };
        table.AddColumn("true \\ predicted");
        foreach (var name in names) table.AddColumn(new TableColumn(Markup.Escape(name)).RightAligned());
        for (var i = 0; i < names.Count; i++)
            table.AddRow(new[] { Markup.Escape(names[i]) }
                .Concat(Enumerable.Range(0, names.Count).Select(j => i == j ? $"[bold]{matrix[i, j]}[/]" : matrix[i, j].ToString()))
                .ToArray());
        return table;
    }
}
