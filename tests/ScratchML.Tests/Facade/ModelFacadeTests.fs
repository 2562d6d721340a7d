/// The C# facade of the NN layer: .NET types only in public signatures, XOR learnt through it,
/// save → load → identical probabilities, and argument errors that name the parameter.
module ScratchML.Tests.Facade.ModelFacadeTests

open System
open System.IO
open System.Reflection
open Expecto

/// Every type a public member of `t` exposes (return, parameters, properties, base type).
let private exposed (t: Type) =
    let flags = BindingFlags.Public ||| BindingFlags.Instance ||| BindingFlags.Static ||| BindingFlags.DeclaredOnly
    [ for m in t.GetMethods flags do
        yield m.ReturnType
        for p in m.GetParameters() -> p.ParameterType
      for c in t.GetConstructors flags do
        for p in c.GetParameters() -> p.ParameterType
      for p in t.GetProperties flags -> p.PropertyType ]

/// A type and its generic arguments and element types, recursively.
let rec private parts (t: Type) : Type list =
    [ yield t
      if t.HasElementType then yield! parts (t.GetElementType())
      if t.IsGenericType then for a in t.GetGenericArguments() do yield! parts a ]

let private xorX = array2D [ [ 0.0; 0.0 ]; [ 0.0; 1.0 ]; [ 1.0; 0.0 ]; [ 1.0; 1.0 ] ]
let private xorY = [| 0; 1; 1; 0 |]

[<Tests>]
let tests =
    testList "Facade.Model" [
        test "public signatures of the NN facade use no FSharp.Core type" {
            let types = [ typeof<ScratchML.Model>; typeof<ScratchML.Sequential>; typeof<ScratchML.Layer>; typeof<ScratchML.Dense>
                          typeof<ScratchML.Activation>; typeof<ScratchML.Dropout>; typeof<ScratchML.Flatten>
                          typeof<ScratchML.Optimizer>; typeof<ScratchML.Sgd>; typeof<ScratchML.Adam>; typeof<ScratchML.RmsProp>
                          typeof<ScratchML.Adagrad>; typeof<ScratchML.EpochResult>; typeof<ScratchML.EvaluationResult>
                          typeof<ScratchML.DigitSet>; typeof<ScratchML.Mnist>; typeof<ScratchML.Conv2d>
                          typeof<ScratchML.MaxPool2d>; typeof<ScratchML.AvgPool2d>; typeof<ScratchML.Embedding>
                          typeof<ScratchML.RecurrentLayer>; typeof<ScratchML.Lstm>; typeof<ScratchML.Gru>; typeof<ScratchML.Rnn>
                          typeof<ScratchML.BatchNorm2d> ]
            let offenders =
                [ for t in types do
                    for e in exposed t do
                        for p in parts e do
                            if p.Assembly = typeof<FSharpFunc<int, int>>.Assembly then yield $"{t.Name}: {p.FullName}" ]
            Expect.isEmpty offenders "FSharp.Core types in public signatures"
        }
        test "a 2-8-2 MLP learns XOR through the facade, and save → load predicts the same" {
            let model = ScratchML.Model(ScratchML.Sequential(ScratchML.Dense(2, 8), ScratchML.Activation.Tanh, ScratchML.Dense(8, 2)), seed = 3, doublePrecision = true)
            model.Compile(ScratchML.Adam(learningRate = 0.05))
            let history = model.Fit(xorX, xorY, epochs = 300, batchSize = 4)
            Expect.equal history.Count 300 "one result per epoch"
            Expect.equal (model.Predict xorX) xorY "XOR"
            let path = Path.Combine(Path.GetTempPath(), $"scratchml-facade-{Guid.NewGuid()}.safetensors")
            try
                model.Save path
                let loaded = ScratchML.Model.Load path
                Expect.equal (loaded.PredictProbabilities xorX) (model.PredictProbabilities xorX) "identical probabilities"
                Expect.equal (string loaded.Network) (string model.Network) "architecture"
            finally File.Delete path
        }
        test "CNN and LSTM networks from C#: shapes checked, described, saved and loaded" {
            let cnn = ScratchML.Sequential(ScratchML.Conv2d(1, 4, 3, padding = 1), ScratchML.Activation.Relu, ScratchML.MaxPool2d(2),
                                           ScratchML.AvgPool2d(2), ScratchML.Flatten(), ScratchML.Dense(4 * 2 * 2, 3))
            let model = ScratchML.Model(cnn, [| 1; 8; 8 |], seed = 1)
            Expect.equal (string model.Network) "Conv2d(1 → 4, 3×3, padding 1) → relu → MaxPool2d(2) → AvgPool2d(2) → Flatten → Dense(16 → 3)" "description"
            Expect.equal model.ParameterCount (4 * 9 + 4 + 16 * 3 + 3) "parameters"
            let e = Expect.throwsC (fun () -> ScratchML.Model(cnn, [| 1; 6; 6 |]) |> ignore) id
            Expect.equal (e :?> ArgumentException).ParamName "inputShape" "a shape the layers do not fit"
            let rnn = ScratchML.Sequential(ScratchML.Embedding(20, 4), ScratchML.Gru(4, 6, bidirectional = true), ScratchML.Dense(12, 2))
            let model = ScratchML.Model(rnn, [| 5 |], seed = 2)
            Expect.equal model.ParameterCount (80 + 2 * (18 * 4 + 18 * 6 + 36) + 26) "GRU parameters as PyTorch counts them"
            let path = Path.Combine(Path.GetTempPath(), $"scratchml-facade-{Guid.NewGuid()}.safetensors")
            try
                model.Save path
                Expect.equal (string (ScratchML.Model.Load path).Network) "Embedding(20 × 4) → Gru(4 → 6, bidirectional) → Dense(12 → 2)" "loaded"
            finally File.Delete path
        }
        test "a CNN with BatchNorm2d from C#: trains, keeps its running statistics through a file, draws filters and maps" {
            let cnn = ScratchML.Sequential(ScratchML.Conv2d(1, 4, 3), ScratchML.BatchNorm2d(4), ScratchML.Activation.Relu,
                                           ScratchML.MaxPool2d(2), ScratchML.Flatten(), ScratchML.Dense(4 * 3 * 3, 2))
            let model = ScratchML.Model(cnn, [| 1; 8; 8 |], seed = 3, doublePrecision = true)
            Expect.equal (string model.Network) "Conv2d(1 → 4, 3×3) → BatchNorm2d(4) → relu → MaxPool2d(2) → Flatten → Dense(36 → 2)" "description"
            Expect.equal model.ParameterCount (4 * 9 + 4 + 2 * 4 + 36 * 2 + 2) "γ and β are parameters, running statistics are not"
            Expect.equal (List.ofSeq model.LayerNames) [ "conv1"; "bn1"; "relu1"; "maxpool1"; "flatten1"; "fc1" ] "layer names"
            let x = Array2D.init 12 64 (fun r c -> float ((r * 7 + c * 3) % 11) / 11.0)
            let y = Array.init 12 (fun r -> r % 2)
            let before = model.PredictProbabilities x
            model.Fit(x, y, epochs = 2, batchSize = 4) |> ignore
            Expect.notEqual (model.PredictProbabilities x) before "trained"
            let folder = Path.Combine(Path.GetTempPath(), $"scratchml-facade-bn-{Guid.NewGuid():N}")
            try
                let path = Path.Combine(folder, "cnn.safetensors")
                model.Save path
                let loaded = ScratchML.Model.Load path
                Expect.equal (string loaded.Network) (string model.Network) "architecture"
                Expect.equal (loaded.PredictProbabilities x) (model.PredictProbabilities x) "identical probabilities (running statistics saved)"
                let filters = Path.Combine(folder, "filters.png")
                model.SaveFilters("conv1", filters, pixelsPerWeight = 5)
                use bitmap = SkiaSharp.SKBitmap.Decode filters
                Expect.equal (bitmap.Width, bitmap.Height) (2 * 15 + 3 * 2, 2 * 15 + 3 * 2) "2×2 tiles of 3×3 weights"
                let maps = Path.Combine(folder, "maps.png")
                model.SaveFeatureMaps(2, Array.init 64 (fun i -> float32 (i % 8) / 8.0f), maps, pixelsPerValue = 4)
                use bitmap = SkiaSharp.SKBitmap.Decode maps
                Expect.equal (bitmap.Width, bitmap.Height) (2 * 24 + 3 * 2, 2 * 24 + 3 * 2) "2×2 tiles of 6×6 maps"
                let e = Expect.throwsC (fun () -> model.SaveFilters("bn1", filters)) id
                Expect.equal (e :?> ArgumentException).ParamName "layerIndex" "not a convolution"
                let e = Expect.throwsC (fun () -> model.SaveFilters("conv7", filters)) id
                Expect.equal (e :?> ArgumentException).ParamName "layerName" "no such layer"
                let e = Expect.throwsC (fun () -> model.SaveFeatureMaps(0, Array.zeroCreate 10, maps)) id
                Expect.equal (e :?> ArgumentException).ParamName "image" "wrong image size"
                let e = Expect.throwsC (fun () -> model.SaveFeatureMaps(5, Array.zeroCreate 64, maps)) id
                Expect.equal (e :?> ArgumentException).ParamName "layerIndex" "dense output is no feature map"
            finally if Directory.Exists folder then Directory.Delete(folder, true)
        }
        test "bad arguments name the parameter" {
            let model = ScratchML.Model(ScratchML.Sequential.Mlp(2, [ 3 ], 2))
            let e = Expect.throwsC (fun () -> model.Predict(Array2D.zeroCreate<float> 1 5) |> ignore) id
            Expect.equal (e :?> ArgumentException).ParamName "x" "x"
            let e = Expect.throwsC (fun () -> model.Fit(xorX, [| 0; 1 |]) |> ignore) id
            Expect.equal (e :?> ArgumentException).ParamName "y" "y"
            let e = Expect.throwsC (fun () -> ScratchML.Dense(0, 3) |> ignore) id
            Expect.equal (e :?> ArgumentException).ParamName "inputs" "inputs"
            let e = Expect.throwsC (fun () -> ScratchML.Model.Load "/nonexistent/model.safetensors" |> ignore) id
            Expect.stringContains e.Message "no model file" "missing file"
        }
    ]
