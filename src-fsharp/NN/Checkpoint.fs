/// Saving and loading a model: weights as safetensors, the architecture as JSON metadata.
/// Layer: NN, after Train.fs. Read next: the C# facade (src-csharp/ScratchML/Models.cs).
///
/// File: a safetensors file (SafeTensors.fs) whose tensors are the parameters and buffers by
/// name ("fc1.weight", "fc1.bias", "bn1.running_mean", …, PyTorch's state_dict names for a
/// module with attributes fc1, bn1, …) and whose metadata holds "scratchml.architecture", e.g.
///   {"format":1,"input":[784],"dtype":"float32","seed":0,
///    "layers":[{"type":"dense","inputs":784,"outputs":256},{"type":"relu"},
///              {"type":"dropout","p":0.5},{"type":"leaky_relu","slope":0.01},{"type":"flatten"}]}
/// Convolution, pooling, embedding and recurrent layers carry PyTorch's constructor arguments
/// by PyTorch's names (in_channels, kernel_size, stride, padding, …, hidden_size, num_layers).
namespace ScratchML.NN

open System
open System.IO
open System.Text
open System.Text.Json
open ScratchML

/// Model files.
[<RequireQualifiedAccess>]
module Checkpoint =
    /// The metadata key of the architecture JSON.
    [<Literal>]
    let ArchitectureKey = "scratchml.architecture"

    let private activationOf (name: string) (layer: JsonElement) =
        match name with
        | "identity" -> Activation.Identity
        | "relu" -> Activation.Relu
        | "leaky_relu" -> Activation.LeakyRelu (layer.GetProperty("slope").GetDouble())
        | "sigmoid" -> Activation.Sigmoid
        | "tanh" -> Activation.Tanh
        | "softmax" -> Activation.Softmax
        | "log_softmax" -> Activation.LogSoftmax
        | other -> raise (FormatException $"unknown layer type '{other}'")

    /// PyTorch's names of the recurrent kinds: "rnn_tanh", "rnn_relu", "lstm", "gru".
    let private recurrentKind (kind: CellKind) =
        match kind with
        | CellKind.RnnTanh -> "rnn_tanh"
        | CellKind.RnnRelu -> "rnn_relu"
        | CellKind.Lstm -> "lstm"
        | CellKind.Gru -> "gru"

    let private pair (w: Utf8JsonWriter) (name: string) ((a, b): int * int) =
        w.WriteStartArray name
        w.WriteNumberValue a
        w.WriteNumberValue b
        w.WriteEndArray()

    let private poolFields (w: Utf8JsonWriter) (pool: Pool2dSpec) =
        pair w "kernel_size" pool.Kernel; pair w "stride" pool.Stride; pair w "padding" pool.Padding
        w.WriteBoolean("ceil_mode", pool.CeilMode)

    let private readPair (layer: JsonElement) (name: string) =
        match [ for v in layer.GetProperty(name).EnumerateArray() -> v.GetInt32() ] with
        | [ a; b ] -> a, b
        | _ -> raise (FormatException $"'{name}' must hold two integers")

    let private readPool (layer: JsonElement) =
        { Kernel = readPair layer "kernel_size"; Stride = readPair layer "stride"
          Padding = readPair layer "padding"; CeilMode = layer.GetProperty("ceil_mode").GetBoolean() }

    let private readRecurrent (kind: CellKind) (layer: JsonElement) =
        let spec =
            { Kind = kind; InputSize = layer.GetProperty("input_size").GetInt32()
              HiddenSize = layer.GetProperty("hidden_size").GetInt32()
              NumLayers = layer.GetProperty("num_layers").GetInt32()
              Bidirectional = layer.GetProperty("bidirectional").GetBoolean()
              BatchFirst = true; Bias = layer.GetProperty("bias").GetBoolean() }
        let readout =
            match layer.GetProperty("readout").GetString() with
            | "last" -> Readout.Last
            | "sequence" -> Readout.Sequence
            | other -> raise (FormatException $"unknown readout '{other}'")
        LayerSpec.Recurrent (spec, readout)

    /// The architecture of a model as one JSON object (see the file comment).
    let architecture (model: Model) : string =
        use stream = new MemoryStream()
        use w = new Utf8JsonWriter(stream)
        w.WriteStartObject()
        w.WriteNumber("format", 1)
        w.WriteStartArray("input")
        for d in model.InputShape do w.WriteNumberValue d
        w.WriteEndArray()
        w.WriteString("dtype", string model.DType)
        w.WriteNumber("seed", model.Seed)
        w.WriteStartArray("layers")
        for spec in model.Network.Specs do
            w.WriteStartObject()
            match spec with
            | LayerSpec.Dense (inputs, outputs) ->
                w.WriteString("type", "dense"); w.WriteNumber("inputs", inputs); w.WriteNumber("outputs", outputs)
            | LayerSpec.Activation a ->
                w.WriteString("type", Activations.name a)
                match a with Activation.LeakyRelu slope -> w.WriteNumber("slope", slope) | _ -> ()
            | LayerSpec.Dropout p -> w.WriteString("type", "dropout"); w.WriteNumber("p", p)
            | LayerSpec.Flatten -> w.WriteString("type", "flatten")
            | LayerSpec.Conv2d (inputs, outputs, kernel, conv) ->
                w.WriteString("type", "conv2d"); w.WriteNumber("in_channels", inputs)
                w.WriteNumber("out_channels", outputs); pair w "kernel_size" kernel; pair w "stride" conv.Stride
                pair w "padding" conv.Padding; pair w "dilation" conv.Dilation; w.WriteNumber("groups", conv.Groups)
            | LayerSpec.MaxPool2d pool -> w.WriteString("type", "max_pool2d"); poolFields w pool
            | LayerSpec.AvgPool2d (pool, countIncludePad) ->
                w.WriteString("type", "avg_pool2d"); poolFields w pool; w.WriteBoolean("count_include_pad", countIncludePad)
            | LayerSpec.BatchNorm2d (channels, eps, momentum) ->
                w.WriteString("type", "batch_norm2d"); w.WriteNumber("channels", channels)
                w.WriteNumber("eps", eps); w.WriteNumber("momentum", momentum)
            | LayerSpec.Embedding (vocabulary, dimension) ->
                w.WriteString("type", "embedding"); w.WriteNumber("vocabulary", vocabulary); w.WriteNumber("dimension", dimension)
            | LayerSpec.Recurrent (s, readout) ->
                w.WriteString("type", recurrentKind s.Kind); w.WriteNumber("input_size", s.InputSize)
                w.WriteNumber("hidden_size", s.HiddenSize); w.WriteNumber("num_layers", s.NumLayers)
                w.WriteBoolean("bidirectional", s.Bidirectional); w.WriteBoolean("bias", s.Bias)
                w.WriteString("readout", (match readout with Readout.Last -> "last" | Readout.Sequence -> "sequence"))
            | LayerSpec.PoolOverTime pooling ->
                w.WriteString("type", "pool_over_time")
                w.WriteString("pooling", (match pooling with TimePooling.Max -> "max" | TimePooling.Mean -> "mean"))
            w.WriteEndObject()
        w.WriteEndArray()
        w.WriteEndObject()
        w.Flush()
        Encoding.UTF8.GetString(stream.ToArray())

    /// (layer specs, input shape, dtype, seed) from an architecture JSON string.
    let parseArchitecture (json: string) =
        use doc = JsonDocument.Parse json
        let root = doc.RootElement
        if root.GetProperty("format").GetInt32() <> 1 then raise (FormatException "unknown architecture format")
        let input = [| for d in root.GetProperty("input").EnumerateArray() -> d.GetInt32() |]
        let dtype =
            match root.GetProperty("dtype").GetString() with
            | "float32" -> DType.Float32
            | "float64" -> DType.Float64
            | other -> raise (FormatException $"unknown dtype '{other}'")
        let specs =
            [ for layer in root.GetProperty("layers").EnumerateArray() ->
                match layer.GetProperty("type").GetString() with
                | "dense" -> LayerSpec.Dense (layer.GetProperty("inputs").GetInt32(), layer.GetProperty("outputs").GetInt32())
                | "dropout" -> LayerSpec.Dropout (layer.GetProperty("p").GetDouble())
                | "flatten" -> LayerSpec.Flatten
                | "conv2d" ->
                    let stride, padding, dilation = readPair layer "stride", readPair layer "padding", readPair layer "dilation"
                    let conv = { Stride = stride; Padding = padding; Dilation = dilation; Groups = layer.GetProperty("groups").GetInt32() }
                    LayerSpec.Conv2d (layer.GetProperty("in_channels").GetInt32(), layer.GetProperty("out_channels").GetInt32(),
                                      readPair layer "kernel_size", conv)
                | "max_pool2d" -> LayerSpec.MaxPool2d (readPool layer)
                | "avg_pool2d" -> LayerSpec.AvgPool2d (readPool layer, layer.GetProperty("count_include_pad").GetBoolean())
                | "batch_norm2d" ->
                    LayerSpec.BatchNorm2d (layer.GetProperty("channels").GetInt32(), layer.GetProperty("eps").GetDouble(),
                                           layer.GetProperty("momentum").GetDouble())
                | "embedding" -> LayerSpec.Embedding (layer.GetProperty("vocabulary").GetInt32(), layer.GetProperty("dimension").GetInt32())
                | "rnn_tanh" -> readRecurrent CellKind.RnnTanh layer
                | "rnn_relu" -> readRecurrent CellKind.RnnRelu layer
                | "lstm" -> readRecurrent CellKind.Lstm layer
                | "gru" -> readRecurrent CellKind.Gru layer
                | "pool_over_time" ->
                    match layer.GetProperty("pooling").GetString() with
                    | "max" -> LayerSpec.PoolOverTime TimePooling.Max
                    | "mean" -> LayerSpec.PoolOverTime TimePooling.Mean
                    | other -> raise (FormatException $"unknown pooling '{other}'")
                | name -> LayerSpec.Activation (activationOf name layer) ]
        specs, input, dtype, root.GetProperty("seed").GetInt32()

    /// The tensors a model file holds, by name: the parameters, then the buffers (PyTorch's
    /// state_dict, e.g. "conv1.weight", …, "bn1.running_mean", "bn1.num_batches_tracked").
    let tensors (model: Model) = model.Named @ model.NamedBuffers

    /// Save a model's parameters, buffers and architecture to `path` (atomic: temp file, then
    /// rename).
    let save (path: string) (model: Model) =
        SafeTensors.save path (Map [ ArchitectureKey, architecture model ]) (tensors model)

    /// Load a model saved by `save`: rebuild the network from the architecture, then bind every
    /// parameter and buffer by name. A missing key, a missing or extra tensor, or a wrong shape
    /// is an error naming the file and the problem.
    let load (path: string) : Model =
        let file = SafeTensors.load path
        let fail (detail: string) : 'a = raise (SafeTensorsError(path, detail))
        let json =
            match file.Metadata.TryFind ArchitectureKey with
            | Some json -> json
            | None -> fail $"no '{ArchitectureKey}' metadata: not a ScratchML model file"
        let specs, input, dtype, seed =
            try parseArchitecture json
            with
            | :? JsonException | :? FormatException | :? InvalidOperationException
            | :? System.Collections.Generic.KeyNotFoundException as e -> fail $"bad architecture: {e.Message}"
        let network = Sequential.ofSpecs specs
        let tensors = Map file.Tensors
        let names = network.Parameters |> List.map (fun p -> p.Name)
        let bufferNames = network.Buffers |> List.map (fun b -> b.Name)
        for name in names @ bufferNames do
            if not (tensors.ContainsKey name) then fail $"tensor '{name}' is missing"
        for name, _ in file.Tensors do
            if not (List.contains name names || List.contains name bufferNames) then fail $"unexpected tensor '{name}'"
        try Model.ofState network input dtype seed [ for name in names -> tensors[name] ] [ for name in bufferNames -> tensors[name] ]
        with :? ArgumentException as e -> fail e.Message
