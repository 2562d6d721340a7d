using Fs = ScratchML.NN;

namespace ScratchML;

// Looking inside a trained image model: its convolution filters and the feature maps one image
// produces, written as PNG grids (ScratchML.Plots: Filters, FeatureMaps).
public sealed partial class Model
{
    /// <summary>The layers' names, in order: what <see cref="SaveFilters(string, string, int?)"/> and
    /// <see cref="SaveFeatureMaps(string, float[], string, int?)"/> accept, e.g. "conv1", "bn1", "relu1", "fc1"
    /// (PyTorch's attribute names; a layer's index in this list is its layer index).</summary>
    /// <example><code>Console.WriteLine(string.Join(", ", model.LayerNames)); // conv1, bn1, relu1, maxpool1, flatten1, fc1</code></example>
    public IReadOnlyList<string> LayerNames => _model.Network.Layers.Select(l => l.Name).ToList();

    /// <summary>Writes the filters of a Conv2d layer as a PNG grid: one tile per output channel, each
    /// filter min-max normalised on its own (smallest weight black, largest white); colour tiles
    /// when the layer reads 3 channels (RGB), grey otherwise (one tile per input channel and a
    /// grid row per filter when it reads neither 1 nor 3).</summary>
    /// <param name="layerIndex">Index of a Conv2d layer in <see cref="LayerNames"/>.</param>
    /// <param name="path">The PNG file to write (atomically; its folder is created when missing).</param>
    /// <param name="pixelsPerWeight">Side in pixels of one weight's square (default: about 64 pixels per filter).</param>
    /// <exception cref="ArgumentException">The index is out of range or not a Conv2d layer, or the scale is below 1.</exception>
    /// <example><code>model.SaveFilters(0, "filters.png");</code></example>
    public void SaveFilters(int layerIndex, string path, int? pixelsPerWeight = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        CheckScale(pixelsPerWeight, nameof(pixelsPerWeight));
        try { Plots.Filters.saveLayer(path, Scale(pixelsPerWeight), _model, layerIndex); }
        catch (ArgumentException e) when (e.ParamName is "index") { throw new ArgumentException(e.Message, nameof(layerIndex), e); }
    }

    /// <summary>Writes the filters of the Conv2d layer named <paramref name="layerName"/> as a PNG grid
    /// (see <see cref="SaveFilters(int, string, int?)"/>).</summary>
    /// <param name="layerName">A name from <see cref="LayerNames"/>, e.g. "conv1".</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="pixelsPerWeight">Side in pixels of one weight's square (default: about 64 pixels per filter).</param>
    /// <exception cref="ArgumentException">No layer has that name, or it is not a Conv2d layer.</exception>
    /// <example><code>model.SaveFilters("conv1", "filters.png", pixelsPerWeight: 12);</code></example>
    public void SaveFilters(string layerName, string path, int? pixelsPerWeight = null) =>
        SaveFilters(LayerIndex(layerName), path, pixelsPerWeight);

    /// <summary>Writes the feature maps one image produces at a layer as a PNG grid: the layer's output
    /// [1, C, H, W] in prediction mode, one grey tile per channel, each map min-max normalised on its own.</summary>
    /// <param name="layerIndex">Index in <see cref="LayerNames"/> of a layer with image-shaped output (convolution, batch norm, activation or pooling after one).</param>
    /// <param name="image">One input, row-major, with as many values as the model's input shape (e.g. 784 for [1, 28, 28]).</param>
    /// <param name="path">The PNG file to write (atomically; its folder is created when missing).</param>
    /// <param name="pixelsPerValue">Side in pixels of one activation's square (default: about 96 pixels per map).</param>
    /// <exception cref="ArgumentException">The index is out of range or its output is not feature maps, the image has the wrong size, or the scale is below 1.</exception>
    /// <example><code>model.SaveFeatureMaps(1, Mnist.Test().Image(0), "maps.png");</code></example>
    public void SaveFeatureMaps(int layerIndex, float[] image, string path, int? pixelsPerValue = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        CheckScale(pixelsPerValue, nameof(pixelsPerValue));
        var x = new Tensor(Storage.NewF32((float[])image.Clone()), new[] { image.Length }, new[] { 1 }, 0);
        try { Plots.FeatureMaps.saveLayer(path, Scale(pixelsPerValue), _model, layerIndex, x); }
        catch (ArgumentException e) when (e.ParamName is "index") { throw new ArgumentException(e.Message, nameof(layerIndex), e); }
        catch (ArgumentException e) when (e.ParamName is "image") { throw new ArgumentException(e.Message, nameof(image), e); }
    }

    /// <summary>Writes the feature maps one image produces at the layer named <paramref name="layerName"/>
    /// (see <see cref="SaveFeatureMaps(int, float[], string, int?)"/>).</summary>
    /// <param name="layerName">A name from <see cref="LayerNames"/>, e.g. "relu1".</param>
    /// <param name="image">One input, row-major, with as many values as the model's input shape.</param>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="pixelsPerValue">Side in pixels of one activation's square (default: about 96 pixels per map).</param>
    /// <exception cref="ArgumentException">No layer has that name, or see the index overload.</exception>
    /// <example><code>model.SaveFeatureMaps("relu1", digit, "relu1.png");</code></example>
    public void SaveFeatureMaps(string layerName, float[] image, string path, int? pixelsPerValue = null) =>
        SaveFeatureMaps(LayerIndex(layerName), image, path, pixelsPerValue);

    private int LayerIndex(string layerName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(layerName);
        try { return Fs.ModelModule.layerIndex(_model, layerName); }
        catch (ArgumentException e) { throw new ArgumentException(e.Message, nameof(layerName), e); }
    }

    private static void CheckScale(int? scale, string name)
    {
        if (scale is < 1) throw new ArgumentException($"the scale must be at least 1 pixel, got {scale}", name);
    }

    private static Microsoft.FSharp.Core.FSharpOption<int> Scale(int? scale) =>
        scale is int s ? Microsoft.FSharp.Core.FSharpOption<int>.Some(s) : Microsoft.FSharp.Core.FSharpOption<int>.None;
}
