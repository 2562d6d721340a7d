using System.CommandLine;

namespace ScratchML.Cli;

/// <summary>`scratchml sample --prompt "..."`: continues a prompt with a character language model
/// saved by `scratchml train charlm`, drawing each character at a temperature from a seed.</summary>
public static class SampleCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var prompt = new Option<string>("--prompt", "-p") { Description = "text to continue", Required = true };
        var length = new Option<int>("--length", "-n") { Description = "characters to generate", DefaultValueFactory = _ => 300 };
        var temperature = new Option<double>("--temperature", "-t") { Description = "below 1: safer, above 1: wilder, 0: always the likeliest", DefaultValueFactory = _ => 0.7 };
        var seed = new Option<int>("--seed") { Description = "seed of the draws", DefaultValueFactory = _ => 0 };
        var file = new Option<string>("--model", "-m") { Description = "model file written by 'scratchml train charlm'", DefaultValueFactory = _ => "models/charlm.safetensors" };
        var command = new Command("sample", "Generate text with a character language model.") { prompt, length, temperature, seed, file };
        command.SetAction(p =>
        {
            var lm = CharLanguageModel.Load(p.GetValue(file)!);
            var text = p.GetValue(prompt)!;
            Console.WriteLine(text + lm.Sample(text, p.GetValue(length), p.GetValue(temperature), p.GetValue(seed)));
            return 0;
        });
        return command;
    }
}
