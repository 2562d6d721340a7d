/// SP-LIME (LIME's SubmodularPick): choose a few explanations that together cover the globally
/// important features. Layer: Lime. Read next: Report.fs.
namespace ScratchML.Lime

open ScratchML

/// Which instances SP-LIME explains before picking.
[<RequireQualifiedAccess>]
type PickMethod =
    /// Every instance.
    | Full
    /// A random subset of this size (all instances when larger), drawn from SplitMix64(seed).
    | Sample of size: int * seed: uint64

[<RequireQualifiedAccess>]
module SubmodularPick =
    /// The explanation matrix W (explanations × distinct feature names, first-seen order):
    /// W[i, name] = Σ over the explanation's labels of the weight of that name (label 1 for regression).
    let explanationMatrix (explanations: Explanation[]) =
        let names = ResizeArray<string>()
        let index = System.Collections.Generic.Dictionary<string, int>()
        let labelsOf (e: Explanation) = if e.Mode = Mode.Classification then e.AvailableLabels else [ 1 ]
        for e in explanations do
            for l in labelsOf e do
                for name, _ in e.AsList l do
                    if not (index.ContainsKey name) then
                        index[name] <- names.Count
                        names.Add name
        let w = Array2D.zeroCreate explanations.Length names.Count
        explanations |> Array.iteri (fun i e ->
            for l in labelsOf e do
                for name, value in e.AsList l do w[i, index[name]] <- w[i, index[name]] + value)
        w, names.ToArray()

    /// The greedy pick: importance I_j = sqrt(Σᵢ |Wᵢⱼ|); repeatedly add the explanation maximising the
    /// coverage Σⱼ [any picked row has Wᵢⱼ ≠ 0]·I_j (≥, so among ties the highest index wins, as LIME).
    let pick (explanations: Explanation[]) (count: int) =
        Explain.positive "count" count
        let w, _ = explanationMatrix explanations
        let n, d = Array2D.length1 w, Array2D.length2 w
        let importance = Array.init d (fun j -> sqrt (Seq.sum (seq { for i in 0 .. n - 1 -> abs w[i, j] })))
        let covered = Array.create d false
        let picked = ResizeArray<int>()
        let remaining = System.Collections.Generic.SortedSet<int>(seq { 0 .. n - 1 })
        for _ in 1 .. min count n do
            let mutable best, bestIndex = 0.0, -1
            for i in remaining do
                let mutable c = 0.0
                for j in 0 .. d - 1 do if covered[j] || w[i, j] <> 0.0 then c <- c + importance[j]
                if c >= best then
                    best <- c
                    bestIndex <- i
            picked.Add bestIndex
            remaining.Remove bestIndex |> ignore
            for j in 0 .. d - 1 do if w[bestIndex, j] <> 0.0 then covered[j] <- true
        picked.ToArray()

    /// SP-LIME end to end: explain the chosen instances (`explain i`), then pick `count` of them.
    /// Returns the explained instance indices, their explanations and the picked positions.
    let run (explain: int -> Explanation) (instances: int) (method: PickMethod) (count: int) =
        let chosen =
            match method with
            | PickMethod.Full -> Array.init instances id
            | PickMethod.Sample (size, seed) ->
                let rng = SplitMix64 seed
                let all = Array.init instances id
                for i in instances - 1 .. -1 .. 1 do // Fisher–Yates
                    let j = rng.Below(i + 1)
                    let t = all[i] in all[i] <- all[j]; all[j] <- t
                all[.. min size instances - 1]
        let explanations = chosen |> Array.map explain
        chosen, explanations, pick explanations count
