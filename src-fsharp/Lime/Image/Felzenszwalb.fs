/// Felzenszwalb–Huttenlocher graph segmentation (IJCV 2004) as scikit-image 0.19's `felzenszwalb`:
/// pixels are nodes, 8-neighbour edges weighted by RGB distance, merged in order of weight while
/// the edge is lighter than both components' internal difference + scale/size.
/// Layer: Lime/Image. Read next: Segmentation.fs.
namespace ScratchML.Lime.Image

open System

/// skimage's `felzenszwalb` parameters.
type FelzenszwalbOptions =
    { /// Observation scale: larger gives larger segments (used as scale/255 on [0, 1] colours).
      Scale: float
      /// Gaussian pre-smoothing width in pixels.
      Sigma: float
      /// Segments smaller than this are merged into a neighbour afterwards.
      MinSize: int }

[<RequireQualifiedAccess>]
module Felzenszwalb =
    /// skimage's defaults: scale 1, sigma 0.8, min_size 20.
    let defaults = { Scale = 1.0; Sigma = 0.8; MinSize = 20 }

    /// Union–find root with path halving.
    let rec private find (parent: int[]) (i: int) =
        if parent[i] = i then i
        else
            parent[i] <- parent[parent[i]]
            find parent parent[i]

    /// The 8-connected edges in skimage's order (right, down, down-right, up-right blocks) with
    /// weight ‖image[p] − image[q]‖₂ over the channels.
    let edges (height: int) (width: int) (data: float[]) =
        let weight p q =
            let mutable s = 0.0
            for k in 0 .. 2 do
                let t = data[p * 3 + k] - data[q * 3 + k]
                s <- s + t * t
            sqrt s
        let at r c = r * width + c
        [| for r in 0 .. height - 1 do for c in 1 .. width - 1 -> at r c, at r (c - 1)
           for r in 1 .. height - 1 do for c in 0 .. width - 1 -> at r c, at (r - 1) c
           for r in 1 .. height - 1 do for c in 1 .. width - 1 -> at r c, at (r - 1) (c - 1)
           for r in 0 .. height - 2 do for c in 1 .. width - 1 -> at r c, at (r + 1) (c - 1) |]
        |> Array.map (fun (p, q) -> struct (p, q, weight p q))

    /// Segment an image; labels 0..k−1 in order of each component's first pixel.
    let segment (options: FelzenszwalbOptions) (image: RgbImage) : Segments =
        if options.Scale <= 0.0 then invalidArg "Scale" $"scale must be > 0, got {options.Scale}"
        let h, w = image.Height, image.Width
        let smoothed = Gaussian.smooth options.Sigma h w 3 image.Pixels
        // Stable sort by weight: skimage's argsort (quicksort) may order equal weights differently.
        let sorted = edges h w smoothed |> Array.sortBy (fun struct (_, _, c) -> c)
        let parent = Array.init (h * w) id
        let size = Array.create (h * w) 1
        let internalDiff = Array.zeroCreate<float> (h * w)
        let scale = options.Scale / 255.0
        let join a b =
            // skimage's join_trees: the smaller index becomes the root; it carries the merged size.
            let root, child = min a b, max a b
            parent[child] <- root
            size[root] <- size[a] + size[b]
            root
        for struct (p, q, cost) in sorted do
            let a, b = find parent p, find parent q
            // Merge if the edge is lighter than min(Int(A) + τ(A), Int(B) + τ(B)), τ(C) = scale/|C|.
            let threshold c = internalDiff[c] + scale / float size[c]
            if a <> b && cost < min (threshold a) (threshold b) then
                let root = join a b
                internalDiff[root] <- cost
        // Post-processing: any edge touching a component smaller than min_size merges it.
        for struct (p, q, _) in sorted do
            let a, b = find parent p, find parent q
            if a <> b && (size[a] < options.MinSize || size[b] < options.MinSize) then
                join a b |> ignore
        Segments.ofIds h w (Array.init (h * w) (find parent))
