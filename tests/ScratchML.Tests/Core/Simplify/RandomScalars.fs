/// Random scalar expressions (DAGs with shared and repeated sub-expressions) over x, y, z, and a
/// scalar evaluator, for the property tests of Simplify, Print and Parse.
module ScratchML.Tests.Core.RandomScalars

open System
open System.Collections.Generic
open ScratchML

let x, y, z = Expr.scalarVar "x", Expr.scalarVar "y", Expr.scalarVar "z"

/// Constants that exercise printing (0.1, 2.5e-3, 1e20 round-trip) and the 0/1 rules.
let constants = [| 0.0; 1.0; 2.0; 0.5; -1.0; 3.0; 0.1; 2.5e-3; -4.0; 1e20 |]

/// A DAG of `size` nodes from seed: each new node applies a random op to earlier nodes, biased
/// towards recent ones and reusing them, so x − x, a·b + a·c, log(exp u)… occur often.
let expr (seed: int) (size: int) : Expr =
    let r = SplitMix64 seed
    let pool = ResizeArray<Expr>([ x; y; z ])
    let pick () =
        if r.Below 5 = 0 then Expr.scalar constants[r.Below constants.Length]
        else pool[max 0 (pool.Count - 1 - r.Below (min pool.Count 4))]
    let unary =
        [| Expr.neg; Expr.exp; Expr.log; Expr.sin; Expr.cos; Expr.tanh; Expr.sqrt; Expr.abs; Expr.sigmoid |]
    for _ in 1 .. size do
        let a, b = pick (), pick ()
        let e =
            match r.Below 12 with
            | 0 | 1 -> a + b
            | 2 -> a - b
            | 3 | 4 -> a * b
            | 5 -> a / b
            | 6 -> Expr.Pow(a, float (r.Below 4) - 1.0)          // a^-1 … a^2
            | 7 -> Expr.Pow(Expr.exp a, b)                        // a positive base
            | 8 -> a * a
            | 9 -> Expr.log (Expr.exp a)
            | _ -> unary[r.Below unary.Length] a
        pool.Add e
    pool[pool.Count - 1]

/// The value of a scalar expression at a point, every node once.
let eval (env: Map<string, float>) (root: Expr) : float =
    let memo = Dictionary<int, float>()
    let rec go (e: Expr) =
        match memo.TryGetValue e.Id with
        | true, v -> v
        | _ ->
            let v =
                match e with
                | Var n -> env[n]
                | Facts.Number c -> c
                | Apply (op, args) -> (Fold.elementwise op (List.map go args)).Value
                | _ -> failwith $"not a scalar expression: {e}"
            memo[e.Id] <- v
            v
    go root

/// Every node's value: the original is only compared where none of them overflowed.
let values (env: Map<string, float>) (root: Expr) : float list =
    let seen = HashSet<int>()
    let rec nodes (e: Expr) =
        if seen.Add e.Id then
            e :: (match e with Apply (_, args) -> List.collect nodes args | _ -> [])
        else []
    nodes root |> List.map (eval env)

/// Nodes of the DAG.
let size (root: Expr) =
    let seen = HashSet<int>()
    let rec go (e: Expr) = if seen.Add e.Id then (match e with Apply (_, args) -> List.iter go args | _ -> ())
    go root
    seen.Count

/// A point (x, y, z) in [−2, 2]³ from a seed.
let point (seed: int) =
    let r = SplitMix64 (seed + 1000)
    Map [ for n in [ "x"; "y"; "z" ] -> n, 4.0 * r.Uniform() - 2.0 ]
