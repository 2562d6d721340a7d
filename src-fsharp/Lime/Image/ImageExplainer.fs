/// LIME for images (`LimeImageExplainer.explain_instance`): superpixels are the features; a
/// perturbed image keeps the superpixels whose bit is 1 and paints the others with a hide colour.
/// Layer: Lime/Image, on Explain.fs. Read next: ImageReport.fs.
namespace ScratchML.Lime.Image

open System
open System.Collections.Concurrent
open System.Threading.Tasks
open ScratchML
open ScratchML.Lime

/// What a hidden superpixel is painted with (LIME's hide_color).
[<RequireQualifiedAccess>]
type HideColor =
    /// hide_color=None: each segment's own mean colour.
    | SegmentMean
    /// A fixed colour (R, G, B) for every hidden pixel.
    | Rgb of red: float * green: float * blue: float

/// The explainer's settings (LimeImageExplainer's constructor).
type ImageExplainerOptions =
    { /// Kernel width of w = sqrt(exp(−d²/width²)) (LIME: 0.25).
      KernelWidth: float
      /// Which superpixels enter the local model ('auto': forward selection for ≤ 6, else
      /// highest weights).
      FeatureSelection: FeatureSelection
      /// Seed of the one SplitMix64 stream every random draw of an explanation comes from.
      Seed: int
      /// Threads for quickshift and for building perturbed images.
      Threads: int }

    /// LIME's defaults (kernel_width 0.25, feature_selection 'auto'), seed 0, all cores.
    static member Defaults =
        { KernelWidth = Kernels.ImageWidth; FeatureSelection = FeatureSelection.Auto; Seed = 0
          Threads = Environment.ProcessorCount }

/// `explain_instance`'s arguments.
type ImageExplainOptions =
    { /// The labels to explain: given ones, or the top k by probability at the instance.
      Labels: LabelChoice
      /// What hidden superpixels are painted with.
      HideColor: HideColor
      /// At most this many superpixels per explanation (more than there are means all).
      NumFeatures: int
      /// Perturbed images, the instance itself being the first.
      NumSamples: int
      /// Images per classifier call.
      BatchSize: int
      /// None: LIME's quickshift (kernel 4, max_dist 200, ratio 0.2) seeded with RandomSeed.
      Segmentation: Segmentation option
      /// Distance of each binary row to the all-ones row (LIME: cosine, no ×100).
      Distance: Distance
      /// None: drawn as below(1000) from the explainer's stream, as LIME draws randint(0, 1000).
      RandomSeed: int option }

    /// LIME's defaults: top_labels=5, hide_color=None, num_features=100000, num_samples=1000,
    /// batch_size=10, quickshift, cosine distance.
    static member Defaults =
        { Labels = LabelChoice.Top 5; HideColor = HideColor.SegmentMean; NumFeatures = 100000
          NumSamples = 1000; BatchSize = 10; Segmentation = None; Distance = Distance.Cosine
          RandomSeed = None }

[<RequireQualifiedAccess>]
module ImageExplainer =
    /// Maximal runs of equal label in row-major pixel order: (first pixel, length, label). Copying
    /// run by run from the original or the hidden image builds a perturbed image at memcpy speed.
    let runs (segments: Segments) =
        let labels = segments.Labels
        let out = Collections.Generic.List<struct (int * int * int)>()
        let mutable start = 0
        for p in 1 .. labels.Length do
            if p = labels.Length || labels[p] <> labels[start] then
                out.Add(struct (start, p - start, labels[start]))
                start <- p
        out.ToArray()

    /// The image every hidden pixel is taken from: segment means, or one colour everywhere.
    let hiddenImage (hide: HideColor) (image: RgbImage) (segments: Segments) =
        match hide with
        | HideColor.SegmentMean ->
            let means = Segments.meanColors image segments
            Array.init image.Pixels.Length (fun i -> means[segments.Labels[i / 3]][i % 3])
        | HideColor.Rgb (r, g, b) ->
            let colour = [| r; g; b |]
            Array.init image.Pixels.Length (fun i -> colour[i % 3])

    /// Perturbed image: pixel p from the original if row[label p] = 1, else from `hidden`.
    let perturb (runs: struct (int * int * int)[]) (original: float[]) (hidden: float[])
                (data: float[,]) (row: int) (target: float[]) =
        for struct (start, length, label) in runs do
            let source = if data[row, label] = 1.0 then original else hidden
            Array.Copy(source, start * 3, target, start * 3, length * 3)

    /// The binary rows z ∈ {0, 1}^(n×d): below(2) row-major from the stream, then row 0 := 1
    /// (the instance itself), as LIME's randint(0, 2, n·d) then data[0, :] = 1.
    let sampleRows (rng: SplitMix64) (numSamples: int) (features: int) =
        let data = Array2D.init numSamples features (fun _ _ -> float (rng.Below 2))
        for j in 0 .. features - 1 do data[0, j] <- 1.0
        data

    /// Explain `classifier`'s prediction for `image`. The classifier maps a batch of images to a
    /// (batch × classes) probability matrix; the images it receives are reused buffers, valid only
    /// during the call. Returns the explanation with the image and its segments.
    let explain (options: ImageExplainerOptions) (args: ImageExplainOptions)
                (classifier: RgbImage[] -> float[,]) (image: RgbImage) : ImageExplanation =
        Explain.positive "numSamples" args.NumSamples
        Explain.positive "numFeatures" args.NumFeatures
        Explain.positive "batchSize" args.BatchSize
        let rng = SplitMix64(options.Seed)
        let seed = args.RandomSeed |> Option.defaultWith (fun () -> rng.Below 1000)
        let segmentation = args.Segmentation |> Option.defaultValue (Segmentation.limeDefault seed)
        let segments = Segmentation.runWith options.Threads segmentation image
        let hidden = hiddenImage args.HideColor image segments
        let data = sampleRows rng args.NumSamples segments.Count
        let pieces = runs segments
        // One set of batch buffers, reused by every (sequential) batch.
        let buffers = Array.init (min args.BatchSize args.NumSamples) (fun _ ->
            { image with Pixels = GC.AllocateUninitializedArray<float> image.Pixels.Length })
        let predictBatch start count =
            let batch = Array.sub buffers 0 count
            let build i = perturb pieces image.Pixels hidden data (start + i) batch[i].Pixels
            if options.Threads <= 1 then for i in 0 .. count - 1 do build i
            else
                let parallel = ParallelOptions(MaxDegreeOfParallelism = options.Threads)
                Parallel.For(0, count, parallel, build) |> ignore
            classifier batch
        let batching = { BatchSize = args.BatchSize; Parallel = false }
        let predictions = Explain.inBatches batching args.NumSamples predictBatch
        Explain.checkPredictions Mode.Classification predictions
        let weights = Kernels.distances args.Distance data |> Kernels.weights options.KernelWidth
        // LIME takes the first num_features of a ranking, so asking for more features than
        // segments means all of them; 'auto' is resolved on the requested count first, as in LIME.
        let selection =
            match options.FeatureSelection with
            | FeatureSelection.Auto when args.NumFeatures <= 6 -> FeatureSelection.ForwardSelection
            | FeatureSelection.Auto -> FeatureSelection.HighestWeights
            | s -> s
        let numFeatures = min args.NumFeatures segments.Count
        let labelMap =
            Array2D.init image.Height image.Width (fun r c -> segments.Labels[r * image.Width + c])
        let names = Array.init segments.Count string
        let explanation =
            Explain.run Mode.Classification [||] names (Domain.Image labelMap)
                data predictions weights args.Labels numFeatures selection
        { Image = image; Segments = segments; Explanation = explanation }
