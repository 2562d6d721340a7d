using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using Fs = ScratchML.NN;

namespace ScratchML;

/// <summary>What a model minimises.</summary>
/// <example><code>model.Compile(new Adam(), Loss.CrossEntropy);</code></example>
public enum Loss
{
    /// <summary>Softmax cross-entropy of the logits against class labels, mean over the batch.</summary>
    CrossEntropy,
    /// <summary>Binary cross-entropy with one logit per example (labels 0 or 1), computed as
    /// max(z,0) − z·y + log(1 + e^−|z|) so logits of ±1000 stay finite.</summary>
    BinaryCrossEntropy,
}

/// <summary>The figures of one training epoch. Validation figures are NaN without validation data.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Loss">Mean batch loss over the epoch.</param>
/// <param name="Accuracy">Training accuracy over the epoch (predictions made during training).</param>
/// <param name="ValidationLoss">Loss on the validation data after the epoch.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation data after the epoch.</param>
/// <param name="Seconds">Wall time of the epoch's training steps.</param>
/// <example><code>foreach (var e in history) Console.WriteLine($"{e.Epoch}: {e.Loss:F4} {e.Accuracy:P2}");</code></example>
public sealed record EpochResult(int Epoch, double Loss, double Accuracy, double ValidationLoss, double ValidationAccuracy, double Seconds);

/// <summary>Loss and accuracy of a model on labelled data.</summary>
/// <param name="Loss">Mean loss.</param>
/// <param name="Accuracy">Fraction of correctly classified examples.</param>
/// <example><code>var r = model.Evaluate(x, y); Console.WriteLine(r.Accuracy);</code></example>
public sealed record EvaluationResult(double Loss, double Accuracy);

/// <summary>A classifier built from a <see cref="Sequential"/> network. Its loss is an expression
/// graph that the library differentiates, simplifies and compiles once; each training step then
/// runs the compiled program and updates the weights in place.</summary>
/// <example><code>
/// var model = new Model(new Sequential(new Dense(784, 256), Activation.Relu, new Dense(256, 10)), seed: 1);
/// model.Compile(new Adam(1e-3));
/// model.Fit(images, labels, epochs: 5, batchSize: 64);
/// int[] predicted = model.Predict(testImages);
/// model.Save("mnist.safetensors");
/// </code></example>
public sealed partial class Model
{
    private readonly Fs.Model _model;
    private Fs.Optimizer _optimizer = Fs.Optimizer.NewAdam(Fs.AdamOptions.Defaults);
    private Fs.Loss _loss = Fs.Loss.NewCrossEntropy(Fs.Reduction.Mean);
    private Fs.Regularizer _regularizer = Fs.Regularizer.None;

    /// <summary>Creates a model with PyTorch's default initialisation drawn from <paramref name="seed"/>.</summary>
    /// <param name="network">The layers.</param>
    /// <param name="seed">Seed of the initial weights, dropout masks and shuffling.</param>
    /// <param name="doublePrecision">Compute in float64 instead of float32.</param>
    /// <exception cref="ArgumentException">The network does not start with a dense layer (its input size is unknown).</exception>
    /// <example><code>var model = new Model(Sequential.Mlp(784, new[] { 256 }, 10), seed: 42);</code></example>
    public Model(Sequential network, int seed = 0, bool doublePrecision = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        var first = network.Layers.OfType<Dense>().FirstOrDefault()
            ?? throw new ArgumentException("the network needs a dense layer to know its input size", nameof(network));
        var specs = ListModule.OfSeq(network.Layers.Select(l => l.Spec));
        var dtype = doublePrecision ? DType.Float64 : DType.Float32;
        _model = Fs.ModelModule.create(Fs.SequentialModule.ofSpecs(specs), new[] { first.Inputs }, dtype, Fs.InitScheme.PyTorch, seed);
    }

    /// <summary>Creates a model for inputs of a given shape (one example, without the batch axis),
    /// e.g. [1, 28, 28] for a CNN on MNIST or [T] token ids for an embedding, with PyTorch's
    /// default initialisation drawn from <paramref name="seed"/>.</summary>
    /// <param name="network">The layers.</param>
    /// <param name="inputShape">Shape of one example.</param>
    /// <param name="seed">Seed of the initial weights, dropout masks and shuffling.</param>
    /// <param name="doublePrecision">Compute in float64 instead of float32.</param>
    /// <exception cref="ArgumentException">The shape is empty or has a size below 1, or the layers do not fit it.</exception>
    /// <example><code>var cnn = new Model(new Sequential(new Conv2d(1, 8, 5), Activation.Relu, new MaxPool2d(2), new Flatten(), new Dense(8 * 12 * 12, 10)), new[] { 1, 28, 28 });</code></example>
    public Model(Sequential network, int[] inputShape, int seed = 0, bool doublePrecision = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length == 0 || inputShape.Any(d => d < 1))
            throw new ArgumentException($"input shape must be positive sizes, got [{string.Join(", ", inputShape)}]", nameof(inputShape));
        var specs = ListModule.OfSeq(network.Layers.Select(l => l.Spec));
        var dtype = doublePrecision ? DType.Float64 : DType.Float32;
        _model = Fs.ModelModule.create(Fs.SequentialModule.ofSpecs(specs), inputShape.ToArray(), dtype, Fs.InitScheme.PyTorch, seed);
        try { Fs.ModelModule.outputShape(_model); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or ShapeError)
        {
            throw new ArgumentException($"the layers do not fit inputs of shape [{string.Join(", ", inputShape)}]: {e.Message}", nameof(inputShape), e);
        }
    }

    private Model(Fs.Model model) => _model = model;

    /// <summary>The layers.</summary>
    /// <example><code>Console.WriteLine(model.Network);</code></example>
    public Sequential Network => new(_model.Network.Specs.Select(Layer.FromSpec).ToArray());

    /// <summary>Number of trainable parameters.</summary>
    /// <example><code>Console.WriteLine(model.ParameterCount); // 203530 for 784-256-10</code></example>
    public int ParameterCount => _model.Values.Sum(t => t.Numel);

    /// <summary>True when the model computes in float64.</summary>
    /// <example><code>bool f64 = model.DoublePrecision;</code></example>
    public bool DoublePrecision => _model.DType.IsFloat64;

    /// <summary>Chooses the optimizer, the loss and an optional weight penalty
    /// l1·Σ|w| + l2·Σw² on the dense weights.</summary>
    /// <param name="optimizer">Update rule (default Adam lr 1e-3).</param>
    /// <param name="loss">The loss (default cross-entropy).</param>
    /// <param name="l1">L1 penalty factor.</param>
    /// <param name="l2">L2 penalty factor.</param>
    /// <example><code>model.Compile(new Sgd(0.1, momentum: 0.9), Loss.CrossEntropy, l2: 1e-4);</code></example>
    public void Compile(Optimizer? optimizer = null, Loss loss = Loss.CrossEntropy, double l1 = 0, double l2 = 0)
    {
        _optimizer = (optimizer ?? new Adam()).ToRule();
        _loss = loss == Loss.CrossEntropy
            ? Fs.Loss.NewCrossEntropy(Fs.Reduction.Mean)
            : Fs.Loss.NewBinaryCrossEntropyWithLogits(Fs.Reduction.Mean);
        _regularizer = (l1, l2) switch
        {
            (0, 0) => Fs.Regularizer.None,
            (_, 0) => Fs.Regularizer.NewL1(l1),
            (0, _) => Fs.Regularizer.NewL2(l2),
            _ => Fs.Regularizer.NewL1L2(l1, l2),
        };
    }

    /// <summary>Trains on rows of <paramref name="x"/> with class labels <paramref name="y"/>.</summary>
    /// <param name="x">Inputs, one row per example.</param>
    /// <param name="y">Class labels (0..classes−1; 0/1 for binary cross-entropy).</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Examples per step.</param>
    /// <param name="validationX">Optional validation inputs.</param>
    /// <param name="validationY">Labels of the validation inputs.</param>
    /// <param name="shuffleSeed">Seed of the per-epoch shuffle; null keeps the data's order.</param>
    /// <param name="earlyStoppingPatience">Stop after this many epochs without improvement of the
    /// validation loss (training loss without validation data); null never stops early.</param>
    /// <param name="onEpoch">Called after each epoch.</param>
    /// <param name="onBatch">Called after each batch with (epoch, batches done, batches per epoch).</param>
    /// <returns>One result per epoch trained.</returns>
    /// <exception cref="ArgumentException">Shapes or labels do not fit the network.</exception>
    /// <example><code>var history = model.Fit(x, y, epochs: 10, batchSize: 128, earlyStoppingPatience: 2);</code></example>
    public IReadOnlyList<EpochResult> Fit(float[,] x, int[] y, int epochs = 10, int batchSize = 64,
        float[,]? validationX = null, int[]? validationY = null, int? shuffleSeed = 0, int? earlyStoppingPatience = null,
        Action<EpochResult>? onEpoch = null, Action<int, int, int>? onBatch = null) =>
        FitData(Data(Rows(x, nameof(x)), y, nameof(y)),
            validationX is null ? null : Data(Rows(validationX, nameof(validationX)), validationY ?? throw new ArgumentException("validation labels are missing", nameof(validationY)), nameof(validationY)),
            epochs, batchSize, shuffleSeed, earlyStoppingPatience, onEpoch, onBatch);

    /// <summary>Trains on float64 rows; see <see cref="Fit(float[,], int[], int, int, float[,], int[], int?, int?, Action{EpochResult}, Action{int, int, int})"/>.</summary>
    /// <param name="x">Inputs, one row per example.</param>
    /// <param name="y">Class labels.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Examples per step.</param>
    /// <param name="shuffleSeed">Seed of the per-epoch shuffle; null keeps the data's order.</param>
    /// <param name="onEpoch">Called after each epoch.</param>
    /// <returns>One result per epoch.</returns>
    /// <example><code>model.Fit(new double[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } }, new[] { 0, 1, 1, 0 }, epochs: 300, batchSize: 4);</code></example>
    public IReadOnlyList<EpochResult> Fit(double[,] x, int[] y, int epochs = 10, int batchSize = 64, int? shuffleSeed = 0,
        Action<EpochResult>? onEpoch = null) =>
        FitData(Data(Rows(x, nameof(x)), y, nameof(y)), null, epochs, batchSize, shuffleSeed, null, onEpoch, null);

    /// <summary>Trains on a digit set (e.g. <see cref="Mnist.Train"/>); see the float[,] overload.</summary>
    /// <param name="data">Training digits.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Examples per step.</param>
    /// <param name="validation">Optional validation digits.</param>
    /// <param name="shuffleSeed">Seed of the per-epoch shuffle; null keeps the data's order.</param>
    /// <param name="earlyStoppingPatience">Epochs without improvement before stopping; null never stops early.</param>
    /// <param name="onEpoch">Called after each epoch.</param>
    /// <param name="onBatch">Called after each batch with (epoch, batches done, batches per epoch).</param>
    /// <returns>One result per epoch.</returns>
    /// <example><code>model.Fit(Mnist.Train(), epochs: 10, validation: Mnist.Test());</code></example>
    public IReadOnlyList<EpochResult> Fit(DigitSet data, int epochs = 10, int batchSize = 64, DigitSet? validation = null,
        int? shuffleSeed = 0, int? earlyStoppingPatience = null, Action<EpochResult>? onEpoch = null, Action<int, int, int>? onBatch = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return FitData(Data(data.Images, data.LabelArray, nameof(data)),
            validation is null ? null : Data(validation.Images, validation.LabelArray, nameof(validation)),
            epochs, batchSize, shuffleSeed, earlyStoppingPatience, onEpoch, onBatch);
    }

    /// <summary>Predicted class of every row (argmax of the logits; logit &gt; 0 for one output).</summary>
    /// <param name="x">Inputs, one row per example.</param>
    /// <returns>One class per row.</returns>
    /// <example><code>int[] classes = model.Predict(testImages);</code></example>
    public int[] Predict(float[,] x) => Fs.ModelModule.predictClasses(_model, Rows(x, nameof(x)));

    /// <summary>Predicted class of every float64 row.</summary>
    /// <param name="x">Inputs, one row per example.</param>
    /// <returns>One class per row.</returns>
    /// <example><code>int[] classes = model.Predict(new double[,] { { 1, 0 } });</code></example>
    public int[] Predict(double[,] x) => Fs.ModelModule.predictClasses(_model, Rows(x, nameof(x)));

    /// <summary>Predicted class of every digit of a set.</summary>
    /// <param name="data">Digits.</param>
    /// <returns>One class per digit.</returns>
    /// <example><code>int[] classes = model.Predict(Mnist.Test());</code></example>
    public int[] Predict(DigitSet data) => Fs.ModelModule.predictClasses(_model, (data ?? throw new ArgumentNullException(nameof(data))).Images);

    /// <summary>Class probabilities of every row: softmax of the logits (σ(z) for one logit,
    /// giving [1 − σ, σ]).</summary>
    /// <param name="x">Inputs, one row per example.</param>
    /// <returns>[rows, classes] probabilities; each row sums to 1.</returns>
    /// <example><code>double[,] p = model.PredictProbabilities(testImages);</code></example>
    public double[,] PredictProbabilities(float[,] x) => Probabilities(Rows(x, nameof(x)));

    /// <summary>Class probabilities of every float64 row.</summary>
    /// <param name="x">Inputs, one row per example.</param>
    /// <returns>[rows, classes] probabilities.</returns>
    /// <example><code>double[,] p = model.PredictProbabilities(new double[,] { { 1, 0 } });</code></example>
    public double[,] PredictProbabilities(double[,] x) => Probabilities(Rows(x, nameof(x)));

    /// <summary>Class probabilities of every digit of a set.</summary>
    /// <param name="data">Digits.</param>
    /// <returns>[digits, 10] probabilities.</returns>
    /// <example><code>double[,] p = model.PredictProbabilities(Mnist.Test());</code></example>
    public double[,] PredictProbabilities(DigitSet data) => Probabilities((data ?? throw new ArgumentNullException(nameof(data))).Images);

    /// <summary>Mean loss and accuracy on labelled rows (no dropout).</summary>
    /// <param name="x">Inputs.</param>
    /// <param name="y">Labels.</param>
    /// <returns>Loss and accuracy.</returns>
    /// <example><code>var r = model.Evaluate(testImages, testLabels);</code></example>
    public EvaluationResult Evaluate(float[,] x, int[] y) => EvaluateData(Data(Rows(x, nameof(x)), y, nameof(y)));

    /// <summary>Mean loss and accuracy on a digit set.</summary>
    /// <param name="data">Digits.</param>
    /// <returns>Loss and accuracy.</returns>
    /// <example><code>Console.WriteLine(model.Evaluate(Mnist.Test()).Accuracy);</code></example>
    public EvaluationResult Evaluate(DigitSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return EvaluateData(Data(data.Images, data.LabelArray, nameof(data)));
    }

    /// <summary>Saves weights and architecture as a safetensors file (written atomically).</summary>
    /// <param name="path">File to write.</param>
    /// <example><code>model.Save("mnist.safetensors");</code></example>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        Fs.Checkpoint.save(path, _model);
    }

    /// <summary>Loads a model saved by <see cref="Save"/>; a missing, truncated or foreign file
    /// throws with a message naming the file and the problem.</summary>
    /// <param name="path">File to read.</param>
    /// <returns>The model, ready to predict (call <see cref="Compile"/> before training further).</returns>
    /// <example><code>var model = Model.Load("mnist.safetensors");</code></example>
    public static Model Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new ArgumentException($"no model file at '{path}'", nameof(path));
        return new Model(Fs.Checkpoint.load(path));
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Network} ({ParameterCount} parameters, {_model.DType})";

    private int Classes => Fs.ModelModule.outputShape(_model).Aggregate(1, (a, b) => a * b);

    private Fs.Dataset Data(Tensor x, int[] y, string name)
    {
        ArgumentNullException.ThrowIfNull(y, name);
        if (y.Length != x.Shape[0]) throw new ArgumentException($"{y.Length} labels for {x.Shape[0]} rows", name);
        if (_loss.IsBinaryCrossEntropyWithLogits)
        {
            var targets = y.Select(v => v is 0 or 1 ? (double)v : throw new ArgumentException($"binary labels must be 0 or 1, got {v}", name)).ToArray();
            return new Fs.Dataset(x, new Tensor(Storage.NewF64(targets), new[] { y.Length, 1 }, new[] { 1, 1 }, 0));
        }
        try { return Fs.Train.classification(_model.DType, Classes, x, y); }
        catch (ArgumentException e) { throw new ArgumentException(e.Message, name); }
    }

    private IReadOnlyList<EpochResult> FitData(Fs.Dataset data, Fs.Dataset? validation, int epochs, int batchSize,
        int? shuffleSeed, int? patience, Action<EpochResult>? onEpoch, Action<int, int, int>? onBatch)
    {
        if (epochs < 1) throw new ArgumentException($"epochs must be at least 1, got {epochs}", nameof(epochs));
        if (batchSize < 1) throw new ArgumentException($"batchSize must be at least 1, got {batchSize}", nameof(batchSize));
        var callbacks = new List<FSharpFunc<FSharpList<Fs.EpochStats>, Fs.Decision>>();
        if (onEpoch is not null)
            callbacks.Add(FuncConvert.FromFunc<FSharpList<Fs.EpochStats>, Fs.Decision>(h => { onEpoch(Result(h.Last())); return Fs.Decision.Continue; }));
        if (patience is int p)
            callbacks.Add(FuncConvert.FromFunc<FSharpList<Fs.EpochStats>, Fs.Decision>(h => Fs.Callbacks.earlyStopping(p, 0.0, h)));
        var options = new Fs.FitOptions(_loss, _optimizer, _regularizer, epochs, batchSize,
            shuffleSeed is int s ? FSharpOption<int>.Some(s) : FSharpOption<int>.None,
            validation is null ? FSharpOption<Fs.Dataset>.None : FSharpOption<Fs.Dataset>.Some(validation),
            ListModule.OfSeq(callbacks),
            FuncConvert.FromAction<int, int, int>((e, b, n) => onBatch?.Invoke(e, b, n)));
        return Fs.Train.fit(options, _model, data).Select(Result).ToList();
    }

    private EvaluationResult EvaluateData(Fs.Dataset data)
    {
        var (loss, accuracy) = Fs.Train.evaluate(_model, _loss, _regularizer, 256, data).ToValueTuple();
        return new EvaluationResult(loss, accuracy);
    }

    private double[,] Probabilities(Tensor x)
    {
        var p = Fs.ModelModule.predictProba(_model, x);
        var rows = p.Shape[0];
        var columns = p.Shape[1];
        var values = TensorModule.toArray(p);
        if (columns == 1)
        {
            var binary = new double[rows, 2];
            for (var r = 0; r < rows; r++) { binary[r, 1] = values[r]; binary[r, 0] = 1 - values[r]; }
            return binary;
        }
        var result = new double[rows, columns];
        Buffer.BlockCopy(values, 0, result, 0, values.Length * sizeof(double));
        return result;
    }

    private static EpochResult Result(Fs.EpochStats s) =>
        new(s.Epoch, s.Loss, s.Accuracy, s.ValidationLoss, s.ValidationAccuracy, s.Seconds);

    private Tensor Rows(float[,] x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        CheckColumns(x.GetLength(1), name);
        var values = new float[x.Length];
        Buffer.BlockCopy(x, 0, values, 0, values.Length * sizeof(float));
        var shape = new[] { x.GetLength(0), x.GetLength(1) };
        return Fs.Buffers.convert(_model.DType, new Tensor(Storage.NewF32(values), shape, new[] { shape[1], 1 }, 0));
    }

    private Tensor Rows(double[,] x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        CheckColumns(x.GetLength(1), name);
        var values = new double[x.Length];
        Buffer.BlockCopy(x, 0, values, 0, values.Length * sizeof(double));
        var shape = new[] { x.GetLength(0), x.GetLength(1) };
        return Fs.Buffers.convert(_model.DType, new Tensor(Storage.NewF64(values), shape, new[] { shape[1], 1 }, 0));
    }

    private void CheckColumns(int columns, string name)
    {
        var expected = _model.InputShape.Aggregate(1, (a, b) => a * b);
        if (columns != expected) throw new ArgumentException($"rows have {columns} columns, the network expects {expected}", name);
    }
}
