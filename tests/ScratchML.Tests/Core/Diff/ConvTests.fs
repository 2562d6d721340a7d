/// Convolution and pooling: gradient checks against central differences on tiny shapes (stride,
/// padding, dilation, groups drawn at random), the im2col + GEMM kernels against the direct
/// loops, second derivatives, and shape errors that name the op and the shapes.
module ScratchML.Tests.Core.Diff.ConvTests

open System
open Expecto
open ScratchML
open ScratchML.TensorOps
open ScratchML.Tests.Core.Diff.Check

/// A random convolution on tiny shapes: input [N; C; H; W] and weight [O; C/G; kH; kW] with
/// 1–2 groups, stride 1–2, padding 0–2, dilation 1–2, the output at least 1×1.
let private drawConv (rng: SplitMix64) =
    let rec attempt () =
        let groups = 1 + rng.Below 2
        let cg, og = 1 + rng.Below 2, 1 + rng.Below 2
        let kh, kw = 1 + rng.Below 3, 1 + rng.Below 3
        let spec : Conv2dSpec =
            { Stride = (1 + rng.Below 2, 1 + rng.Below 2); Padding = (rng.Below 3, rng.Below 3)
              Dilation = (1 + rng.Below 2, 1 + rng.Below 2); Groups = groups }
        let x = [| 1 + rng.Below 2; cg * groups; 2 + rng.Below 4; 2 + rng.Below 4 |]
        let w = [| og * groups; cg; kh; kw |]
        let (sh, sw), (ph, pw), (dh, dw) = spec.Stride, spec.Padding, spec.Dilation
        if Conv.outSize x[2] kh sh ph dh >= 1 && Conv.outSize x[3] kw sw pw dw >= 1 then spec, x, w
        else attempt ()
    attempt ()

/// A random pooling on tiny shapes: kernel 1–3, stride 1–3, padding ≤ kernel/2, floor or ceil mode.
let private drawPool (rng: SplitMix64) =
    let rec attempt () =
        let kh, kw = 1 + rng.Below 3, 1 + rng.Below 3
        let spec : Pool2dSpec =
            { Kernel = (kh, kw); Stride = (1 + rng.Below 3, 1 + rng.Below 3)
              Padding = (rng.Below (kh / 2 + 1), rng.Below (kw / 2 + 1)); CeilMode = rng.Below 3 = 0 }
        let x = [| 1 + rng.Below 2; 1 + rng.Below 2; 2 + rng.Below 4; 2 + rng.Below 4 |]
        let (sh, sw), (ph, pw) = spec.Stride, spec.Padding
        if Pool.outSize x[2] kh sh ph spec.CeilMode >= 1 && Pool.outSize x[3] kw sw pw spec.CeilMode >= 1
        then spec, x else attempt ()
    attempt ()

/// Distinct values 0.1 apart, shuffled: max pooling has no ties, finite differences (h = 1e-6)
/// never move a maximum.
let private distinct (rng: SplitMix64) (shape: int[]) =
    let n = Shape.numel shape
    let values = Array.init n (fun i -> 0.1 * float i - 0.05 * float n)
    for i in n - 1 .. -1 .. 1 do
        let j = rng.Below (i + 1)
        let t = values[i] in values[i] <- values[j]; values[j] <- t
    Tensor.ofArray shape values

let private two (f: Expr -> Expr -> Expr) = function [ a; b ] -> f a b | _ -> failwith "two inputs"
let private one (f: Expr -> Expr) = function [ x ] -> f x | _ -> failwith "one input"

let private closeTo (a: Tensor) (b: Tensor) = Tensor.allClose 1e-12 1e-12 a b

let private gradients = testList "gradients" [
    gradCheck "conv2d (x and w; stride, padding, dilation, groups)" (fun rng ->
        let spec, x, w = drawConv rng
        two (Expr.conv2d spec), [ "x", tensor x (uniform rng -1.0 1.0); "w", tensor w (uniform rng -1.0 1.0) ])
    gradCheck "conv2d with bias" (fun rng ->
        let spec, x, w = drawConv rng
        let f = function [ x; w; b ] -> Expr.conv2dBias spec x w b | _ -> failwith "three inputs"
        f, [ "x", tensor x (uniform rng -1.0 1.0); "w", tensor w (uniform rng -1.0 1.0)
             "b", tensor [| w[0] |] (uniform rng -1.0 1.0) ])
    // second order: the gradient ops differentiate into convolutions again
    gradCheck "conv2d_input_grad (g and w)" (fun rng ->
        let spec, x, w = drawConv rng
        let y = Conv.outputShape (Conv.geometry "test" spec x w)
        let f g w = Expr.apply (Op.Conv2dInputGrad (spec, List.ofArray x)) [ g; w ]
        two f, [ "g", tensor y (uniform rng -1.0 1.0); "w", tensor w (uniform rng -1.0 1.0) ])
    gradCheck "conv2d_weight_grad (x and g)" (fun rng ->
        let spec, x, w = drawConv rng
        let y = Conv.outputShape (Conv.geometry "test" spec x w)
        let f x g = Expr.apply (Op.Conv2dWeightGrad (spec, List.ofArray w)) [ x; g ]
        two f, [ "x", tensor x (uniform rng -1.0 1.0); "g", tensor y (uniform rng -1.0 1.0) ])
    gradCheck "max_pool2d (no ties)" (fun rng ->
        let spec, x = drawPool rng
        one (Expr.maxPool2d spec), [ "x", distinct rng x ])
    gradCheck "avg_pool2d count_include_pad" (fun rng ->
        let spec, x = drawPool rng
        one (Expr.avgPool2d spec true), [ "x", tensor x (uniform rng -1.0 1.0) ])
    gradCheck "avg_pool2d exclude pad" (fun rng ->
        let spec, x = drawPool rng
        one (Expr.avgPool2d spec false), [ "x", tensor x (uniform rng -1.0 1.0) ])
    gradCheck "avg_pool2d_backward" (fun rng ->
        let spec, x = drawPool rng
        let inc = rng.Below 2 = 0
        let y = Pool.outputShape "test" spec x
        let f g = Expr.apply (Op.AvgPool2dBackward (spec, inc, List.ofArray x)) [ g ]
        one f, [ "g", tensor y (uniform rng -1.0 1.0) ])
    gradCheck "conv → max_pool → tanh" (fun rng ->
        let spec, x, w = drawConv rng
        let f x w =
            let y = Expr.conv2d spec x w
            let k = (min 2 y.Shape[2], min 2 y.Shape[3])
            Expr.tanh (Expr.maxPool2d { Kernel = k; Stride = k; Padding = (0, 0); CeilMode = false } y)
        // a random point: a tie or a kink sits within h of it with probability ~1e-5
        two f, [ "x", tensor x (offZero rng 0.1 1.0); "w", tensor w (offZero rng 0.1 1.0) ]) ]

let private kernels = testList "im2col vs direct" [
    seeded "conv2d and both gradients, float64" (fun seed ->
        let rng = SplitMix64(uint64 seed)
        let spec, xs, ws = drawConv rng
        let x, w = tensor xs (uniform rng -1.0 1.0), tensor ws (uniform rng -1.0 1.0)
        let y = Conv.conv2d spec x w
        let g = tensor y.Shape (uniform rng -1.0 1.0)
        [ "conv2d", Conv.conv2d spec x w, Conv.conv2dDirect spec x w
          "input grad", Conv.conv2dInputGrad spec xs g w, Conv.conv2dInputGradDirect spec xs g w
          "weight grad", Conv.conv2dWeightGrad spec ws x g, Conv.conv2dWeightGradDirect spec ws x g ]
        |> List.tryPick (fun (name, fast, slow) ->
            if closeTo fast slow then None
            else Some $"{name}: im2col {Tensor.toArray fast}, direct {Tensor.toArray slow}"))
    seeded "conv2d float32 agrees with float64" (fun seed ->
        let rng = SplitMix64(uint64 seed)
        let spec, xs, ws = drawConv rng
        let x, w = tensor xs (uniform rng -1.0 1.0), tensor ws (uniform rng -1.0 1.0)
        let y32 = Conv.conv2d spec (Tensor.astype DType.Float32 x) (Tensor.astype DType.Float32 w)
        if y32.DType = DType.Float32 && Tensor.allClose 1e-5 1e-5 y32 (Conv.conv2d spec x w) then None
        else Some "float32 result differs")
    test "a W2-sized layer (batch 8, 8→16 channels 5×5 on 12×12) agrees" {
        let rng = SplitMix64 5UL
        let x, w = tensor [| 8; 8; 12; 12 |] (uniform rng -1.0 1.0), tensor [| 16; 8; 5; 5 |] (uniform rng -1.0 1.0)
        Expect.isTrue (Tensor.allClose 1e-12 1e-12 (Conv.conv2d Conv2dSpec.Default x w) (Conv.conv2dDirect Conv2dSpec.Default x w)) "im2col = direct"
    }
    test "an odd batch split over two threads (3 images, partial ∂W per range) agrees" {
        // large enough (16·72·432 multiply-adds) to be split when Gemm.defaultThreads > 1
        let rng = SplitMix64 9UL
        let spec = { Conv2dSpec.Default with Padding = (1, 0) }
        let xs, ws = [| 3; 8; 14; 14 |], [| 16; 8; 3; 3 |]
        let x, w = tensor xs (uniform rng -1.0 1.0), tensor ws (uniform rng -1.0 1.0)
        let y = Conv.conv2d spec x w
        let g = tensor y.Shape (uniform rng -1.0 1.0)
        Expect.isTrue (closeTo y (Conv.conv2dDirect spec x w)) "forward"
        Expect.isTrue (closeTo (Conv.conv2dInputGrad spec xs g w) (Conv.conv2dInputGradDirect spec xs g w)) "input grad"
        Expect.isTrue (closeTo (Conv.conv2dWeightGrad spec ws x g) (Conv.conv2dWeightGradDirect spec ws x g)) "weight grad"
    }
    seeded "plain convolutions (stride 1, no padding): the SIMD direct kernel and the gradients = the loops" (fun seed ->
        // output widths 8–19: whole vectors and a last one moved left, in both dtypes; channel
        // counts around the kernel's block of 8; the gradients (im2col) checked on the same shapes
        let rng = SplitMix64(uint64 seed)
        let kh, kw = 1 + rng.Below 5, 1 + rng.Below 5
        let xs = [| 1 + rng.Below 2; 1 + rng.Below 10; kh - 1 + 1 + rng.Below 6; kw - 1 + 8 + rng.Below 12 |]
        let ws = [| 1 + rng.Below 17; xs[1]; kh; kw |]
        let spec = Conv2dSpec.Default
        let x, w = tensor xs (uniform rng -1.0 1.0), tensor ws (uniform rng -1.0 1.0)
        let g = tensor (Conv.conv2d spec x w).Shape (uniform rng -1.0 1.0)
        let near (tolerance: float) (a: Tensor) (b: Tensor) = Tensor.allClose tolerance tolerance a b
        let f32 = Tensor.astype DType.Float32
        [ "forward", near 1e-12 (Conv.conv2d spec x w) (Conv.conv2dDirect spec x w)
          "input grad", near 1e-12 (Conv.conv2dInputGrad spec xs g w) (Conv.conv2dInputGradDirect spec xs g w)
          "float32 forward", near 1e-5 (Conv.conv2d spec (f32 x) (f32 w)) (Conv.conv2dDirect spec x w)
          "float32 input grad", near 1e-5 (Conv.conv2dInputGrad spec xs (f32 g) (f32 w)) (Conv.conv2dInputGradDirect spec xs g w)
          "weight grad", near 1e-12 (Conv.conv2dWeightGrad spec ws x g) (Conv.conv2dWeightGradDirect spec ws x g)
          "float32 weight grad", near 1e-4 (Conv.conv2dWeightGrad spec ws (f32 x) (f32 g)) (Conv.conv2dWeightGradDirect spec ws x g) ]
        |> List.tryPick (fun (name, ok) -> if ok then None else Some $"{name}: x {Shape.show xs}, w {Shape.show ws}"))
    seeded "2×2 max pooling: the SIMD pass equals the window scan (ties, NaN, both dtypes)" (fun seed ->
        let rng = SplitMix64(uint64 seed)
        // few distinct values (ties everywhere) and some NaN; widths with and without a tail
        let shape = [| 1 + rng.Below 2; 1 + rng.Below 3; 2 + rng.Below 8; 2 + rng.Below 20 |]
        let pick () = match rng.Below 8 with 0 -> nan | k -> float (k % 3) - 1.0
        let x = Tensor.ofArray shape (Array.init (Shape.numel shape) (fun _ -> pick ()))
        let spec = { Pool2dSpec.Square 2 with CeilMode = rng.Below 2 = 0 }
        let same (a: Tensor) (b: Tensor) =
            a.DType = b.DType && Array.forall2 (fun (u: float) v -> u = v || (Double.IsNaN u && Double.IsNaN v))
                                                (Tensor.toArray a) (Tensor.toArray b)
        [ DType.Float64; DType.Float32 ] |> List.tryPick (fun dtype ->
            let xt = Tensor.astype dtype x
            let values, indices = Pool.maxPool2dScan spec xt
            if same (Pool.maxPool2d spec xt) values && same (Pool.maxPool2dIndices spec xt) indices then None
            else Some $"{dtype} {Shape.show shape}: {Tensor.toArray (Pool.maxPool2dIndices spec xt)} \
                       vs {Tensor.toArray indices}"))
    test "a 2×2 window picks the first maximum of its row-major scan on ties" {
        let x = Tensor.ofArray [| 1; 1; 2; 2 |] [| 1.0; 3.0; 3.0; 3.0 |]
        let spec = Pool2dSpec.Square 2
        Expect.equal (Tensor.toArray (Pool.maxPool2dIndices spec x)) [| 1.0 |] "first max"
        let v = Expr.var "x" [| 1; 1; 2; 2 |]
        let dx = Grad.grad (Expr.sumAll (Expr.maxPool2d spec v)) [ v ] |> List.head
        Expect.equal (Tensor.toArray (Eval.run (Map [ "x", x ]) dx)) [| 0.0; 1.0; 0.0; 0.0 |] "gradient to it"
    } ]

let private raises (f: unit -> Expr) (fragments: string list) =
    let e = Expect.throwsC (f >> ignore) id
    for s in fragments do Expect.stringContains e.Message s "the message names it"

let private errors = testList "shape errors" [
    test "wrong channel count names the op and both shapes" {
        let x, w = Expr.var "x" [| 2; 3; 8; 8 |], Expr.var "w" [| 4; 2; 3; 3 |]
        raises (fun () -> Expr.conv2d Conv2dSpec.Default x w) [ "conv2d"; "[2; 3; 8; 8]"; "[4; 2; 3; 3]"; "channels" ]
    }
    test "groups must divide the channels" {
        let x, w = Expr.var "x" [| 1; 3; 8; 8 |], Expr.var "w" [| 4; 1; 3; 3 |]
        raises (fun () -> Expr.conv2d { Conv2dSpec.Default with Groups = 2 } x w) [ "conv2d"; "groups 2" ]
    }
    test "a kernel larger than the padded input" {
        let x, w = Expr.var "x" [| 1; 1; 2; 2 |], Expr.var "w" [| 1; 1; 3; 3 |]
        raises (fun () -> Expr.conv2d Conv2dSpec.Default x w) [ "conv2d"; "[1; 1; 2; 2]" ]
    }
    test "pooling a 3-d tensor" {
        let x = Expr.var "x" [| 3; 8; 8 |]
        raises (fun () -> Expr.maxPool2d (Pool2dSpec.Square 2) x) [ "max_pool2d"; "[3; 8; 8]"; "[N; C; H; W]" ]
    }
    test "the tensor kernel checks too" {
        let x, w = Tensor.zeros DType.Float64 [| 1; 2; 5; 5 |], Tensor.zeros DType.Float64 [| 1; 3; 3; 3 |]
        let e = Expect.throwsC (fun () -> Tensor.conv2d Conv2dSpec.Default x w |> ignore) id
        Expect.stringContains e.Message "conv2d" "op named"
    } ]

/// A small CNN loss and its gradients: simplified and compiled graphs give the same numbers.
let private pipeline = testList "simplify and compile" [
    seeded "simplify and compile preserve a CNN gradient" (fun seed ->
        let rng = SplitMix64(uint64 seed)
        let spec, xs, ws = drawConv rng
        let x, w = Expr.var "x" xs, Expr.var "w" ws
        let y = Expr.conv2d spec x w
        let pooled = Expr.avgPool2d { Kernel = (1, 1); Stride = (1, 1); Padding = (0, 0); CeilMode = false } true y
        let loss = Expr.sumAll (Expr.tanh (Expr.maxPool2d (Pool2dSpec.Square 1) pooled) * 0.5)
        let grads = Grad.grad loss [ x; w ]
        let env = Map [ "x", tensor xs (uniform rng -1.0 1.0); "w", tensor ws (uniform rng -1.0 1.0) ]
        let reference = Eval.runMany env grads
        let simplified = Eval.runMany env (grads |> List.map Simplify.run)
        let compiled = (Compile.program grads).Run env
        let same (a: Tensor list) = List.forall2 (Tensor.allClose 1e-12 1e-12) a reference
        if same simplified && same compiled then None else Some "simplified or compiled gradient differs") ]

let private printing = testList "printing" [
    test "a gradient of a convolution prints as the adjoint ops" {
        let x, w = Expr.var "x" [| 1; 1; 4; 4 |], Expr.var "w" [| 2; 1; 3; 3 |]
        let spec = { Conv2dSpec.Default with Padding = (1, 1) }
        let y = Expr.sumAll (Expr.conv2d spec x w)
        let dx = Grad.grad y [ x ] |> List.head
        Expect.stringContains (Print.infix dx) "conv2d_input_grad(" "named"
        Expect.stringContains (Print.infix (Expr.conv2d spec x w)) "conv2d(x, w, padding=(1, 1))" "options"
    } ]

/// Best-of-5 milliseconds of f (the machine is shared: the minimum is the least noisy).
let private best (f: unit -> unit) =
    f ()
    [ for _ in 1 .. 5 ->
        let clock = Diagnostics.Stopwatch.StartNew()
        f ()
        clock.Elapsed.TotalMilliseconds ] |> List.min

/// W2's two convolutions (batch 64), float32 and float64: im2col + GEMM equals the direct loops, and the
/// best-of-5 times of both are printed (not asserted: the machine is shared and noisy).
let private timing = testList "timing" [
    test "W2 shapes: kernels = scalar loops, times printed" {
        let rng = SplitMix64 1UL
        let layers = [ "1→8 5×5 on 28×28", [| 64; 1; 28; 28 |], [| 8; 1; 5; 5 |]
                       "8→16 5×5 on 12×12", [| 64; 8; 12; 12 |], [| 16; 8; 5; 5 |] ]
        for dtype in [ DType.Float32; DType.Float64 ] do
          for name, xs, ws in layers do
            let x = Tensor.astype dtype (tensor xs (uniform rng -1.0 1.0))
            let w = Tensor.astype dtype (tensor ws (uniform rng -1.0 1.0))
            let spec = Conv2dSpec.Default
            let y = Conv.conv2d spec x w
            Expect.isTrue (Tensor.allClose 1e-4 1e-4 y (Conv.conv2dDirect spec x w)) $"{name}: kernels = scalar loops"
            let g = Tensor.astype dtype (tensor y.Shape (uniform rng -1.0 1.0))
            let fast = best (fun () -> Conv.conv2d spec x w |> ignore)
            let slow = best (fun () -> Conv.conv2dDirect spec x w |> ignore)
            let dx = best (fun () -> Conv.conv2dInputGrad spec xs g w |> ignore)
            let dw = best (fun () -> Conv.conv2dWeightGrad spec ws x g |> ignore)
            printfn $"conv {name} {dtype}: forward {fast:F2} ms, scalar loops {slow:F2} ms; \
                      input grad {dx:F2} ms, weight grad {dw:F2} ms (best of 5)"
    } ]

[<Tests>]
let tests = testList "Diff.Conv" [ gradients; kernels; errors; pipeline; printing; timing ]
