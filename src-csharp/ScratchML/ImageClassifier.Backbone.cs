// An image classifier on a pretrained backbone: the ImageNet ResNet-18 imported from ONNX turns
// each image (resized to 224×224) into 512 features, and a linear head (softmax regression)
// trained on those features gives the class. Features of a training set are computed once and
// cached in the user's cache folder, keyed by the images' bytes.
// Layer: facade, over ScratchML.NN.Onnx (ResNet18) and ScratchML.NN (Model, Train, SafeTensors).
// Read next: the CLI's TrainCatsDogsCommand (--backbone resnet18).
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using Fs = ScratchML.NN;
using FsOnnx = ScratchML.NN.Onnx;
using FsImage = ScratchML.Lime.Image;

namespace ScratchML;

public sealed partial class ImageClassifier
{
    /// <summary>The frozen feature extractor the head reads (null for a CNN trained end to end).</summary>
    private readonly FsOnnx.Backbone? _backbone;

    /// <summary>The backbone's name ("resnet18"), or null for a CNN trained end to end.</summary>
    /// <example><code>if (classifier.Backbone is not null) Console.WriteLine($"features of {classifier.Backbone}");</code></example>
    public string? Backbone => _backbone?.Name;

    /// <summary>Trains a linear head on ImageNet ResNet-18 features: every image is resized to
    /// 224×224 (bilinear), passed through the ResNet-18 of the NuGet package
    /// Microsoft.ML.DnnImageFeaturizer.ResNet18 (imported from ONNX, frozen) to 512 features f,
    /// and softmax regression p = softmax(W·f + b) is fitted with Adam on the mean cross-entropy,
    /// batches shuffled by <paramref name="seed"/>. Features are computed once per set of images
    /// (about 40–100 ms per image) and cached under the user's cache folder.</summary>
    /// <param name="train">The training images (any size; all of one size).</param>
    /// <param name="epochs">Passes over the features.</param>
    /// <param name="batchSize">Feature rows per step.</param>
    /// <param name="optimizer">Update rule (default Adam, learning rate 1e-3).</param>
    /// <param name="seed">Seed of the head's weights and the shuffling.</param>
    /// <param name="validation">Images evaluated after every epoch (optional).</param>
    /// <param name="onFeatures">Called while features are computed with (images done, images to do).</param>
    /// <param name="onBatch">Called after each batch with (epoch, batches done, batches per epoch).</param>
    /// <param name="onEpoch">Called after each epoch.</param>
    /// <returns>The classifier (backbone + head); it sees photos at 224×224.</returns>
    /// <exception cref="ArgumentException">A count below 1.</exception>
    /// <exception cref="InvalidOperationException">The ONNX model files are not beside the program.</exception>
    /// <example><code>
    /// var split = ImageSet.CatsDogs().Split(heldOut: 0.2, seed: 0);
    /// var classifier = ImageClassifier.TrainOnResNet18(split.Train, validation: split.Test);
    /// Console.WriteLine(classifier.Evaluate(split.Test).Accuracy);
    /// </code></example>
    public static ImageClassifier TrainOnResNet18(ImageSet train, int epochs = 30, int batchSize = 64,
        Optimizer? optimizer = null, int seed = 0, ImageSet? validation = null, Action<int, int>? onFeatures = null,
        Action<int, int, int>? onBatch = null, Action<EpochResult>? onEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (epochs < 1) throw new ArgumentException($"epochs must be at least 1, got {epochs}", nameof(epochs));
        if (batchSize < 1) throw new ArgumentException($"batchSize must be at least 1, got {batchSize}", nameof(batchSize));
        var backbone = FsOnnx.ResNet18.loadDefault();
        int total = train.Count + (validation?.Count ?? 0);
        var trainFeatures = CachedFeatures(backbone, train, (done, _) => onFeatures?.Invoke(done, total));
        var validationFeatures = validation is null ? null
            : CachedFeatures(backbone, validation, (done, _) => onFeatures?.Invoke(train.Count + done, total));
        int classes = train.ClassNames.Count;
        var head = Fs.SequentialModule.ofSpecs(ListModule.OfSeq(new[] { Fs.LayerSpec.NewDense(backbone.Features, classes) }));
        var model = Fs.ModelModule.create(head, new[] { backbone.Features }, DType.Float32, Fs.InitScheme.PyTorch, seed);
        var data = Fs.Train.classification(DType.Float32, classes, trainFeatures, train.Labels.ToArray());
        var test = validationFeatures is null ? FSharpOption<Fs.Dataset>.None
            : FSharpOption<Fs.Dataset>.Some(Fs.Train.classification(DType.Float32, classes, validationFeatures, validation!.Labels.ToArray()));
        var callbacks = onEpoch is null ? FSharpList<FSharpFunc<FSharpList<Fs.EpochStats>, Fs.Decision>>.Empty
            : ListModule.OfSeq(new[] { FuncConvert.FromFunc<FSharpList<Fs.EpochStats>, Fs.Decision>(h => { onEpoch(Result(h.Last())); return Fs.Decision.Continue; }) });
        var options = new Fs.FitOptions(Fs.Loss.NewCrossEntropy(Fs.Reduction.Mean), (optimizer ?? new Adam(1e-3)).ToRule(),
            Fs.Regularizer.None, epochs, batchSize, FSharpOption<int>.Some(seed), test, callbacks,
            FuncConvert.FromAction<int, int, int>((e, b, n) => onBatch?.Invoke(e, b, n)));
        var history = Fs.Train.fit(options, model, data).Select(Result).ToArray();
        return new ImageClassifier(model, train.ClassNames.ToArray(), Array.Empty<double>(), Array.Empty<double>(), history, backbone);
    }

    /// <summary>A saved head: the backbone named in its metadata, loaded from beside the program.</summary>
    private static ImageClassifier LoadHead(string path, Fs.Model model, Info info)
    {
        if (info.Backbone != "resnet18")
            throw new InvalidDataException($"model file '{path}': unknown backbone '{info.Backbone}' (known: resnet18)");
        var backbone = FsOnnx.ResNet18.loadDefault();
        if (info.ClassNames.Length < 2 || model.InputShape.Length != 1 || model.InputShape[0] != backbone.Features)
            throw new InvalidDataException($"model file '{path}': not a head on {backbone.Features} {info.Backbone} features");
        return new ImageClassifier(model, info.ClassNames, info.Mean, info.Std, Array.Empty<EpochResult>(), backbone);
    }

    /// <summary>Loss and accuracy of the head on the (cached) features of labelled images.</summary>
    private EvaluationResult EvaluateOnFeatures(ImageSet data)
    {
        if (data.ClassNames.Count != _classNames.Length)
            throw new ArgumentException($"{data.ClassNames.Count} classes, the classifier has {_classNames.Length}", nameof(data));
        var features = CachedFeatures(_backbone!, data, (_, _) => { });
        var set = Fs.Train.classification(DType.Float32, _classNames.Length, features, data.Labels.ToArray());
        var (loss, accuracy) = Fs.Train.evaluate(_model, Fs.Loss.NewCrossEntropy(Fs.Reduction.Mean), Fs.Regularizer.None, 256, set).ToValueTuple();
        return new EvaluationResult(loss, accuracy);
    }

    /// <summary>Class probabilities of photos: backbone features, then the head's softmax.</summary>
    private double[,] HeadProbabilities(FsImage.RgbImage[] images)
    {
        var features = Features(_backbone!, images.Length, i => images[i], (_, _) => { });
        var probabilities = Fs.ModelModule.predictProba(_model, features);
        var flat = TensorModule.toArray(probabilities);
        var result = new double[images.Length, probabilities.Shape[1]];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(double));
        return result;
    }

    /// <summary>Features [n; 512] of n images, each resized to the backbone's side (bilinear) and
    /// scaled to the 0…255 RGB planes it reads; a batch of the backbone's size at a time, so
    /// only that many 224×224 images are held at once.</summary>
    private static Tensor Features(FsOnnx.Backbone backbone, int n, Func<int, FsImage.RgbImage> image, Action<int, int> progress)
    {
        int side = backbone.Side, plane = side * side, width = backbone.Features;
        var result = new float[n * width];
        for (int start = 0; start < n; start += FsOnnx.ResNet18.Batch)
        {
            int count = Math.Min(FsOnnx.ResNet18.Batch, n - start);
            var values = new float[count * 3 * plane];
            for (int i = 0; i < count; i++)
            {
                var source = image(start + i);
                var resized = source.Height == side && source.Width == side ? source : FsImage.Resize.image(side, side, source);
                for (int p = 0; p < plane; p++)
                    for (int k = 0; k < 3; k++)
                        values[(i * 3 + k) * plane + p] = (float)(255.0 * resized.Pixels[p * 3 + k]);
            }
            var shape = new[] { count, 3, side, side };
            var batch = new Tensor(Storage.NewF32(values), shape, Shape.rowMajorStrides(shape), 0);
            var features = TensorModule.toArray32(FsOnnx.ResNet18.features(backbone, FuncConvert.FromAction<int, int>((_, _) => { }), batch));
            Array.Copy(features, 0, result, start * width, features.Length);
            progress(start + count, n);
        }
        var resultShape = new[] { n, width };
        return new Tensor(Storage.NewF32(result), resultShape, Shape.rowMajorStrides(resultShape), 0);
    }

    /// <summary>The features of a set of images, read from the cache when the same images (by
    /// the SHA-256 of their values) were featurised before, else computed and stored there.</summary>
    private static Tensor CachedFeatures(FsOnnx.Backbone backbone, ImageSet set, Action<int, int> progress)
    {
        var hash = Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(set.Values.Span))).ToLowerInvariant();
        var path = Path.Combine(CacheFolder(), $"{backbone.Name}-{backbone.Side}-bilinear-{hash[..16]}.safetensors");
        if (File.Exists(path))
        {
            try
            {
                var stored = Fs.SafeTensors.load(path).Tensors.Single().Item2;
                if (stored.Shape.SequenceEqual(new[] { set.Count, backbone.Features })) { progress(set.Count, set.Count); return stored; }
            }
            catch (Exception e) when (e is Fs.SafeTensorsError or IOException or InvalidOperationException) { }   // recompute a damaged entry
        }
        var features = Features(backbone, set.Count, set.Rgb, progress);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Fs.SafeTensors.save(path, MapModule.Empty<string, string>(), ListModule.OfSeq(new[] { Tuple.Create("features", features) }));
        return features;
    }

    /// <summary>$XDG_CACHE_HOME/scratchml, else ~/.cache/scratchml, else the temporary folder's scratchml-cache.</summary>
    private static string CacheFolder()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(xdg)) return Path.Combine(xdg, "scratchml");
        if (!string.IsNullOrEmpty(home)) return Path.Combine(home, ".cache", "scratchml");
        return Path.Combine(Path.GetTempPath(), "scratchml-cache");
    }
}
