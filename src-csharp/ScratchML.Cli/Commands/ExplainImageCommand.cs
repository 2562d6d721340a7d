using System.CommandLine;
using Spectre.Console;

namespace ScratchML.Cli;

/// <summary>`scratchml explain image photo.jpg [--model FILE] [--segmenter quickshift|slic] [--out report.html]`:
/// classifies a photo (PNG, JPEG or PPM) with a saved image classifier — which sees it resized to
/// its 32×32 input — and explains the predicted class with LIME superpixels cut on the photo at a
/// display size; prints the class, its probability and the top superpixels, writes the HTML report.
/// A head trained with `train catsdogs --backbone resnet18` sees the photo at 224×224 through
/// ResNet-18; each LIME sample is then a full ResNet-18 pass, so fewer samples are drawn by default.</summary>
public static class ExplainImageCommand
{
    /// <summary>Builds the `image` subcommand of `explain`.</summary>
    public static Command Create()
    {
        var photo = new Argument<FileInfo>("photo") { Description = "the photo: PNG, JPEG (or another format SkiaSharp decodes) or binary PPM" };
        var file = new Option<string>("--model", "-m") { Description = "classifier written by 'scratchml train catsdogs'", DefaultValueFactory = _ => "models/catsdogs.safetensors" };
        var segmenter = new Option<string>("--segmenter") { Description = "superpixels: quickshift (LIME's default) or slic", DefaultValueFactory = _ => "quickshift" };
        var output = new Option<string>("--out", "-o") { Description = "HTML report to write", DefaultValueFactory = _ => "report.html" };
        var size = new Option<int>("--size") { Description = "longer side of the photo when segmented and shown, in pixels", DefaultValueFactory = _ => 160 };
        var samples = new Option<int?>("--samples") { Description = "perturbed photos LIME classifies (default 1000; 300 for a model on a ResNet-18 backbone)" };
        var seed = new Option<int>("--seed") { Description = "seed of LIME's random draws", DefaultValueFactory = _ => 0 };
        var top = new Option<int>("--top") { Description = "superpixels listed and shown in the report", DefaultValueFactory = _ => 5 };
        var command = new Command("image", "Classify a photo with a saved image classifier and explain the prediction with LIME superpixels.")
        {
            photo, file, segmenter, output, size, samples, seed, top,
        };
        command.SetAction(p =>
        {
            var method = p.GetValue(segmenter)!.ToLowerInvariant() switch
            {
                "quickshift" => ImageSegmentation.Quickshift,
                "slic" => ImageSegmentation.Slic,
                var s => throw new ArgumentException($"--segmenter: unknown '{s}' (quickshift, slic)"),
            };
            int count = p.GetValue(top), side = p.GetValue(size);
            if (count < 1) throw new ArgumentException($"--top must be at least 1, got {count}");
            if (side < 16 || side > 1024) throw new ArgumentException($"--size must be in 16..1024, got {side}");
            var modelPath = p.GetValue(file)!;
            if (!File.Exists(modelPath))
                throw new ArgumentException($"no model at '{modelPath}': run 'scratchml train catsdogs' first (or pass --model FILE)");
            var classifier = ImageClassifier.Load(modelPath);
            int n = p.GetValue(samples) ?? (classifier.Backbone is null ? 1000 : 300);
            if (n < 2) throw new ArgumentException($"--samples must be at least 2, got {n}");
            var path = p.GetValue(photo)!.FullName;
            var image = ImageClassifier.LoadImage(path);
            var prediction = classifier.Predict(image);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var e = classifier.Explain(image, method, side, count, n, p.GetValue(seed));
            watch.Stop();
            AnsiConsole.MarkupLine($"{Markup.Escape(Path.GetFileName(path))} ({image.GetLength(1)}×{image.GetLength(0)}, seen as {classifier.Width}×{classifier.Height}): " +
                                   $"[bold]{Markup.Escape(prediction.ClassName)}[/] with p = {prediction.Probability:F3}");
            var superpixels = e.Weights.Count;
            AnsiConsole.MarkupLine($"{superpixels} superpixels ({method.ToString().ToLowerInvariant()}), {n} samples, " +
                                   $"local fit R² {e.Score:F3}, intercept {e.Intercept:F4}, {watch.Elapsed.TotalSeconds:F1} s");
            var table = new Table().AddColumn("superpixel")
                .AddColumn(new TableColumn($"weight for {Markup.Escape(prediction.ClassName)}").RightAligned()).AddColumn("");
            foreach (var w in e.Weights.Take(count))
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
