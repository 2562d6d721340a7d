/// The protocol-buffers wire format, read by hand: enough to walk any message field by field.
/// Layer: NN, ONNX import (first file). Read next: OnnxModel.fs (the ONNX messages on top).
///
/// A message is a sequence of fields; each starts with a varint key = field·8 + wire type:
///   0 varint         7 bits per byte, low group first, high bit set on every byte but the last
///   1 64-bit         8 bytes little-endian (double, fixed64)
///   2 length-delim.  a varint length n, then n bytes (strings, bytes, sub-messages, packed lists)
///   5 32-bit         4 bytes little-endian (float, fixed32)
/// Nothing in the stream says what a field means: the reader of each message knows its numbers
/// (onnx.proto) and skips the ones it does not need, which is how old readers meet new files.
namespace ScratchML.NN.Onnx

open System
open System.Buffers.Binary
open System.IO
open System.Text

/// A file that is not a well-formed ONNX model; the message names the file and what is wrong.
exception OnnxError of file: string * detail: string with
    override this.Message = $"ONNX file '{this.file}': {this.detail}"

/// The wire types this reader meets (3 and 4, the deprecated groups, are refused).
[<RequireQualifiedAccess>]
type WireType =
    | Varint
    | Fixed64
    | LengthDelimited
    | Fixed32

/// A cursor over bytes [start, stop) of one message in `data`; `file` and `what` name it in errors.
type WireReader(file: string, what: string, data: byte[], start: int, stop: int) =
    let mutable position = start
    let fail (detail: string) : 'a = raise (OnnxError(file, $"{what}: {detail} (byte {position})"))
    let need n = if n < 0 || position + n > stop then fail $"truncated: {n} more bytes needed, {stop - position} left"

    /// A reader over a whole buffer.
    new(file: string, data: byte[]) = WireReader(file, "model", data, 0, data.Length)

    /// The file, for errors raised by the message readers.
    member _.File = file
    /// True when every field has been read.
    member _.AtEnd = position >= stop

    /// An unsigned varint: Σ_k (byte_k & 0x7F)·2^(7k), at most 10 bytes.
    member _.Varint() : uint64 =
        let mutable value, shift, fin = 0UL, 0, false
        while not fin do
            need 1
            if shift > 63 then fail "a varint longer than 10 bytes"
            let b = data[position]
            position <- position + 1
            value <- value ||| (uint64 (b &&& 0x7Fuy) <<< shift)
            shift <- shift + 7
            fin <- b < 0x80uy
        value

    /// A varint read as a signed 64-bit integer (int64 fields: negatives take 10 bytes).
    member r.Int64() = int64 (r.Varint())

    /// A varint that must fit an int (sizes, dims, enum values); `name` says which field.
    member r.Int(name: string) =
        let v = r.Int64()
        if v < int64 Int32.MinValue || v > int64 Int32.MaxValue then fail $"{name} = {v} does not fit an int"
        int v

    /// The next field's number and wire type, or None at the end of the message.
    member r.Next() : (int * WireType) option =
        if position >= stop then None
        else
            let key = r.Varint()
            let field = int (key >>> 3)
            if field < 1 then fail $"field number {field} (a corrupt key)"
            match key &&& 7UL with
            | 0UL -> Some (field, WireType.Varint)
            | 1UL -> Some (field, WireType.Fixed64)
            | 2UL -> Some (field, WireType.LengthDelimited)
            | 5UL -> Some (field, WireType.Fixed32)
            | t -> fail $"field {field} has wire type {t}, which this reader does not know"

    /// A 32-bit little-endian float.
    member _.Float32() : float32 =
        need 4
        let v = BinaryPrimitives.ReadSingleLittleEndian(ReadOnlySpan(data, position, 4))
        position <- position + 4
        v

    /// A 64-bit little-endian float.
    member _.Float64() : float =
        need 8
        let v = BinaryPrimitives.ReadDoubleLittleEndian(ReadOnlySpan(data, position, 8))
        position <- position + 8
        v

    /// The (offset, length) in `Data` of a length-delimited field's payload, moving past it.
    member r.Span() : int * int =
        let n = r.Varint()
        if n > uint64 Int32.MaxValue then fail $"a length of {n} bytes"
        need (int n)
        let at = position
        position <- position + int n
        at, int n

    /// A length-delimited field as a UTF-8 string.
    member r.String() = let at, n = r.Span() in Encoding.UTF8.GetString(data, at, n)

    /// A length-delimited field as a copy of its bytes.
    member r.Bytes() = let at, n = r.Span() in data[at .. at + n - 1]

    /// A reader over a length-delimited field holding a sub-message; `name` names it in errors.
    member r.Message(name: string) = let at, n = r.Span() in WireReader(file, $"{what} > {name}", data, at, at + n)

    /// Skip a field of the given wire type.
    member r.Skip(wire: WireType) =
        match wire with
        | WireType.Varint -> r.Varint() |> ignore
        | WireType.Fixed64 -> need 8; position <- position + 8
        | WireType.Fixed32 -> need 4; position <- position + 4
        | WireType.LengthDelimited -> r.Span() |> ignore

    /// A repeated int64 field, either one value (unpacked) or a packed run of varints.
    member r.Int64s(wire: WireType) : int64 list =
        match wire with
        | WireType.Varint -> [ r.Int64() ]
        | WireType.LengthDelimited ->
            let inner = r.Message "packed int64s"
            [ while not inner.AtEnd do yield inner.Int64() ]
        | _ -> fail $"a repeated int64 field with wire type {wire}"

    /// A repeated float field, either one value (unpacked) or a packed run of 4-byte floats
    /// (copied as a block: a weight tensor holds millions).
    member r.Float32s(wire: WireType) : float32[] =
        match wire with
        | WireType.Fixed32 -> [| r.Float32() |]
        | WireType.LengthDelimited ->
            let at, n = r.Span()
            if n % 4 <> 0 then fail $"packed floats of {n} bytes (not a multiple of 4)"
            WireReader.LittleEndianFloats(data, at, n)
        | _ -> fail $"a repeated float field with wire type {wire}"

    /// n bytes at `at` read as n/4 little-endian float32 values.
    static member LittleEndianFloats(data: byte[], at: int, n: int) : float32[] =
        let values = Array.zeroCreate<float32> (n / 4)
        if BitConverter.IsLittleEndian then Buffer.BlockCopy(data, at, values, 0, n)
        else
            for i in 0 .. values.Length - 1 do
                values[i] <- BinaryPrimitives.ReadSingleLittleEndian(ReadOnlySpan(data, at + 4 * i, 4))
        values

    /// The buffer the reader walks (for decoding raw payloads found by `Raw`).
    member _.Data = data

    /// Raise an error about this message (the reader's file and path, then `detail`).
    member _.Fail(detail: string) : 'a = fail detail

    /// Check a field's wire type against the one its number must have.
    member _.Expect (field: int) (expected: WireType) (actual: WireType) =
        if actual <> expected then fail $"field {field} has wire type {actual}, expected {expected}"
