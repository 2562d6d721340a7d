/// SLIC superpixels (Achanta et al. 2012) in the way scikit-image 0.19's `slic` runs them:
/// k-means in (Lab / compactness, position / step) started on a regular grid, searching 2·step
/// around each centre, then small disconnected pieces merged into a neighbour.
/// Layer: Lime/Image. Read next: Felzenszwalb.fs.
namespace ScratchML.Lime.Image

open System

/// skimage's `slic` parameters that LIME users set.
type SlicOptions =
    { /// Approximate number of superpixels (the grid has about this many centres).
      NSegments: int
      /// Colour vs space balance m: distance² = ‖Δlab‖²/m² + ‖Δpos‖²/step².
      Compactness: float
      /// k-means iterations (skimage's max_iter).
      MaxIter: int
      /// Gaussian pre-smoothing width in pixels (0 = none).
      Sigma: float
      /// Convert RGB to Lab first.
      ConvertToLab: bool }

[<RequireQualifiedAccess>]
module Slic =
    /// skimage 0.19's defaults: n_segments 100, compactness 10, max_iter 10, sigma 0, Lab.
    let defaults =
        { NSegments = 100; Compactness = 10.0; MaxIter = 10; Sigma = 0.0; ConvertToLab = true }

    /// skimage's `regular_grid` for an H×W image seen as 1×H×W: step s = √(H·W/n) on both axes
    /// (or the whole axis where it is shorter), first centre at ⌊s/2⌋, spacing round(s).
    let grid (height: int) (width: int) (n: int) =
        let space = float (height * width)
        if space <= float n then
            [| for r in 0 .. height - 1 do for c in 0 .. width - 1 -> r, c |], 1
        else
            let shortest, longest = min height width, max height width
            let mutable stepShort = sqrt (space / float n)
            let mutable stepLong = stepShort
            if float shortest < stepShort then
                stepShort <- float shortest
                stepLong <- float longest / float n
            let stepR, stepC = if height <= width then stepShort, stepLong else stepLong, stepShort
            let axis (length: int) (s: float) =
                let start, step = int (floor (s / 2.0)), max 1 (int (Math.Round s))
                [| start .. step .. length - 1 |], step
            let rows, sr = axis height stepR
            let cols, sc = axis width stepC
            [| for r in rows do for c in cols -> r, c |], max sr sc

    /// skimage's `_enforce_label_connectivity_cython`: in scan order, grow each unvisited pixel's
    /// 4-connected same-label piece by breadth-first search (stopping at maxSize pixels, which
    /// splits huge pieces); a piece under minSize pixels takes the label of the last already-relabelled
    /// neighbour met during the search (0 if none), otherwise it gets the next new label.
    let enforceConnectivity height width (labels: int[]) (minSize: int) (maxSize: int) =
        let out = Array.create labels.Length -1
        let piece = Array.zeroCreate<int> labels.Length
        let mutable next = 0
        for start in 0 .. labels.Length - 1 do
            if out[start] < 0 then
                let label = labels[start]
                let mutable adjacent = 0
                out[start] <- next
                piece[0] <- start
                let mutable size = 1
                let mutable visited = 0
                while visited < size && size < maxSize do
                    let p = piece[visited]
                    let pr, pc = p / width, p % width
                    // skimage's neighbour order: x+1, x−1, y+1, y−1.
                    let mutable i = 0
                    while i < 4 && size < maxSize do
                        let nr = pr + (if i = 2 then 1 elif i = 3 then -1 else 0)
                        let nc = pc + (if i = 0 then 1 elif i = 1 then -1 else 0)
                        if nr >= 0 && nr < height && nc >= 0 && nc < width then
                            let q = nr * width + nc
                            if labels[q] = label && out[q] < 0 then
                                out[q] <- next
                                piece[size] <- q
                                size <- size + 1
                            elif out[q] >= 0 && out[q] <> next then adjacent <- out[q]
                        i <- i + 1
                    visited <- visited + 1
                if size < minSize then
                    for j in 0 .. size - 1 do out[piece[j]] <- adjacent
                else next <- next + 1
        out

    /// Segment an image: labels 0..k−1 after the connectivity clean-up.
    let segment (options: SlicOptions) (image: RgbImage) : Segments =
        if options.NSegments < 1 then
            invalidArg "NSegments" $"n_segments must be ≥ 1, got {options.NSegments}"
        if options.Compactness <= 0.0 then
            invalidArg "Compactness" $"compactness must be > 0, got {options.Compactness}"
        let h, w = image.Height, image.Width
        let colour = if options.ConvertToLab then Color.rgbToLab image else Array.copy image.Pixels
        // Colour is divided by m once, so distance² = ‖Δlab/m‖² + ‖Δpos‖²/step².
        let lab =
            Gaussian.smooth options.Sigma h w 3 colour |> Array.map (fun v -> v / options.Compactness)
        let seeds, step = grid h w options.NSegments
        let k = seeds.Length
        // Centre = (row, col, l, a, b); skimage 0.19 starts every colour at 0, so the first
        // assignment is purely spatial (each colour term is then the same for all centres).
        let centres = seeds |> Array.map (fun (r, c) -> [| float r; float c; 0.0; 0.0; 0.0 |])
        let spatialWeight = 1.0 / float (step * step)
        let nearest = Array.zeroCreate<int> (h * w)
        let best = Array.zeroCreate<float> (h * w)
        let mutable iteration = 0
        let mutable changed = true
        while changed && iteration < options.MaxIter do
            changed <- false
            Array.fill best 0 best.Length Double.MaxValue
            for s in 0 .. k - 1 do
                let cr, cc = centres[s][0], centres[s][1]
                let reach = 2.0 * float step
                let r0, r1 = max (int (cr - reach)) 0, min (int (cr + reach) + 1) h
                let c0, c1 = max (int (cc - reach)) 0, min (int (cc + reach) + 1) w
                for r in r0 .. r1 - 1 do
                    for c in c0 .. c1 - 1 do
                        let p = r * w + c
                        let dy, dx = float r - cr, float c - cc
                        let mutable d = (dy * dy + dx * dx) * spatialWeight
                        for ch in 0 .. 2 do
                            let t = lab[p * 3 + ch] - centres[s][2 + ch]
                            d <- d + t * t
                        if d < best[p] then
                            best[p] <- d
                            if nearest[p] <> s then changed <- true
                            nearest[p] <- s
            // Move each centre to the mean of its pixels (an empty cluster keeps its place).
            let sums = Array.init k (fun _ -> Array.zeroCreate<float> 5)
            let counts = Array.zeroCreate<int> k
            for p in 0 .. h * w - 1 do
                let s = nearest[p]
                counts[s] <- counts[s] + 1
                let acc = sums[s]
                acc[0] <- acc[0] + float (p / w)
                acc[1] <- acc[1] + float (p % w)
                for ch in 0 .. 2 do acc[2 + ch] <- acc[2 + ch] + lab[p * 3 + ch]
            for s in 0 .. k - 1 do
                if counts[s] > 0 then
                    centres[s] <- sums[s] |> Array.map (fun v -> v / float counts[s])
            iteration <- iteration + 1
        // skimage: segment size = H·W / centres; min 0.5×, max 3× of it.
        let segmentSize = float (h * w) / float k
        let connected =
            enforceConnectivity h w nearest (int (0.5 * segmentSize)) (int (3.0 * segmentSize))
        Segments.ofIds h w connected
