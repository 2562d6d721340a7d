/// Optimizers against torch.optim 1.13: every torch_optim fixture file, 5 steps compared after
/// each step (parameters and PyTorch's state), hyper-parameters read from the file.
module ScratchML.Tests.NN.OptimizersTests

open System
open System.Text.Json
open Expecto
open ScratchML
open ScratchML.NN
open ScratchML.Tests

/// A float64 tensor over a fixture array (copied: the optimizer writes into parameters).
let private tensor (a: Fixtures.Array) =
    Tensor(Storage.F64(Array.copy a.Data), a.Shape, Shape.rowMajorStrides a.Shape, 0)

let private values (t: Tensor) =
    match t.Storage with Storage.F64 a -> a | Storage.F32 a -> Array.map float a

/// The parameter names of a fixture, in the framework's order.
let private order (root: JsonElement) =
    [| for n in root.GetProperty("param_order").EnumerateArray() -> n.GetString() |]

/// The named arrays of every entry of a list-valued property (one map per step).
let private perStep (root: JsonElement) (key: string) =
    [| for step in root.GetProperty(key).EnumerateArray() -> Fixtures.arrays step |> Map |]

/// The optimizer a fixture describes, or why it is not supported.
let optimizerOf (root: JsonElement) : Result<Optimizer, string> =
    let h = root.GetProperty "hyperparameters"
    let num key fallback =
        match h.TryGetProperty(key: string) with | true, v -> v.GetDouble() | _ -> fallback
    let flag key = match h.TryGetProperty(key: string) with | true, v -> v.GetBoolean() | _ -> false
    let known =
        set [ "lr"; "momentum"; "dampening"; "weight_decay"; "nesterov"; "maximize"; "lr_decay"
              "initial_accumulator_value"; "eps"; "alpha"; "centered"; "betas"; "amsgrad"
              "foreach"; "capturable"; "differentiable"; "fused" ]
    let unknown = [ for p in h.EnumerateObject() do if not (known.Contains p.Name) then p.Name ]
    let active = [ for k in [ "foreach"; "capturable"; "differentiable"; "fused" ] do
                     match h.TryGetProperty k with
                     | true, v when v.ValueKind = JsonValueKind.True -> k
                     | _ -> () ]
    let adam () =
        let betas = [| for b in h.GetProperty("betas").EnumerateArray() -> b.GetDouble() |]
        { LearningRate = num "lr" 1e-3; Beta1 = betas[0]; Beta2 = betas[1]; Eps = num "eps" 1e-8
          WeightDecay = num "weight_decay" 0.0; AmsGrad = flag "amsgrad"
          Maximize = flag "maximize" }
    if not unknown.IsEmpty then Error $"unknown hyper-parameters %A{unknown}"
    elif not active.IsEmpty then Error $"options without an effect on the numbers here %A{active}"
    else
        match root.GetProperty("optimizer").GetString() with
        | "torch.optim.SGD" ->
            Ok(Optimizer.Sgd
                { LearningRate = num "lr" nan; Momentum = num "momentum" 0.0
                  Dampening = num "dampening" 0.0; WeightDecay = num "weight_decay" 0.0
                  Nesterov = flag "nesterov"; Maximize = flag "maximize" })
        | "torch.optim.Adagrad" ->
            Ok(Optimizer.Adagrad
                { LearningRate = num "lr" 0.01; LearningRateDecay = num "lr_decay" 0.0
                  WeightDecay = num "weight_decay" 0.0
                  InitialAccumulatorValue = num "initial_accumulator_value" 0.0
                  Eps = num "eps" 1e-10; Maximize = flag "maximize" })
        | "torch.optim.RMSprop" ->
            Ok(Optimizer.RmsProp
                { LearningRate = num "lr" 0.01; Alpha = num "alpha" 0.99; Eps = num "eps" 1e-8
                  WeightDecay = num "weight_decay" 0.0; Momentum = num "momentum" 0.0
                  Centered = flag "centered"; Maximize = flag "maximize" })
        | "torch.optim.Adam" -> Ok(Optimizer.Adam(adam ()))
        | "torch.optim.AdamW" -> Ok(Optimizer.AdamW(adam ()))
        | other -> Error $"optimizer {other} is not implemented"

/// Element-wise comparison at the optimizer tolerance (rtol 1e-10, atol 1e-13).
let private expectClose (what: string) (actual: float[]) (expected: float[]) =
    Expect.equal actual.Length expected.Length $"{what}: length"
    for i in 0 .. expected.Length - 1 do
        if not (Tolerance.torchOptim actual[i] expected[i]) then
            let diff = abs (actual[i] - expected[i])
            failtest $"{what}[{i}]: got {actual[i]:R}, PyTorch {expected[i]:R} (|diff| {diff:E2})"

/// Run the fixture's steps; after each compare every parameter and every state entry PyTorch kept.
let check (optimizer: Optimizer) (root: JsonElement) () =
    let order = order root
    let initial = Fixtures.arrays (root.GetProperty "params_initial") |> Map
    let parameters = order |> Array.map (fun n -> tensor initial[n])
    let states = Optimizer.init optimizer parameters
    let grads, after = perStep root "grads", perStep root "params_after"
    let stateAfter = [| for s in root.GetProperty("state_after").EnumerateArray() -> s |]
    Expect.isGreaterThanOrEqual grads.Length 1 "the fixture has steps"
    for step in 0 .. grads.Length - 1 do
        let given, expected = grads[step], after[step]
        Optimizer.step optimizer states parameters (order |> Array.map (fun n -> tensor given[n]))
        order |> Array.iteri (fun i name ->
            expectClose $"step {step + 1} {name}" (values parameters[i]) expected[name].Data
            for entry in stateAfter[step].GetProperty(name).EnumerateObject() do
                let what = $"step {step + 1} {name} state {entry.Name}"
                if entry.Name = "step" then
                    Expect.equal (float states[i].Step) (entry.Value.GetDouble()) what
                else
                    match states[i].Buffers.TryFind entry.Name with
                    | Some(Storage.F64 buffer) ->
                        expectClose what buffer (Fixtures.array entry.Value).Data
                    | _ -> failtest $"{what}: PyTorch keeps it, ScratchML does not")

[<Tests>]
let tests =
    testList "NN.Optimizers" [
        Fixtures.family "torch_optim" (fun _ root ->
            optimizerOf root |> Result.map (fun optimizer -> check optimizer root))

        test "float32 parameters follow the float64 run to float32 precision" {
            let root = (Fixtures.files "torch_optim" |> List.find (fun (f, _) -> f = "adam") |> snd) ()
            let order = order root
            let initial = Fixtures.arrays (root.GetProperty "params_initial") |> Map
            let grads = perStep root "grads"
            let f32 (a: Fixtures.Array) =
                let shape = a.Shape
                Tensor(Storage.F32(Array.map float32 a.Data), shape, Shape.rowMajorStrides shape, 0)
            let optimizer = Optimizer.Adam { AdamOptions.Defaults with LearningRate = 0.01 }
            let p32 = order |> Array.map (fun n -> f32 initial[n])
            let p64 = order |> Array.map (fun n -> tensor initial[n])
            let s32, s64 = Optimizer.init optimizer p32, Optimizer.init optimizer p64
            for g in grads do
                Optimizer.step optimizer s32 p32 (order |> Array.map (fun n -> f32 g[n]))
                Optimizer.step optimizer s64 p64 (order |> Array.map (fun n -> tensor g[n]))
            for a, b in Array.zip p32 p64 do
                for x, y in Array.zip (values a) (values b) do
                    Expect.floatClose { absolute = 1e-6; relative = 1e-5 } x y "float32 vs float64"
        }

        test "plain SGD's SIMD path gives the bits of p + (−lr)·g, element by element (float32)" {
            let rng = SplitMix64 5UL
            let n = 1037 // not a multiple of the vector width: the tail is covered too
            let p0 = Array.init n (fun _ -> rng.Symmetric 3.0)
            let g = Array.init n (fun _ -> rng.Symmetric 100.0)
            let p = Tensor(Storage.F32(Array.copy p0), [| n |], [| 1 |], 0)
            let sgd = Optimizer.Sgd(SgdOptions.Defaults 0.1)
            let grad = Tensor(Storage.F32 g, [| n |], [| 1 |], 0)
            Optimizer.step sgd (Optimizer.init sgd [| p |]) [| p |] [| grad |]
            let expected = Array.map2 (fun (p: float32) g -> p + -0.1f * g) p0 g
            let bits (xs: float32[]) = xs |> Array.map BitConverter.SingleToInt32Bits
            match p.Storage with
            | Storage.F32 actual -> Expect.equal (bits actual) (bits expected) "bit for bit"
            | _ -> failtest "float32 expected"
        }

        testList "Adam's SIMD pass gives the bits of the one-element formula (float32)" [
            for weightDecay, amsgrad, maximize in [ 0.0, false, false; 0.01, true, false; 0.0, false, true ] ->
            test $"wd {weightDecay}, amsgrad {amsgrad}, maximize {maximize}" {
                let rng = SplitMix64 9UL
                let n = 1037 // not a multiple of the vector width: the tail is covered too
                let draw scale = Array.init n (fun _ -> float32 (rng.Symmetric scale))
                let p0, g1, g2 = draw 3.0, draw 10.0, draw 10.0
                let o = { AdamOptions.Defaults with
                            LearningRate = 0.01; WeightDecay = weightDecay; AmsGrad = amsgrad; Maximize = maximize }
                let adam = Optimizer.Adam o
                let p = Tensor(Storage.F32(Array.copy p0), [| n |], [| 1 |], 0)
                let states = Optimizer.init adam [| p |]
                for g in [ g1; g2 ] do
                    Optimizer.step adam states [| p |] [| Tensor(Storage.F32 g, [| n |], [| 1 |], 0) |]
                // the same two steps written out one element at a time, as torch.optim.Adam's
                let expected = Array.copy p0
                let m, v, vmax = Array.zeroCreate<float32> n, Array.zeroCreate<float32> n, Array.zeroCreate<float32> n
                for t, g in [ 1, g1; 2, g2 ] do
                    let stepSize = float32 (o.LearningRate / (1.0 - o.Beta1 ** float t))
                    let bc2Sqrt = float32 (sqrt (1.0 - o.Beta2 ** float t))
                    let b1, b2, eps, wd = float32 o.Beta1, float32 o.Beta2, float32 o.Eps, float32 o.WeightDecay
                    for i in 0 .. n - 1 do
                        let g = (if maximize then -g[i] else g[i]) |> fun g -> if wd <> 0.0f then g + wd * expected[i] else g
                        m[i] <- m[i] * b1 + (1.0f - b1) * g
                        v[i] <- v[i] * b2 + (1.0f - b2) * g * g
                        if v[i] > vmax[i] then vmax[i] <- v[i]
                        let vhat = if amsgrad then vmax[i] else v[i]
                        expected[i] <- expected[i] + -stepSize * m[i] / (sqrt vhat / bc2Sqrt + eps)
                let bits (xs: float32[]) = xs |> Array.map BitConverter.SingleToInt32Bits
                match p.Storage with
                | Storage.F32 actual -> Expect.equal (bits actual) (bits expected) "bit for bit"
                | _ -> failtest "float32 expected"
            } ]

        test "plain SGD on a strided gradient: p ← p − lr·g, g read in row-major order" {
            let p = Tensor(Storage.F64 [| 1.0; 2.0; 3.0; 4.0 |], [| 2; 2 |], [| 2; 1 |], 0)
            // the transpose of [[10, 20], [30, 40]]: row-major values 10, 30, 20, 40
            let g = Tensor(Storage.F64 [| 10.0; 20.0; 30.0; 40.0 |], [| 2; 2 |], [| 1; 2 |], 0)
            let sgd = Optimizer.Sgd(SgdOptions.Defaults 0.5)
            Optimizer.step sgd (Optimizer.init sgd [| p |]) [| p |] [| g |]
            Expect.equal (values p) [| 1.0 - 5.0; 2.0 - 15.0; 3.0 - 10.0; 4.0 - 20.0 |] "in place"
        }
    ]
