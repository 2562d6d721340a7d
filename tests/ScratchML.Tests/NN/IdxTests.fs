/// The IDX reader: valid plain and gzipped files, and a table of bad files, each rejected with an
/// error naming the file and what is wrong.
module ScratchML.Tests.NN.IdxTests

open System
open System.IO
open System.IO.Compression
open Expecto
open ScratchML.NN

/// An IDX file: magic, sizes (big-endian) and data bytes.
let idx (magic: int) (dims: int list) (data: byte[]) =
    let be (x: int) = [| byte (x >>> 24); byte (x >>> 16); byte (x >>> 8); byte x |]
    Array.concat [ be magic; yield! List.map be dims; data ]

let gzip (bytes: byte[]) =
    use out = new MemoryStream()
    (use z = new GZipStream(out, CompressionLevel.Optimal)
     z.Write(bytes, 0, bytes.Length))
    out.ToArray()

/// A fresh temporary folder for one test's files.
let tempFolder () =
    let dir = Path.Combine(Path.GetTempPath(), "scratchml-tests-" + Guid.NewGuid().ToString "N")
    Directory.CreateDirectory dir |> ignore
    dir

let private images n rows cols =
    idx Idx.ImagesMagic [ n; rows; cols ] (Array.init (n * rows * cols) byte)
let private labels (xs: byte list) = idx Idx.LabelsMagic [ xs.Length ] (Array.ofList xs)

/// Bad files: name, bytes of images file, bytes of labels file, the file the error names and
/// the words it must contain. Read through Mnist.load, which reads both with Idx.read.
let badFiles : (string * byte[] * byte[] * string * string) list =
    let good = images 2 28 28
    let goodGz = gzip good
    [ "truncated data", good[.. good.Length - 100], labels [ 1uy; 2uy ], "images",
      "truncated: dimensions [2; 28; 28] need 1568 data bytes, found 1469"
      "extra bytes", Array.append good [| 0uy; 0uy; 0uy |], labels [ 1uy; 2uy ], "images",
      "3 extra bytes after the 1568 data bytes of [2; 28; 28]"
      "labels file given as images", labels [ 1uy; 2uy ], labels [ 1uy; 2uy ], "images",
      "wrong magic number 0x00000801, expected 0x00000803 (images file)"
      "not an IDX file at all", "PK\003\004 a zip file"B, labels [ 1uy ], "images",
      "wrong magic number 0x504b0304, expected 0x00000803"
      "absurd dimensions (2³¹−1 each)",
      idx Idx.ImagesMagic [ Int32.MaxValue; Int32.MaxValue; Int32.MaxValue ] [||],
      labels [ 1uy ], "images", $"need {Int64.MaxValue} data bytes, found 0"
      "truncated header", good[..9], labels [ 1uy; 2uy ], "images",
      "truncated header: 3 dimensions need 16 bytes, file has 10"
      "shorter than a magic number", [| 0uy; 0uy |], labels [ 1uy ], "images",
      "too short for an IDX header (2 bytes)"
      "corrupt gzip stream", Array.append goodGz[..9] (Array.create 50 0xFFuy), labels [ 1uy; 2uy ],
      "images", "corrupt gzip stream"
      "truncated gzip stream", goodGz[.. goodGz.Length / 2], labels [ 1uy; 2uy ], "images",
      "truncated or corrupt gzip stream: it inflates to"
      "images not 28×28", images 2 27 28, labels [ 1uy; 2uy ], "images",
      "images are 27×28, MNIST's are 28×28"
      "fewer labels than images", good, labels [ 1uy ], "labels", "1 labels for the 2 images of"
      "a label that is not a digit", good, labels [ 3uy; 12uy ], "labels",
      "label 12 at position 1 is not a digit 0..9"
      "truncated labels", good, (labels [ 1uy; 2uy ])[..8], "labels",
      "truncated: dimensions [2] need 2 data bytes, found 1" ]

[<Tests>]
let tests =
    testList "NN.Idx" [
        test "plain and gzipped files read the same" {
            let bytes = images 3 28 28
            let plain = Idx.parse "plain" Idx.ImagesMagic bytes
            let zipped = Idx.parse "zipped" Idx.ImagesMagic (gzip bytes)
            Expect.equal plain.Dims [| 3; 28; 28 |] "dims"
            Expect.equal plain.Data bytes[16..] "data after the 16-byte header"
            Expect.equal zipped plain "gzip is transparent"
        }
        testList "bad files" [
            for name, imagesBytes, labelsBytes, culprit, words in badFiles ->
                test name {
                    let dir = tempFolder ()
                    try
                        let imagesPath = Path.Combine(dir, "images.idx")
                        let labelsPath = Path.Combine(dir, "labels.idx")
                        File.WriteAllBytes(imagesPath, imagesBytes)
                        File.WriteAllBytes(labelsPath, labelsBytes)
                        let named = if culprit = "images" then imagesPath else labelsPath
                        let message =
                            try
                                Mnist.load imagesPath labelsPath |> ignore
                                failtest "the bad file was accepted"
                            with IdxError(file, detail) as e ->
                                Expect.equal file named "the error names the bad file"
                                e.Message
                        Expect.stringStarts message $"{named}: " "message starts with the file"
                        Expect.stringContains message words "message says what is wrong"
                    finally Directory.Delete(dir, true)
                } ]
        test "a missing file is named" {
            let path = Path.Combine(tempFolder (), "nowhere.idx")
            let e = Expect.throwsC (fun () -> Idx.read Idx.LabelsMagic path |> ignore) id
            Expect.stringContains e.Message $"{path}: cannot read" "names the file"
        }
    ]
