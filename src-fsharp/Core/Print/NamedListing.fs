/// A listing with the reader's names: the nodes given as (name, node) each get a `let` of their
/// own — a cell's gates i, f, g, o, say — beside the nodes Listing.fs names anyway (shared or
/// large ones, t1, t2, …), in evaluation order; as text or as LaTeX `aligned` equations.
/// Layer: Print, after Listing.fs. Read next: Tree.fs.
[<RequireQualifiedAccess>]
module ScratchML.NamedListing

open System.Collections.Generic

/// (name, layout) per bound node in evaluation order, then the root (with its name if given).
/// A given name for a variable, a constant or a node outside the graph is ignored.
let private bindings (given: (string * Expr) list) (root: Expr) : (string option * Layout) list =
    let chosen = Dictionary<int, string>()
    for name, e in given do chosen[e.Id] <- name
    let nodes, uses = Layout.walk root
    let variable (e: Expr) = match e.Node with Node.Var n -> Some n | _ -> None
    let taken = HashSet<string>(Seq.append (Seq.choose variable nodes) (List.map fst given))
    let names = Dictionary<int, string>()
    let mutable counter = 0
    let fresh () =
        counter <- counter + 1
        while taken.Contains $"t{counter}" do counter <- counter + 1
        $"t{counter}"
    let bound (e: Expr) = match names.TryGetValue e.Id with | true, n -> Some n | _ -> None
    // operations a node prints inline, counting named arguments as one name (as Listing.fs)
    let size = Dictionary<int, int>()
    let lines = ResizeArray<string option * Layout>()
    for e in nodes do
        match e.Node with
        | Node.Apply (_, args) when e.Id <> root.Id ->
            let inline' = 1 + (args |> List.sumBy (fun a ->
                if names.ContainsKey a.Id then 0 else size.GetValueOrDefault(a.Id, 0)))
            size[e.Id] <- inline'
            let name =
                match chosen.TryGetValue e.Id with
                | true, n -> Some n
                | _ when uses e > 1 || inline' > Listing.maxInline -> Some (fresh ())
                | _ -> None
            name |> Option.iter (fun n ->
                lines.Add(Some n, Layout.ofExprWith bound e)
                names[e.Id] <- n)
        | _ -> ()
    let rootName = match chosen.TryGetValue root.Id with | true, n -> Some n | _ -> None
    lines.Add(rootName, Layout.ofExprWith bound root)
    List.ofSeq lines

/// The listing as text: `let name = …` per bound node; the root last, as `let name = …` when
/// it was given a name, else as the bare expression.
let ofExpr (given: (string * Expr) list) (root: Expr) : string =
    bindings given root
    |> List.map (fun (name, layout) ->
        let text = Infix.render layout
        match name with Some n -> $"let {n} = {text}" | None -> text)
    |> String.concat "\n"

/// The listing as LaTeX equations, aligned at the equals signs:
/// `\begin{aligned} i &= \sigma\left(…\right) \\ … \end{aligned}` (an unnamed root: `&= …`).
let latex (given: (string * Expr) list) (root: Expr) : string =
    let lines =
        bindings given root
        |> List.map (fun (name, layout) ->
            let left = name |> Option.map Latex.name |> Option.defaultValue ""
            $"{left} &= {Latex.render layout}")
    "\\begin{aligned}\n" + String.concat " \\\\\n" lines + "\n\\end{aligned}"
