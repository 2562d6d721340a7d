/// A DAG as a program: one `let` per node worth naming, in evaluation order, the result last.
/// Layer: Print. Read next: Tree.fs.
///
/// A node gets a name when it is used more than once (printing it inline would repeat it and
/// hide the sharing) or when its inline text would hold more than `maxInline` operations.
[<RequireQualifiedAccess>]
module ScratchML.Listing

open System.Collections.Generic

/// Operations an inline sub-expression may hold before it gets a `let` of its own.
let maxInline = 8

/// The listing of e: lines `let t1 = …` then the result, joined by newlines.
let ofExpr (root: Expr) =
    let nodes, uses = Layout.walk root
    let variable (e: Expr) = match e.Node with Node.Var n -> Some n | _ -> None
    let taken = HashSet<string>(Seq.choose variable nodes)
    let names = Dictionary<int, string>()
    let mutable counter = 0
    let fresh () =
        counter <- counter + 1
        while taken.Contains $"t{counter}" do counter <- counter + 1
        $"t{counter}"
    let bound (e: Expr) = match names.TryGetValue e.Id with | true, n -> Some n | _ -> None
    // operations a node prints inline, counting named arguments as one name
    let size = Dictionary<int, int>()
    let lines = ResizeArray<string>()
    for e in nodes do
        match e.Node with
        | Node.Apply (_, args) ->
            let inline' = 1 + (args |> List.sumBy (fun a ->
                if names.ContainsKey a.Id then 0
                else size.GetValueOrDefault(a.Id, 0)))
            size[e.Id] <- inline'
            if e.Id <> root.Id && (uses e > 1 || inline' > maxInline) then
                let name = fresh ()
                lines.Add $"let {name} = {Infix.render (Layout.ofExprWith bound e)}"
                names[e.Id] <- name
        | _ -> ()
    lines.Add(Infix.render (Layout.ofExprWith bound root))
    String.concat "\n" lines
