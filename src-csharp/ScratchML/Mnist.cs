using Fs = ScratchML.NN;

namespace ScratchML;

/// <summary>Labelled 28×28 grey-scale digits, pixels in [0, 1], row-major (row 0 at the top).</summary>
/// <example><code>DigitSet test = Mnist.Test(); Console.WriteLine($"{test.Count} digits, first is a {test.Labels[0]}");</code></example>
public sealed class DigitSet
{
    internal DigitSet(Tensor images, int[] labels)
    {
        Images = images;
        LabelArray = labels;
    }

    internal Tensor Images { get; }
    internal int[] LabelArray { get; }

    /// <summary>Number of digits.</summary>
    /// <example><code>int n = Mnist.Test().Count; // 10000</code></example>
    public int Count => LabelArray.Length;

    /// <summary>The digit (0–9) of every image.</summary>
    /// <example><code>int label = Mnist.Test().Labels[0];</code></example>
    public IReadOnlyList<int> Labels => LabelArray;

    /// <summary>The 784 pixels of image <paramref name="index"/>, row-major.</summary>
    /// <param name="index">0 ≤ index &lt; Count.</param>
    /// <returns>Pixels in [0, 1].</returns>
    /// <exception cref="ArgumentException">The index is out of range.</exception>
    /// <example><code>float[] pixels = Mnist.Test().Image(0);</code></example>
    public float[] Image(int index)
    {
        if (index < 0 || index >= Count) throw new ArgumentException($"index must be in 0..{Count - 1}, got {index}", nameof(index));
        var all = TensorModule.toArray32(Images);
        return all.AsSpan(index * 784, 784).ToArray();
    }

    /// <summary>The first <paramref name="count"/> digits (all when count ≥ Count).</summary>
    /// <param name="count">How many to keep (at least 1).</param>
    /// <returns>A smaller set.</returns>
    /// <example><code>var small = Mnist.Train().Take(1000);</code></example>
    public DigitSet Take(int count)
    {
        if (count < 1) throw new ArgumentException($"count must be at least 1, got {count}", nameof(count));
        if (count >= Count) return this;
        var subset = Fs.Buffers.zeros(Images.DType, new[] { count, 784 });
        Fs.Buffers.copyRows(Images, Enumerable.Range(0, count).ToArray(), subset);
        return new DigitSet(subset, LabelArray[..count]);
    }
}

/// <summary>The MNIST digits shipped with the repository (data/mnist, gzipped IDX files).</summary>
/// <example><code>var train = Mnist.Train(); var test = Mnist.Test();</code></example>
public static class Mnist
{
    /// <summary>The 60,000 training digits.</summary>
    /// <param name="folder">Folder of the IDX files; default: data/mnist found above the working
    /// directory or the program.</param>
    /// <returns>The digits.</returns>
    /// <example><code>DigitSet train = Mnist.Train();</code></example>
    public static DigitSet Train(string? folder = null)
    {
        var split = Fs.Mnist.train(folder ?? Fs.Mnist.defaultFolder());
        return new DigitSet(split.Images, split.Labels);
    }

    /// <summary>The 10,000 test digits.</summary>
    /// <param name="folder">Folder of the IDX files (default as in <see cref="Train"/>).</param>
    /// <returns>The digits.</returns>
    /// <example><code>DigitSet test = Mnist.Test();</code></example>
    public static DigitSet Test(string? folder = null)
    {
        var split = Fs.Mnist.test(folder ?? Fs.Mnist.defaultFolder());
        return new DigitSet(split.Images, split.Labels);
    }
}
