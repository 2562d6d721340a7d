using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;

namespace ScratchML.Cli;

/// <summary>`scratchml train charlm`: trains a character-level LSTM language model on the State of
/// the Union speeches with a progress bar, reports bits per character on the held-out speeches,
/// prints a sample and saves the model (with its vocabulary) for `scratchml sample`.</summary>
public static class TrainCharLmCommand
{
    /// <summary>Builds the command (named "charlm", a subcommand of `train`).</summary>
    public static Command Create()
    {
        var defaults = new CharLanguageModelOptions();
        var hidden = new Option<int>("--hidden") { Description = "LSTM hidden size", DefaultValueFactory = _ => defaults.Hidden };
        var embedding = new Option<int>("--embedding") { Description = "character embedding width", DefaultValueFactory = _ => defaults.Embedding };
        var layers = new Option<int>("--layers") { Description = "stacked LSTM layers", DefaultValueFactory = _ => defaults.Layers };
        var steps = new Option<int>("--steps") { Description = "characters per chunk (truncated BPTT length)", DefaultValueFactory = _ => defaults.Steps };
        var batch = new Option<int>("--batch-size", "-b") { Description = "parallel text streams per step", DefaultValueFactory = _ => defaults.BatchSize };
        var batches = new Option<int>("--batches") { Description = "training steps", DefaultValueFactory = _ => defaults.Batches };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var clip = new Option<double>("--clip") { Description = "gradient-norm clipping (0: none)", DefaultValueFactory = _ => defaults.ClipNorm };
        var seed = new Option<int>("--seed") { Description = "seed of the initial weights", DefaultValueFactory = _ => defaults.Seed };
        var data = new Option<string?>("--data") { Description = "gzipped speeches, one per line (default: data/sotu/speeches.txt.gz)" };
        var output = new Option<string>("--out") { Description = "model file to write", DefaultValueFactory = _ => "models/charlm.safetensors" };
        var command = new Command("charlm", "Train a character-level LSTM language model on the State of the Union speeches.")
        {
            hidden, embedding, layers, steps, batch, batches, lr, clip, seed, data, output,
        };
        command.SetAction(p =>
        {
            var options = new CharLanguageModelOptions(p.GetValue(embedding), p.GetValue(hidden), p.GetValue(layers),
                p.GetValue(steps), p.GetValue(batch), p.GetValue(lr), p.GetValue(clip), p.GetValue(batches), p.GetValue(seed));
            var corpus = SpeechCorpus.Load(p.GetValue(data));
            var lm = CharLanguageModel.Create(corpus.Train + corpus.HeldOut, options);
            var characters = (long)options.Batches * options.Steps * options.BatchSize;
            AnsiConsole.MarkupLine($"[bold]char LSTM[/] {lm.Vocabulary.Length} characters, embedding {options.Embedding}, " +
                                   $"hidden {options.Hidden}, {options.Layers} layer(s), {lm.ParameterCount:N0} parameters; " +
                                   $"{corpus.TrainSpeeches} speeches ({corpus.Train.Length:N0} characters), " +
                                   $"{options.Batches} steps of {options.BatchSize}×{options.Steps} ({characters:N0} characters)");
            var clock = Stopwatch.StartNew();
            IReadOnlyList<double> losses = Array.Empty<double>();
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask("training", maxValue: options.Batches);
                    var recent = new Queue<double>();
                    losses = lm.Fit(corpus.Train, options, (done, total, loss) =>
                    {
                        recent.Enqueue(loss);
                        if (recent.Count > 50) recent.Dequeue();
                        task.Description = $"step {done}/{total}  {recent.Average() / Math.Log(2):F3} bits/char";
                        task.Value = done;
                    });
                });
            var trainSeconds = clock.Elapsed.TotalSeconds;
            var lastLosses = losses.Skip(Math.Max(0, losses.Count - 50)).Average() / Math.Log(2);
            var heldOut = lm.BitsPerCharacter(corpus.HeldOut);
            AnsiConsole.MarkupLine($"trained in {trainSeconds / 60:F1} min; training {lastLosses:F3} bits/char (last 50 steps), " +
                                   $"held-out [bold]{heldOut:F3} bits/char[/] ({corpus.HeldOutSpeeches} speeches)");
            const string prompt = "The state of the Union is ";
            Console.WriteLine(prompt + lm.Sample(prompt, 200, 0.7, seed: 0));
            var path = p.GetValue(output)!;
            lm.Save(path);
            AnsiConsole.MarkupLine($"saved [bold]{Markup.Escape(path)}[/] (try: scratchml sample --prompt \"We the people\")");
            return 0;
        });
        return command;
    }
}
