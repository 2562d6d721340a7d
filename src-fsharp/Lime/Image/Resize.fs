/// Resizing an image with a proper filter: separable resampling with a triangle (tent) kernel
/// widened by the scale factor when shrinking, as Pillow's BILINEAR resize does, so a 224×224
/// photo shrunk to 32×32 averages every input pixel instead of sampling a few (no aliasing).
/// Layer: Lime/Image, after RgbImage.fs. Read next: Color.fs.
namespace ScratchML.Lime.Image

open System

[<RequireQualifiedAccess>]
module Resize =
    /// Resampling weights of one axis, `input` → `output` pixels: for output pixel i with centre
    /// cᵢ = (i + ½)·s (s = input/output, in input coordinates) and radius ρ = max(s, 1),
    /// wᵢⱼ = max(0, 1 − |j + ½ − cᵢ|/ρ) normalised to Σⱼ wᵢⱼ = 1. Returns per output pixel the
    /// first input index and its weights.
    let weights (input: int) (output: int) : (int * float[])[] =
        if input < 1 || output < 1 then
            invalidArg "output" $"sizes must be positive, got {input} → {output}"
        let scale = float input / float output
        let radius = max scale 1.0
        Array.init output (fun i ->
            let centre = (float i + 0.5) * scale
            // the inputs strictly inside the tent: c − ρ < j + ½ < c + ρ
            let first = max 0 (int (floor (centre - radius - 0.5)) + 1)
            let last = min (input - 1) (int (ceil (centre + radius - 0.5)) - 1)
            let raw =
                Array.init (last - first + 1) (fun k ->
                    max 0.0 (1.0 - abs (float (first + k) + 0.5 - centre) / radius))
            let total = Array.sum raw
            first, raw |> Array.map (fun w -> w / total))

    /// The image resampled to height × width: rows first, then columns, each output value
    /// Σⱼ wᵢⱼ·x[j] with `weights` (a convex combination, so values stay in [0, 1]).
    let image (height: int) (width: int) (source: RgbImage) : RgbImage =
        let across = weights source.Width width
        let down = weights source.Height height
        // Horizontal pass: source.Height × width.
        let wide = Array.zeroCreate<float> (source.Height * width * 3)
        for r in 0 .. source.Height - 1 do
            for c in 0 .. width - 1 do
                let first, w = across[c]
                for k in 0 .. 2 do
                    let mutable sum = 0.0
                    for j in 0 .. w.Length - 1 do
                        sum <- sum + w[j] * source.Pixels[(r * source.Width + first + j) * 3 + k]
                    wide[(r * width + c) * 3 + k] <- sum
        // Vertical pass: height × width.
        let out = Array.zeroCreate<float> (height * width * 3)
        for r in 0 .. height - 1 do
            let first, w = down[r]
            for c in 0 .. width - 1 do
                for k in 0 .. 2 do
                    let mutable sum = 0.0
                    for j in 0 .. w.Length - 1 do
                        sum <- sum + w[j] * wide[((first + j) * width + c) * 3 + k]
                    out[(r * width + c) * 3 + k] <- sum
        RgbImage.create height width out

    /// Shrink so the longer side is at most `side` pixels, keeping the aspect ratio (an image
    /// already that small is returned as it is).
    let fit (side: int) (source: RgbImage) : RgbImage =
        let longer = max source.Height source.Width
        if longer <= side then source
        else
            let scale = float side / float longer
            let h = max 1 (int (Math.Round(float source.Height * scale)))
            let w = max 1 (int (Math.Round(float source.Width * scale)))
            image h w source
