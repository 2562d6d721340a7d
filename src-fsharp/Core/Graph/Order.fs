/// Evaluation order of a DAG: every node reachable from some outputs, each once, arguments first.
/// Layer: Graph. Read next: Diff/Cards.fs. Used by the sweep (Grad), the interpreter and compiler.
///
/// Interning gives every node a larger id than its arguments, so sorting the reachable nodes by
/// id is a topological order — and no recursion is needed, so graphs of any depth are safe.
namespace ScratchML

open System.Collections.Generic

/// Reachable nodes in evaluation order.
[<RequireQualifiedAccess>]
module Order =
    /// The nodes reachable from `outputs`, each once, sorted by id (arguments before users): O(N).
    let topological (outputs: Expr list) : Expr[] =
        let seen = HashSet<int>()
        let found = ResizeArray<Expr>()
        let stack = Stack<Expr>(outputs)
        while stack.Count > 0 do
            let e = stack.Pop()
            if seen.Add e.Id then
                found.Add e
                match e.Node with
                | Node.Apply (_, args) ->
                    for a in args do if not (seen.Contains a.Id) then stack.Push a
                | _ -> ()
        found.Sort(fun a b -> compare a.Id b.Id)
        found.ToArray()

    /// How many nodes use each node as an argument (an argument used twice counts twice).
    let useCounts (nodes: Expr[]) =
        let uses = Dictionary<int, int>()
        for e in nodes do
            match e.Node with
            | Node.Apply (_, args) -> for a in args do uses[a.Id] <- uses.GetValueOrDefault(a.Id) + 1
            | _ -> ()
        uses
