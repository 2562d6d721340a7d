/// Initialisers: fresh parameter tensors drawn from SplitMix64 (PyTorch's default bounds,
/// Xavier/Glorot, zeros, and the benchmark's "splitmix" init). Layer: NN, first file.
/// Read next: Optimizers.fs (what changes these tensors during training).
namespace ScratchML.NN

open System
open ScratchML

/// Parameter initialisers. Every draw comes from a SplitMix64 stream the caller owns, filled
/// row-major in PyTorch's layout (Linear weight [out; in], Conv2d weight [out; in; kh; kw]),
/// so the same seed gives bit-identical tensors in every run.
[<RequireQualifiedAccess>]
module Init =
    /// A contiguous tensor over `values` (taken as is, not copied).
    let private ofValues (dtype: DType) (shape: int[]) (values: float[]) =
        let storage =
            match dtype with
            | DType.Float32 -> Storage.F32(Array.map float32 values)
            | DType.Float64 -> Storage.F64 values
        Tensor(storage, Array.copy shape, Shape.rowMajorStrides shape, 0)

    /// Fill a tensor of `shape` by drawing one value per element, row-major.
    let private draw dtype (shape: int[]) (next: unit -> float) =
        ofValues dtype shape (Array.init (Shape.numel shape) (fun _ -> next ()))

    /// Receptive field of a weight: ∏ shape[2..] (1 for a Linear weight [out; in]).
    let private receptive (shape: int[]) =
        shape |> Array.skip (min 2 shape.Length) |> Array.fold (*) 1

    /// fan_in = shape[1] · ∏ shape[2..]: in_features (Linear), in_ch·kh·kw (Conv2d), as PyTorch.
    let fanIn (shape: int[]) =
        if shape.Length < 2 then invalidArg "shape" $"fan_in needs rank ≥ 2: {Shape.show shape}"
        shape[1] * receptive shape

    /// fan_out = shape[0] · ∏ shape[2..]: out_features (Linear), out_ch·kh·kw (Conv2d).
    let fanOut (shape: int[]) =
        if shape.Length < 2 then invalidArg "shape" $"fan_out needs rank ≥ 2: {Shape.show shape}"
        shape[0] * receptive shape

    /// zeros: every element 0.
    let zeros (dtype: DType) (shape: int[]) =
        ofValues dtype shape (Array.zeroCreate (Shape.numel shape))

    /// Every element `value`.
    let constant (dtype: DType) (value: float) (shape: int[]) =
        ofValues dtype shape (Array.create (Shape.numel shape) value)

    /// U(−bound, bound): each element (2·uniform() − 1)·bound, computed in double, rounded once
    /// to the dtype (for float32 this is exactly SplitMix64.symmetric(bound)).
    let uniform (rng: SplitMix64) (dtype: DType) (bound: float) (shape: int[]) =
        draw dtype shape (fun () -> (2.0 * rng.Uniform() - 1.0) * bound)

    /// N(0, std²): each element std·z with z a Box–Muller standard normal from the stream.
    let normal (rng: SplitMix64) (dtype: DType) (std: float) (shape: int[]) =
        draw dtype shape (fun () -> std * rng.Normal())

    /// Kaiming (He) uniform: U(±bound), gain = √(2/(1+a²)), bound = √3 · gain/√fan_in
    /// (PyTorch's kaiming_uniform_ with leaky_relu, in its operation order).
    let kaimingUniform (rng: SplitMix64) (dtype: DType) (a: float) (shape: int[]) =
        let gain = sqrt (2.0 / (1.0 + a * a))
        let std = gain / sqrt (float (fanIn shape))
        uniform rng dtype (sqrt 3.0 * std) shape

    /// PyTorch's default Linear/Conv2d weight: Kaiming uniform with a = √5, which reduces to
    /// U(±1/√fan_in) since √3·√(2/6)/√fan_in = 1/√fan_in (up to rounding of the bound).
    let pytorchWeight (rng: SplitMix64) (dtype: DType) (shape: int[]) =
        kaimingUniform rng dtype (sqrt 5.0) shape

    /// PyTorch's default Linear/Conv2d bias: U(±1/√fan_in), fan_in that of the layer's weight.
    let pytorchBias (rng: SplitMix64) (dtype: DType) (fanIn: int) (shape: int[]) =
        let bound = if fanIn > 0 then 1.0 / sqrt (float fanIn) else 0.0
        uniform rng dtype bound shape

    /// Xavier/Glorot uniform: U(±bound), bound = gain·√(6/(fan_in + fan_out)).
    let xavierUniform (rng: SplitMix64) (dtype: DType) (gain: float) (shape: int[]) =
        let std = gain * sqrt (2.0 / float (fanIn shape + fanOut shape))
        uniform rng dtype (sqrt 3.0 * std) shape

    /// Xavier/Glorot normal: N(0, std²), std = gain·√(2/(fan_in + fan_out)).
    let xavierNormal (rng: SplitMix64) (dtype: DType) (gain: float) (shape: int[]) =
        normal rng dtype (gain * sqrt (2.0 / float (fanIn shape + fanOut shape))) shape

    /// The seed of the benchmark's "splitmix" init (../shared/bench/WORKLOADS.md).
    [<Literal>]
    let SplitmixSeed = 42UL

    /// The "splitmix" init of WORKLOADS.md: one SplitMix64 stream with seed 42, tensor after
    /// tensor in the given order (layer 1 weight, layer 1 bias, layer 2 weight, …), each element
    /// symmetric(1/√fan_in) = float32((2·uniform() − 1)/√fan_in). Every `(shape, fanIn)` pair
    /// names a tensor and the fan_in of its layer. Values are float32-rounded for both dtypes,
    /// so float32 and float64 runs start from the same weights.
    let splitmix (dtype: DType) (tensors: (int[] * int) list) : Tensor list =
        let rng = SplitMix64 SplitmixSeed
        [ for shape, fanIn in tensors ->
            let bound = 1.0 / sqrt (float fanIn)
            draw dtype shape (fun () -> float (rng.Symmetric bound)) ]
