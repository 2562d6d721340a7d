using System.CommandLine;
using Spectre.Console;

namespace ScratchML.Cli;

/// <summary>`scratchml explain tabular [--csv FILE --target COL] [--row N] [--features K] [--out FILE]`:
/// trains a softmax regression (gradient descent on standardised features) on the table, explains
/// one row's prediction with LIME, prints the weights as a table of bars and writes the HTML
/// report. Without --csv it uses the breast-cancer data of the benchmark folder.</summary>
public static class ExplainCommand
{
    /// <summary>Builds the command with its subcommands.</summary>
    public static Command Create()
    {
        var command = new Command("explain", "Explain a model's prediction with LIME.") { Tabular(), ExplainMnistCommand.Create(), ExplainTextCommand.Create(), ExplainImageCommand.Create() };
        return command;
    }

    private static Command Tabular()
    {
        var csv = new Option<FileInfo>("--csv") { Description = "CSV file with a header line; every column but the target numeric (default: the breast-cancer data)" };
        var target = new Option<string>("--target") { Description = "name of the target (class) column; required with --csv" };
        var row = new Option<int>("--row") { Description = "index of the data row to explain", DefaultValueFactory = _ => 0 };
        var features = new Option<int>("--features", "-k") { Description = "features in the explanation", DefaultValueFactory = _ => 5 };
        var samples = new Option<int>("--samples") { Description = "perturbed samples", DefaultValueFactory = _ => 5000 };
        var seed = new Option<int>("--seed") { Description = "seed of the samples (same seed, same explanation)", DefaultValueFactory = _ => 0 };
        var output = new Option<FileInfo>("--out", "-o") { Description = "where to write the HTML report", DefaultValueFactory = _ => new FileInfo("explanation.html") };
        var command = new Command("tabular", "Train a small classifier on a table and explain one row.")
            { csv, target, row, features, samples, seed, output };
        command.SetAction(p =>
        {
            var file = p.GetValue(csv);
            var targetName = p.GetValue(target);
            if (file is not null && targetName is null)
                throw new ArgumentException("--target COL is required with --csv");
            if (file is null && targetName is not null)
                throw new ArgumentException("--target applies only with --csv (the built-in data has its own target)");
            var data = file is null ? TabularData.BreastCancer() : TabularData.LoadCsv(file.FullName, targetName!);
            int index = p.GetValue(row);
            if (index < 0 || index >= data.RowCount)
                throw new ArgumentException($"--row {index} is not in 0..{data.RowCount - 1}");
            int k = p.GetValue(features);
            if (k < 1 || k > data.FeatureNames.Count)
                throw new ArgumentException($"--features {k} is not in 1..{data.FeatureNames.Count}");
            int n = p.GetValue(samples);
            if (n < 2) throw new ArgumentException($"--samples must be at least 2, got {n}");

            double[,] rows = data.Rows;
            var model = SoftmaxRegression.Fit(rows, data.Targets, data.ClassNames.Count);
            var explainer = new TabularExplainer(rows, data.FeatureNames, data.ClassNames, seed: p.GetValue(seed));
            double[] instance = data.Row(index);
            Explanation e = explainer.Explain(instance, model.PredictProbabilities, numFeatures: k, numSamples: n);

            string source = file is null ? "breast-cancer data (built in)" : file.Name;
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(source)}[/]: {data.RowCount} rows, {data.FeatureNames.Count} features; " +
                $"softmax regression, training accuracy {model.Accuracy(rows, data.Targets):P1}");
            AnsiConsole.MarkupLine($"row {index} (true class [bold]{Markup.Escape(data.ClassNames[data.Targets[index]])}[/]): " +
                $"predicted [bold]{Markup.Escape(e.ClassNames[e.Label])}[/] with p = {e.Prediction[e.Label]:F3}");
            AnsiConsole.Write(WeightsTable(e));
            AnsiConsole.MarkupLine($"intercept {e.Intercept:F4}, local prediction {e.LocalPrediction:F4}, weighted R² {e.Score:F3}");
            var outFile = p.GetValue(output)!;
            e.SaveHtml(outFile.FullName);
            AnsiConsole.MarkupLine($"report: {Markup.Escape(outFile.FullName)}");
            return 0;
        });
        return command;
    }

    /// <summary>Feature, weight and a bar of length ∝ |weight| (green towards the label, red away).</summary>
    private static Table WeightsTable(Explanation e)
    {
        const int width = 24;
        double max = e.Weights.Max(f => Math.Abs(f.Weight));
        var table = new Table().AddColumn("feature").AddColumn(new TableColumn("weight").RightAligned())
            .AddColumn($"towards {Markup.Escape(e.ClassNames[e.Label])}");
        table.Title = new TableTitle($"LIME weights for class {Markup.Escape(e.ClassNames[e.Label])}");
        foreach (var f in e.Weights)
        {
            int length = max > 0 ? (int)Math.Round(width * Math.Abs(f.Weight) / max) : 0;
            string colour = f.Weight >= 0 ? "green" : "red";
            string bar = length == 0 ? "" : $"[{colour}]{new string('█', length)}[/]";
            table.AddRow(Markup.Escape(f.Feature), WeightText.Signed(f.Weight), f.Weight >= 0 ? bar : $"{bar} (against)");
        }
        return table;
    }
}
