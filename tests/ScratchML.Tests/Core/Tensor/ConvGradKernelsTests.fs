/// The direct kernels of plain convolutions — both gradients, and the forward pass of
/// ConvKernels.fs — against im2col + GEMM, compared at run time bit for bit (not within a
/// tolerance): on W2's two layers and on random small shapes, float32 and float64, one and two
/// threads, every FMA path of the GEMM. The kernels read the GEMM's block depth, so these follow
/// any retuning of KC.
module ScratchML.Tests.Core.Tensor.ConvGradKernelsTests

open System
open Expecto
open ScratchML
open ScratchML.TensorOps
open ScratchML.Tests.Core.Diff.Check

/// The first index where two tensors differ in dtype or in any bit (−0 ≠ +0), if any.
let private firstDifference (a: Tensor) (b: Tensor) =
    let bits (t: Tensor) = Tensor.toArray t |> Array.map BitConverter.DoubleToInt64Bits
    if a.DType <> b.DType || a.Shape <> b.Shape then Some -1
    else Array.zip (bits a) (bits b) |> Array.tryFindIndex (fun (u, v) -> u <> v)

/// conv2d(x, w) and both its gradients (g at the output), direct and by im2col, on the given
/// threads; None when every pair is bit-identical, else which one differs where.
let private compare threads (x: Tensor) (w: Tensor) (g: Tensor) =
    let spec = Conv2dSpec.Default
    [ "forward", (fun direct -> Conv.conv2dWith direct threads spec x w)
      "weight grad", (fun direct -> Conv.conv2dWeightGradWith direct threads spec w.Shape x g)
      "input grad", (fun direct -> Conv.conv2dInputGradWith direct threads spec x.Shape g w) ]
    |> List.tryPick (fun (name, run) ->
        let direct, im2col = run true, run false
        firstDifference direct im2col
        |> Option.map (fun i ->
            let show (t: Tensor) =
                if i >= 0 then string ((Tensor.toArray t)[i]) else Shape.show t.Shape
            $"{name} {x.DType}, {threads} thread(s), x {Shape.show x.Shape}, \
              w {Shape.show w.Shape}: at {i} direct {show direct}, im2col {show im2col}"))

/// Random values in [−1, 1), with exact zeros of both signs mixed in.
let private values (rng: SplitMix64) shape =
    tensor shape (fun () ->
        match rng.Below 16 with
        | 0 -> 0.0
        | 1 -> -0.0
        | _ -> uniform rng -1.0 1.0 ())

/// The three tensors of a convolution in a dtype: input, weight and output gradient.
let private draw (rng: SplitMix64) (xs: int[]) (ws: int[]) dtype =
    let x, w = values rng xs, values rng ws
    let g = values rng (Conv.outputShape (Conv.geometry "test" Conv2dSpec.Default xs ws))
    Tensor.astype dtype x, Tensor.astype dtype w, Tensor.astype dtype g

let private dtypes = [ DType.Float32; DType.Float64 ]

let private w2 = testList "W2's layers" [
    for name, xs, ws in [ "conv1 1→8 5×5 on 28×28", [| 64; 1; 28; 28 |], [| 8; 1; 5; 5 |]
                          "conv2 8→16 5×5 on 12×12", [| 64; 8; 12; 12 |], [| 16; 8; 5; 5 |] ] do
        test $"{name}: direct = im2col bit for bit, float32 and float64, 1 and 2 threads" {
            let rng = SplitMix64 3UL
            for dtype in dtypes do
                let x, w, g = draw rng xs ws dtype
                for threads in [ 1; 2 ] do
                    compare threads x w g |> Option.iter failtest
        } ]

let private random = testList "random plain shapes" [
    seeded "direct = im2col bit for bit (KC blocks, partial vectors, odd rows)" (fun seed ->
        // up to 3·14·24 = 1008 cells: several KC blocks, restarting mid-row and mid-image;
        // output widths 1–20 (below a vector the input gradient stays on im2col)
        let rng = SplitMix64(uint64 seed)
        let kh, kw = 1 + rng.Below 5, 1 + rng.Below 5
        let xs = [| 1 + rng.Below 3; 1 + rng.Below 6; kh + rng.Below 14; kw + rng.Below 20 |]
        let ws = [| 1 + rng.Below 20; xs[1]; kh; kw |]
        let dtype = dtypes[rng.Below 2]
        let x, w, g = draw rng xs ws dtype
        compare (1 + rng.Below 2) x w g)
    test "every output height 1–7: row tiles of 3 with a repeated last row, one KC block or more" {
        // the forward kernel's tile holds 3 output rows (AVX-512) and repeats row Ho − 1 past Ho;
        // 16 channels × 5×5 = K 400 > KC also adds each block of the repeated row once only
        let rng = SplitMix64 5UL
        for ho in 1 .. 7 do
            for c in [ 2; 16 ] do
                for dtype in dtypes do
                    let x, w, g = draw rng [| 2; c; ho + 4; 13 |] [| 11; c; 5; 5 |] dtype
                    compare 1 x w g |> Option.iter failtest
    }
    test "a batch large enough to split over two threads, odd image count" {
        // 3 images: ranges of 1 and 2 images, each range's partial ∂W summed separately
        let rng = SplitMix64 9UL
        for dtype in dtypes do
            let x, w, g = draw rng [| 3; 8; 14; 21 |] [| 16; 8; 3; 3 |] dtype
            for threads in [ 1; 2 ] do
                compare threads x w g |> Option.iter failtest
    } ]

/// Each FMA path of the GEMM this processor has (AVX-512: KC 256, AVX2: KC 384), forced in turn:
/// the direct kernels follow the block depth of whichever path im2col + GEMM takes. Sequenced:
/// the forced path is global.
let private paths =
    testSequenced <| test "every FMA path of the GEMM: direct = im2col bit for bit" {
        let rng = SplitMix64 11UL
        let old = Gemm.forcedPath
        try
            for path in [ GemmPath.Avx512; GemmPath.Avx2 ] |> List.filter Gemm.supports do
                Gemm.forcedPath <- Some path
                // 1152 and 684 cells: several blocks of either depth; K = 16·5·5 = 400 > KC
                for xs, ws in [ [| 2; 1; 28; 28 |], [| 8; 1; 5; 5 |]
                                [| 3; 8; 14; 21 |], [| 16; 8; 3; 3 |]
                                [| 2; 16; 9; 14 |], [| 8; 16; 5; 5 |] ] do
                    for dtype in dtypes do
                        let x, w, g = draw rng xs ws dtype
                        compare 1 x w g |> Option.iter (fun m -> failtest $"{path}: {m}")
        finally Gemm.forcedPath <- old
    }

/// Best-of-5 milliseconds of f after 40 warm-up calls (so the JIT has optimised both paths; the
/// machine is shared: the minimum is the least noisy).
let private best (f: unit -> unit) =
    for _ in 1 .. 40 do f ()
    [ for _ in 1 .. 5 ->
        let clock = Diagnostics.Stopwatch.StartNew()
        f ()
        clock.Elapsed.TotalMilliseconds ] |> List.min

let private timing = testList "timing" [
    test "W2's gradients on one thread: direct and im2col times printed (not asserted)" {
        let rng = SplitMix64 1UL
        for dtype in dtypes do
            for name, xs, ws in [ "conv1", [| 64; 1; 28; 28 |], [| 8; 1; 5; 5 |]
                                  "conv2", [| 64; 8; 12; 12 |], [| 16; 8; 5; 5 |] ] do
                let x, w, g = draw rng xs ws dtype
                let spec = Conv2dSpec.Default
                let time direct =
                    best (fun () -> Conv.conv2dWeightGradWith direct 1 spec ws x g |> ignore),
                    best (fun () -> Conv.conv2dInputGradWith direct 1 spec xs g w |> ignore)
                let (dw, dx), (dw0, dx0) = time true, time false
                printfn $"conv grad {name} {dtype}: weight grad {dw:F3} ms (im2col {dw0:F3}), \
                          input grad {dx:F3} ms (im2col {dx0:F3}), best of 5"
    } ]

[<Tests>]
let tests = testList "Tensor.ConvGradKernels" [ w2; random; paths; timing ]
