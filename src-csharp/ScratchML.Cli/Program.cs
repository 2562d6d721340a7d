using System.CommandLine;
using ScratchML.Cli;

// scratchml: each subcommand lives in its own file under Commands/; this file only wires them.
// Any error a user can cause ends as one line on stderr and exit code 2 (see Guard).
var root = new RootCommand("ScratchML — machine learning from scratch: tensors, symbolic gradients, neural networks, LIME.")
{
    DiffCommand.Create(),
    EvalCommand.Create(),
    BenchCommand.Create(),
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    PredictCommand.Create(),
    SampleCommand.Create(),
    ExplainCommand.Create(),
};
return Guard.Run(() =>
{
    var parsed = root.Parse(args);
    if (parsed.Errors.Count > 0)
    {
        // The most specific error is the last one (an unknown token comes after "command missing").
        var error = parsed.Errors.Count > 1 && parsed.UnmatchedTokens.Count > 0
            ? $"unknown command or argument '{parsed.UnmatchedTokens[0]}'"
            : parsed.Errors[0].Message;
        Console.Error.WriteLine($"scratchml: {error} (see 'scratchml --help')");
        return Guard.BadInput;
    }
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
});
