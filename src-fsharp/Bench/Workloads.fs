/// The table of workloads `scratchml bench wN` can run.
/// Layer: Bench. Each workload is a function threads → emit(RESULT line) → unit.
namespace ScratchML.Bench

[<RequireQualifiedAccess>]
module Workloads =
    /// Name → (one-line description, runner). A workload that has not landed is simply absent.
    let all : (string * (string * (int -> (string -> unit) -> unit))) list =
        [ "w0", ("GEMM C = A·B, n = 256/512/1024, float32 and float64", W0.run)
          "w1", ("MLP 784-256-10 on 8000 MNIST digits, SGD, 5 epochs, float32 and float64", W1.run)
          "w2", ("CNN conv(1→8,5×5)-pool-conv(8→16,5×5)-pool-fc on 8000 MNIST digits, SGD, 3 epochs, float32 and float64", W2.run)
          "w3", ("Embedding + LSTM/GRU classifier on synthetic sequences, Adam, 4 epochs", W3.run)
          "w4", ("LIME tabular: breast cancer, 20 explanations of 5000 samples", W4.run)
          "w5", ("LIME text: 10 documents of 100 words, 5000 samples each", W5.run)
          "w6", ("LIME image: quickshift + 1000 perturbed 224×224 images", W6.run)
          "grad", ("MLP loss+gradient vs forward, compiled (cheap-gradient ratio ≤ 3)", CheapGradient.run)
        ]

    /// Run a workload by name (case-insensitive); an unknown name lists the known ones.
    let run (name: string) (threads: int) (emit: string -> unit) =
        match all |> List.tryFind (fun (n, _) -> n = name.ToLowerInvariant()) with
        | Some (_, (_, runner)) -> runner threads emit
        | None ->
            let known = all |> List.map fst |> String.concat ", "
            invalidArg "name" $"unknown workload '{name}' (known: {known})"
