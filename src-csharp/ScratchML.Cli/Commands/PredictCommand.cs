using System.CommandLine;

namespace ScratchML.Cli;

/// <summary>`scratchml predict --model FILE --index N`: shows MNIST test digit N as text, its
/// label, and the saved model's prediction with class probabilities.</summary>
public static class PredictCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var file = new Option<string>("--model", "-m") { Description = "model file written by 'scratchml train'", DefaultValueFactory = _ => "models/mnist.safetensors" };
        var index = new Option<int>("--index", "-i") { Description = "index of a test digit (0–9999)", DefaultValueFactory = _ => 0 };
        var command = new Command("predict", "Predict one MNIST test digit with a saved model.") { file, index };
        command.SetAction(p =>
        {
            var model = Model.Load(p.GetValue(file)!);
            var test = Mnist.Test();
            var i = p.GetValue(index);
            var pixels = test.Image(i);
            const string shades = " .:-=+*#%@";
            for (var r = 0; r < 28; r++)
                Console.WriteLine(string.Concat(Enumerable.Range(0, 28).Select(c => shades[(int)(pixels[r * 28 + c] * 9.999f)])));
            var x = new float[1, 784];
            Buffer.BlockCopy(pixels, 0, x, 0, 784 * sizeof(float));
            var probabilities = model.PredictProbabilities(x);
            var predicted = model.Predict(x)[0];
            Console.WriteLine($"test digit {i}: label {test.Labels[i]}, predicted {predicted} " +
                              $"(p = {probabilities[0, predicted]:F4}){(predicted == test.Labels[i] ? "" : "  ← wrong")}");
            Console.WriteLine(string.Join("  ", Enumerable.Range(0, probabilities.GetLength(1)).Select(c => $"{c}:{probabilities[0, c]:F3}")));
            return 0;
        });
        return command;
    }
}
