using System.Collections.ObjectModel;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;

namespace ScratchML;

/// <summary>
/// An immutable node of a ScratchML expression graph: a variable, a constant, or an operation
/// applied to expressions. Gradients are derived symbolically and are expressions themselves,
/// so they can be simplified, printed (infix, LaTeX, Graphviz) and evaluated.
/// </summary>
/// <example><code>
/// var x = Expression.Variable("x");
/// var w = Expression.Variable("w");
/// Expression dy = (x * w + 1.0).Tanh().Gradient(w);   // raw chain rule
/// Console.WriteLine(dy.Simplify());                     // (1 - tanh(x*w + 1)^2)*x
/// </code></example>
public sealed class Expression : IEquatable<Expression>
{
    internal Expr Node { get; }

    internal Expression(Expr node) => Node = node;

    /// <summary>A named scalar variable, or a tensor variable when a shape is given.</summary>
    /// <param name="name">The name used to bind a value at evaluation.</param>
    /// <param name="shape">Sizes per axis; none for a scalar.</param>
    /// <exception cref="ArgumentException">The name is empty or a size is negative.</exception>
    /// <example><code>var x = Expression.Variable("x"); var W = Expression.Variable("W", 3, 4);</code></example>
    public static Expression Variable(string name, params int[] shape)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("a variable needs a non-empty name", nameof(name));
        if (shape.Any(d => d < 0))
            throw new ArgumentException($"sizes must be non-negative, got [{string.Join(", ", shape)}]", nameof(shape));
        return new Expression(ExprModule.var(name, shape));
    }

    /// <summary>A scalar constant.</summary>
    /// <example><code>var two = Expression.Constant(2.0);</code></example>
    public static Expression Constant(double value) => new(ExprModule.scalar(value));

    /// <summary>A constant tensor.</summary>
    /// <example><code>var c = Expression.Constant(new NdArray(new[] { 1.0, 2.0 }, 2));</code></example>
    public static Expression Constant(NdArray value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(ExprModule.constant(value.ToTensor()));
    }

    /// <summary>Sizes per axis (empty for a scalar).</summary>
    /// <example><code>Console.WriteLine(Expression.Variable("W", 3, 4).Shape.Count); // 2</code></example>
    public IReadOnlyList<int> Shape => Array.AsReadOnly(Node.Shape);

    /// <summary>Parses scalar infix text: numbers, variables, + - * / ^, unary minus, parentheses
    /// and the functions sin cos tan exp log sqrt tanh abs. ^ is right-associative and binds
    /// tighter than unary minus.</summary>
    /// <exception cref="FormatException">The text is not an expression; the message gives the position.</exception>
    /// <example><code>var e = Expression.Parse("x^2 + sin(y)");</code></example>
    public static Expression Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TryParse(text, out var e, out var error)) return e;
        throw new FormatException(error);
    }

    /// <summary>Parses infix text; false (with no exception) when it is not an expression.</summary>
    /// <example><code>if (Expression.TryParse("x*(y+1)", out var e)) Console.WriteLine(e);</code></example>
    public static bool TryParse(string text, out Expression expression) => TryParse(text, out expression, out _);

    /// <summary>Parses infix text; on failure <paramref name="error"/> says where and what was expected.</summary>
    /// <example><code>if (!Expression.TryParse("x*(y+1", out _, out var why)) Console.WriteLine(why);</code></example>
    public static bool TryParse(string text, out Expression expression, out string error)
    {
        var result = global::ScratchML.Parse.tryExpr(text ?? "");
        if (result.IsOk)
        {
            expression = new Expression(result.ResultValue);
            error = "";
            return true;
        }
        expression = null!;
        error = result.ErrorValue.Message;
        return false;
    }

    /// <summary>Sum (broadcasting).</summary>
    public static Expression operator +(Expression a, Expression b) => new(a.Node + b.Node);
    /// <summary>Difference (broadcasting).</summary>
    public static Expression operator -(Expression a, Expression b) => new(a.Node - b.Node);
    /// <summary>Elementwise product (broadcasting).</summary>
    public static Expression operator *(Expression a, Expression b) => new(a.Node * b.Node);
    /// <summary>Elementwise quotient (broadcasting).</summary>
    public static Expression operator /(Expression a, Expression b) => new(a.Node / b.Node);
    /// <summary>Negation.</summary>
    public static Expression operator -(Expression a) => new(-a.Node);
    /// <summary>A constant is an expression.</summary>
    public static implicit operator Expression(double value) => Constant(value);

    /// <summary>Named twin of <c>+</c>.</summary>
    /// <example><code>var s = x.Add(y);</code></example>
    public Expression Add(Expression other) => this + other;
    /// <summary>Named twin of binary <c>-</c>.</summary>
    public Expression Subtract(Expression other) => this - other;
    /// <summary>Named twin of <c>*</c>.</summary>
    public Expression Multiply(Expression other) => this * other;
    /// <summary>Named twin of <c>/</c>.</summary>
    public Expression Divide(Expression other) => this / other;
    /// <summary>Named twin of unary <c>-</c>.</summary>
    public Expression Negate() => -this;
    /// <summary>this ^ exponent.</summary>
    /// <example><code>var sq = x.Pow(2);</code></example>
    public Expression Pow(Expression exponent) => new(ExprModule.pow(Node, exponent.Node));
    /// <summary>eˣ.</summary>
    public Expression Exp() => new(ExprModule.exp(Node));
    /// <summary>Natural logarithm.</summary>
    public Expression Log() => new(ExprModule.log(Node));
    /// <summary>Square root.</summary>
    public Expression Sqrt() => new(ExprModule.sqrt(Node));
    /// <summary>Absolute value.</summary>
    public Expression Abs() => new(ExprModule.abs(Node));
    /// <summary>Sine.</summary>
    public Expression Sin() => new(ExprModule.sin(Node));
    /// <summary>Cosine.</summary>
    public Expression Cos() => new(ExprModule.cos(Node));
    /// <summary>Tangent.</summary>
    public Expression Tan() => new(ExprModule.tan(Node));
    /// <summary>Hyperbolic tangent.</summary>
    /// <example><code>var t = x.Tanh();</code></example>
    public Expression Tanh() => new(ExprModule.tanh(Node));
    /// <summary>Logistic sigmoid 1/(1+e⁻ˣ), computed stably.</summary>
    public Expression Sigmoid() => new(ExprModule.sigmoid(Node));
    /// <summary>max(x, 0), with derivative 0 at 0.</summary>
    public Expression Relu() => new(ExprModule.relu(Node));
    /// <summary>Sum of all elements (a scalar).</summary>
    public Expression Sum() => new(ExprModule.sumAll(Node));
    /// <summary>Matrix product (2-d, batched, broadcast leading axes).</summary>
    /// <example><code>var y = Expression.Variable("x", 4, 3).MatMul(Expression.Variable("W", 3, 2));</code></example>
    public Expression MatMul(Expression other) => new(ExprModule.matmul(Node, other.Node));

    /// <summary>The derivative of this scalar expression with respect to one variable, derived
    /// symbolically by reverse mode (the raw chain rule; call <see cref="Simplify"/> to tidy it).</summary>
    /// <exception cref="ArgumentException">This expression is not a scalar.</exception>
    /// <example><code>var dy = x.Pow(3).Gradient(x).Simplify(); // 3*x^2</code></example>
    public Expression Gradient(Expression wrt) => Gradient(new[] { wrt })[0];

    /// <summary>Derivatives of this scalar expression with respect to several variables.</summary>
    /// <exception cref="ArgumentException">This expression is not a scalar, or no variable is given.</exception>
    /// <example><code>var g = (x * y).Gradient(x, y); // [y, x]</code></example>
    public IReadOnlyList<Expression> Gradient(params Expression[] wrt)
    {
        ArgumentNullException.ThrowIfNull(wrt);
        if (wrt.Length == 0) throw new ArgumentException("name at least one variable", nameof(wrt));
        if (Node.Shape.Length != 0)
            throw new ArgumentException($"the gradient needs a scalar expression; this one has shape [{string.Join(", ", Node.Shape)}]", nameof(wrt));
        var grads = Grad.grad(Node, ListModule.OfSeq(wrt.Select(w => w.Node)));
        return grads.Select(g => new Expression(g)).ToList().AsReadOnly();
    }

    /// <summary>Rewrites with the library's named algebraic rules to a fixpoint; never changes a value.</summary>
    /// <example><code>Console.WriteLine((x * 1.0 + 0.0).Simplify()); // x</code></example>
    public Expression Simplify() => new(global::ScratchML.Simplify.run(Node));

    /// <summary>Simplifies and reports which named rules fired, in order.</summary>
    /// <example><code>var s = e.Gradient(x).SimplifyWithSteps(); Console.WriteLine(string.Join(", ", s.RulesFired));</code></example>
    public Simplification SimplifyWithSteps()
    {
        var trace = global::ScratchML.Simplify.trace(Node);
        var fired = trace.Fired.Select(f => f.Item2 == 1 ? f.Item1 : $"{f.Item1} ×{f.Item2}").ToList();
        return new Simplification(new Expression(trace.Result), fired.AsReadOnly());
    }

    /// <summary>The number of distinct nodes of the graph (shared sub-expressions count once).</summary>
    public int NodeCount => Order.topological(ListModule.OfSeq(new[] { Node })).Length;

    /// <summary>Infix text that <see cref="Parse"/> reads back (for scalar expressions).</summary>
    public override string ToString() => Print.infix(Node);
    /// <summary>LaTeX source of the expression.</summary>
    /// <example><code>Console.WriteLine(x.Tanh().ToLatex()); // \tanh\left(x\right)</code></example>
    public string ToLatex() => Print.latex(Node);
    /// <summary>A Graphviz digraph with one node per shared sub-expression.</summary>
    public string ToDot() => Print.dot(Node);
    /// <summary>One <c>let</c> per shared node in evaluation order; the last line is the result.</summary>
    public string ToListing() => Print.listing(Node);

    /// <summary>Evaluates a scalar expression at scalar variable values.</summary>
    /// <exception cref="ArgumentException">A variable has no value, or the expression is not a scalar.</exception>
    /// <example><code>double v = Expression.Parse("x^2 + y").Evaluate(new Dictionary&lt;string, double&gt; { ["x"] = 3, ["y"] = 1 }); // 10</code></example>
    public double Evaluate(IReadOnlyDictionary<string, double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (Node.Shape.Length != 0)
            throw new ArgumentException($"Evaluate(double values) needs a scalar expression; this one has shape [{string.Join(", ", Node.Shape)}]; use the NdArray overload", nameof(values));
        var env = values.ToDictionary(kv => kv.Key, kv => new NdArray(new[] { kv.Value }));
        return Evaluate(env).Data[0];
    }

    /// <summary>Evaluates a tensor expression at tensor variable values (float64).</summary>
    /// <exception cref="ArgumentException">A variable has no value or a value of the wrong shape.</exception>
    /// <example><code>NdArray y = e.Evaluate(new Dictionary&lt;string, NdArray&gt; { ["x"] = new NdArray(new[] { 1.0, 2.0 }, 2) });</code></example>
    public NdArray Evaluate(IReadOnlyDictionary<string, NdArray> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var env = MapModule.OfSeq(values.Select(kv => Tuple.Create(kv.Key, kv.Value.ToTensor())));
        try
        {
            return NdArray.FromTensor(Eval.run(env, Node));
        }
        catch (ArgumentException e)
        {
            // the interpreter names its own parameter; name the caller's instead
            var message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "");
            throw new ArgumentException(message, nameof(values), e);
        }
    }

    /// <summary>Expressions are equal when they are the same graph (nodes are shared, so this is structural).</summary>
    public bool Equals(Expression? other) => other is not null && other.Node.Id == Node.Id;
    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Expression);
    /// <inheritdoc/>
    public override int GetHashCode() => Node.Id;
}
