/// What the rules may assume about a node: is it a constant filled with one value (of any shape),
/// is it known to be positive, non-negative or non-zero. Layer: Simplify (above Graph).
/// Read next: Fold.fs (constant folding), then Rules.fs.
///
/// The analyses are conservative: "unknown" is always a safe answer, so a rule guarded by
/// `positive x` never fires on an x that could be ≤ 0 (exp(log x) → x would turn NaN into x).
module ScratchML.Facts

open System
open System.Collections.Concurrent

/// A node filled with one value: `fill [2; 3] 0.0` is broadcastTo([2; 3], 0), a scalar stays a
/// scalar. Zeros of a large shape therefore cost one number, not a tensor.
let fill (shape: int[]) (c: float) =
    let s = Expr.scalar c
    if shape.Length = 0 then s else Expr.broadcastTo shape s

// A constant's elements are checked once per node, not once per rule that asks.
let private uniformCache = ConcurrentDictionary<int, float voption>()

/// c when every element of the node equals c: a constant, or broadcastTo(shape, c).
let uniform (e: Expr) : float voption =
    match e.Node with
    | Node.Const t when t.Rank = 0 -> ValueSome (TensorData.at 0 t)
    | Node.Const t ->
        uniformCache.GetOrAdd(e.Id, fun _ ->
            if t.Numel = 0 then ValueNone
            else
                let bits i = BitConverter.DoubleToInt64Bits(TensorData.at i t)
                let first = bits 0
                let mutable same = true
                let mutable i = 1
                while same && i < t.Numel do
                    // bit equality: 0.0 and −0.0 differ, NaN equals itself
                    same <- bits i = first
                    i <- i + 1
                if same then ValueSome (TensorData.at 0 t) else ValueNone)
    | Node.Apply (Op.BroadcastTo _, [ a ]) ->
        match a.Node with
        | Node.Const t when t.Rank = 0 -> ValueSome (TensorData.at 0 t)
        | _ -> ValueNone
    | _ -> ValueNone

/// A node filled with the value c, of any shape (a constant or broadcastTo of a scalar).
let (|Uniform|_|) (e: Expr) = match uniform e with ValueSome c -> Some c | ValueNone -> None
/// Zeros of any shape.
let (|Zeros|_|) (e: Expr) = match uniform e with ValueSome 0.0 -> Some () | _ -> None
/// Ones of any shape.
let (|Ones|_|) (e: Expr) = match uniform e with ValueSome 1.0 -> Some () | _ -> None
/// A rank-0 constant c: a coefficient that never changes the shape of what it multiplies.
let (|Number|_|) (e: Expr) =
    match e.Node with
    | Node.Const t when t.Rank = 0 -> Some (TensorData.at 0 t)
    | _ -> None
/// A constant tensor (any shape, any values).
let (|Constant|_|) (e: Expr) = match e.Node with Node.Const t -> Some t | _ -> None

/// Whole numbers: x^n for integer n is defined for every real x.
let isInteger (c: float) = Double.IsFinite c && Math.Floor c = c

// The analyses look a few levels deep only: enough for exp(·), sqrt(·) + 1, x² + 1 …, and never
// quadratic on a long chain.
let private depthLimit = 6

/// Known, for every value of the variables, to be > 0 (mathematically: exp of a very negative
/// number underflows to 0, which the rules accept, as any computer algebra system does).
let rec private positiveAt depth (e: Expr) =
    depth > 0 &&
    match e with
    | Uniform c -> c > 0.0
    | Apply (Op.Exp, _) | Apply (Op.Sigmoid, _) | Apply (Op.Softplus, _) -> true
    | Apply ((Op.Add | Op.Maximum), [ a; b ]) ->
        (positiveAt (depth - 1) a && nonNegativeAt (depth - 1) b)
        || (nonNegativeAt (depth - 1) a && positiveAt (depth - 1) b)
    | Apply ((Op.Mul | Op.Div | Op.Minimum), [ a; b ]) ->
        positiveAt (depth - 1) a && positiveAt (depth - 1) b
    | Apply ((Op.Sqrt | Op.Tanh | Op.Sum _ | Op.Max _ | Op.Min _ | Op.Reshape _ | Op.Permute _
             | Op.BroadcastTo _ | Op.SumTo _), [ a ]) -> positiveAt (depth - 1) a
    | Apply (Op.Pow, [ a; _ ]) -> positiveAt (depth - 1) a
    | _ -> false

/// Known to be ≥ 0 for every value of the variables.
and private nonNegativeAt depth (e: Expr) =
    depth > 0 &&
    match e with
    | Uniform c -> c >= 0.0
    | Apply ((Op.Abs | Op.Relu | Op.Step | Op.Sqrt), _) -> true
    | Apply (Op.Pow, [ a; Uniform n ]) when isInteger n && n % 2.0 = 0.0 -> true  // even power
    | Apply (Op.Pow, [ a; _ ]) -> nonNegativeAt (depth - 1) a
    | Apply ((Op.Add | Op.Mul | Op.Div | Op.Maximum | Op.Minimum), [ a; b ]) ->
        nonNegativeAt (depth - 1) a && nonNegativeAt (depth - 1) b
    | Apply ((Op.Sum _ | Op.Max _ | Op.Min _ | Op.Reshape _ | Op.Permute _ | Op.BroadcastTo _
             | Op.SumTo _ | Op.Tanh), [ a ]) -> nonNegativeAt (depth - 1) a
    | _ -> positiveAt depth e

/// Known to be > 0 everywhere (guards exp(log x) → x).
let positive (e: Expr) = positiveAt depthLimit e
/// Known to be ≥ 0 everywhere.
let nonNegative (e: Expr) = nonNegativeAt depthLimit e

/// Known to be ≠ 0 everywhere (guards x/x → 1 and 0/x → 0).
let nonZero (e: Expr) =
    let rec at depth (e: Expr) =
        depth > 0 &&
        match e with
        | Uniform c -> c <> 0.0 && not (Double.IsNaN c)
        | Apply (Op.Neg, [ a ]) -> at (depth - 1) a
        | Apply (Op.Mul, [ a; b ]) | Apply (Op.Div, [ a; b ]) ->
            at (depth - 1) a && at (depth - 1) b
        | _ -> positiveAt depth e
    at depthLimit e
