/// Every primitive's backward rule against central differences, on random small shapes
/// (1–3 axes of sizes 1–4, with broadcasting), at random points of its domain, off its kinks.
module ScratchML.Tests.Core.Diff.CardsTests

open Expecto
open ScratchML
open ScratchML.Tests.Core.Diff.Check

let private one (f: Expr -> Expr) = function [ x ] -> f x | _ -> failwith "one input"
let private two (f: Expr -> Expr -> Expr) = function [ a; b ] -> f a b | _ -> failwith "two inputs"

/// f(x) with x drawn from `domain` on a random shape.
let private unary name f (domain: SplitMix64 -> unit -> float) =
    gradCheck name (fun rng -> one f, [ "x", tensor (shape rng) (domain rng) ])

/// f(a, b) with one or both arguments broadcast.
let private binary name f (domainA: SplitMix64 -> unit -> float) (domainB: SplitMix64 -> unit -> float) =
    gradCheck name (fun rng ->
        let s = shape rng
        let sa, sb = match rng.Below 3 with 0 -> s, s | 1 -> broadcastable rng s, s | _ -> s, broadcastable rng s
        two f, [ "a", tensor sa (domainA rng); "b", tensor sb (domainB rng) ])

let private anywhere rng = uniform rng -2.0 2.0
let private positive rng = uniform rng 0.1 2.0
let private offKink rng = offZero rng 1e-3 2.0
/// Two interleaved grids, 0.5k + 0.1 and 0.5k + 0.3: a and b never closer than 0.2.
let private gridA (rng: SplitMix64) () = 0.5 * float (rng.Below 9 - 4) + 0.1
let private gridB (rng: SplitMix64) () = 0.5 * float (rng.Below 9 - 4) + 0.3

/// Distinct values (a shuffled ramp, 0.1 apart): no ties for max/min/argmax.
let private distinct (rng: SplitMix64) (shape: int[]) =
    let n = Shape.numel shape
    let values = Array.init n (fun i -> 0.1 * float i - 0.05 * float n)
    for i in n - 1 .. -1 .. 1 do
        let j = rng.Below (i + 1)
        let t = values[i] in values[i] <- values[j]; values[j] <- t
    Tensor.ofArray shape values

/// Random axes (possibly all) and keepdim for a reduction over a tensor of rank r.
let private axesOf (rng: SplitMix64) r =
    let axes = [ for a in 0 .. r - 1 do if rng.Below 2 = 0 then yield (if rng.Below 2 = 0 then a else a - r) ]
    axes, rng.Below 2 = 0

let private reduction name (build: int list -> bool -> Expr -> Expr) (draw: SplitMix64 -> int[] -> Tensor) =
    gradCheck name (fun rng ->
        let s = shape rng
        let axes, keep = axesOf rng s.Length
        one (build axes keep), [ "x", draw rng s ])

/// Integral index values in [0, size) as a constant.
let private indices (rng: SplitMix64) (shape: int[]) size =
    Expr.constant (tensor shape (fun () -> float (rng.Below size)))

let private matmulShapes (rng: SplitMix64) =
    let m, k, n, b = 1 + rng.Below 4, 1 + rng.Below 4, 1 + rng.Below 4, 1 + rng.Below 3
    match rng.Below 8 with
    | 0 -> [| m; k |], [| k; n |]
    | 1 -> [| b; m; k |], [| k; n |]              // batch broadcast on the left
    | 2 -> [| m; k |], [| b; k; n |]
    | 3 -> [| b; m; k |], [| 1; k; n |]
    | 4 -> [| k |], [| k; n |]                    // 1-d operands as torch.matmul
    | 5 -> [| m; k |], [| k |]
    | 6 -> [| k |], [| k |]
    | _ -> [| b; m; k |], [| k |]

let private sliceSpecs (rng: SplitMix64) (s: int[]) =
    [ for axis in 0 .. rng.Below (s.Length + 1) - 1 ->
        let n = s[axis]
        match rng.Below 4 with
        | 0 -> Slice.All
        | 1 -> Slice.Index (rng.Below n - (if rng.Below 2 = 0 then n else 0))
        | _ ->
            let start = rng.Below n
            let stop = start + 1 + rng.Below (n - start)
            let neg v = if rng.Below 2 = 0 then v - n else v
            Slice.Range (Some (neg start), (if stop = n then None else Some (neg stop)), 1 + rng.Below 2) ]

[<Tests>]
let tests =
    testList "Diff.Cards" [
        unary "neg" Expr.neg anywhere
        unary "exp" Expr.exp anywhere
        unary "log" Expr.log positive
        unary "sqrt" Expr.sqrt positive
        unary "abs" Expr.abs offKink
        unary "sin" Expr.sin anywhere
        unary "cos" Expr.cos anywhere
        unary "tan" Expr.tan (fun rng -> uniform rng -1.2 1.2)
        unary "tanh" Expr.tanh anywhere
        unary "sigmoid" Expr.sigmoid (fun rng -> uniform rng -6.0 6.0)
        unary "softplus" Expr.softplus (fun rng -> uniform rng -6.0 6.0)
        unary "relu" Expr.relu offKink
        gradCheck "leaky_relu" (fun rng ->
            let slope = uniform rng 0.01 0.3 ()
            one (Expr.leakyRelu slope), [ "x", tensor (shape rng) (offKink rng) ])
        unary "step (zero gradient)" Expr.step offKink
        unary "sign (zero gradient)" Expr.sign offKink
        binary "add" Expr.add anywhere anywhere
        binary "sub" Expr.sub anywhere anywhere
        binary "mul" Expr.mul anywhere anywhere
        binary "div" Expr.div anywhere (fun rng -> offZero rng 0.5 2.0)
        binary "pow" Expr.pow (fun rng -> uniform rng 0.5 2.0) anywhere
        binary "maximum" Expr.maximum gridA gridB
        binary "minimum" Expr.minimum gridA gridB
        binary "gt (zero gradient)" Expr.gt gridA gridB
        binary "ge (zero gradient)" Expr.ge gridA gridB
        binary "lt (zero gradient)" Expr.lt gridA gridB
        binary "le (zero gradient)" Expr.le gridA gridB
        binary "eq (zero gradient)" Expr.eq gridA gridB
        gradCheck "where" (fun rng ->
            let s = shape rng
            let cond = Expr.constant (tensor (broadcastable rng s) (fun () -> float (rng.Below 2)))
            two (Expr.where cond), [ "a", tensor (broadcastable rng s) (anywhere rng); "b", tensor s (anywhere rng) ])
        reduction "sum" Expr.sum (fun rng s -> tensor s (anywhere rng))
        reduction "max" Expr.max distinct
        reduction "min" Expr.min distinct
        reduction "logsumexp" Expr.logSumExp (fun rng s -> tensor s (anywhere rng))
        gradCheck "argmax (zero gradient)" (fun rng ->
            let s = shape rng
            one (Expr.argmax (rng.Below s.Length) (rng.Below 2 = 0)), [ "x", distinct rng s ])
        gradCheck "log_softmax" (fun rng ->
            let s = shape rng
            one (Expr.logSoftmax (rng.Below s.Length - s.Length)), [ "x", tensor s (anywhere rng) ])
        gradCheck "matmul" (fun rng ->
            let sa, sb = matmulShapes rng
            two Expr.matmul, [ "a", tensor sa (anywhere rng); "b", tensor sb (anywhere rng) ])
        gradCheck "reshape" (fun rng ->
            let s = shape rng
            let target = match rng.Below 3 with 0 -> [| Shape.numel s |] | 1 -> Array.rev s | _ -> [| 1; -1 |]
            one (Expr.reshape target), [ "x", tensor s (anywhere rng) ])
        gradCheck "permute" (fun rng ->
            let s = shape rng
            let dims = Array.init s.Length id
            for i in dims.Length - 1 .. -1 .. 1 do
                let j = rng.Below (i + 1)
                let t = dims[i] in dims[i] <- dims[j]; dims[j] <- t
            one (Expr.permute dims), [ "x", tensor s (anywhere rng) ])
        gradCheck "broadcast_to" (fun rng ->
            let s = shape rng
            one (Expr.broadcastTo s), [ "x", tensor (broadcastable rng s) (anywhere rng) ])
        gradCheck "sum_to" (fun rng ->
            let s = shape rng
            one (Expr.sumTo (broadcastable rng s)), [ "x", tensor s (anywhere rng) ])
        gradCheck "slice" (fun rng ->
            let s = shape rng
            one (Expr.slice (sliceSpecs rng s)), [ "x", tensor s (anywhere rng) ])
        gradCheck "slice_backward" (fun rng ->
            let s = shape rng
            let specs = sliceSpecs rng s
            let g = Infer.sliceShape "slice" s specs
            one (fun g -> Expr.apply (Op.SliceBackward (List.ofArray s, specs)) [ g ]), [ "g", tensor g (anywhere rng) ])
        gradCheck "concat" (fun rng ->
            let s = shape rng
            let axis = rng.Below s.Length
            let pieces = [ for i in 0 .. rng.Below 3 -> $"t{i}", tensor (Array.updateAt axis (1 + rng.Below 3) s) (anywhere rng) ]
            Expr.concat (axis - (if rng.Below 2 = 0 then s.Length else 0)), pieces)
        gradCheck "index_select" (fun rng ->
            let s = shape rng
            let axis = rng.Below s.Length
            let idx = indices rng (Array.init (1 + rng.Below 2) (fun _ -> 1 + rng.Below 4)) s[axis]
            one (Expr.indexSelect axis idx), [ "x", tensor s (anywhere rng) ])
        gradCheck "index_add" (fun rng ->
            let s = shape rng
            let axis = rng.Below s.Length
            let idxShape = Array.init (1 + rng.Below 2) (fun _ -> 1 + rng.Below 4)
            let size = 1 + rng.Below 4
            let src = Array.concat [ s[.. axis - 1]; idxShape; s[axis + 1 ..] ]
            let idx = indices rng idxShape size
            one (fun x -> Expr.apply (Op.IndexAdd (axis, size)) [ x; idx ]), [ "src", tensor src (anywhere rng) ])
        gradCheck "gather" (fun rng ->
            let s = shape rng
            let axis = rng.Below s.Length
            let idx = indices rng (Array.updateAt axis (1 + rng.Below 4) s) s[axis]
            one (Expr.gather axis idx), [ "x", tensor s (anywhere rng) ])
        gradCheck "scatter_add" (fun rng ->
            let target = shape rng
            let axis = rng.Below target.Length
            let idxShape = Array.updateAt axis (1 + rng.Below 4) target
            let idx = indices rng idxShape target[axis]
            one (fun x -> Expr.apply (Op.ScatterAdd (List.ofArray target, axis)) [ x; idx ]), [ "src", tensor idxShape (anywhere rng) ])
        // derived ops: compositions, checked the same way
        reduction "mean (derived)" Expr.mean (fun rng s -> tensor s (anywhere rng))
        gradCheck "softmax (derived)" (fun rng ->
            let s = shape rng
            one (Expr.softmax (rng.Below s.Length)), [ "x", tensor s (anywhere rng) ])
        gradCheck "cross-entropy (derived)" (fun rng ->
            let n, c = 1 + rng.Below 4, 1 + rng.Below 4
            let target = indices rng [| n |] c
            one (fun z -> ReferenceLosses.crossEntropy z target), [ "z", tensor [| n; c |] (anywhere rng) ])
        gradCheck "bce with logits (derived)" (fun rng ->
            let s = shape rng
            let y = Expr.constant (tensor s (uniform rng 0.0 1.0))
            one (fun z -> ReferenceLosses.binaryCrossEntropyWithLogits z y), [ "z", tensor s (anywhere rng) ])
        test "every op has a card whose name is its printed name" {
            let names = [ for op in [ Op.Exp; Op.MatMul; Op.Sum ([ 0 ], false); Op.LeakyRelu 0.1 ] -> (Cards.cardOf op).Name ]
            Expect.equal names [ "exp"; "matmul"; "sum"; "leaky_relu" ] "names"
        }
    ]
