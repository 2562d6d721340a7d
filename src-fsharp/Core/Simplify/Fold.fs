/// Constant folding: an op whose arguments are all constants becomes the constant it computes.
/// Layer: Simplify. Read next: Rules.fs (the named rewrites, "fold" among them).
///
/// Filled constants (every element one value c, e.g. the scalar 2 or zeros of [3; 4]) fold to a
/// filled constant of the result's shape — broadcasting kept — without touching a tensor.
/// A value is folded only when it reads well (finite, at most 10 characters): 2·3 becomes 6 and
/// 1/4 becomes 0.25, but 1/3 and log(2) stay exact symbols, as a computer algebra system keeps them.
[<RequireQualifiedAccess>]
module ScratchML.Fold

open System
open System.Globalization

/// The value of an elementwise op on numbers, as the tensor kernels define it.
let elementwise (op: Op) (xs: float list) : float option =
    match op, xs with
    | Op.Neg, [ x ] -> Some (-x)
    | Op.Exp, [ x ] -> Some (Math.Exp x)
    | Op.Log, [ x ] -> Some (Math.Log x)
    | Op.Sqrt, [ x ] -> Some (Math.Sqrt x)
    | Op.Abs, [ x ] -> Some (Math.Abs x)
    | Op.Sin, [ x ] -> Some (Math.Sin x)
    | Op.Cos, [ x ] -> Some (Math.Cos x)
    | Op.Tan, [ x ] -> Some (Math.Tan x)
    | Op.Tanh, [ x ] -> Some (Math.Tanh x)
    | Op.Sigmoid, [ x ] -> Some (1.0 / (1.0 + Math.Exp -x))
    | Op.Softplus, [ x ] -> Some (Math.Max(x, 0.0) + Math.Log(1.0 + Math.Exp(-(Math.Abs x))))
    | Op.Relu, [ x ] -> Some (if x > 0.0 then x else 0.0)
    | Op.LeakyRelu slope, [ x ] -> Some (if x > 0.0 then x else slope * x)
    | Op.Step, [ x ] -> Some (if x > 0.0 then 1.0 else 0.0)
    | Op.Sign, [ x ] -> Some (if Double.IsNaN x then x else float (Math.Sign x))
    | Op.Add, [ a; b ] -> Some (a + b)
    | Op.Sub, [ a; b ] -> Some (a - b)
    | Op.Mul, [ a; b ] -> Some (a * b)
    | Op.Div, [ a; b ] -> Some (a / b)
    | Op.Pow, [ a; b ] -> Some (Math.Pow(a, b))
    | Op.Maximum, [ a; b ] -> Some (Math.Max(a, b))
    | Op.Minimum, [ a; b ] -> Some (Math.Min(a, b))
    | Op.Gt, [ a; b ] -> Some (if a > b then 1.0 else 0.0)
    | Op.Ge, [ a; b ] -> Some (if a >= b then 1.0 else 0.0)
    | Op.Lt, [ a; b ] -> Some (if a < b then 1.0 else 0.0)
    | Op.Le, [ a; b ] -> Some (if a <= b then 1.0 else 0.0)
    | Op.Eq, [ a; b ] -> Some (if a = b then 1.0 else 0.0)
    | Op.Where, [ c; a; b ] -> Some (if c <> 0.0 then a else b)
    | _ -> None

/// Finite and short when printed: worth replacing the expression that computes it.
let readable (c: float) =
    Double.IsFinite c && c.ToString("R", CultureInfo.InvariantCulture).Length <= 10

/// Elements reduced into one output element.
let private reducedCount (shape: int[]) (axes: int list) = axes |> List.fold (fun n a -> n * shape[a]) 1

/// The value c of op(filled arguments) when every output element equals c.
let private filledValue (op: Op) (arg: Expr) (values: float list) : float option =
    match op, values with
    | (Op.Reshape _ | Op.Permute _ | Op.BroadcastTo _ | Op.Slice _ | Op.Max _ | Op.Min _), [ c ] -> Some c
    | Op.Sum (axes, _), [ c ] -> Some (c * float (reducedCount arg.Shape axes))
    | Op.SumTo target, [ c ] -> Some (c * float (Shape.numel arg.Shape / Shape.numel (Array.ofList target)))
    | Op.LogSumExp (axes, _), [ c ] -> Some (c + Math.Log(float (reducedCount arg.Shape axes)))
    | Op.LogSoftmax axis, [ _ ] -> Some (-Math.Log(float arg.Shape[axis]))
    | Op.ArgMax _, [ _ ] -> Some 0.0                                  // the first of equal elements
    | Op.Concat _, c :: rest when rest |> List.forall ((=) c) -> Some c
    | (Op.IndexSelect _ | Op.Gather _), [ c; _ ] -> Some c
    | Op.SliceBackward _, [ 0.0 ] -> Some 0.0
    | _ -> elementwise op values

/// op(c₁, …, cₖ) → the filled constant it equals, of the result's shape; None when an argument
/// is not filled, the node is already a filled constant, or the value would not read well.
let filled (e: Expr) : Expr option =
    match e with
    | Apply (Op.BroadcastTo _, [ Number _ ]) -> None                // already the canonical form
    | Apply (op, (first :: _ as args)) ->
        let values = args |> List.map uniform
        if values |> List.forall ValueOption.isSome then
            filledValue op first (values |> List.map ValueOption.get)
            |> Option.filter readable
            |> Option.map (fill e.Shape)
        else None
    | _ -> None
