/// The structure of an expression as an indented tree: one node per line, arguments indented.
/// Layer: Print. Read next: Print.fs.
///
/// A node used more than once is expanded at its first appearance, marked `#k`, and later
/// appearances print only `#k`: the tree stays as long as the DAG, not its tree expansion.
[<RequireQualifiedAccess>]
module ScratchML.Tree

open System.Collections.Generic
open System.Text

/// Levels of indentation before the tree prints the depth as a number.
let maxIndent = 40

/// The indented tree of e, two spaces per level.
let ofExpr (root: Expr) =
    let _, uses = Layout.walk root
    let marks = Dictionary<int, int>()
    let text = StringBuilder()
    let head (e: Expr) =
        let label =
            match Layout.shallow e with
            | Layout.Number c -> Layout.number c
            | Layout.Name n -> n
            | Layout.Tensor (shape, values) -> Infix.tensorText shape values
            | Layout.Call (name, _, options) ->
                name + (options |> List.map (fun (k, v) -> $" {k}={v}") |> String.concat "")
            | Layout.Binary (op, _, _) ->
                match op with
                | Operator.Plus -> "+" | Operator.Minus -> "-" | Operator.Times -> "*"
                | Operator.Divide -> "/" | Operator.MatMul -> "@" | Operator.Power -> "^"
            | Layout.Negate _ -> "neg"
            | Layout.Transpose _ -> ".T"
            | Layout.Index (_, specs) -> "[" + specs + "]"
            | Layout.Group _ -> "()"
        if e.Rank = 0 then label else label + " " + Shape.show e.Shape
    // explicit stack: deep chains must not overflow the call stack
    let stack = Stack<Expr * int>([ root, 0 ])
    while stack.Count > 0 do
        let e, depth = stack.Pop()
        // past 40 levels the indentation stops growing and the level is printed instead, so a
        // chain of N nodes prints in O(N) characters, not O(N²)
        let indent =
            if depth <= maxIndent then String.replicate depth "  "
            else String.replicate maxIndent "  " + $"[{depth}] "
        match marks.TryGetValue e.Id with
        | true, k -> text.Append(indent).Append($"#{k}\n") |> ignore
        | _ ->
            let mark =
                match e.Node with
                | Node.Apply _ when uses e > 1 ->
                    let k = marks.Count + 1
                    marks[e.Id] <- k
                    $" #{k}"
                | _ -> ""
            text.Append(indent).Append(head e).Append(mark).Append('\n') |> ignore
            match e.Node with
            | Node.Apply (_, args) -> for a in List.rev args do stack.Push(a, depth + 1)
            | _ -> ()
    text.ToString().TrimEnd('\n')
