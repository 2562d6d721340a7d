namespace ScratchML;

using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using L = ScratchML.Lime;

/// Argument checks and F# conversions shared by the explainers (internal: not part of the API).
internal static class Checks
{
    internal static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentException($"{name} must be positive, got {value}", name);
    }

    internal static void Finite(double[] row, string name)
    {
        for (int j = 0; j < row.Length; j++)
            if (!double.IsFinite(row[j]))
                throw new ArgumentException($"{name} has {row[j]} at index {j}; values must be finite", name);
    }

    /// Seed for one explanation: the call's, else the explainer's, else a fresh one.
    internal static ulong Seed(int? call, int? explainer) =>
        unchecked((ulong)(call ?? explainer ?? Random.Shared.Next()));

    /// The explained labels: the given one, or the most probable at the instance.
    internal static L.LabelChoice Labels(int? label) =>
        label is int l ? L.LabelChoice.NewLabels(ListModule.OfSeq(new[] { l })) : L.LabelChoice.NewTop(1);

    /// Run an F# explainer, turning its ArgumentExceptions (which name F# parameters such as
    /// "instance") into ones naming the facade's parameter where the two differ.
    internal static T Rename<T>(Func<T> run, IReadOnlyDictionary<string, string> names)
    {
        try { return run(); }
        catch (ArgumentException e) when (e.ParamName is string p && names.TryGetValue(p, out var mine))
        {
            string message = e.Message;
            int suffix = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
            if (suffix >= 0) message = message[..suffix];
            throw new ArgumentException(message, mine, e);
        }
    }

    internal static FSharpFunc<TIn, TOut> Func<TIn, TOut>(Func<TIn, TOut> f) => FuncConvert.FromFunc(f);
}
