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
                let items =
                    [ for i in 0 .. shape[axis] - 1 -> nested (axis + 1) (offset + i * stride) ]
                "[" + String.Join(", ", items) + "]"
        nested 0 0
    | None -> "tensor[" + String.Join(", ", shape) + "]"

/// How each layout splits into text and sub-layouts.
let private pieces (layout: Layout) : Layout.Piece list =
    let t s = Layout.Piece.Text s
    let sub l = Layout.Piece.Sub l
    let commaSeparated (items: Layout.Piece list list) =
        items |> List.mapi (fun i item -> if i = 0 then item else t ", " :: item) |> List.concat
    match layout with
    | Layout.Number c -> [ t (Layout.number c) ]
    | Layout.Name n -> [ t n ]
    | Layout.Tensor (shape, values) -> [ t (tensorText shape values) ]
    | Layout.Group l -> [ t "("; sub l; t ")" ]
    | Layout.Binary (op, a, b) -> [ sub a; t (symbol op); sub b ]
    | Layout.Negate a -> [ t "-"; sub a ]
    | Layout.Call (name, args, options) ->
        let options = options |> List.map (fun (k, v) -> [ t (k + "=" + v) ])
        let parts = (args |> List.map (fun a -> [ sub a ])) @ options
        [ t (name + "(") ] @ commaSeparated parts @ [ t ")" ]
    | Layout.Transpose a -> [ sub a; t ".T" ]
    | Layout.Index (a, specs) -> [ sub a; t ("[" + specs + "]") ]

/// The text of a layout.
let render (layout: Layout) : string = Layout.render pieces layout

/// e as one line of infix text.
let ofExpr (e: Expr) = render (Layout.ofExpr e)
