/// The reference interpreter: evaluate each node of the DAG once with its card's forward kernel.
/// Layer: Eval (above Diff). Read next: Compile.fs (the same values, planned and fused).
///
/// Slow and obviously correct on purpose: no buffer reuse, no fusion — the compiled program is
/// tested against it. Constants are stored as written (float64) and converted to the dtype of
/// the bound variables, so one graph runs in float32 or float64.
namespace ScratchML

open System.Collections.Generic

/// Evaluate expressions against named tensors.
[<RequireQualifiedAccess>]
module Eval =
    /// The dtype of a run: that of the bound tensors (float64 when none are bound).
    let dtypeOf (env: Map<string, Tensor>) =
        match env |> Seq.map (fun kv -> kv.Value.DType) |> Seq.distinct |> List.ofSeq with
        | [] -> DType.Float64
        | [ d ] -> d
        | _ ->
            let kinds = [ for kv in env -> $"{kv.Key}: {kv.Value.DType}" ] |> String.concat ", "
            invalidArg "env" $"Eval: bound tensors mix dtypes ({kinds})"

    /// The tensor bound to variable `name` of shape `shape`, checked: a clear error names it.
    let lookup (env: Map<string, Tensor>) (name: string) (shape: int[]) =
        match env.TryFind name with
        | None ->
            let bound = env |> Seq.map (fun kv -> kv.Key) |> String.concat ", "
            let what = $"variable '{name}' {Shape.show shape}"
            invalidArg "env" $"Eval: {what} is not bound (bound: {bound})"
        | Some t when t.Shape <> shape ->
            let shapes = $"has shape {Shape.show shape} but is bound to a tensor of shape {Shape.show t.Shape}"
            invalidArg "env" $"Eval: variable '{name}' {shapes}"
        | Some t -> t

    /// v = f(args) for every node reachable from the outputs, each once (memoised by id).
    let runMany (env: Map<string, Tensor>) (outputs: Expr list) : Tensor list =
        let dtype = dtypeOf env
        let values = Dictionary<int, Tensor>()
        for e in Order.topological outputs do
            values[e.Id] <-
                match e.Node with
                | Node.Var name -> lookup env name e.Shape
                | Node.Const t -> if t.DType = dtype then t else Tensor.astype dtype t
                | Node.Apply (op, args) -> (Cards.cardOf op).Forward [ for a in args -> values[a.Id] ]
        outputs |> List.map (fun o -> values[o.Id])

    /// The value of one expression.
    let run (env: Map<string, Tensor>) (e: Expr) : Tensor = runMany env [ e ] |> List.head
