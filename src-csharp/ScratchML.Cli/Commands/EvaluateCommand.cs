using System.CommandLine;

namespace ScratchML.Cli;

/// <summary>`scratchml evaluate --model FILE`: loss and accuracy of a saved model on the 10,000
/// MNIST test digits, with the accuracy per digit.</summary>
public static class EvaluateCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var file = new Option<string>("--model", "-m") { Description = "model file written by 'scratchml train'", DefaultValueFactory = _ => "models/mnist.safetensors" };
        var command = new Command("evaluate", "Evaluate a saved model on the MNIST test digits.") { file };
        command.SetAction(p =>
        {
            var model = Model.Load(p.GetValue(file)!);
            var test = Mnist.Test();
            var result = model.Evaluate(test);
            Console.WriteLine($"{model}");
            Console.WriteLine($"test accuracy {result.Accuracy:P2}  loss {result.Loss:F4}  ({test.Count} digits)");
            var predicted = model.Predict(test);
            for (var d = 0; d < 10; d++)
            {
                var of = Enumerable.Range(0, test.Count).Where(i => test.Labels[i] == d).ToArray();
                var right = of.Count(i => predicted[i] == d);
                Console.WriteLine($"  digit {d}: {(double)right / of.Length:P2} of {of.Length}");
            }
            return 0;
        });
        return command;
    }
}
