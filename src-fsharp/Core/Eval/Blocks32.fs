/// Float32 blocks for the fused passes whose float64 blocks would round to the same bits.
/// Layer: Eval (beside Blocks.fs). Read next: Compile.fs (`fused` picks the path per pass).
///
/// A fused pass computes in float64 and rounds once at the end: 2 conversions per operand per
/// element, and float64 vectors hold half as many lanes. On float32 blocks the same pass is
/// faster, but only some passes give the same bits. Call a register *exact* when it holds a
/// float32 value in both passes (an input, a constant, or an exact op of exact values), and
/// *rounded* when the float32 pass holds round32 of the float64 pass's value. Then:
///   • a + b, a − b, a·b, a/b, √a of exact operands are rounded: the float64 result is
///     round64(exact), and round32(round64(r)) = round32(r) because 53 ≥ 2·24 + 2 (double
///     rounding is innocuous: Figueroa, "When is double rounding innocuous?", 1995);
///   • −a, |a| keep their operand's kind (rounding is symmetric: round(−r) = −round(r));
///   • relu, max, min keep the "worst" kind: rounding is monotone and fixes every float32 value
///     (0 included), so round(max(r, s)) = max(round r, round s);
///   • comparisons, step, sign and where's condition need exact operands: 1 + 2⁻³⁰ > 1, but
///     round32(1 + 2⁻³⁰) = 1;
///   • any other op (exp, log, tanh, σ, pow, …) or an arithmetic op of a rounded operand
///     (round(round(x)·y) ≠ round(x·y)) keeps the pass in float64.
/// The last register is stored either way, so a pass whose steps all pass these rules gives the
/// float64 pass's bits (NaN payloads aside: a signalling NaN comes out of the float64 pass
/// quietened; tests hold the two paths equal bit for bit over random, subnormal, infinite, NaN
/// and signed-zero inputs).
namespace ScratchML

open System
open System.Numerics

/// Fused passes on float32 blocks, for the passes `roundsLikeFloat64` admits.
module internal Blocks32 =
    type private Primitives = System.Numerics.Tensors.TensorPrimitives

    /// What a register holds in the float32 pass, relative to the float64 pass (see above).
    type private Kind =
        | Exact
        | Rounded

    /// The kind of each step's result, None as soon as a step would round differently.
    let private kindOf (op: Op) (args: Kind[]) =
        let allExact = args |> Array.forall ((=) Exact)
        let worst = if allExact then Exact else Rounded
        match op with
        | Op.Add | Op.Sub | Op.Mul | Op.Div | Op.Sqrt -> if allExact then Some Rounded else None
        | Op.Neg | Op.Abs | Op.Relu | Op.Maximum | Op.Minimum -> Some worst
        | Op.Step | Op.Sign | Op.Gt | Op.Ge | Op.Lt | Op.Le | Op.Eq ->
            if allExact then Some Exact else None
        | Op.Where when args[0] = Exact ->   // the condition exact; the result is a or b
            Some (if Array.forall ((=) Exact) args[1..] then Exact else Rounded)
        | _ -> None

    /// Do the steps of a fused pass (over `registers` registers), run on float32 blocks, give
    /// the bits of the float64 pass rounded once at the end? (The rules above, step by step.)
    let roundsLikeFloat64 (steps: Micro[]) (registers: int) =
        let kinds = Array.create registers Exact
        steps |> Array.forall (fun step ->
            let args = step.Args |> Array.map (fun c -> if c < 0 then Exact else kinds[c])
            match kindOf step.Op args with
            | Some kind -> kinds[step.Dest] <- kind; true
            | None -> false)

    // inline with the lambda inlined, as in Blocks
    let inline private unary ([<InlineIfLambda>] f: float32 -> float32) (x: ReadOnlySpan<float32>)
                             (d: Span<float32>) =
        for i in 0 .. d.Length - 1 do d[i] <- f x[i]
    let inline private binary ([<InlineIfLambda>] f: float32 -> float32 -> float32)
                              (a: ReadOnlySpan<float32>) (b: ReadOnlySpan<float32>)
                              (d: Span<float32>) =
        for i in 0 .. d.Length - 1 do d[i] <- f a[i] b[i]

    /// d = step x = (x > 0 ? 1 : 0) by vector compare-and-select (as Blocks.step).
    let private step (x: ReadOnlySpan<float32>) (d: Span<float32>) =
        let width = Vector<float32>.Count
        let one, zero = Vector<float32>.One, Vector<float32>.Zero
        let mutable i = 0
        while i + width <= d.Length do
            let v = Vector<float32>(x.Slice i)
            Vector.ConditionalSelect(Vector.GreaterThan(v, zero), one, zero).CopyTo(d.Slice i)
            i <- i + width
        for j in i .. d.Length - 1 do d[j] <- if x[j] > 0.0f then 1.0f else 0.0f

    /// d = op(x, y, z) over d's elements, for the ops `roundsLikeFloat64` admits (the same
    /// formulas as Blocks.apply, in float32); operands past the op's arity are empty. Spans, so
    /// a pass reads a dense input where it lies and writes its last step into the output: every
    /// op here is correctly rounded, so an element's bits do not depend on where a span lies.
    let apply (op: Op) (x: ReadOnlySpan<float32>) (y: ReadOnlySpan<float32>)
              (z: ReadOnlySpan<float32>) (d: Span<float32>) =
        match op with
        | Op.Neg -> Primitives.Negate(x, d)
        | Op.Sqrt -> Primitives.Sqrt(x, d)
        | Op.Abs -> Primitives.Abs(x, d)
        | Op.Relu -> Primitives.Max(x, 0.0f, d)
        | Op.Step -> step x d
        | Op.Sign -> unary (fun v -> if v > 0.0f then 1.0f elif v < 0.0f then -1.0f else v) x d
        | Op.Add -> Primitives.Add(x, y, d)
        | Op.Sub -> Primitives.Subtract(x, y, d)
        | Op.Mul -> Primitives.Multiply(x, y, d)
        | Op.Div -> Primitives.Divide(x, y, d)
        | Op.Maximum -> Primitives.Max(x, y, d)
        | Op.Minimum -> Primitives.Min(x, y, d)
        | Op.Gt -> binary (fun a b -> if a > b then 1.0f else 0.0f) x y d
        | Op.Ge -> binary (fun a b -> if a >= b then 1.0f else 0.0f) x y d
        | Op.Lt -> binary (fun a b -> if a < b then 1.0f else 0.0f) x y d
        | Op.Le -> binary (fun a b -> if a <= b then 1.0f else 0.0f) x y d
        | Op.Eq -> binary (fun a b -> if a = b then 1.0f else 0.0f) x y d
        | Op.Where -> for i in 0 .. d.Length - 1 do d[i] <- if x[i] <> 0.0f then y[i] else z[i]
        | _ -> invalidOp $"Blocks32: %A{op} does not round like float64"

    /// Elements [start, start+n) of a float32 t broadcast to `shape` (row-major) into d.
    let load (t: Tensor) (shape: int[]) (start: int) (n: int) (d: float32[]) =
        match t.Storage with
        | Storage.F32 a when t.Numel = 1 -> Array.Fill(d, a[t.Offset], 0, n)
        | Storage.F32 a when t.Shape = shape && Blocks.isDense t ->
            Array.Copy(a, t.Offset + start, d, 0, n)
        | Storage.F32 a ->
            Blocks.runs t shape start n (fun pos i len step ->
                if step = 0 then Array.Fill(d, a[pos], i, len)
                elif step = 1 then Array.Copy(a, pos, d, i, len)
                else for j in 0 .. len - 1 do d[i + j] <- a[pos + j * step])
        | Storage.F64 _ -> invalidOp "Blocks32.load: a float64 input"
