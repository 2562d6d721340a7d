/// Quickshift superpixels (Vedaldi & Soatto 2008) as scikit-image 0.19.3 computes them: LIME's
/// default segmentation. Layer: Lime/Image. Read next: Slic.fs, Felzenszwalb.fs.
///
/// Each pixel is a point x = (ratio·Lab, row, col) in 5-d. Its density is a Gaussian sum over the
/// (2⌈3k⌉+1)² window around it; it then links to the nearest window pixel of higher density
/// (a "parent"); links longer than max_dist are cut, and each tree of the forest is a segment.
/// skimage breaks density ties with tiny Gaussian noise from NumPy's RandomState, which cannot be
/// reproduced outside NumPy; here the noise (same scale 1e-5) comes from SplitMix64, so label maps
/// agree with skimage's except where that noise decides.
namespace ScratchML.Lime.Image

#nowarn "9" // pinned pointers in the two hot loops (bounds are guaranteed by the padding)

open System
open System.Runtime.Intrinsics
open Microsoft.FSharp.NativeInterop
open System.Threading.Tasks
open ScratchML

/// skimage's `quickshift` parameters (LIME default: `Quickshift.limeDefaults seed`).
type QuickshiftOptions =
    { /// Gaussian kernel width k of the density (window half-width ⌈3k⌉).
      KernelSize: float
      /// Links longer than this (in the scaled 5-d space) are cut.
      MaxDist: float
      /// Colour weight: the colour coordinates are multiplied by ratio.
      Ratio: float
      /// Convert RGB to Lab first (skimage's default, and LIME's).
      ConvertToLab: bool
      /// Gaussian pre-smoothing width in pixels (0 = none).
      Sigma: float
      /// Seed of the tie-breaking noise (SplitMix64).
      RandomSeed: int }

[<RequireQualifiedAccess>]
module Quickshift =
    /// LIME's `SegmentationAlgorithm('quickshift', kernel_size=4, max_dist=200, ratio=0.2,
    /// random_seed=seed)`.
    let limeDefaults (seed: int) =
        { KernelSize = 4.0; MaxDist = 200.0; Ratio = 0.2; ConvertToLab = true; Sigma = 0.0
          RandomSeed = seed }

    /// Scale of skimage's tie-breaking noise: densities += N(0, 1e-5²).
    let noiseScale = 1e-5

    /// Padding colour: a padded neighbour's distance is ~1e200, so exp(−d/(2k²)) is exactly 0 and
    /// adding it changes no sum — the window is clipped at the border exactly as skimage clips it.
    let private far = 1e100

    /// Feature channels, planar and padded by `pad` cells on every side (rows and columns), with
    /// rows of `stride` cells: 4 consecutive pixels are then one Vector256 load, border or not.
    type private Planes =
        { Channels: float[][]; Pad: int; Stride: int }

    let private planes (features: float[]) height width pad =
        let stride = pad + (width + 3) / 4 * 4 + pad
        let channel k =
            let plane = Array.create ((height + 2 * pad) * stride) far
            for r in 0 .. height - 1 do
                for c in 0 .. width - 1 do
                    plane[(r + pad) * stride + pad + c] <- features[(r * width + c) * 3 + k]
            plane
        { Channels = Array.init 3 channel; Pad = pad; Stride = stride }

    /// Squared 5-d distance of 4 pixels to their neighbours at plane index i, summed in skimage's
    /// order: ((((t₀² + t₁²) + t₂²) + Δr²) + Δc²). Planes are read through pinned pointers: this
    /// is the innermost loop of the whole image explainer.
    let inline private distance (pl: nativeptr<float>) (pa: nativeptr<float>) (pb: nativeptr<float>)
                                (l: Vector256<float>) (a: Vector256<float>) (b: Vector256<float>)
                                (i: int) (dr2: Vector256<float>) (dc2: Vector256<float>) =
        let t0 = l - Vector256.Load(NativePtr.add pl i)
        let t1 = a - Vector256.Load(NativePtr.add pa i)
        let t2 = b - Vector256.Load(NativePtr.add pb i)
        t0 * t0 + t1 * t1 + t2 * t2 + dr2 + dc2

    /// Densities of row r: for the 4 pixels (r, c0..c0+3), lane j = pixel c0+j, the sum over the
    /// window of exp(−d²/(2k²)); each lane adds its terms in skimage's scan order (rows, columns).
    let private densityRow (p: Planes) (squares: Vector256<float>[]) (inv: Vector256<float>)
                           (width: int) (density: float[]) r =
        let kw = p.Pad
        use pl = fixed p.Channels[0]
        use pa = fixed p.Channels[1]
        use pb = fixed p.Channels[2]
        let mutable c0 = 0
        while c0 < width do
            let centre = (r + kw) * p.Stride + kw + c0
            let l = Vector256.Load(NativePtr.add pl centre)
            let a = Vector256.Load(NativePtr.add pa centre)
            let b = Vector256.Load(NativePtr.add pb centre)
            let mutable acc = Vector256<float>.Zero
            for dr in -kw .. kw do
                let row = centre + dr * p.Stride
                let dr2 = squares[dr + kw]
                for dc in -kw .. kw do
                    let d = distance pl pa pb l a b (row + dc) dr2 squares[dc + kw]
                    acc <- acc + VecMath.exp (d * inv)
            for j in 0 .. min 3 (width - 1 - c0) do density[r * width + c0 + j] <- acc.GetElement j
            c0 <- c0 + 4

    /// Parents of row r: for the 4 pixels (r, c0..c0+3), the squared distance to the nearest window
    /// pixel of strictly higher density (first in scan order on a tie, as skimage's `<`) and its
    /// window offset index k (−1 if none); `visit c k closest` receives each pixel's result.
    let private parentRow (p: Planes) (squares: Vector256<float>[]) (padded: float[]) (width: int)
                          (visit: int -> int -> float -> unit) r =
        let kw = p.Pad
        use pl = fixed p.Channels[0]
        use pa = fixed p.Channels[1]
        use pb = fixed p.Channels[2]
        use pd = fixed padded
        let mutable c0 = 0
        while c0 < width do
            let centre = (r + kw) * p.Stride + kw + c0
            let l = Vector256.Load(NativePtr.add pl centre)
            let a = Vector256.Load(NativePtr.add pa centre)
            let b = Vector256.Load(NativePtr.add pb centre)
            let own = Vector256.Load(NativePtr.add pd centre)
            let mutable closest = Vector256.Create Double.MaxValue
            let mutable best = Vector256.Create -1.0
            let mutable k = 0
            for dr in -kw .. kw do
                let row = centre + dr * p.Stride
                for dc in -kw .. kw do
                    let other = Vector256.Load(NativePtr.add pd (row + dc))
                    if Vector256.GreaterThanAny(other, own) then
                        let d = distance pl pa pb l a b (row + dc) squares[dr + kw] squares[dc + kw]
                        let better =
                            Vector256.GreaterThan(other, own) &&& Vector256.LessThan(d, closest)
                        closest <- Vector256.ConditionalSelect(better, d, closest)
                        best <- Vector256.ConditionalSelect(better, Vector256.Create(float k), best)
                    k <- k + 1
            for j in 0 .. min 3 (width - 1 - c0) do
                visit (c0 + j) (int (best.GetElement j)) (closest.GetElement j)
            c0 <- c0 + 4

    /// Run `rowWork r` for every row on up to `threads` threads (rows are independent: the result
    /// does not depend on the thread count).
    let private forRows threads height (rowWork: int -> unit) =
        if threads <= 1 then for r in 0 .. height - 1 do rowWork r
        else
            let parallel = ParallelOptions(MaxDegreeOfParallelism = threads)
            Parallel.For(0, height, parallel, rowWork) |> ignore

    /// The features skimage feeds its Cython kernel: ratio · gaussian_σ(Lab or RGB), HWC.
    let features (options: QuickshiftOptions) (image: RgbImage) =
        let colour = if options.ConvertToLab then Color.rgbToLab image else Array.copy image.Pixels
        Gaussian.smooth options.Sigma image.Height image.Width 3 colour
        |> Array.map (fun v -> v * options.Ratio)

    /// Segment an image on up to `threads` threads; labels 0..k−1 numbered by increasing root index
    /// (skimage's `np.unique(..., return_inverse=True)`).
    let segmentWith (threads: int) (options: QuickshiftOptions) (image: RgbImage) : Segments =
        if options.KernelSize < 1.0 then
            invalidArg "KernelSize" $"kernel_size must be ≥ 1, got {options.KernelSize}"
        let h, w = image.Height, image.Width
        let kw = int (ceil (3.0 * options.KernelSize))
        let p = planes (features options image) h w kw
        // Δ² for every window offset Δ ∈ −kw..kw, broadcast to the 4 lanes.
        let squares = Array.init (2 * kw + 1) (fun i -> Vector256.Create(float ((i - kw) * (i - kw))))
        let inv = Vector256.Create(-0.5 / (options.KernelSize * options.KernelSize))
        // 1. densities, then skimage's tie-breaking noise, drawn row-major from one stream.
        let density = Array.zeroCreate<float> (h * w)
        forRows threads h (densityRow p squares inv w density)
        let rng = SplitMix64(options.RandomSeed)
        for i in 0 .. density.Length - 1 do density[i] <- density[i] + noiseScale * rng.Normal()
        // 2. parents: padded densities are −∞, so a pixel outside the image is never "higher".
        let padded = Array.create (p.Channels[0].Length) Double.NegativeInfinity
        for r in 0 .. h - 1 do Array.blit density (r * w) padded ((r + kw) * p.Stride + kw) w
        let parent = Array.init (h * w) id
        let window = 2 * kw + 1
        forRows threads h (fun r ->
            parentRow p squares padded w (fun c k closest ->
                // skimage: dist_parent = sqrt(closest); a parent farther than max_dist is cut.
                if k >= 0 && sqrt closest <= options.MaxDist then
                    parent[r * w + c] <- (r + k / window - kw) * w + c + k % window - kw) r)
        // 3. every pixel takes the root of its tree (density rises along links, so no cycles).
        let rec root i = if parent[i] = i then i else root parent[i]
        Segments.ofIds h w (Array.init (h * w) root)

    /// Segment on all cores (see `segmentWith`).
    let segment (options: QuickshiftOptions) (image: RgbImage) =
        segmentWith Environment.ProcessorCount options image
