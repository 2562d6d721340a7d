/// Infix text in the parser's syntax: `exp(-x)/(1 + exp(-x))^2`. Scalar expressions read back
/// with Parse.expr into the same graph; tensor ops print readably (x @ W, sum(x, axis=1), x.T).
/// Layer: Print. Read next: Latex.fs.
[<RequireQualifiedAccess>]
module ScratchML.Infix

open System

let private symbol (op: Operator) =
    match op with
    | Operator.Plus -> " + "
    | Operator.Minus -> " - "
    | Operator.Times -> "*"
    | Operator.Divide -> "/"
    | Operator.MatMul -> " @ "
    | Operator.Power -> "^"

/// [[1, 2], [3, 4]] for small constant tensors, tensor[2, 50] for the others.
let tensorText (shape: int[]) (values: float[] option) =
    match values with
    | Some v ->
        let rec nested (axis: int) (offset: int) =
            if axis = shape.Length then Layout.number v[offset]
            else
                let stride = Array.fold (*) 1 shape[axis + 1 ..]
                "[" + String.Join(", ", [ for i in 0 .. shape[axis] - 1 -> nested (axis + 1) (offset + i * stride) ]) + "]"
        nested 0 0
    | None -> "tensor[" + String.Join(", ", shape) + "]"

/// The text of a layout.
let rec render (layout: Layout) : string =
    match layout with
    | Layout.Number c -> Layout.number c
    | Layout.Name n -> n
    | Layout.Tensor (shape, values) -> tensorText shape values
    | Layout.Group l -> "(" + render l + ")"
    | Layout.Binary (op, a, b) -> render a + symbol op + render b
    | Layout.Negate a -> "-" + render a
    | Layout.Call (name, args, options) ->
        let parts = (args |> List.map render) @ (options |> List.map (fun (k, v) -> k + "=" + v))
        name + "(" + String.Join(", ", parts) + ")"
    | Layout.Transpose a -> render a + ".T"
    | Layout.Index (a, specs) -> render a + "[" + specs + "]"

/// e as one line of infix text.
let ofExpr (e: Expr) = render (Layout.ofExpr e)
