/// Gaussian smoothing of an H×W×C array over its two spatial axes, as SciPy's
/// `ndimage.gaussian_filter(x, [σ, σ, 0])` (mode 'reflect', truncate 4). Layer: Lime/Image.
/// The segmentations use it for their optional pre-smoothing. Read next: Quickshift.fs.
namespace ScratchML.Lime.Image

[<RequireQualifiedAccess>]
module Gaussian =
    /// The normalised 1-d kernel: w_i ∝ exp(−i²/(2σ²)) for |i| ≤ ⌊4σ + 0.5⌋, Σ w = 1.
    let kernel (sigma: float) =
        let radius = int (4.0 * sigma + 0.5)
        let w =
            Array.init (2 * radius + 1) (fun j ->
                let i = float (j - radius)
                exp (-0.5 * i * i / (sigma * sigma)))
        let s = Array.sum w
        w |> Array.map (fun v -> v / s)

    /// SciPy's 'reflect' boundary (half-sample symmetric: d c b a | a b c d | d c b a).
    let rec reflect (n: int) (i: int) =
        if n = 1 then 0
        elif i < 0 then reflect n (-i - 1)
        elif i >= n then reflect n (2 * n - i - 1)
        else i

    /// Smooth rows then columns of an H×W×C row-major array; σ ≤ 0 returns a copy.
    let smooth (sigma: float) (height: int) (width: int) (channels: int) (data: float[]) : float[] =
        if sigma <= 0.0 then Array.copy data
        else
            let w = kernel sigma
            let radius = w.Length / 2
            let along (src: float[]) (vertical: bool) =
                let dst = Array.zeroCreate<float> src.Length
                for r in 0 .. height - 1 do
                    for c in 0 .. width - 1 do
                        for k in 0 .. channels - 1 do
                            let mutable acc = 0.0
                            for j in -radius .. radius do
                                let rr, cc =
                                    if vertical then reflect height (r + j), c
                                    else r, reflect width (c + j)
                                acc <- acc + w[j + radius] * src[(rr * width + cc) * channels + k]
                            dst[(r * width + c) * channels + k] <- acc
                dst
            along (along data true) false
