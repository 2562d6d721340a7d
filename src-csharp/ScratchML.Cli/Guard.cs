namespace ScratchML.Cli;

/// <summary>Turns any exception a user can cause into one line on stderr and exit code 2.</summary>
public static class Guard
{
    /// <summary>Exit code for bad input or a failed command.</summary>
    public const int BadInput = 2;

    /// <summary>Runs <paramref name="body"/>; an exception becomes one stderr line and exit 2.</summary>
    public static int Run(Func<int> body)
    {
        try { return body(); }
        catch (Exception e)
        {
            Console.Error.WriteLine($"scratchml: {OneLine(Innermost(e))}");
            return BadInput;
        }
    }

    /// <summary>The innermost exception, past wrappers that add nothing for a user.</summary>
    public static Exception Innermost(Exception e) =>
        e is System.Reflection.TargetInvocationException or AggregateException && e.InnerException is not null
            ? Innermost(e.InnerException) : e;

    /// <summary>A message folded onto one line.</summary>
    public static string OneLine(Exception e)
    {
        var message = e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "") : e.Message;
        return message.ReplaceLineEndings(" ").Trim();
    }
}
