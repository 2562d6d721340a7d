using System.CommandLine;
using ScratchML.Cli;

// scratchml: each subcommand lives in its own file under Commands/; this file only wires them.
// Any error a user can cause ends as one line on stderr and exit code 2 (see Guard).
var root = new RootCommand("ScratchML — machine learning from scratch: tensors, symbolic gradients, neural networks, LIME.")
{
    BenchCommand.Create(),
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    PredictCommand.Create(),
};
return Guard.Run(() =>
{
    var parsed = root.Parse(args);
    if (parsed.Errors.Count > 0)
    {
        Console.Error.WriteLine($"scratchml: {parsed.Errors[0].Message} (see 'scratchml --help')");
        return Guard.BadInput;
    }
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
});
