using System.CommandLine;
using Spectre.Console;

namespace ScratchML.Cli;

/// <summary>`scratchml explain text "some message"` (or `--index N`, a test message): explains a
/// saved text classifier's prediction with LIME, prints the words that weigh most and writes an
/// HTML report with the words highlighted.</summary>
public static class ExplainTextCommand
{
    /// <summary>Builds the `text` subcommand of `explain`.</summary>
    public static Command Create()
    {
        var message = new Argument<string?>("message") { Description = "text to classify and explain (or use --index)", Arity = ArgumentArity.ZeroOrOne };
        var index = new Option<int?>("--index", "-i") { Description = "explain test message N of the shipped set instead" };
        var file = new Option<string>("--model", "-m") { Description = "model file written by 'scratchml train text'", DefaultValueFactory = _ => "models/lists.safetensors" };
        var output = new Option<string>("--out") { Description = "HTML report to write", DefaultValueFactory = _ => "report.html" };
        var features = new Option<int>("--features", "-k") { Description = "words in the explanation", DefaultValueFactory = _ => 10 };
        var samples = new Option<int>("--samples") { Description = "perturbed texts LIME classifies", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "seed of LIME's random draws", DefaultValueFactory = _ => 0 };
        var command = new Command("text", "Explain a saved text classifier's prediction for a message with LIME.")
        {
            message, index, file, output, features, samples, seed,
        };
        command.SetAction(p =>
        {
            var text = p.GetValue(message);
            var i = p.GetValue(index);
            if (text is null == i is null)
                throw new ArgumentException("give either a message or --index N (one of them)");
            var k = p.GetValue(features);
            if (k < 1) throw new ArgumentException($"--features must be at least 1, got {k}");
            var n = p.GetValue(samples);
            if (n < 2) throw new ArgumentException($"--samples must be at least 2, got {n}");
            var path = p.GetValue(file)!;
            if (!File.Exists(path))
                throw new ArgumentException($"no model at '{path}': run 'scratchml train text' first (or pass --model FILE)");
            var classifier = TextClassifier.Load(path);
            string? truth = null;
            if (i is int at)
            {
                var test = MailingLists.Test();
                if (at < 0 || at >= test.Count) throw new ArgumentException($"--index must be in 0..{test.Count - 1}, got {at}");
                text = test.Texts[at];
                truth = test.ClassNames[test.Labels[at]];
            }
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var e = classifier.Explain(text!, numFeatures: k, numSamples: n, seed: p.GetValue(seed));
            watch.Stop();
            var predicted = e.ClassNames[e.Label];
            var verdict = truth is null ? "" : truth == predicted ? $" (true list {Markup.Escape(truth)}: [green]right[/])" : $" (true list {Markup.Escape(truth)}: [red]wrong[/])";
            AnsiConsole.MarkupLine($"predicted [bold]{Markup.Escape(predicted)}[/] with p = {e.Prediction[e.Label]:F4}{verdict}");
            AnsiConsole.MarkupLine($"{n} samples, local fit R² {e.Score:F3}, intercept {e.Intercept:F4}, {watch.Elapsed.TotalSeconds:F2} s");
            var table = new Table().AddColumn("word").AddColumn(new TableColumn($"weight for {Markup.Escape(predicted)}").RightAligned()).AddColumn("");
            foreach (var w in e.Weights)
                table.AddRow(Markup.Escape(w.Feature), WeightText.Signed(w.Weight), w.Weight >= 0 ? "[green]for[/]" : "[red]against[/]");
            AnsiConsole.Write(table);
            var report = Path.GetFullPath(p.GetValue(output)!);
            Directory.CreateDirectory(Path.GetDirectoryName(report)!);
            e.SaveHtml(report);
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(p.GetValue(output)!)}[/]");
            return 0;
        });
        return command;
    }
}
