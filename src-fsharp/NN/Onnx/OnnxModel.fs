/// The ONNX messages this library reads (ModelProto → GraphProto → NodeProto, AttributeProto,
/// TensorProto, ValueInfoProto), decoded from the wire format with the field numbers of
/// onnx.proto. Layer: NN, ONNX import. Read next: OnnxImport.fs (nodes → expression graph).
///
/// An ONNX model is a graph in static single assignment: every value has a name, each node
/// reads named values (graph inputs, initializers = stored weights, other nodes' outputs) and
/// writes new ones; nodes are listed in a topological order. Only what an import needs is kept.
namespace ScratchML.NN.Onnx

open System.IO

/// A stored tensor's numbers: float32 (weights) or int64 (shapes, indices).
[<RequireQualifiedAccess>]
type OnnxData =
    | Floats of float32[]
    | Int64s of int64[]

/// TensorProto: a named tensor of `Dims` (row-major) and its numbers.
type OnnxTensor = { Name: string; Dims: int[]; Data: OnnxData }

/// AttributeProto's value, by its declared type.
[<RequireQualifiedAccess>]
type OnnxAttribute =
    | Float of float32
    | Int of int64
    | String of string
    | Tensor of OnnxTensor
    | Floats of float32[]
    | Ints of int64[]
    | Strings of string list
    /// GRAPH, GRAPHS, TENSORS, SPARSE_TENSOR…: kept as their type number, refused if used.
    | Other of typeNumber: int

/// NodeProto: op `OpType` (in `Domain`, "" = the standard ai.onnx) reading `Inputs`, writing
/// `Outputs` ("" marks an omitted optional input), with named attributes.
type OnnxNode =
    { Name: string
      OpType: string
      Domain: string
      Inputs: string list
      Outputs: string list
      Attributes: Map<string, OnnxAttribute> }

/// One axis of a declared shape: a number, a symbolic name (e.g. "batch"), or nothing.
[<RequireQualifiedAccess>]
type OnnxDim =
    | Fixed of int
    | Named of string
    | Unknown

/// ValueInfoProto of a tensor: name, element type (1 = float32, 7 = int64 …) and shape.
type OnnxValueInfo = { Name: string; ElementType: int; Dims: OnnxDim list }

/// GraphProto: nodes in topological order, stored tensors, declared inputs and outputs.
type OnnxGraph =
    { Name: string
      Nodes: OnnxNode list
      Initializers: OnnxTensor list
      Inputs: OnnxValueInfo list
      Outputs: OnnxValueInfo list }

/// ModelProto: format version, producer, operator-set versions by domain, the graph; and the
/// file it was read from (named in import errors).
type OnnxModel =
    { File: string
      IrVersion: int64
      Producer: string
      ProducerVersion: string
      Opsets: (string * int64) list
      Graph: OnnxGraph }

/// Decoding ONNX files.
[<RequireQualifiedAccess>]
module OnnxModel =
    /// TensorProto.DataType numbers this reader decodes.
    [<Literal>]
    let Float32 = 1
    [<Literal>]
    let Int64 = 7

    /// Walk a message, handing each field to `visit`, skipping the fields it returns false for.
    let private fields (r: WireReader) (visit: int -> WireType -> bool) =
        let mutable next = r.Next()
        while next.IsSome do
            let field, wire = next.Value
            if not (visit field wire) then r.Skip wire
            next <- r.Next()

    /// TensorProto: dims 1, data_type 2, float_data 4, int64_data 7, name 8, raw_data 9
    /// (raw_data: the numbers little-endian back to back, the usual form of large tensors).
    let private tensor (r: WireReader) : OnnxTensor =
        let dims = ResizeArray<int64>()
        let floats = ResizeArray<float32>()
        let ints = ResizeArray<int64>()
        let mutable dataType, name, raw = 0, "", None
        fields r (fun field wire ->
            match field with
            | 1 -> dims.AddRange(r.Int64s wire); true
            | 2 -> dataType <- r.Int "data_type"; true
            | 4 -> floats.AddRange(r.Float32s wire); true
            | 7 -> ints.AddRange(r.Int64s wire); true
            | 8 -> name <- r.String(); true
            | 9 -> raw <- Some (r.Span()); true
            | 13 | 14 -> r.Fail $"tensor '{name}' keeps its data in an external file, which is not supported"
            | _ -> false)
        let count = Seq.fold (fun n d -> n * d) 1L dims
        if dims |> Seq.exists (fun d -> d < 0L) || count > int64 System.Int32.MaxValue then
            r.Fail $"tensor '{name}' has dims {List.ofSeq dims}"
        let data =
            match dataType, raw with
            | Float32, Some (at, n) -> OnnxData.Floats (WireReader.LittleEndianFloats(r.Data, at, n))
            | Float32, None -> OnnxData.Floats (floats.ToArray())
            | Int64, Some (at, n) ->
                OnnxData.Int64s (Array.init (n / 8) (fun i ->
                    System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(System.ReadOnlySpan(r.Data, at + 8 * i, 8))))
            | Int64, None -> OnnxData.Int64s (ints.ToArray())
            | t, _ -> r.Fail $"tensor '{name}' has data type {t}; only float32 (1) and int64 (7) are read"
        let length = match data with OnnxData.Floats a -> a.Length | OnnxData.Int64s a -> a.Length
        if int64 length <> count then
            r.Fail $"tensor '{name}' of dims {List.ofSeq dims} holds {length} numbers, expected {count}"
        { Name = name; Dims = dims |> Seq.map int |> Array.ofSeq; Data = data }

    /// AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, strings 9, type 20.
    let private attribute (r: WireReader) : string * OnnxAttribute =
        let mutable name, kind = "", 0
        let mutable f, i, s, t = 0.0f, 0L, "", None
        let floats, ints, strings = ResizeArray<float32>(), ResizeArray<int64>(), ResizeArray<string>()
        fields r (fun field wire ->
            match field with
            | 1 -> name <- r.String(); true
            | 2 -> f <- r.Float32(); true
            | 3 -> i <- r.Int64(); true
            | 4 -> s <- r.String(); true
            | 5 -> t <- Some (tensor (r.Message "tensor")); true
            | 7 -> floats.AddRange(r.Float32s wire); true
            | 8 -> ints.AddRange(r.Int64s wire); true
            | 9 -> strings.Add(r.String()); true
            | 20 -> kind <- r.Int "type"; true
            | _ -> false)
        let value =
            match kind with
            | 1 -> OnnxAttribute.Float f
            | 2 -> OnnxAttribute.Int i
            | 3 -> OnnxAttribute.String s
            | 4 -> OnnxAttribute.Tensor (t |> Option.defaultWith (fun () -> r.Fail $"attribute '{name}' has no tensor"))
            | 6 -> OnnxAttribute.Floats (floats.ToArray())
            | 7 -> OnnxAttribute.Ints (ints.ToArray())
            | 8 -> OnnxAttribute.Strings (List.ofSeq strings)
            | k -> OnnxAttribute.Other k
        name, value

    /// NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7.
    let private node (r: WireReader) : OnnxNode =
        let inputs, outputs, attributes = ResizeArray(), ResizeArray(), ResizeArray()
        let mutable name, op, domain = "", "", ""
        fields r (fun field wire ->
            match field with
            | 1 -> inputs.Add(r.String()); true
            | 2 -> outputs.Add(r.String()); true
            | 3 -> name <- r.String(); true
            | 4 -> op <- r.String(); true
            | 5 -> attributes.Add(attribute (r.Message "attribute")); true
            | 7 -> domain <- r.String(); true
            | _ -> false)
        { Name = name; OpType = op; Domain = domain; Inputs = List.ofSeq inputs
          Outputs = List.ofSeq outputs; Attributes = Map.ofSeq attributes }

    /// TensorShapeProto.Dimension: dim_value 1, dim_param 2.
    let private dim (r: WireReader) =
        let mutable d = OnnxDim.Unknown
        fields r (fun field _ ->
            match field with
            | 1 -> d <- OnnxDim.Fixed (r.Int "dim_value"); true
            | 2 -> d <- OnnxDim.Named (r.String()); true
            | _ -> false)
        d

    /// TypeProto.Tensor: elem_type 1, shape 2 (TensorShapeProto: dim 1).
    let private tensorType (r: WireReader) =
        let mutable elementType = 0
        let dims = ResizeArray()
        fields r (fun field _ ->
            match field with
            | 1 -> elementType <- r.Int "elem_type"; true
            | 2 ->
                let shape = r.Message "shape"
                fields shape (fun field _ -> field = 1 && (dims.Add(dim (shape.Message "dim")); true))
                true
            | _ -> false)
        elementType, List.ofSeq dims

    /// ValueInfoProto: name 1, type 2 (TypeProto: tensor_type 1).
    let private valueInfo (r: WireReader) : OnnxValueInfo =
        let mutable info = { Name = ""; ElementType = 0; Dims = [] }
        fields r (fun field _ ->
            match field with
            | 1 -> info <- { info with Name = r.String() }; true
            | 2 ->
                let typeProto = r.Message "type"
                fields typeProto (fun field _ ->
                    field = 1 && (let e, dims = tensorType (typeProto.Message "tensor_type")
                                  info <- { info with ElementType = e; Dims = dims }
                                  true))
                true
            | _ -> false)
        info

    /// GraphProto: node 1, name 2, initializer 5, input 11, output 12.
    let private graph (r: WireReader) : OnnxGraph =
        let nodes, initializers, inputs, outputs = ResizeArray(), ResizeArray(), ResizeArray(), ResizeArray()
        let mutable name = ""
        fields r (fun field _ ->
            match field with
            | 1 -> nodes.Add(node (r.Message $"node {nodes.Count}")); true
            | 2 -> name <- r.String(); true
            | 5 -> initializers.Add(tensor (r.Message $"initializer {initializers.Count}")); true
            | 11 -> inputs.Add(valueInfo (r.Message "input")); true
            | 12 -> outputs.Add(valueInfo (r.Message "output")); true
            | _ -> false)
        { Name = name; Nodes = List.ofSeq nodes; Initializers = List.ofSeq initializers
          Inputs = List.ofSeq inputs; Outputs = List.ofSeq outputs }

    /// ModelProto: ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8
    /// (OperatorSetIdProto: domain 1, version 2).
    let ofBytes (file: string) (bytes: byte[]) : OnnxModel =
        let r = WireReader(file, bytes)
        let mutable ir, producer, version, found = 0L, "", "", None
        let opsets = ResizeArray()
        fields r (fun field _ ->
            match field with
            | 1 -> ir <- r.Int64(); true
            | 2 -> producer <- r.String(); true
            | 3 -> version <- r.String(); true
            | 7 -> found <- Some (graph (r.Message "graph")); true
            | 8 ->
                let o = r.Message "opset_import"
                let mutable domain, v = "", 0L
                fields o (fun field _ ->
                    match field with
                    | 1 -> domain <- o.String(); true
                    | 2 -> v <- o.Int64(); true
                    | _ -> false)
                opsets.Add((domain, v)); true
            | _ -> false)
        match found with
        | Some g -> { File = file; IrVersion = ir; Producer = producer; ProducerVersion = version; Opsets = List.ofSeq opsets; Graph = g }
        | None -> raise (OnnxError(file, "no graph (field 7 of ModelProto): not an ONNX model"))

    /// Read and decode an ONNX file.
    let load (path: string) : OnnxModel =
        if not (File.Exists path) then raise (OnnxError(path, "does not exist"))
        ofBytes path (File.ReadAllBytes path)

    /// The version of the standard operator set ("" or "ai.onnx") the model is written against.
    let opset (model: OnnxModel) =
        model.Opsets |> List.tryPick (fun (d, v) -> if d = "" || d = "ai.onnx" then Some v else None)
        |> Option.defaultValue 1L
