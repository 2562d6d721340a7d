/// The IDX file format (MNIST's): read plain or gzipped files, validating everything.
/// Layer: NN data, after Optimizers.fs. Read next: Mnist.fs (the data set on top of this).
namespace ScratchML.NN

open System
open System.IO
open System.IO.Compression

/// A file that is not a valid IDX file; the message names the file and what is wrong.
exception IdxError of file: string * detail: string with
    override this.Message = $"{this.file}: {this.detail}"

/// An IDX file of unsigned bytes: its sizes per dimension and its data, row-major.
type IdxData = { Dims: int[]; Data: byte[] }

/// IDX layout (big-endian): bytes 0–1 are zero, byte 2 the element type (0x08 = unsigned byte),
/// byte 3 the number of dimensions k, then k sizes as 32-bit integers, then ∏ sizes elements.
/// So magic 0x00000801 = a vector of bytes (labels), 0x00000803 = a 3-d array (images).
/// A file starting with 1f 8b is a gzip stream around such a file.
[<RequireQualifiedAccess>]
module Idx =
    /// Magic number of MNIST label files: unsigned bytes, 1 dimension.
    [<Literal>]
    let LabelsMagic = 0x00000801

    /// Magic number of MNIST image files: unsigned bytes, 3 dimensions.
    [<Literal>]
    let ImagesMagic = 0x00000803

    let private fail file detail : 'a = raise (IdxError(file, detail))

    /// The 32-bit big-endian integer at byte `at`.
    let private bigEndian (bytes: byte[]) at =
        (int bytes[at] <<< 24) ||| (int bytes[at + 1] <<< 16)
        ||| (int bytes[at + 2] <<< 8) ||| int bytes[at + 3]

    /// The bytes of a file, gunzipped when it starts with the gzip magic 1f 8b. A gzip stream
    /// ends with ISIZE, the uncompressed length mod 2³² (little-endian): .NET's GZipStream stops
    /// quietly at a cut-off stream, so comparing ISIZE is how a truncated .gz is recognised.
    let private contents (file: string) (raw: byte[]) =
        if raw.Length >= 2 && raw[0] = 0x1fuy && raw[1] = 0x8buy then
            let bytes =
                try
                    use input = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress)
                    use output = new MemoryStream()
                    input.CopyTo output
                    output.ToArray()
                with :? InvalidDataException as e ->
                    fail file $"corrupt gzip stream ({e.Message})"
            let isize = if raw.Length >= 18 then BitConverter.ToUInt32(raw, raw.Length - 4) else 0u
            if isize <> uint32 bytes.Length then
                fail file
                    ($"truncated or corrupt gzip stream: it inflates to {bytes.Length} bytes, "
                     + $"its trailer says {isize}")
            bytes
        else raw

    /// Parse IDX bytes (plain or gzipped) expecting magic `magic`; `file` names them in errors.
    /// Checks: the magic, every size ≥ 0, and exactly ∏ sizes data bytes after the header.
    let parse (file: string) (magic: int) (raw: byte[]) : IdxData =
        let bytes = contents file raw
        if bytes.Length < 4 then fail file $"too short for an IDX header ({bytes.Length} bytes)"
        let found = bigEndian bytes 0
        if found <> magic then
            let kind =
                match magic with
                | LabelsMagic -> "labels"
                | ImagesMagic -> "images"
                | _ -> "IDX"
            fail file $"wrong magic number 0x%08x{found}, expected 0x%08x{magic} ({kind} file)"
        let rank = int bytes[3]
        let header = 4 + 4 * rank
        if bytes.Length < header then
            fail file
                $"truncated header: {rank} dimensions need {header} bytes, file has {bytes.Length}"
        let dims = Array.init rank (fun d -> bigEndian bytes (4 + 4 * d))
        let shown = ScratchML.Shape.show dims
        if dims |> Array.exists (fun d -> d < 0) then fail file $"negative dimension in {shown}"
        // ∏ sizes, saturating: a corrupt header must not overflow into a plausible length
        let times n d =
            if d > 0 && n > Int64.MaxValue / int64 d then Int64.MaxValue else n * int64 d
        let expected = Array.fold times 1L dims
        let actual = int64 (bytes.Length - header)
        if actual < expected then
            fail file $"truncated: dimensions {shown} need {expected} data bytes, found {actual}"
        if actual > expected then
            fail file $"{actual - expected} extra bytes after the {expected} data bytes of {shown}"
        { Dims = dims; Data = bytes[header..] }

    /// Read an IDX file (plain or .gz) expecting magic `magic` (LabelsMagic or ImagesMagic).
    let read (magic: int) (path: string) : IdxData =
        let bytes =
            try File.ReadAllBytes path
            with :? IOException | :? UnauthorizedAccessException as e ->
                fail path $"cannot read ({e.Message})"
        parse path magic bytes
