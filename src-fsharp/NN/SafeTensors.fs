/// Saving and loading named tensors in the safetensors layout, atomically and with validation.
/// Layer: NN, last file of this group. Read next: the layers and the training loop that use it.
namespace ScratchML.NN

open System
open System.Buffers.Binary
open System.IO
open System.Runtime.InteropServices
open System.Text
open System.Text.Json
open ScratchML

/// A file that is not a valid safetensors file; the message names the file and what is wrong.
exception SafeTensorsError of file: string * detail: string with
    override this.Message = $"{this.file}: {this.detail}"

/// What a safetensors file holds: tensors by name (in data order) and string metadata.
type SafeTensorsFile = { Tensors: (string * Tensor) list; Metadata: Map<string, string> }

/// The safetensors format (https://github.com/huggingface/safetensors), as written here:
///
///     bytes 0..7      N, the header length: unsigned 64-bit little-endian
///     bytes 8..8+N    the header: UTF-8 JSON, padded with spaces to a multiple of 8 bytes
///                     { "__metadata__": { "key": "value", … },          strings only
///                       "name": { "dtype": "F32" | "F64",
///                                 "shape": [d0, d1, …],
///                                 "data_offsets": [begin, end] }, … }
///     bytes 8+N..     the data buffer: each tensor row-major, little-endian, at
///                     [begin, end) relative to the buffer's start
///
/// Tensors are written in the order given, back to back from offset 0, so the byte ranges are
/// contiguous, non-overlapping and cover the buffer exactly: end − begin = ∏ shape · 4 (F32)
/// or · 8 (F64). A model stores its architecture as a JSON string under the metadata key
/// "architecture" (SafeTensors.ArchitectureKey).
/// Python reads such a file with `safetensors.numpy.load_file(path)` or
/// `safetensors.safe_open(path, "np").metadata()`.
[<RequireQualifiedAccess>]
module SafeTensors =
    let private fail file detail : 'a = raise (SafeTensorsError(file, detail))

    /// The metadata key under which a model stores its architecture (a JSON string).
    [<Literal>]
    let ArchitectureKey = "architecture"

    // Tensors are copied to and from files as raw memory: that is little-endian only on a
    // little-endian machine (x86-64, ARM64 as .NET runs them).
    let private littleEndianOnly () =
        if not BitConverter.IsLittleEndian then
            raise (PlatformNotSupportedException "safetensors I/O needs a little-endian CPU")

    /// Bytes per element of a safetensors dtype; None for dtypes ScratchML does not load.
    let private elementSize = function "F32" -> Some 4 | "F64" -> Some 8 | _ -> None

    /// Every dtype name the safetensors format defines (to tell "unsupported" from "unknown").
    let private knownDTypes =
        set [ "BOOL"; "U8"; "I8"; "I16"; "U16"; "F16"; "BF16"; "I32"; "U32"; "F32"; "F64"
              "I64"; "U64"; "F8_E4M3"; "F8_E5M2" ]

    /// The tensor's elements, row-major, as little-endian bytes.
    let private bytesOf (t: Tensor) : byte[] =
        match Flat.storage t with
        | Storage.F32 a -> MemoryMarshal.AsBytes(ReadOnlySpan a).ToArray()
        | Storage.F64 a -> MemoryMarshal.AsBytes(ReadOnlySpan a).ToArray()

    /// The header JSON of `tensors` (each with its bytes) and `metadata`, space-padded to 8n bytes.
    let private header (metadata: Map<string, string>) (tensors: (string * Tensor * byte[]) list) =
        use stream = new MemoryStream()
        (use json = new Utf8JsonWriter(stream)
         json.WriteStartObject()
         if not metadata.IsEmpty then
             json.WriteStartObject "__metadata__"
             for KeyValue(key, value) in metadata do json.WriteString(key, value)
             json.WriteEndObject()
         let mutable offset = 0L
         for name, t, bytes in tensors do
             json.WriteStartObject name
             json.WriteString("dtype", (if t.DType = DType.Float32 then "F32" else "F64"))
             json.WriteStartArray "shape"
             for d in t.Shape do json.WriteNumberValue d
             json.WriteEndArray()
             json.WriteStartArray "data_offsets"
             json.WriteNumberValue offset
             json.WriteNumberValue(offset + int64 bytes.Length)
             json.WriteEndArray()
             json.WriteEndObject()
             offset <- offset + int64 bytes.Length
         json.WriteEndObject())
        let text = stream.ToArray()
        Array.append text (Array.create ((8 - text.Length % 8) % 8) (byte ' '))

    /// Write tensors and metadata to `path` atomically: a temporary file in the same folder is
    /// written, flushed to disk and renamed over `path`, so readers see the old or the new file.
    let save (path: string) (metadata: Map<string, string>) (tensors: (string * Tensor) list) =
        littleEndianOnly ()
        let names = tensors |> List.map fst
        if List.distinct names <> names then
            invalidArg "tensors" $"repeated tensor name in %A{names}"
        if List.contains "__metadata__" names then
            invalidArg "tensors" "a tensor cannot be named __metadata__"
        let withBytes = tensors |> List.map (fun (name, t) -> name, t, bytesOf t)
        let head = header metadata withBytes
        let full = Path.GetFullPath path
        let folder, name = Path.GetDirectoryName full, Path.GetFileName full
        let temp = Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.tmp")
        try
            (use file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write)
             let length = Array.zeroCreate<byte> 8
             BinaryPrimitives.WriteUInt64LittleEndian(Span length, uint64 head.Length)
             file.Write(length, 0, 8)
             file.Write(head, 0, head.Length)
             for _, _, bytes in withBytes do file.Write(bytes, 0, bytes.Length)
             file.Flush true)
            File.Move(temp, full, true)
        with _ ->
            if File.Exists temp then File.Delete temp
            reraise ()

    /// A header entry that passed its own checks; Begin and End are offsets in the data buffer.
    type private Entry = { Name: string; DType: string; Shape: int[]; Begin: int64; End: int64 }

    /// One header entry, checked: dtype known and loadable, shape of non-negative sizes,
    /// offsets [begin, end] inside the buffer and as long as the dtype and shape need.
    let private entry file (bufferLength: int64) (name: string) (e: JsonElement) =
        let fail detail = fail file $"tensor '{name}': {detail}"
        if e.ValueKind <> JsonValueKind.Object then fail "its header entry is not an object"
        let field key =
            match e.TryGetProperty(key: string) with
            | true, v -> v
            | _ -> raise (SafeTensorsError(file, $"tensor '{name}' has no \"{key}\" in the header"))
        let dtype =
            let v = field "dtype"
            if v.ValueKind <> JsonValueKind.String then fail "dtype is not a string"
            v.GetString()
        let size =
            match elementSize dtype with
            | Some size -> size
            | None when knownDTypes.Contains dtype ->
                fail $"dtype {dtype} is not supported (F32 and F64 are)"
            | None -> fail $"unknown dtype '{dtype}'"
        let integers key =
            let v = field key
            if v.ValueKind <> JsonValueKind.Array then fail $"{key} is not an array"
            [| for x in v.EnumerateArray() ->
                 match x.TryGetInt64() with
                 | true, n when n >= 0L -> n
                 | _ -> fail $"{key} holds {x.GetRawText()}, not a non-negative integer" |]
        let shape = integers "shape"
        let offsets = integers "data_offsets"
        if offsets.Length <> 2 then
            fail $"data_offsets must be [begin, end], not {offsets.Length} numbers"
        let b, e = offsets[0], offsets[1]
        if b > e then fail $"data_offsets [{b}, {e}] end before they begin"
        if e > bufferLength then
            let where = $"the {bufferLength}-byte data buffer"
            fail $"data_offsets [{b}, {e}] lie beyond {where} (truncated file?)"
        // ∏ shape, saturating so that a hostile shape cannot overflow into a plausible size
        let times n d = if d > 0L && n > Int64.MaxValue / d then Int64.MaxValue else n * d
        let numel = Array.fold times 1L shape
        if numel > int64 Int32.MaxValue || numel * int64 size <> e - b then
            let shown = "[" + String.Join("; ", shape) + "]"
            let needs = numel * int64 size
            fail ($"shape {shown} of {dtype} needs {needs} bytes"
                  + $", data_offsets [{b}, {e}] hold {e - b}")
        { Name = name; DType = dtype; Shape = Array.map int shape; Begin = b; End = e }

    /// The byte ranges, sorted, must tile the data buffer: from 0 to its end, no overlap, no gap.
    let private checkTiling file (bufferLength: int64) (entries: Entry list) =
        let mutable covered = 0L
        for { Name = name; Begin = b; End = e } in entries do
            let range = $"tensor '{name}': data_offsets [{b}, {e}]"
            if b < covered then
                fail file $"{range} overlap the previous tensor (ending at {covered})"
            if b > covered then fail file $"{range} leave a gap after byte {covered}"
            covered <- e
        if covered <> bufferLength then
            fail file $"the data buffer has {bufferLength} bytes but the tensors cover {covered}"

    /// Read and validate a safetensors file: header length within the file, the header a JSON
    /// object, every tensor F32/F64 with a byte range matching its shape, ranges contiguous from
    /// 0 without overlap or gap and covering the data buffer exactly. Any violation raises
    /// SafeTensorsError naming the file and the problem.
    let load (path: string) : SafeTensorsFile =
        littleEndianOnly ()
        let bytes =
            try File.ReadAllBytes path
            with :? IOException | :? UnauthorizedAccessException as e ->
                fail path $"cannot read ({e.Message})"
        if bytes.Length < 8 then
            fail path $"too short: {bytes.Length} bytes, the header length alone takes 8"
        let n = BinaryPrimitives.ReadUInt64LittleEndian(ReadOnlySpan(bytes, 0, 8))
        if n > uint64 (bytes.Length - 8) then
            fail path $"header length {n} goes beyond the end of the file ({bytes.Length} bytes)"
        let headerEnd = 8 + int n
        let root =
            try JsonDocument.Parse(ReadOnlyMemory(bytes, 8, int n)).RootElement
            with :? JsonException as e -> fail path $"header is not valid JSON ({e.Message})"
        if root.ValueKind <> JsonValueKind.Object then fail path "header is not a JSON object"
        let bufferLength = int64 (bytes.Length - headerEnd)
        let mutable metadata = Map.empty
        let entries = ResizeArray()
        for p in root.EnumerateObject() do
            if p.Name = "__metadata__" then
                if p.Value.ValueKind <> JsonValueKind.Object then
                    fail path "__metadata__ is not an object"
                for m in p.Value.EnumerateObject() do
                    if m.Value.ValueKind <> JsonValueKind.String then
                        fail path $"__metadata__ value of '{m.Name}' is not a string"
                    metadata <- metadata.Add(m.Name, m.Value.GetString())
            else entries.Add(entry path bufferLength p.Name p.Value)
        let ordered = entries |> Seq.sortBy (fun e -> e.Begin, e.End) |> List.ofSeq
        checkTiling path bufferLength ordered
        let tensor (e: Entry) =
            let span = ReadOnlySpan(bytes, headerEnd + int e.Begin, int (e.End - e.Begin))
            let storage =
                if e.DType = "F32" then
                    Storage.F32(MemoryMarshal.Cast<byte, float32>(span).ToArray())
                else Storage.F64(MemoryMarshal.Cast<byte, float>(span).ToArray())
            Tensor(storage, e.Shape, Shape.rowMajorStrides e.Shape, 0)
        { Tensors = [ for e in ordered -> e.Name, tensor e ]; Metadata = metadata }
