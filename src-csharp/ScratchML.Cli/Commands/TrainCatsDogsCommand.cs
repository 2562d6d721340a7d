using System.CommandLine;
using Spectre.Console;

namespace ScratchML.Cli;

/// <summary>`scratchml train catsdogs`: trains the small colour CNN on the 1,600 training images of
/// the shipped CIFAR-10 cats and dogs (a stratified 20% held out, fixed by --split-seed) with random
/// flips and shifts, shows a progress bar per epoch, prints the held-out accuracy and saves the
/// classifier with its class names. With `--backbone resnet18` it instead trains a linear head on the
/// 512 features the ImageNet ResNet-18 (imported from ONNX, frozen) computes from each image upscaled
/// to 224×224 (computed once, with a progress bar, and cached), and saves the head.</summary>
public static class TrainCatsDogsCommand
{
    /// <summary>Builds the `catsdogs` subcommand of `train`.</summary>
    public static Command Create()
    {
        var epochs = new Option<int>("--epochs", "-e") { Description = "passes over the training images", DefaultValueFactory = _ => 40 };
        var lr = new Option<double>("--lr") { Description = "Adam's learning rate", DefaultValueFactory = _ => 1e-3 };
        var batch = new Option<int>("--batch-size", "-b") { Description = "images per step", DefaultValueFactory = _ => 32 };
        var seed = new Option<int>("--seed") { Description = "seed of the weights, dropout, shuffling and augmentation", DefaultValueFactory = _ => 0 };
        var splitSeed = new Option<int>("--split-seed") { Description = "seed of the stratified 80/20 split", DefaultValueFactory = _ => 0 };
        var noAugment = new Option<bool>("--no-augment") { Description = "train on the images as they are (no flips or shifts)" };
        var constant = new Option<bool>("--constant-lr") { Description = "keep the learning rate (default: cosine annealing over the epochs)" };
        var output = new Option<string>("--out") { Description = "model file to write (default models/catsdogs.safetensors, models/catsdogs-resnet18.safetensors with --backbone resnet18)" };
        var backbone = new Option<string>("--backbone") { Description = "none: train the small CNN; resnet18: train a linear head on ImageNet ResNet-18 features", DefaultValueFactory = _ => "none" };
        var command = new Command("catsdogs", "Train a colour CNN on 1,600 CIFAR-10 cats and dogs, report held-out accuracy, save it.")
        {
            epochs, lr, batch, seed, splitSeed, noAugment, constant, output, backbone,
        };
        command.SetAction(p =>
        {
            int epochCount = p.GetValue(epochs), batchSize = p.GetValue(batch);
            if (epochCount < 1) throw new ArgumentException($"--epochs must be at least 1, got {epochCount}");
            if (batchSize < 1) throw new ArgumentException($"--batch-size must be at least 1, got {batchSize}");
            var rate = p.GetValue(lr);
            if (!(rate > 0)) throw new ArgumentException($"--lr must be positive, got {rate}");
            var split = ImageSet.CatsDogs().Split(heldOut: 0.2, seed: p.GetValue(splitSeed));
            switch (p.GetValue(backbone)!.ToLowerInvariant())
            {
                case "none": break;
                case "resnet18":
                    return TrainHead(split, epochCount, batchSize, rate, p.GetValue(seed), p.GetValue(output) ?? "models/catsdogs-resnet18.safetensors");
                case var other: throw new ArgumentException($"--backbone: unknown '{other}' (none, resnet18)");
            }
            var augment = !p.GetValue(noAugment);
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(string.Join(" vs ", split.Train.ClassNames))}[/]: {split.Train.Count} training and " +
                                   $"{split.Test.Count} held-out images, {split.Train.Height}×{split.Train.Width} RGB; Adam lr {rate}" +
                                   (p.GetValue(constant) ? "" : " cosine-annealed") + $", batches of {batchSize}" +
                                   (augment ? ", random flips and shifts ≤ 4 px" : ", no augmentation"));
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var classifier = EpochProgress.Run(epochCount,
                e => $"epoch {e.Epoch,2}/{epochCount}  loss {e.Loss:F4}  accuracy {e.Accuracy:P1}  held out {e.ValidationAccuracy:P1}  {e.Seconds:F1} s",
                (onBatch, onEpoch) => ImageClassifier.Train(split.Train, epochs: epochCount, batchSize: batchSize,
                    optimizer: new Adam(rate), augment: augment, anneal: !p.GetValue(constant), seed: p.GetValue(seed), validation: split.Test,
                    onBatch: onBatch, onEpoch: onEpoch));
            watch.Stop();
            foreach (var e in classifier.History)
                Console.WriteLine($"epoch {e.Epoch,2}: loss {e.Loss:F4}  accuracy {e.Accuracy:P1}  held out {e.ValidationAccuracy:P1}  {e.Seconds:F1} s");
            var result = classifier.Evaluate(split.Test);
            AnsiConsole.MarkupLine($"{Markup.Escape(classifier.ToString())}");
            AnsiConsole.MarkupLine($"held-out accuracy [bold]{result.Accuracy:P2}[/] (loss {result.Loss:F4}) on {split.Test.Count} images; " +
                                   $"training {watch.Elapsed.TotalSeconds:F0} s ({classifier.History.Average(e => e.Seconds):F1} s per epoch)");
            var path = p.GetValue(output) ?? "models/catsdogs.safetensors";
            classifier.Save(path);
            AnsiConsole.MarkupLine($"saved [bold]{Markup.Escape(path)}[/]");
            return 0;
        });
        return command;
    }

    /// <summary>`--backbone resnet18`: features of every image (a progress bar; cached after the
    /// first run), then a linear head trained with Adam (no augmentation: the features are fixed),
    /// its epochs shown like the CNN's; prints the held-out accuracy and saves the head.</summary>
    private static int TrainHead(ImageSplit split, int epochs, int batchSize, double rate, int seed, string path)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(string.Join(" vs ", split.Train.ClassNames))}[/]: {split.Train.Count} training and " +
                               $"{split.Test.Count} held-out images upscaled to 224×224 for ImageNet ResNet-18 (frozen); " +
                               $"a linear head on its 512 features, Adam lr {rate}, batches of {batchSize}");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var classifier = EpochProgress.Run(
            ("ResNet-18 features", total => $"ResNet-18 features of {total} images, {watch.Elapsed.TotalSeconds:F0} s"), epochs,
            e => $"epoch {e.Epoch,3}/{epochs}  loss {e.Loss:F4}  accuracy {e.Accuracy:P1}  held out {e.ValidationAccuracy:P1}",
            (onFeatures, onBatch, onEpoch) => ImageClassifier.TrainOnResNet18(split.Train, epochs, batchSize, new Adam(rate), seed, split.Test,
                onFeatures: onFeatures, onBatch: onBatch, onEpoch: onEpoch));
        watch.Stop();
        var result = classifier.Evaluate(split.Test);
        AnsiConsole.MarkupLine($"{Markup.Escape(classifier.ToString())}");
        AnsiConsole.MarkupLine($"held-out accuracy [bold]{result.Accuracy:P2}[/] (loss {result.Loss:F4}) on {split.Test.Count} images; " +
                               $"{watch.Elapsed.TotalSeconds:F0} s in all (features and head)");
        classifier.Save(path);
        AnsiConsole.MarkupLine($"saved [bold]{Markup.Escape(path)}[/]");
        return 0;
    }
}
