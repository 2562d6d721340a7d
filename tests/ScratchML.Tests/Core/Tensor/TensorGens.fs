/// Generators and naive reference definitions for the tensor tests: small random shapes, random
/// values from a seed, the same values behind unusual layouts (permuted, strided, offset), and
/// element-by-element definitions (multi-indices, broadcasting) to compare the kernels with.
module ScratchML.Tests.Core.Tensor.TensorGens

open FsCheck
open FsCheck.FSharp
open Expecto
open ScratchML

/// maxTest ≈ 100 on tiny shapes keeps the suite fast.
let config = { FsCheckConfig.defaultConfig with maxTest = 100 }

/// A shape of rank lo…hi with sizes 1…4.
let genShape lo hi =
    gen {
        let! rank = Gen.choose (lo, hi)
        return! Gen.arrayOfLength rank (Gen.choose (1, 4))
    }

/// Both dtypes.
let genDType = Gen.elements [ DType.Float64; DType.Float32 ]

/// Every multi-index of a shape in row-major order.
let indices (shape: int[]) =
    let strides = Shape.rowMajorStrides shape
    [| for i in 0 .. Shape.numel shape - 1 -> Array.init shape.Length (fun d -> (i / strides[d]) % shape[d]) |]

/// Random values in [−2, 2) (rounded to the dtype), row-major, from a seed.
let random (dtype: DType) (seed: int) (shape: int[]) =
    Tensor.uniform dtype (SplitMix64 seed) -2.0 2.0 shape

/// The same values as x behind another layout, picked by the seed: row-major, a permuted copy
/// viewed back (non-row-major strides), or every other element of a larger buffer from offset 1.
let relayout (seed: int) (x: Tensor) =
    let rng = SplitMix64(seed + 7919)
    match rng.Below 3 with
    | 0 -> x
    | 1 when x.Rank >= 2 ->
        let p = Array.init x.Rank id |> Array.sortBy (fun _ -> rng.Next())
        let inv = Array.zeroCreate x.Rank
        p |> Array.iteri (fun k d -> inv[d] <- k)
        Tensor.permute inv (Tensor.contiguous (Tensor.permute p x))
    | _ ->
        let big = x.Shape |> Array.map (fun d -> 2 * d + 1)
        let specs = Array.create x.Rank (Slice.Range(Some 1, None, 2))
        let data = Tensor.toArray x
        // write x's values into every other slot of a fresh buffer, then view them
        let buf = Array.create (Shape.numel big) nan
        let bs = Shape.rowMajorStrides big
        indices x.Shape |> Array.iteri (fun i ix ->
            buf[Array.fold2 (fun o k s -> o + (2 * k + 1) * s) 0 ix bs] <- data[i])
        Tensor.slice specs (Tensor.astype x.DType (Tensor.ofArray big buf))

/// Random values behind a random layout.
let randomView dtype seed shape = relayout seed (random dtype seed shape)

/// x's element at a multi-index, read through its strides (the definition of a view).
let at (x: Tensor) (ix: int[]) = Tensor.get ix x

/// Shape b stretched NumPy-style: align trailing axes; sizes must match or be 1.
let naiveBroadcast (a: int[]) (b: int[]) =
    let r = max a.Length b.Length
    let pad (s: int[]) = Array.append (Array.create (r - s.Length) 1) s
    let a, b = pad a, pad b
    if Array.forall2 (fun x y -> x = y || x = 1 || y = 1) a b then Some(Array.map2 max a b) else None

/// The element of x that broadcasting reads for an output multi-index.
let broadcastAt (x: Tensor) (ix: int[]) =
    let lead = ix.Length - x.Rank
    at x (Array.init x.Rank (fun d -> if x.Shape[d] = 1 then 0 else ix[lead + d]))

/// Σᵢ xᵢ·yᵢ (float64).
let dot (x: Tensor) (y: Tensor) = Array.fold2 (fun s a b -> s + a * b) 0.0 (Tensor.toArray x) (Tensor.toArray y)

/// Tolerance of a dtype for values of size ~1 computed in a different order.
let tol (dtype: DType) = if dtype = DType.Float64 then 1e-12 else 1e-5

/// |a − e| ≤ tol·(1 + |e|) element by element, with a message naming the first mismatch.
let expectClose (dtype: DType) (actual: Tensor) (expected: float[]) msg =
    let a = Tensor.toArray actual
    Expect.equal a.Length expected.Length $"{msg}: length"
    for i in 0 .. a.Length - 1 do
        let ok = abs (a[i] - expected[i]) <= tol dtype * (1.0 + abs expected[i]) || (System.Double.IsNaN a[i] && System.Double.IsNaN expected[i])
        if not ok then failtest $"{msg}: element {i} is {a[i]}, expected {expected[i]}"
