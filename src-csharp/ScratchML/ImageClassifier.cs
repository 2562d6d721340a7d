// An image classifier for photographs of any size: a CNN trained on small images (32×32 cats and
// dogs), which sees every photo resized to its input size with a proper filter, and LIME image
// explanations of its predictions made on the photo at a display size.
// Layer: facade, over ScratchML.NN (Model, AugmentedTraining, Checkpoint) and ScratchML.Lime.Image
// (ImageFile, Resize, ImageExplainer). Read next: the CLI's TrainCatsDogsCommand, ExplainImageCommand.
using System.Text.Json;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using Fs = ScratchML.NN;
using FsLime = ScratchML.Lime;
using FsImage = ScratchML.Lime.Image;

namespace ScratchML;

/// <summary>The classifier's answer for one image.</summary>
/// <param name="Class">The most probable class.</param>
/// <param name="ClassName">Its name.</param>
/// <param name="Probability">Its probability.</param>
/// <param name="Probabilities">Every class's probability, by class.</param>
/// <example><code>ImagePrediction p = classifier.Predict(photo); Console.WriteLine($"{p.ClassName} {p.Probability:P1}");</code></example>
public sealed record ImagePrediction(int Class, string ClassName, double Probability, IReadOnlyList<double> Probabilities);

/// <summary>A convolutional image classifier: a network over normalised RGB images
/// x = (v − mean_c)/std_c (per-channel statistics of its training set), trained with random
/// horizontal flips and shifts, that classifies images of any size by first resizing them to its
/// input size (a triangle filter widened when shrinking, as Pillow's bilinear resize).</summary>
/// <example><code>
/// var split = ImageSet.CatsDogs().Split(heldOut: 0.2, seed: 0);
/// var classifier = ImageClassifier.Train(split.Train, epochs: 40, seed: 0);
/// Console.WriteLine(classifier.Evaluate(split.Test).Accuracy);
/// ImagePrediction p = classifier.Predict(ImageClassifier.LoadImage("data/photos/chelsea.png"));
/// Explanation e = classifier.Explain(ImageClassifier.LoadImage("data/photos/chelsea.png"));
/// e.SaveHtml("chelsea.html");
/// </code></example>
public sealed partial class ImageClassifier
{
    /// <summary>The metadata key holding class names and normalisation in a saved classifier.</summary>
    private const string MetadataKey = "scratchml.image_classifier";

    private readonly Fs.Model _model;
    private readonly string[] _classNames;
    private readonly double[] _mean;
    private readonly double[] _std;

    private ImageClassifier(Fs.Model model, string[] classNames, double[] mean, double[] std, IReadOnlyList<EpochResult> history,
        Fs.Onnx.Backbone? backbone = null)
    {
        (_model, _classNames, _mean, _std, History, _backbone) = (model, classNames, mean, std, history, backbone);
    }

    /// <summary>The network trained on the cats and dogs (89,314 parameters for two classes): three
    /// blocks of a 3×3 convolution (padding 1), ReLU and 2×2 max pooling, 3 → 16 → 32 → 64 channels
    /// and 32 → 16 → 8 → 4 pixels, then a dense layer of 64 with ReLU and dropout 0.5, and one
    /// output per class.</summary>
    /// <param name="classes">Number of classes.</param>
    /// <returns>The layers, for 3 × 32 × 32 inputs.</returns>
    /// <example><code>var net = ImageClassifier.SmallCnn(2);</code></example>
    public static Sequential SmallCnn(int classes = 2)
    {
        if (classes < 2) throw new ArgumentException($"classes must be at least 2, got {classes}", nameof(classes));
        return new Sequential(
            new Conv2d(3, 16, 3, padding: 1), Activation.Relu, new MaxPool2d(2),
            new Conv2d(16, 32, 3, padding: 1), Activation.Relu, new MaxPool2d(2),
            new Conv2d(32, 64, 3, padding: 1), Activation.Relu, new MaxPool2d(2),
            new Flatten(), new Dense(64 * 4 * 4, 64), Activation.Relu, new Dropout(0.5), new Dense(64, classes));
    }

    /// <summary>Trains a classifier on <paramref name="train"/>: Adam on the mean cross-entropy (the
    /// rate cosine-annealed over the epochs unless <paramref name="anneal"/> is false), batches
    /// drawn in a shuffled order, and (with <paramref name="augment"/>) each epoch on a fresh copy of
    /// the images with random horizontal flips and shifts of up to 4 pixels (zero = mean colour
    /// padding), all drawn from SplitMix64 streams of <paramref name="seed"/>.</summary>
    /// <param name="train">The training images (all of one size).</param>
    /// <param name="network">The layers (default <see cref="SmallCnn"/>; its input is 3 × H × W).</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Images per step.</param>
    /// <param name="optimizer">Update rule (default Adam, learning rate 1e-3).</param>
    /// <param name="augment">Flip and shift the training images.</param>
    /// <param name="anneal">Cosine-anneal the learning rate per epoch, lrₑ = lr·½(1 + cos(π(e − 1)/epochs)).</param>
    /// <param name="seed">Seed of the weights, dropout, shuffling and augmentation.</param>
    /// <param name="validation">Images evaluated after every epoch (optional).</param>
    /// <param name="onBatch">Called after each batch with (epoch, batches done, batches per epoch).</param>
    /// <param name="onEpoch">Called after each epoch.</param>
    /// <returns>The trained classifier; its <see cref="History"/> holds the epochs.</returns>
    /// <exception cref="ArgumentException">A count below 1, or a network that does not fit the images.</exception>
    /// <example><code>var classifier = ImageClassifier.Train(split.Train, epochs: 5, validation: split.Test, onEpoch: e => Console.WriteLine(e));</code></example>
    public static ImageClassifier Train(ImageSet train, Sequential? network = null, int epochs = 40, int batchSize = 32,
        Optimizer? optimizer = null, bool augment = true, bool anneal = true, int seed = 0, ImageSet? validation = null,
        Action<int, int, int>? onBatch = null, Action<EpochResult>? onEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (epochs < 1) throw new ArgumentException($"epochs must be at least 1, got {epochs}", nameof(epochs));
        if (batchSize < 1) throw new ArgumentException($"batchSize must be at least 1, got {batchSize}", nameof(batchSize));
        if (validation is not null && (validation.Height != train.Height || validation.Width != train.Width))
            throw new ArgumentException($"validation images are {validation.Height}×{validation.Width}, training images {train.Height}×{train.Width}", nameof(validation));
        network ??= SmallCnn(train.ClassNames.Count);
        var specs = ListModule.OfSeq(network.Layers.Select(l => l.Spec));
        var model = Fs.ModelModule.create(Fs.SequentialModule.ofSpecs(specs), new[] { 3, train.Height, train.Width },
            DType.Float32, Fs.InitScheme.PyTorch, seed);
        int[] outputs;
        try { outputs = Fs.ModelModule.outputShape(model); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or ShapeError)
        {
            throw new ArgumentException($"the layers do not fit 3×{train.Height}×{train.Width} images: {e.Message}", nameof(network), e);
        }
        if (outputs.Length != 1 || outputs[0] != train.ClassNames.Count)
            throw new ArgumentException($"the network outputs [{string.Join(", ", outputs)}] for {train.ClassNames.Count} classes", nameof(network));
        var (mean, std) = train.ChannelStats();
        var data = Fs.Train.classification(DType.Float32, outputs[0], train.Normalised(mean, std), train.Labels.ToArray());
        var test = validation is null ? null
            : Fs.Train.classification(DType.Float32, outputs[0], validation.Normalised(mean, std), validation.Labels.ToArray());
        var callbacks = onEpoch is null ? FSharpList<FSharpFunc<FSharpList<Fs.EpochStats>, Fs.Decision>>.Empty
            : ListModule.OfSeq(new[] { FuncConvert.FromFunc<FSharpList<Fs.EpochStats>, Fs.Decision>(h => { onEpoch(Result(h.Last())); return Fs.Decision.Continue; }) });
        var options = new Fs.FitOptions(Fs.Loss.NewCrossEntropy(Fs.Reduction.Mean), (optimizer ?? new Adam(1e-3)).ToRule(),
            Fs.Regularizer.None, epochs, batchSize, FSharpOption<int>.Some(seed),
            test is null ? FSharpOption<Fs.Dataset>.None : FSharpOption<Fs.Dataset>.Some(test), callbacks,
            FuncConvert.FromAction<int, int, int>((e, b, n) => onBatch?.Invoke(e, b, n)));
        var policy = augment ? Fs.Augment.cifar : new Fs.AugmentPolicy(false, 0);
        var history = Fs.AugmentedTraining.fit(policy, anneal ? Fs.Schedule.Cosine : Fs.Schedule.Constant, seed, options, model, data).Select(Result).ToArray();
        return new ImageClassifier(model, train.ClassNames.ToArray(), mean, std, history);
    }

    /// <summary>The epochs of training (empty for a loaded classifier).</summary>
    /// <example><code>double seconds = classifier.History.Sum(e => e.Seconds);</code></example>
    public IReadOnlyList<EpochResult> History { get; }

    /// <summary>The class names, by class.</summary>
    /// <example><code>Console.WriteLine(string.Join(", ", classifier.ClassNames)); // cat, dog</code></example>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>Height of the images the network sees.</summary>
    /// <example><code>int h = classifier.Height; // 32</code></example>
    public int Height => _backbone?.Side ?? _model.InputShape[1];

    /// <summary>Width of the images the network sees.</summary>
    /// <example><code>int w = classifier.Width; // 32</code></example>
    public int Width => _backbone?.Side ?? _model.InputShape[2];

    /// <summary>Number of trainable parameters.</summary>
    /// <example><code>Console.WriteLine(classifier.ParameterCount);</code></example>
    public int ParameterCount => _model.Values.Sum(t => t.Numel);

    /// <summary>Mean cross-entropy and accuracy on labelled images of the network's input size.</summary>
    /// <param name="data">Images of <see cref="Height"/> × <see cref="Width"/> with the classifier's classes.</param>
    /// <returns>Loss and accuracy.</returns>
    /// <exception cref="ArgumentException">Another image size or another number of classes.</exception>
    /// <example><code>Console.WriteLine($"held-out accuracy {classifier.Evaluate(split.Test).Accuracy:P1}");</code></example>
    public EvaluationResult Evaluate(ImageSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_backbone is not null) return EvaluateOnFeatures(data);
        if (data.Height != Height || data.Width != Width)
            throw new ArgumentException($"images are {data.Height}×{data.Width}, the network sees {Height}×{Width}", nameof(data));
        if (data.ClassNames.Count != _classNames.Length)
            throw new ArgumentException($"{data.ClassNames.Count} classes, the classifier has {_classNames.Length}", nameof(data));
        var set = Fs.Train.classification(DType.Float32, _classNames.Length, data.Normalised(_mean, _std), data.Labels.ToArray());
        var (loss, accuracy) = Fs.Train.evaluate(_model, Fs.Loss.NewCrossEntropy(Fs.Reduction.Mean), Fs.Regularizer.None, 256, set).ToValueTuple();
        return new EvaluationResult(loss, accuracy);
    }

    /// <summary>Reads a photo: PNG, JPEG, WebP, GIF or BMP (through SkiaSharp) or binary PPM.</summary>
    /// <param name="path">The image file.</param>
    /// <returns>height × width × 3 values in [0, 1] (a grey image has R = G = B).</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a decodable image, or one with transparency (4
    /// channels); the message names the file.</exception>
    /// <example><code>double[,,] photo = ImageClassifier.LoadImage("data/photos/dog.jpg");</code></example>
    public static double[,,] LoadImage(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var image = FsImage.ImageFile.load(path);
        var result = new double[image.Height, image.Width, 3];
        Buffer.BlockCopy(image.Pixels, 0, result, 0, image.Pixels.Length * sizeof(double));
        return result;
    }

    /// <summary>Class probabilities of one image of any size (resized to the network's input).</summary>
    /// <param name="image">height × width × 3 (RGB) or × 1 (grey), values in [0, 1].</param>
    /// <returns>The most probable class and every probability.</returns>
    /// <exception cref="ArgumentException">Not 1 or 3 channels, or a value outside [0, 1].</exception>
    /// <example><code>var p = classifier.Predict(ImageClassifier.LoadImage("data/photos/chelsea.png"));</code></example>
    public ImagePrediction Predict(double[,,] image)
    {
        var probabilities = Probabilities(new[] { ToRgb(image, nameof(image)) });
        var row = Enumerable.Range(0, probabilities.GetLength(1)).Select(c => probabilities[0, c]).ToArray();
        int best = Array.IndexOf(row, row.Max());
        return new ImagePrediction(best, _classNames[best], row[best], row);
    }

    /// <summary>Class probabilities of a batch of images of one size (each resized to the network's input).</summary>
    /// <param name="images">count × height × width × 3, values in [0, 1].</param>
    /// <returns>count × classes probabilities.</returns>
    /// <exception cref="ArgumentException">Not 3 channels, or a value outside [0, 1].</exception>
    /// <example><code>double[,] p = classifier.PredictProbabilities(batch);</code></example>
    public double[,] PredictProbabilities(double[,,,] images)
    {
        ArgumentNullException.ThrowIfNull(images);
        int n = images.GetLength(0), h = images.GetLength(1), w = images.GetLength(2);
        if (images.GetLength(3) != 3)
            throw new ArgumentException($"images must be count × height × width × 3 (RGB), got {images.GetLength(3)} channels", nameof(images));
        var batch = new FsImage.RgbImage[n];
        for (int i = 0; i < n; i++)
        {
            var pixels = new double[h * w * 3];
            Buffer.BlockCopy(images, i * pixels.Length * sizeof(double), pixels, 0, pixels.Length * sizeof(double));
            batch[i] = Checked(FsImage.RgbImageModule.create(h, w, pixels), nameof(images));
        }
        return Probabilities(batch);
    }

    /// <summary>Explains the predicted class of a photo with LIME: the photo is shrunk to at most
    /// <paramref name="displaySize"/> pixels on its longer side and cut into superpixels there; LIME
    /// hides random subsets of them (painted with each superpixel's mean colour), the classifier sees
    /// each perturbed photo resized to its input size, and a weighted ridge model of the predicted
    /// class's probability on the kept superpixels gives each superpixel's weight.</summary>
    /// <param name="image">height × width × 3 (or × 1) values in [0, 1].</param>
    /// <param name="segmentation">The superpixel algorithm (quickshift with LIME's settings, or SLIC with about 100 segments).</param>
    /// <param name="displaySize">Longer side of the segmented photo (16 to 1024 pixels).</param>
    /// <param name="numFeatures">Superpixels shown in the report.</param>
    /// <param name="numSamples">Perturbed photos (at least 2).</param>
    /// <param name="seed">Seed of every random draw.</param>
    /// <returns>The explanation of the predicted class; <see cref="Explanation.SaveHtml"/> writes the report.</returns>
    /// <exception cref="ArgumentException">A bad image or an argument out of range.</exception>
    /// <example><code>
    /// Explanation e = classifier.Explain(ImageClassifier.LoadImage("data/photos/chelsea.png"), ImageSegmentation.Slic);
    /// foreach (FeatureWeight w in e.Weights.Take(5)) Console.WriteLine($"{w.Feature}: {w.Weight:+0.000;-0.000}");
    /// e.SaveHtml("chelsea.html");
    /// </code></example>
    public Explanation Explain(double[,,] image, ImageSegmentation segmentation = ImageSegmentation.Quickshift,
        int displaySize = 160, int numFeatures = 5, int numSamples = 1000, int seed = 0)
    {
        var photo = ToRgb(image, nameof(image));
        if (displaySize < 16 || displaySize > 1024)
            throw new ArgumentException($"displaySize must be in 16..1024, got {displaySize}", nameof(displaySize));
        if (numFeatures < 1) throw new ArgumentException($"numFeatures must be at least 1, got {numFeatures}", nameof(numFeatures));
        if (numSamples < 2) throw new ArgumentException($"numSamples must be at least 2, got {numSamples}", nameof(numSamples));
        var shown = FsImage.Resize.fit(displaySize, photo);
        var predicted = Predict(image).Class;
        var method = segmentation switch
        {
            ImageSegmentation.Quickshift => FsImage.Segmentation.NewQuickshift(FsImage.Quickshift.limeDefaults(seed)),
            ImageSegmentation.Slic => FsImage.Segmentation.NewSlic(FsImage.Slic.defaults),
            ImageSegmentation.Felzenszwalb => FsImage.Segmentation.NewFelzenszwalb(FsImage.Felzenszwalb.defaults),
            _ => throw new ArgumentException($"unknown segmentation {segmentation}", nameof(segmentation)),
        };
        var options = new FsImage.ImageExplainerOptions(FsLime.Kernels.ImageWidth, FsLime.FeatureSelection.Auto,
            seed, Environment.ProcessorCount);
        var defaults = FsImage.ImageExplainOptions.Defaults;
        var args = new FsImage.ImageExplainOptions(
            FsLime.LabelChoice.NewLabels(ListModule.OfSeq(new[] { predicted })), defaults.HideColor,
            100000, numSamples, 100, FSharpOption<FsImage.Segmentation>.Some(method), defaults.Distance,
            FSharpOption<int>.Some(seed));
        var classifier = FuncConvert.FromFunc<FsImage.RgbImage[], double[,]>(Probabilities);
        var e = FsImage.ImageExplainer.explain(options, args, classifier, shown);
        var x = e.Explanation;
        var features = x.FeatureNames.Select(f => $"superpixel {f}").ToArray();
        var named = new FsLime.Explanation(x.Mode, _classNames, features, x.Domain, x.Prediction, x.MinValue, x.MaxValue, x.TopLabels, x.Labels);
        return new Explanation(new FsImage.ImageExplanation(e.Image, e.Segments, named), Math.Min(numFeatures, e.Segments.Count));
    }

    /// <summary>Saves the network's weights and architecture with the class names and the
    /// normalisation as one safetensors file (written atomically).</summary>
    /// <param name="path">File to write (its folder is created).</param>
    /// <example><code>classifier.Save("models/catsdogs.safetensors");</code></example>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        var info = JsonSerializer.Serialize(new Info(_classNames, _mean, _std, _backbone?.Name));
        var metadata = MapModule.OfSeq(new[]
        {
            Tuple.Create(Fs.Checkpoint.ArchitectureKey, Fs.Checkpoint.architecture(_model)),
            Tuple.Create(MetadataKey, info),
        });
        Fs.SafeTensors.save(path, metadata, Fs.Checkpoint.tensors(_model));
    }

    /// <summary>Loads a classifier saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The classifier.</returns>
    /// <exception cref="ArgumentException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a saved image classifier (e.g. a plain model file), named in the message.</exception>
    /// <example><code>var classifier = ImageClassifier.Load("models/catsdogs.safetensors");</code></example>
    public static ImageClassifier Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new ArgumentException($"no model file at '{path}'", nameof(path));
        var model = Fs.Checkpoint.load(path);
        var file = Fs.SafeTensors.load(path);
        var json = file.Metadata.TryFind(MetadataKey);
        if (json is null)
            throw new InvalidDataException($"model file '{path}': no '{MetadataKey}' metadata (not saved by ImageClassifier.Save)");
        Info? info;
        try { info = JsonSerializer.Deserialize<Info>(json.Value); }
        catch (JsonException e) { throw new InvalidDataException($"model file '{path}': bad '{MetadataKey}' metadata ({e.Message})"); }
        if (info?.Backbone is not null) return LoadHead(path, model, info);
        if (info is null || info.ClassNames.Length < 2 || info.Mean.Length != 3 || info.Std.Length != 3
            || model.InputShape.Length != 3 || model.InputShape[0] != 3)
            throw new InvalidDataException($"model file '{path}': not an RGB image classifier");
        return new ImageClassifier(model, info.ClassNames, info.Mean, info.Std, Array.Empty<EpochResult>());
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"image classifier {string.Join("/", _classNames)} on {Height}×{Width} RGB, {ParameterCount} parameters" +
        (_backbone is null ? "" : $" on {_backbone.Features} {_backbone.Name} features");

    /// <summary>What a saved classifier stores beside its weights (and the backbone its head
    /// reads, if any: see ImageClassifier.Backbone.cs).</summary>
    private sealed record Info(string[] ClassNames, double[] Mean, double[] Std, string? Backbone = null);

    /// <summary>Probabilities of RGB images of any size: each resized to the input size (if it is
    /// not that size already), normalised, classified.</summary>
    private double[,] Probabilities(FsImage.RgbImage[] images)
    {
        if (_backbone is not null) return HeadProbabilities(images);
        int h = Height, w = Width, plane = h * w;
        var values = new float[images.Length * 3 * plane];
        for (int i = 0; i < images.Length; i++)
        {
            var image = images[i].Height == h && images[i].Width == w ? images[i] : FsImage.Resize.image(h, w, images[i]);
            for (int p = 0; p < plane; p++)
                for (int k = 0; k < 3; k++)
                    values[(i * 3 + k) * plane + p] = (float)((image.Pixels[p * 3 + k] - _mean[k]) / _std[k]);
        }
        var shape = new[] { images.Length, 3, h, w };
        var probabilities = Fs.ModelModule.predictProba(_model, new Tensor(Storage.NewF32(values), shape, Shape.rowMajorStrides(shape), 0));
        var flat = TensorModule.toArray(probabilities);
        var result = new double[images.Length, probabilities.Shape[1]];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(double));
        return result;
    }

    /// <summary>An RGB image from height × width × 3 (or × 1, grey) values in [0, 1].</summary>
    private static FsImage.RgbImage ToRgb(double[,,] image, string name)
    {
        ArgumentNullException.ThrowIfNull(image, name);
        int h = image.GetLength(0), w = image.GetLength(1), c = image.GetLength(2);
        if (h < 1 || w < 1 || (c != 3 && c != 1))
            throw new ArgumentException($"an image must be height × width × 3 (RGB) or × 1 (grey), got {h}×{w}×{c}", name);
        var pixels = new double[h * w * 3];
        for (int r = 0; r < h; r++)
            for (int col = 0; col < w; col++)
                for (int k = 0; k < 3; k++)
                    pixels[(r * w + col) * 3 + k] = image[r, col, c == 3 ? k : 0];
        return Checked(FsImage.RgbImageModule.create(h, w, pixels), name);
    }

    /// <summary>The image, after checking every value is in [0, 1].</summary>
    private static FsImage.RgbImage Checked(FsImage.RgbImage image, string name)
    {
        int bad = Array.FindIndex(image.Pixels, v => !(v >= 0 && v <= 1));
        if (bad >= 0) throw new ArgumentException($"image value {bad} is {image.Pixels[bad]}, not in [0, 1]", name);
        return image;
    }

    private static EpochResult Result(Fs.EpochStats s) =>
        new(s.Epoch, s.Loss, s.Accuracy, s.ValidationLoss, s.ValidationAccuracy, s.Seconds);
}
