namespace ScratchML;

/// <summary>An n-dimensional array of doubles in row-major order: what tensor-valued
/// expressions take and return in the facade.</summary>
/// <example><code>var m = new NdArray(new[] { 1.0, 2.0, 3.0, 4.0 }, 2, 2); Console.WriteLine(m[1, 0]); // 3</code></example>
public sealed class NdArray
{
    private readonly double[] data;
    private readonly int[] shape;

    /// <summary>Wraps a copy of <paramref name="data"/> with the given sizes (none: a scalar or a vector of the data's length).</summary>
    /// <exception cref="ArgumentException">The sizes do not multiply to the data's length.</exception>
    public NdArray(double[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        shape ??= Array.Empty<int>();
        if (shape.Length == 0 && data.Length != 1) shape = new[] { data.Length };
        long n = shape.Aggregate(1L, (a, d) => a * d);
        if (shape.Any(d => d < 0) || n != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {n} elements but data has {data.Length}", nameof(shape));
        this.data = (double[])data.Clone();
        this.shape = (int[])shape.Clone();
    }

    /// <summary>Sizes per axis.</summary>
    public IReadOnlyList<int> Shape => Array.AsReadOnly(shape);

    /// <summary>The elements in row-major order (a copy).</summary>
    public double[] Data => (double[])data.Clone();

    /// <summary>The element at an index (one int per axis).</summary>
    /// <exception cref="ArgumentException">Wrong number of indices or one out of range.</exception>
    public double this[params int[] index]
    {
        get
        {
            if (index.Length != shape.Length)
                throw new ArgumentException($"{index.Length} indices for rank {shape.Length}", nameof(index));
            int flat = 0;
            for (int i = 0; i < shape.Length; i++)
            {
                if (index[i] < 0 || index[i] >= shape[i])
                    throw new ArgumentException($"index {index[i]} out of range for axis {i} of size {shape[i]}", nameof(index));
                flat = flat * shape[i] + index[i];
            }
            return data[flat];
        }
    }

    internal Tensor ToTensor() => TensorModule.ofArray(shape, data);

    internal static NdArray FromTensor(Tensor t) => new(TensorModule.toArray(t), t.Shape);
}
