/// safetensors files: save → load gives identical bits and metadata; writes leave no temporary
/// file; a table of bad files, each rejected with an error naming the file and the problem.
module ScratchML.Tests.NN.SafeTensorsTests

open System
open System.IO
open System.Text
open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML
open ScratchML.NN
open ScratchML.Tests.NN.IdxTests

let private tensor storage (shape: int[]) = Tensor(storage, shape, Shape.rowMajorStrides shape, 0)
let private f32 shape (xs: float32[]) = tensor (Storage.F32 xs) shape
let private f64 shape (xs: float[]) = tensor (Storage.F64 xs) shape

/// The bit patterns of a tensor's elements in row-major order.
let private bits (t: Tensor) =
    let get k =
        match t.Storage with
        | Storage.F32 a -> int64 (BitConverter.SingleToInt32Bits a[k])
        | Storage.F64 a -> BitConverter.DoubleToInt64Bits a[k]
    let rowMajor = Shape.rowMajorStrides t.Shape
    Array.init t.Numel (fun k ->
        let mutable rest, at = k, t.Offset
        for axis in 0 .. t.Rank - 1 do
            at <- at + (rest / rowMajor[axis]) * t.Strides[axis]
            rest <- rest % rowMajor[axis]
        get at)

/// A safetensors file from header text (not padded) and data bytes.
let private file (header: string) (data: byte[]) =
    let h = Encoding.UTF8.GetBytes header
    Array.concat [ BitConverter.GetBytes(uint64 h.Length); h; data ]

/// One header entry as JSON text.
let private entry name dtype shape offsets =
    $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}"

/// A file of one or more entries over `n` zero data bytes.
let private entries (xs: string list) (n: int) =
    file ("{" + String.Join(",", xs) + "}") (Array.zeroCreate n)

/// Bad files: name, bytes, the words the error must contain.
let badFiles : (string * byte[] * string) list =
    let valid = entries [ entry "w" "F32" "[2]" "[0,8]" ] 8
    [ "shorter than the length field", [| 1uy; 2uy; 3uy |], "too short: 3 bytes"
      "header length beyond the file", Array.append (BitConverter.GetBytes 1000UL) "{}"B,
      "header length 1000 goes beyond the end of the file (10 bytes)"
      "header not JSON", file """{"w":{"dtype":"F32",""" [||], "header is not valid JSON"
      "header a JSON array", file "[1, 2]" [||], "header is not a JSON object"
      "unknown dtype", entries [ entry "w" "F33" "[2]" "[0,8]" ] 8, "tensor 'w': unknown dtype 'F33'"
      "unsupported dtype", entries [ entry "w" "BF16" "[2]" "[0,4]" ] 4,
      "tensor 'w': dtype BF16 is not supported"
      "offsets out of range", entries [ entry "w" "F32" "[2]" "[8,16]" ] 8,
      "tensor 'w': data_offsets [8, 16] lie beyond the 8-byte data buffer"
      "overlapping offsets",
      entries [ entry "a" "F32" "[2]" "[0,8]"; entry "b" "F32" "[1]" "[4,8]" ] 8,
      "tensor 'b': data_offsets [4, 8] overlap the previous tensor (ending at 8)"
      "gap between tensors",
      entries [ entry "a" "F32" "[1]" "[0,4]"; entry "b" "F32" "[1]" "[8,12]" ] 12,
      "tensor 'b': data_offsets [8, 12] leave a gap after byte 4"
      "shape and byte size disagree", entries [ entry "w" "F64" "[2,3]" "[0,8]" ] 8,
      "tensor 'w': shape [2; 3] of F64 needs 48 bytes, data_offsets [0, 8] hold 8"
      "truncated data", valid[.. valid.Length - 3],
      "data_offsets [0, 8] lie beyond the 6-byte data buffer (truncated file?)"
      "extra bytes after the data", Array.append valid [| 0uy |],
      "the data buffer has 9 bytes but the tensors cover 8"
      "missing data_offsets", file """{"w":{"dtype":"F32","shape":[2]}}""" (Array.zeroCreate 8),
      "tensor 'w' has no \"data_offsets\" in the header"
      "negative size", entries [ entry "w" "F32" "[-2]" "[0,8]" ] 8,
      "tensor 'w': shape holds -2, not a non-negative integer"
      "metadata value not a string", file """{"__metadata__":{"epochs":5}}""" [||],
      "__metadata__ value of 'epochs' is not a string" ]

/// A seed for the contents and 1–4 tensor specs (shape of rank 0–3 with sizes 0–4, float32?).
let private randomFiles =
    gen {
        let! count = Gen.choose (1, 4)
        let! specs =
            Gen.listOfLength count (gen {
                let! rank = Gen.choose (0, 3)
                let! shape = Gen.arrayOfLength rank (Gen.choose (0, 4))
                let! single = Gen.elements [ true; false ]
                return shape, single })
        let! seed = Gen.choose (0, 1_000_000)
        return seed, specs }

[<Tests>]
let tests =
    testList "NN.SafeTensors" [
        // Random tensors (1–4 of them, rank 0–3, sizes 0–4, float32 or float64, arbitrary bit
        // patterns including NaN payloads) survive save → load bit for bit.
        testPropertyWithConfig { FsCheckConfig.defaultConfig with maxTest = 100 } "round trip" <|
            Prop.forAll (Arb.fromGen randomFiles) (fun (seed, specs) ->
                let rng = SplitMix64(uint64 seed)
                let tensors =
                    specs |> List.mapi (fun i (shape, single) ->
                        let n = Shape.numel shape
                        let draw () = rng.Next()
                        let t =
                            if single then
                                f32 shape (Array.init n (fun _ -> BitConverter.Int32BitsToSingle(int (draw ()))))
                            else
                                f64 shape (Array.init n (fun _ -> BitConverter.UInt64BitsToDouble(draw ())))
                        $"t{i}", t)
                let dir = tempFolder ()
                try
                    let path = Path.Combine(dir, "p.safetensors")
                    let metadata = Map [ "seed", string seed ]
                    SafeTensors.save path metadata tensors
                    let loaded = SafeTensors.load path
                    let same (_, a: Tensor) (_, b: Tensor) =
                        a.Shape = b.Shape && a.DType = b.DType && bits a = bits b
                    loaded.Metadata = metadata
                    && List.map fst loaded.Tensors = List.map fst tensors
                    && List.forall2 same tensors loaded.Tensors
                finally Directory.Delete(dir, true))
        test "save → load: identical bits (float32 and float64), names, shapes, metadata" {
            let dir = tempFolder ()
            try
                let path = Path.Combine(dir, "model.safetensors")
                let specials32 =
                    [| 1.5f; -0.0f; Single.Epsilon; infinityf; -infinityf; nanf; 3.4028235e38f; 1e-40f |]
                let specials64 =
                    [| Math.PI; -0.0; Double.Epsilon; infinity; nan; 1e308; -1e-310; 2.0 / 3.0 |]
                // a strided view: the transpose of a 2×4 matrix, saved in its row-major order
                let transposed = Tensor(Storage.F64 specials64, [| 4; 2 |], [| 1; 4 |], 0)
                let tensors =
                    [ "fc1.weight", f32 [| 2; 4 |] specials32
                      "fc1.bias", f64 [| 8 |] specials64
                      "transposed", transposed
                      "scalar", f32 [||] [| 42.0f |]
                      "empty", f64 [| 0; 3 |] [||] ]
                let architecture =
                    """{"layers":[{"type":"Dense","in":784,"out":256},{"type":"ReLU"}]}"""
                let metadata = Map [ SafeTensors.ArchitectureKey, architecture; "format", "pt" ]
                SafeTensors.save path metadata tensors
                let loaded = SafeTensors.load path
                let names = List.map fst
                Expect.equal (names loaded.Tensors) (names tensors) "names, in data order"
                for (name, a), (_, b) in List.zip tensors loaded.Tensors do
                    Expect.equal b.Shape a.Shape $"{name} shape"
                    Expect.equal b.DType a.DType $"{name} dtype"
                    Expect.equal (bits b) (bits a) $"{name} bits"
                Expect.equal loaded.Metadata metadata "metadata"
                let bytes = File.ReadAllBytes path
                Expect.equal (BitConverter.ToUInt64(bytes, 0) % 8UL) 0UL "header padded to 8 bytes"
                Expect.equal (Directory.GetFiles dir) [| path |] "no temporary file left behind"
            finally Directory.Delete(dir, true)
        }
        test "saving over an existing file replaces it whole" {
            let dir = tempFolder ()
            try
                let path = Path.Combine(dir, "m.safetensors")
                SafeTensors.save path Map.empty [ "a", f64 [| 1000 |] (Array.create 1000 1.0) ]
                SafeTensors.save path Map.empty [ "b", f32 [| 2 |] [| 7.0f; 8.0f |] ]
                let loaded = SafeTensors.load path
                Expect.equal (loaded.Tensors |> List.map fst) [ "b" ] "only the new tensor"
                Expect.equal (Directory.GetFiles dir) [| path |] "no temporary file left behind"
            finally Directory.Delete(dir, true)
        }
        testList "bad files" [
            for name, bytes, words in badFiles ->
                test name {
                    let dir = tempFolder ()
                    try
                        let path = Path.Combine(dir, "bad.safetensors")
                        File.WriteAllBytes(path, bytes)
                        let message =
                            try
                                SafeTensors.load path |> ignore
                                failtest "the bad file was accepted"
                            with SafeTensorsError(f, _) as e ->
                                Expect.equal f path "the error names the file"
                                e.Message
                        Expect.stringStarts message $"{path}: " "message starts with the file"
                        Expect.stringContains message words "message says what is wrong"
                    finally Directory.Delete(dir, true)
                } ]
    ]
