namespace ScratchML;

/// <summary>Runs the benchmark workloads W0–W6 defined in the project's WORKLOADS.md.</summary>
/// <example><code>Benchmarks.Run("w0", threads: 1, Console.WriteLine);</code></example>
public static class Benchmarks
{
    /// <summary>The workloads that can be run, with a one-line description each.</summary>
    /// <example><code>foreach (var (name, about) in Benchmarks.Available) Console.WriteLine(name);</code></example>
    public static IReadOnlyList<KeyValuePair<string, string>> Available =>
        ScratchML.Bench.Workloads.all
            .Select(w => new KeyValuePair<string, string>(w.Item1, w.Item2.Item1))
            .ToList();

    /// <summary>Runs one workload and hands each RESULT line to <paramref name="onLine"/>.</summary>
    /// <param name="workload">A name such as "w0" (case-insensitive).</param>
    /// <param name="threads">Threads to use (1 or more).</param>
    /// <param name="onLine">Receives each output line as it is produced.</param>
    /// <exception cref="ArgumentException">The workload is unknown or threads is below 1.</exception>
    /// <example><code>Benchmarks.Run("w0", 2, Console.WriteLine);</code></example>
    public static void Run(string workload, int threads, Action<string> onLine)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(onLine);
        if (threads < 1)
            throw new ArgumentException($"threads must be at least 1, got {threads}", nameof(threads));
        ScratchML.Bench.Workloads.run(workload, threads,
            Microsoft.FSharp.Core.FuncConvert.FromAction(onLine));
    }
}
