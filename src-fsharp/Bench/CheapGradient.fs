/// The cheap-gradient benchmark of issue 4: for the W1 MLP loss, the compiled loss+gradient
/// program against the compiled forward program alone (target ≤ 3×), and the sizes of the
/// gradient graphs (O(N)). Layer: Bench (calls Core's Grad and Compile). Read next: Workloads.fs.
///
/// x [64; 784] → Linear 256 → relu → Linear 10 → mean softmax cross-entropy, float32, inputs
/// from SplitMix64 (seed 7). 5 warm-up runs, then 100 timed runs of each program, interleaved so
/// both see the same machine load; ratios of the medians and of the best times (the machine is
/// shared: the best of 100 is the steadier figure).
namespace ScratchML.Bench

open ScratchML

[<RequireQualifiedAccess>]
module CheapGradient =
    /// The W1 MLP loss and its parameters.
    let mlp () =
        let x = Expr.var "x" [| 64; 784 |]
        let w1, b1 = Expr.var "w1" [| 784; 256 |], Expr.var "b1" [| 256 |]
        let w2, b2 = Expr.var "w2" [| 256; 10 |], Expr.var "b2" [| 10 |]
        let target = Expr.var "target" [| 64 |]
        let logits = Expr.matmul (Expr.relu (Expr.matmul x w1 + b1)) w2 + b2
        ReferenceLosses.crossEntropy logits target, [ w1; b1; w2; b2 ]

    let private env () =
        let rng = SplitMix64 7UL
        let uniform shape scale = Tensor.uniform DType.Float32 rng -scale scale shape
        Map [ "x", uniform [| 64; 784 |] 1.0; "w1", uniform [| 784; 256 |] 0.05; "b1", uniform [| 256 |] 0.1
              "w2", uniform [| 256; 10 |] 0.1; "b2", uniform [| 10 |] 0.1
              "target", Tensor.ofArray32 [| 64 |] (Array.init 64 (fun _ -> float32 (rng.Below 10))) ]

    /// Run the benchmark, handing each RESULT line to emit (threads: the GEMM's default is kept).
    let run (_: int) (emit: string -> unit) =
        let loss, wrt = mlp ()
        let gradients = Grad.grad loss wrt
        let forward = Compile.program [ loss ]
        let both = Compile.program (loss :: gradients)
        let env = env ()
        for _ in 1 .. 5 do
            forward.Run env |> ignore
            both.Run env |> ignore
        let times = [ for _ in 1 .. 100 -> Report.time (fun () -> forward.Run env |> ignore), Report.time (fun () -> both.Run env |> ignore) ]
        let f, b = Report.median (List.map fst times), Report.median (List.map snd times)
        let emitMs metric v = emit { Workload = "grad"; Metric = metric; Value = v * 1e3; Extra = [ "dtype", "float32" ] }.Line
        emitMs "forward_ms" f
        emitMs "loss_and_gradient_ms" b
        emit { Workload = "grad"; Metric = "cheap_gradient_ratio"; Value = b / f; Extra = [ "target", "3" ] }.Line
        let fBest, bBest = List.min (List.map fst times), List.min (List.map snd times)
        emit { Workload = "grad"; Metric = "cheap_gradient_ratio_best"; Value = bBest / fBest
               Extra = [ "forward_ms", Report.num (fBest * 1e3); "loss_and_gradient_ms", Report.num (bBest * 1e3) ] }.Line
        let forwardNodes = (Order.topological [ loss ]).Length
        let added = (Order.topological (loss :: gradients)).Length - forwardNodes
        emit { Workload = "grad"; Metric = "gradient_nodes_per_forward_node"; Value = float added / float forwardNodes
               Extra = [ "forward_nodes", string forwardNodes; "gradient_nodes", string added ] }.Line
