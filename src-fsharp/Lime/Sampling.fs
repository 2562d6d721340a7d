/// Where every random draw comes from: one SplitMix64 stream per explanation, with each
/// perturbed row owning a fixed block of stream positions. SplitMix64's state after k draws is
/// seed + k·γ, so row i's generator starts at position (i − 1)·drawsPerRow without drawing the
/// rows before it: rows can be sampled on all cores and the result is bit-identical to sampling
/// them in order. Layer: Lime. Read next: Kernels.fs.
namespace ScratchML.Lime

open System
open System.Threading.Tasks
open ScratchML

/// How many cores LIME's loops may use (sampling, Gram matrices, perturbed texts, parallel
/// classifier batches). Results never depend on it: work is split so each output has one author.
[<RequireQualifiedAccess>]
module Parallelism =
    /// The most threads a loop uses (default: all processors).
    let mutable MaxDegree = Environment.ProcessorCount

    /// Run body 0 .. count−1, on up to MaxDegree threads.
    let forEach (count: int) (body: int -> unit) =
        if MaxDegree <= 1 || count <= 1 then for i in 0 .. count - 1 do body i
        else Parallel.For(0, count, ParallelOptions(MaxDegreeOfParallelism = MaxDegree), body) |> ignore

[<RequireQualifiedAccess>]
module Sampling =
    /// SplitMix64's increment γ.
    [<Literal>]
    let Gamma = 0x9E3779B97F4A7C15UL

    /// The stream SplitMix64(seed) advanced by k draws: its state is seed + k·γ (mod 2⁶⁴).
    let streamAt (seed: uint64) (k: int64) = SplitMix64(seed + uint64 k * Gamma)

    /// Run `row rng i` for rows 1 .. n−1 (row 0 is the instance and draws nothing); row i gets
    /// the stream at position (i − 1)·drawsPerRow and may use at most drawsPerRow draws. Rows are
    /// split into contiguous chunks over the cores when there are many.
    let rows (seed: uint64) (n: int) (drawsPerRow: int) (row: SplitMix64 -> int -> unit) =
        let body i = row (streamAt seed (int64 (i - 1) * int64 drawsPerRow)) i
        if n > 512 then
            let chunks = 8
            let size = (n - 1 + chunks - 1) / chunks
            Parallelism.forEach chunks (fun c ->
                for i in 1 + c * size .. min (n - 1) ((c + 1) * size) do body i)
        else
            for i in 1 .. n - 1 do body i
