using System.CommandLine;

namespace ScratchML.Cli;

/// <summary>`scratchml bench wN [--threads N]`: runs a workload of WORKLOADS.md, prints RESULT lines.</summary>
public static class BenchCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var names = string.Join(", ", Benchmarks.Available.Select(w => $"{w.Key} ({w.Value})"));
        var workload = new Argument<string>("workload") { Description = $"workload to run: {names}" };
        var threads = new Option<int>("--threads", "-t")
        {
            Description = "threads to use (default: the THREADS environment variable, else 2)",
            DefaultValueFactory = _ => int.TryParse(Environment.GetEnvironmentVariable("THREADS"), out var t) ? t : 2,
        };
        var command = new Command("bench", "Run a benchmark workload (W0–W6) and print RESULT lines.") { workload, threads };
        command.SetAction(p =>
        {
            Benchmarks.Run(p.GetValue(workload)!, p.GetValue(threads), line => Console.WriteLine(line));
            return 0;
        });
        return command;
    }
}
