/// How much an explanation depends on its random samples: explain the same instance with k seeds
/// and report, per feature, the mean and spread of its weight, how often it was selected, and how
/// well the runs agree on the ranking. Layer: Lime (beyond the original). Read next: SubmodularPick.fs.
namespace ScratchML.Lime

/// One feature across the runs (a run that did not select it counts weight 0).
type FeatureStability =
    { Feature: int
      Name: string
      /// mean_r w_r and population std sqrt(mean_r (w_r − mean)²) over the runs.
      Mean: float
      Std: float
      /// Fraction of runs that selected the feature.
      Frequency: float }

/// The stability of one label's explanation over several seeds.
type StabilityReport =
    { Label: int
      Seeds: uint64[]
      /// Features ever selected, by |mean| descending.
      Features: FeatureStability[]
      /// Mean over pairs of runs of |A ∩ B| / |A ∪ B| of the selected sets.
      MeanJaccard: float
      /// Mean over pairs of runs of Spearman's ρ between their |weights| over all features ever
      /// selected (ties get mean ranks); 1 when every run ranks them alike.
      MeanSpearman: float }

[<RequireQualifiedAccess>]
module Stability =
    /// Ranks 1..n of values (ascending), ties sharing their mean rank.
    let ranks (values: float[]) =
        let order = Array.init values.Length id |> Array.sortBy (fun i -> values[i])
        let r = Array.zeroCreate values.Length
        let mutable i = 0
        while i < order.Length do
            let mutable j = i
            while j + 1 < order.Length && values[order[j + 1]] = values[order[i]] do j <- j + 1
            let mean = float (i + j) / 2.0 + 1.0
            for k in i .. j do r[order[k]] <- mean
            i <- j + 1
        r

    /// Pearson correlation of the ranks (Spearman's ρ); 1 when either side is constant and equal.
    let spearman (a: float[]) (b: float[]) =
        let ra, rb = ranks a, ranks b
        let ma, mb = Array.average ra, Array.average rb
        let mutable sab, saa, sbb = 0.0, 0.0, 0.0
        for i in 0 .. ra.Length - 1 do
            sab <- sab + (ra[i] - ma) * (rb[i] - mb)
            saa <- saa + (ra[i] - ma) ** 2.0
            sbb <- sbb + (rb[i] - mb) ** 2.0
        if saa = 0.0 || sbb = 0.0 then (if saa = sbb then 1.0 else 0.0) else sab / sqrt (saa * sbb)

    /// Explain once per seed (`explain seed`) and summarise label `label`.
    let report (explain: uint64 -> Explanation) (seeds: uint64 list) (label: int) : StabilityReport =
        if List.length seeds < 2 then invalidArg "seeds" "stability needs at least two seeds"
        let runs = seeds |> List.map explain |> Array.ofList
        let weights = runs |> Array.map (fun e -> (e.For label).Weights |> Map.ofArray)
        let features = weights |> Array.collect (fun w -> w |> Map.keys |> Array.ofSeq) |> Array.distinct |> Array.sort
        let k = float runs.Length
        let weightOf (w: Map<int, float>) f = w.TryFind f |> Option.defaultValue 0.0
        let perFeature =
            features |> Array.map (fun f ->
                let ws = weights |> Array.map (fun w -> weightOf w f)
                let mean = Array.average ws
                { Feature = f
                  Name = runs[0].FeatureNames[f]
                  Mean = mean
                  Std = sqrt (ws |> Array.averageBy (fun w -> (w - mean) ** 2.0))
                  Frequency = float (weights |> Array.filter (fun w -> w.ContainsKey f) |> Array.length) / k })
        let pairs = [| for a in 0 .. runs.Length - 1 do for b in a + 1 .. runs.Length - 1 -> a, b |]
        let jaccard (a, b) =
            let sa, sb = Set.ofSeq (Map.keys weights[a]), Set.ofSeq (Map.keys weights[b])
            let union = Set.union sa sb
            if union.IsEmpty then 1.0 else float (Set.intersect sa sb).Count / float union.Count
        let rho (a, b) =
            spearman (features |> Array.map (fun f -> abs (weightOf weights[a] f)))
                     (features |> Array.map (fun f -> abs (weightOf weights[b] f)))
        { Label = label
          Seeds = Array.ofList seeds
          Features = perFeature |> Array.sortByDescending (fun s -> abs s.Mean)
          MeanJaccard = pairs |> Array.averageBy jaccard
          MeanSpearman = pairs |> Array.averageBy rho }
