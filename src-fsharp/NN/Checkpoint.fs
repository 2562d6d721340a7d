/// Saving and loading a model: weights as safetensors, the architecture as JSON metadata.
/// Layer: NN, after Train.fs. Read next: the C# facade (src-csharp/ScratchML/Models.cs).
///
/// File: a safetensors file (SafeTensors.fs) whose tensors are the parameters by name
/// ("fc1.weight", "fc1.bias", …, PyTorch's names for a module with attributes fc1, fc2) and
/// whose metadata holds "scratchml.architecture", e.g.
///   {"format":1,"input":[784],"dtype":"float32","seed":0,
///    "layers":[{"type":"dense","inputs":784,"outputs":256},{"type":"relu"},
///              {"type":"dropout","p":0.5},{"type":"leaky_relu","slope":0.01},{"type":"flatten"}]}
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
                | name -> LayerSpec.Activation (activationOf name layer) ]
        specs, input, dtype, root.GetProperty("seed").GetInt32()

    /// Save a model's parameters and architecture to `path` (atomic: temp file, then rename).
    let save (path: string) (model: Model) =
        SafeTensors.save path (Map [ ArchitectureKey, architecture model ]) model.Named

    /// Load a model saved by `save`: rebuild the network from the architecture, then bind every
    /// parameter by name. A missing key, a missing or extra tensor, or a wrong shape is an
    /// error naming the file and the problem.
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
        for name in names do
            if not (tensors.ContainsKey name) then fail $"tensor '{name}' is missing"
        for name, _ in file.Tensors do
            if not (List.contains name names) then fail $"unexpected tensor '{name}'"
        try Model.ofValues network input dtype seed [ for name in names -> tensors[name] ]
        with :? ArgumentException as e -> fail e.Message
