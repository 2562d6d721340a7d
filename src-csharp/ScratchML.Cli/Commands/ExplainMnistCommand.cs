using System.CommandLine;
using Spectre.Console;

namespace ScratchML.Cli;

/// <summary>`scratchml explain mnist --index N`: explains a saved MNIST model's prediction for test
/// digit N with LIME superpixels, prints the top superpixels and writes a self-contained HTML report.</summary>
public static class ExplainMnistCommand
{
    /// <summary>Builds the `mnist` subcommand of `explain`.</summary>
    public static Command Create()
    {
        var index = new Option<int>("--index", "-i") { Description = "index of a test digit (0–9999)", DefaultValueFactory = _ => 0 };
        var file = new Option<string>("--model", "-m") { Description = "model file written by 'scratchml train mnist'", DefaultValueFactory = _ => "models/mnist.safetensors" };
        var output = new Option<string>("--out") { Description = "HTML report to write", DefaultValueFactory = _ => "report.html" };
        var segmentation = new Option<string>("--segmentation") { Description = "superpixels: slic, quickshift or felzenszwalb", DefaultValueFactory = _ => "slic" };
        var samples = new Option<int>("--samples") { Description = "perturbed digits LIME classifies", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "seed of LIME's random draws", DefaultValueFactory = _ => 0 };
        var top = new Option<int>("--top") { Description = "superpixels listed and shown in the report", DefaultValueFactory = _ => 8 };
        var command = new Command("mnist", "Explain a saved MNIST model's prediction for one test digit with LIME superpixels.")
        {
            index, file, output, segmentation, samples, seed, top,
        };
        command.SetAction(p =>
        {
            var method = p.GetValue(segmentation)!.ToLowerInvariant() switch
            {
                "slic" => DigitSegmentation.Slic,
                "quickshift" => DigitSegmentation.Quickshift,
                "felzenszwalb" => DigitSegmentation.Felzenszwalb,
                var s => throw new ArgumentException($"--segmentation: unknown '{s}' (slic, quickshift, felzenszwalb)"),
            };
            var count = p.GetValue(top);
            if (count < 1) throw new ArgumentException($"--top must be at least 1, got {count}");
            var path = p.GetValue(file)!;
            if (!File.Exists(path))
                throw new ArgumentException($"no model at '{path}': run 'scratchml train mnist' first (or pass --model FILE)");
            var model = Model.Load(path);
            var test = ScratchML.Mnist.Test();
            var i = p.GetValue(index);
            if (i < 0 || i >= test.Count) throw new ArgumentException($"--index must be in 0..{test.Count - 1}, got {i}");
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var e = DigitExplanations.Explain(model, test, i, p.GetValue(seed), method, p.GetValue(samples));
            watch.Stop();
            var verdict = e.Predicted == e.Label ? "[green]right[/]" : "[red]wrong[/]";
            AnsiConsole.MarkupLine($"test digit {i}: label {e.Label}, predicted [bold]{e.Predicted}[/] (p = {e.Probability:F4}) {verdict}");
            AnsiConsole.MarkupLine($"{e.SuperpixelCount} superpixels ({method.ToString().ToLowerInvariant()}), {p.GetValue(samples)} samples, " +
                                   $"local fit R² {e.Score:F3}, intercept {e.Intercept:F4}, {watch.Elapsed.TotalSeconds:F2} s");
            var table = new Table().AddColumn("superpixel").AddColumn(new TableColumn("pixels").RightAligned())
                .AddColumn(new TableColumn($"weight for {e.Predicted}").RightAligned()).AddColumn("");
            foreach (var w in e.Weights.Take(count))
                table.AddRow(w.Superpixel.ToString(), w.Pixels.ToString(), WeightText.Signed(w.Weight),
                    w.Weight >= 0 ? "[green]for[/]" : "[red]against[/]");
            AnsiConsole.Write(table);
            var report = p.GetValue(output)!;
            WriteAtomically(report, e.ToHtml(count));
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(report)}[/]");
            return 0;
        });
        return command;
    }

    /// <summary>Writes to a temporary file beside the target, then renames it over the target, so a
    /// reader never sees a half-written report.</summary>
    private static void WriteAtomically(string path, string text)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(temporary, text);
        File.Move(temporary, full, overwrite: true);
    }
}
