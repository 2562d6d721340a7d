/// Graphviz `dot` for the DAG: one node per shared node, edges from arguments to their users.
/// Layer: Print. Read next: Listing.fs.
[<RequireQualifiedAccess>]
module ScratchML.Dot

open System.Text

let private quote (s: string) = "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\""

/// What a node shows: the variable's name, the constant's value, the op's printed name; with
/// the shape when it is not a scalar.
let private label (e: Expr) =
    let text =
        match e.Node with
        | Node.Var n -> n
        | Node.Const _ ->
            match Layout.shallow e with
            | Layout.Number c -> Layout.number c
            | l -> Infix.render l
        | Node.Apply (Op.Permute [ 1; 0 ], _) -> ".T"
        | Node.Apply (Op.Slice _, _) as n ->
            match Layout.shallow e with
            | Layout.Index (_, specs) -> "[" + specs + "]"
            | _ -> string n
        | Node.Apply _ ->
            match Layout.shallow e with
            | Layout.Call (name, _, options) ->
                name + (options |> List.map (fun (k, v) -> $" {k}={v}") |> String.concat "")
            | Layout.Binary (op, _, _) ->
                match op with
                | Operator.Plus -> "+" | Operator.Minus -> "-" | Operator.Times -> "*"
                | Operator.Divide -> "/" | Operator.MatMul -> "@" | Operator.Power -> "^"
            | Layout.Negate _ -> "neg"
            | l -> Infix.render l
    if e.Rank = 0 then text else text + "\n" + Shape.show e.Shape

/// The graph in the dot language: `dot -Tsvg` draws it. Edges of ops with several arguments are
/// numbered (0 = first), so a − b and b − a look different.
let ofExpr (root: Expr) =
    let nodes, _ = Layout.walk root
    let text = StringBuilder()
    let line (s: string) = text.Append("  ").Append(s).Append('\n') |> ignore
    text.Append("digraph expr {\n") |> ignore
    line "rankdir=BT;"
    line "node [fontname=\"Helvetica\"];"
    for e in nodes do
        let shape =
            match e.Node with
            | Node.Var _ -> "ellipse"
            | Node.Const _ -> "plaintext"
            | Node.Apply _ -> "box"
        let extra = if e.Id = root.Id then ", peripheries=2" else ""
        line $"n{e.Id} [label={quote (label e)}, shape={shape}{extra}];"
    for e in nodes do
        match e.Node with
        | Node.Apply (_, [ a ]) -> line $"n{a.Id} -> n{e.Id};"
        | Node.Apply (_, args) ->
            args |> List.iteri (fun i a -> line $"n{a.Id} -> n{e.Id} [label=\"{i}\"];")
        | _ -> ()
    text.Append("}").ToString()
