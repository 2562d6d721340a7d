/// Symbolic reverse mode: the gradient of an expression is another expression.
/// Layer: Diff. Read next: Eval/Eval.fs (evaluate it), Simplify/ (tidy it), Print/ (show it).
///
/// The sweep visits each node once, latest first, sums the gradient contributions it received,
/// asks the node's card for its arguments' gradients and un-broadcasts each to its argument's
/// shape — the one place broadcasting is undone. Only nodes on a path to a `wrt` node are
/// visited, so the gradient graph has O(N) nodes for a forward graph of N nodes.
namespace ScratchML

open System.Collections.Generic

/// Gradients as graphs: grad of a scalar loss, vector-Jacobian products of any output.
[<RequireQualifiedAccess>]
module Grad =
    /// True for a constant whose elements are all 0 (a `noGradient`): nothing to propagate.
    let private isZero (e: Expr) = match e with Const _ & Zero -> true | _ -> false

    /// Σ_paths upstream·∂output/∂w for each w: the vector-Jacobian product uᵀ·J, as graphs.
    /// `upstream` has the output's shape; a `wrt` node the output does not depend on gets zeros.
    let vjp (output: Expr) (upstream: Expr) (wrt: Expr list) : Expr list =
        if upstream.Shape <> output.Shape then
            let shapes = $"{Shape.show upstream.Shape} and output {Shape.show output.Shape}"
            Shape.fail "vjp" $"upstream and output shapes differ: {shapes}"
        let nodes = Order.topological [ output ]
        let targets = HashSet<int>(wrt |> List.map (fun w -> w.Id))
        // live = the node lies on a path to a wrt node: only these need gradients
        let live = HashSet<int>()
        let anyLive (args: Expr list) = args |> List.exists (fun a -> live.Contains a.Id)
        for e in nodes do
            match e.Node with
            | _ when targets.Contains e.Id -> live.Add e.Id |> ignore
            | Node.Apply (_, args) when anyLive args -> live.Add e.Id |> ignore
            | _ -> ()
        let received = Dictionary<int, Expr list>()   // contributions, summed when the node is reached
        let total = Dictionary<int, Expr>()
        let contribute (node: Expr) (g: Expr) =
            if live.Contains node.Id && not (isZero g) then
                // un-broadcast, the one place: a gradient shaped like the op's output is summed
                // back to the argument's shape
                let g = if g.Shape = node.Shape then g else Expr.sumTo node.Shape g
                let before = match received.TryGetValue node.Id with | true, gs -> gs | _ -> []
                received[node.Id] <- g :: before
        contribute output upstream
        for e in Array.rev nodes do   // users before their arguments
            match received.TryGetValue e.Id with
            | true, gs ->
                let g = gs |> List.rev |> List.reduce (+)
                total[e.Id] <- g
                match e.Node with
                | Node.Apply (op, args) when anyLive args ->
                    List.iter2 contribute args ((Cards.cardOf op).Backward args e g)
                | _ -> ()
            | _ -> ()
        [ for w in wrt -> match total.TryGetValue w.Id with | true, g -> g | _ -> Expr.zeros w.Shape ]

    /// ∂loss/∂w for each w, seeding dL/dL = 1; the loss must have one element.
    let grad (loss: Expr) (wrt: Expr list) : Expr list =
        if Shape.numel loss.Shape <> 1 then
            let shape = Shape.show loss.Shape
            Shape.fail "grad" $"loss of shape {shape} is not a scalar: use Grad.vjp with an upstream"
        vjp loss (Expr.ones loss.Shape) wrt
