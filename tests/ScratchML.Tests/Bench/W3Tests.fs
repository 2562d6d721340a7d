/// W3's definition: its synthetic data and its model's parameter counts (WORKLOADS.md).
/// Mirrors src-fsharp/Bench/W3.fs; the timing itself is a benchmark, not a test.
module ScratchML.Tests.Bench.W3Tests

open Expecto
open ScratchML.NN
open ScratchML.Bench

/// Elements per layer, in layer order.
let private counts (kind: CellKind) =
    (W3.network kind).Layers |> List.map (fun l -> l.Parameters |> List.sumBy (fun p -> Array.fold (*) 1 p.Shape))

[<Tests>]
let tests =
    testList "Bench.W3" [
        test "the data: seed 7, tokens first (check values), then labels" {
            let tokens, labels = W3.data ()
            Expect.equal tokens[.. 4] [| 1020; 175; 2664; 1544; 3142 |] "first tokens"
            Expect.equal tokens.Length (2000 * 50) "2000 sequences of 50"
            Expect.equal labels.Length 2000 "labels"
            Expect.isTrue (Array.forall (fun t -> t >= 0 && t < 5000) tokens) "token range"
            Expect.isTrue (Array.forall (fun l -> l >= 0 && l < 4) labels) "label range"
        }
        test "parameter counts: embedding 160,000, LSTM 25,088, GRU 18,816, linear 260" {
            Expect.equal (counts CellKind.Lstm) [ 160_000; 25_088; 260 ] "LSTM model"
            Expect.equal (counts CellKind.Gru) [ 160_000; 18_816; 260 ] "GRU model"
        }
        test "batches: 63 per epoch, the last of 16" {
            let batches = Train.batches 2000 W3.batchSize
            Expect.equal batches.Length 63 "count"
            Expect.equal (List.last batches) (1984, 16) "last"
        }
    ]
