namespace ScratchML;

/// <summary>The result of <see cref="Expression.SimplifyWithSteps"/>: the simplified expression and
/// the names of the rules that fired, in order.</summary>
/// <example><code>var s = e.SimplifyWithSteps(); Console.WriteLine($"{s.Result} via {string.Join(", ", s.RulesFired)}");</code></example>
public sealed record Simplification(Expression Result, IReadOnlyList<string> RulesFired);
