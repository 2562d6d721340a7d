using System.CommandLine;
using System.Diagnostics;

namespace ScratchML.Cli;

/// <summary>`scratchml diff "EXPR" --wrt x`: the simplified derivative, printed last in the
/// parser's syntax so it can be fed back; --steps shows the raw chain rule and the rules fired.</summary>
public static class DiffCommand
{
    /// <summary>Above this many nodes, one formula is too long to read: a listing is printed.</summary>
    public const long MaxFormulaNodes = 200_000;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var text = new Argument<string>("expression") { Description = "scalar infix expression, e.g. \"x^x\" or \"tanh(w*x + b)\"" };
        var wrt = new Option<string>("--wrt", "-x") { Description = "the variable to differentiate with respect to", Required = true };
        var steps = new Option<bool>("--steps") { Description = "also print the raw chain rule, the rules that fired and the timings" };
        var latex = new Option<bool>("--latex") { Description = "print LaTeX instead of infix" };
        var dot = new Option<bool>("--dot") { Description = "print a Graphviz digraph instead of infix" };
        var command = new Command("diff", "Differentiate an expression symbolically and simplify the result.") { text, wrt, steps, latex, dot };
        command.SetAction(p =>
        {
            var e = Expression.Parse(p.GetValue(text)!);
            var x = Expression.Variable(p.GetValue(wrt)!);
            var clock = Stopwatch.StartNew();
            var raw = e.Gradient(x);
            var tDiff = clock.Elapsed.TotalMilliseconds;
            var simplified = raw.SimplifyWithSteps();
            var tSimplify = clock.Elapsed.TotalMilliseconds - tDiff;
            if (p.GetValue(steps))
            {
                Console.WriteLine($"expression:  {e}");
                Console.WriteLine($"raw d/d{x}:  {raw}");
                Console.WriteLine("rules fired: " + (simplified.RulesFired.Count == 0 ? "none" : string.Join(", ", simplified.RulesFired)));
                Console.WriteLine($"nodes:       {e.NodeCount} in the expression, {raw.NodeCount} raw derivative, {simplified.Result.NodeCount} simplified; derived in {tDiff:F1} ms, simplified in {tSimplify:F1} ms");
            }
            var d = simplified.Result;
            if (p.GetValue(dot)) Console.WriteLine(d.ToDot());
            else if (d.ExpandedSize > MaxFormulaNodes)
            {
                // One formula would repeat shared parts exponentially often: print one `let` per
                // shared node instead (linear in the graph), and say why.
                Console.Error.WriteLine($"note: the derivative written as one formula has {d.ExpandedSize} nodes ({d.NodeCount} shared); printing a let listing");
                Console.WriteLine(d.ToListing());
            }
            else Console.WriteLine(p.GetValue(latex) ? d.ToLatex() : d.ToString());
            return 0;
        });
        return command;
    }
}
