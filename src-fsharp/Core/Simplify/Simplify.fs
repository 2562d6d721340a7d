/// The simplifier: every node rewritten bottom-up by the rules of Rules.fs until none applies.
/// Layer: Simplify. Read next: Print/Layout.fs (how the result is shown).
///
/// One pass over the DAG in evaluation order (arguments before users), memoised by node id, so a
/// graph of N nodes costs O(N) rule attempts. When a rule fires, its result (a few new nodes over
/// already simplified arguments) is simplified in turn, so the output is a fixpoint: running
/// again changes nothing, node for node.
[<RequireQualifiedAccess>]
module ScratchML.Simplify

open System.Collections.Generic

/// The simplified expression and the rules that fired: (name, times), in order of first firing.
type Trace = { Result: Expr; Fired: (string * int) list }

/// Rewrite with the given rules, recording each firing: the engine behind `run` and `trace`.
let withRules (rules: Rules.Rule list) (record: string -> unit) (root: Expr) : Expr =
    let memo = Dictionary<int, Expr>()
    let nodes = Order.topological [ root ]
    // a guard against a rule cycle, which would be a bug in the rules: fail loudly, not hang
    let mutable fuel = 1000 + 100 * nodes.Length
    let firstRule (e: Expr) =
        rules |> List.tryPick (fun (name, rule) ->
            match rule e with
            | Some r when r.Id <> e.Id && r.Shape = e.Shape -> Some (name, r)
            | _ -> None)
    let rec simplify (e: Expr) : Expr =
        match memo.TryGetValue e.Id with
        | true, r -> r
        | _ ->
            let rebuilt =
                match e.Node with
                | Node.Apply (op, args) ->
                    let args' = List.map simplify args
                    if List.forall2 (fun (a: Expr) (b: Expr) -> a.Id = b.Id) args args' then e
                    else Expr.apply op args'
                | _ -> e
            let result =
                match memo.TryGetValue rebuilt.Id with
                | true, r -> r
                | _ ->
                    match firstRule rebuilt with
                    | Some (name, r) ->
                        fuel <- fuel - 1
                        if fuel < 0 then invalidOp $"Simplify: rules keep rewriting (last: {name})"
                        record name
                        simplify r
                    | None -> rebuilt
            memo[e.Id] <- result
            memo[rebuilt.Id] <- result
            memo[result.Id] <- result
            result
    // arguments first, so the recursion above only ever meets a few new nodes at a time
    for e in nodes do simplify e |> ignore
    memo[root.Id]

/// The expression rewritten by every rule to a fixpoint; its value is unchanged wherever the
/// original is finite. run (run e) = run e.
let run (e: Expr) : Expr = withRules Rules.all ignore e

/// `run`, also returning which rules fired, how often, in order of first firing.
let trace (e: Expr) : Trace =
    let order = ResizeArray<string>()
    let counts = Dictionary<string, int>()
    let record name =
        match counts.TryGetValue name with
        | true, k -> counts[name] <- k + 1
        | _ -> counts[name] <- 1; order.Add name
    let result = withRules Rules.all record e
    { Result = result; Fired = [ for name in order -> name, counts[name] ] }
