using System.CommandLine;
using System.Globalization;

namespace ScratchML.Cli;

/// <summary>`scratchml eval "EXPR" x=1.5 y=2`: the value of a scalar expression.</summary>
public static class EvalCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var text = new Argument<string>("expression") { Description = "scalar infix expression" };
        var bindings = new Argument<string[]>("values") { Description = "variable values as name=number", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("eval", "Evaluate a scalar expression at given variable values.") { text, bindings };
        command.SetAction(p =>
        {
            var e = Expression.Parse(p.GetValue(text)!);
            var values = new Dictionary<string, double>();
            foreach (var b in p.GetValue(bindings) ?? Array.Empty<string>())
            {
                var parts = b.Split('=', 2);
                if (parts.Length != 2 || parts[0].Length == 0
                    || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new ArgumentException($"'{b}' is not name=number");
                values[parts[0]] = v;
            }
            Console.WriteLine(e.Evaluate(values).ToString("R", CultureInfo.InvariantCulture));
            return 0;
        });
        return command;
    }
}
