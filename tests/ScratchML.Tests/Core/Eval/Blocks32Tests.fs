/// The float32 block path gives the float64 block path's bits: op by op over random, subnormal,
/// infinite, NaN and signed-zero float32 values; the analysis admits exactly the passes that
/// round like float64; whole compiled passes of random chains equal the float64 run rounded once.
module ScratchML.Tests.Core.Eval.Blocks32Tests

open System
open Expecto
open ScratchML
open ScratchML.Tests.Core.Diff.Check

/// A float32 of every class: O(1) values scaled by 2^k (cancellation and far-apart sums), any
/// bit pattern (NaN payloads, huge and tiny values), subnormals, specials, and small integers
/// (ties for the comparisons, exact zeros for where and division).
let randomFloat32 (rng: SplitMix64) =
    let specials = [| 0.0f; -0.0f; infinityf; -infinityf; nanf; Single.Epsilon; -Single.Epsilon
                      Single.MaxValue; Single.MinValue; 1.0f; -1.0f
                      BitConverter.Int32BitsToSingle 0x3F800001 |]   // 1 + 2⁻²³
    match rng.Below 5 with
    | 0 -> float32 ((rng.Uniform() * 8.0 - 4.0) * Math.Pow(2.0, float (rng.Below 61 - 30)))
    | 1 -> BitConverter.Int32BitsToSingle(int (uint32 (rng.Next() >>> 32)))
    | 2 ->   // a subnormal of either sign
        let sign = if rng.Below 2 = 0 then 0 else Int32.MinValue
        BitConverter.Int32BitsToSingle(int (rng.Below 0x800000) ||| sign)
    | 3 -> specials[rng.Below specials.Length]
    | _ -> float32 (rng.Below 7) - 3.0f

/// Operand k of an op applied to `args` (empty past its arity), as Blocks.apply takes it.
let argument (args: 'T[][]) k : ReadOnlySpan<'T> =
    if k < args.Length then ReadOnlySpan args[k] else ReadOnlySpan<'T>.Empty

/// Same bits, or both NaN (a signalling NaN comes out of the float64 path quietened).
let sameBits (a: float32) (b: float32) =
    BitConverter.SingleToInt32Bits a = BitConverter.SingleToInt32Bits b
    || (Single.IsNaN a && Single.IsNaN b)

/// The ops Blocks32 runs, with their arity.
let admitted =
    [ Op.Neg, 1; Op.Sqrt, 1; Op.Abs, 1; Op.Relu, 1; Op.Step, 1; Op.Sign, 1; Op.Add, 2; Op.Sub, 2
      Op.Mul, 2; Op.Div, 2; Op.Maximum, 2; Op.Minimum, 2; Op.Gt, 2; Op.Ge, 2; Op.Lt, 2; Op.Le, 2
      Op.Eq, 2; Op.Where, 3 ]

/// One step r{dest} = op(args) for the analysis (argument codes: k ≥ 0 register, −(k+1) input).
let private micro op args dest : Micro = { Op = op; Args = args; Dest = dest }

/// A random elementwise tree over distinct variables [r; c] (some [1; c] broadcast leaves and
/// float32-exact scalars): every op node is full-shaped and has a variable below it, so no two
/// nodes are equal (no sharing) and the whole tree compiles into one fused pass.
let randomChain (rng: SplitMix64) (r: int) (c: int) =
    let vars = ResizeArray<string * int[]>()
    let fresh (shape: int[]) =
        let name = $"x{vars.Count}"
        vars.Add((name, shape))
        Expr.var name shape
    let constants = [| 0.0; 1.0; -2.0; 0.5; 3.0; 1024.0; Math.Pow(2.0, -20.0) |]
    let leaf () =
        match rng.Below 6 with
        | 0 -> fresh [| 1; c |]
        | 1 -> Expr.scalar constants[rng.Below constants.Length]
        | _ -> fresh [| r; c |]
    // mostly admitted ops, some that keep a pass in float64 (exp, tanh)
    let ops = List.toArray (admitted @ [ Op.Exp, 1; Op.Tanh, 1 ])
    let rec node depth =
        let op, arity = ops[rng.Below ops.Length]
        let fullAt = rng.Below arity
        let args = List.init arity (fun k ->
            if k <> fullAt && rng.Below 2 = 0 then leaf () else full (depth - 1))
        Expr.apply op args
    and full depth = if depth <= 0 || rng.Below 4 = 0 then fresh [| r; c |] else node depth
    let root = node (1 + rng.Below 4)
    root, List.ofSeq vars

/// The values v of a [rows; c] tensor in three layouts: row-major (a fused pass reads it in
/// place), rows 1.. of a taller row-major tensor (in place, from an offset), and every other
/// column of a wider one (strided: loaded block by block, the copy path); in float32 or float64.
let layouts (dtype: DType) (v: float32[]) (shape: int[]) =
    let tensor shape (a: float32[]) =
        if dtype = DType.Float32 then Tensor.ofArray32 shape a
        else Tensor.ofArray shape (Array.map float a)
    let rows, c = shape[0], shape[1]
    let dense = tensor shape v
    let taller = tensor [| rows + 1; c |] (Array.append (Array.create c nanf) v)
    let offset = Tensor.slice [| Slice.Range(Some 1, None, 1); Slice.All |] taller
    let wide = Array.init (rows * 2 * c) (fun i -> if i % 2 = 0 then v[i / 2] else nanf)
    let strided =
        Tensor.slice [| Slice.All; Slice.Range(Some 0, None, 2) |] (tensor [| rows; 2 * c |] wide)
    [ "row-major", dense; "offset", offset; "strided", strided ]

[<Tests>]
let tests =
    testList "Eval.Blocks32" [
        seeded "each admitted op on float32 blocks = the float64 block rounded once, bitwise" (fun seed ->
            let rng = SplitMix64(uint64 seed)
            let n = 1 + rng.Below 40                        // whole vectors and a scalar tail
            admitted |> List.tryPick (fun (op, arity) ->
                let args32 = Array.init arity (fun _ -> Array.init n (fun _ -> randomFloat32 rng))
                let d32 = Array.zeroCreate<float32> n
                Blocks32.apply op (argument args32 0) (argument args32 1) (argument args32 2) (Span d32)
                let args64 = args32 |> Array.map (Array.map float)
                let d64 = Array.zeroCreate<float> n
                Blocks.apply op (argument args64 0) (argument args64 1) (argument args64 2) (Span d64)
                let rounded = Array.zeroCreate<float32> n
                Blocks.narrow d64 rounded 0 n
                Array.zip d32 rounded |> Array.tryFindIndex (fun (a, b) -> not (sameBits a b))
                |> Option.map (fun i ->
                    let operands = args32 |> Array.map (fun a -> string a[i]) |> String.concat ", "
                    $"%A{op}({operands}): float32 blocks {d32[i]}, float64 rounded {rounded[i]}")))

        seeded "a loaded block of a broadcast view = those elements of the broadcast tensor" (fun seed ->
            let rng = SplitMix64(uint64 seed)
            let shape = Array.init (1 + rng.Below 4) (fun _ -> 1 + rng.Below 5)
            // t: shape with some axes 1 (stretched) and leading axes dropped, behind any layout
            let own = shape |> Array.map (fun n -> if rng.Below 3 = 0 then 1 else n)
            let own = own[rng.Below own.Length ..]
            let t = ScratchML.Tests.Core.Tensor.TensorGens.randomView DType.Float32 seed own
            let expected = Tensor.toArray32 (Tensor.broadcastTo shape t)
            let n = Shape.numel shape
            let start = rng.Below n
            let len = 1 + rng.Below (n - start)
            let d32, d64 = Array.zeroCreate<float32> len, Array.zeroCreate<float> len
            Blocks32.load t shape start len d32
            Blocks.load t shape start len d64
            let want = expected[start .. start + len - 1]
            if d32 <> want then Some $"float32 block %A{d32}, expected %A{want}"
            elif Array.map float32 d64 <> want then Some $"float64 block %A{d64}, expected %A{want}"
            else None)

        test "the analysis admits exactly the passes that round like float64" {
            let admits steps registers = Blocks32.roundsLikeFloat64 (Array.ofList steps) registers
            for op, arity in admitted do
                let inputs = Array.init arity (fun k -> -(k + 1))
                Expect.isTrue (admits [ micro op inputs 0 ] 1) $"%A{op} of inputs"
            // relu(a + b), step(a)·g, −(a·b): W2's and W1's passes
            let sum = micro Op.Add [| -1; -2 |] 0           // r0 = a + b: rounded
            Expect.isTrue (admits [ sum; micro Op.Relu [| 0 |] 1 ] 2) "add relu"
            Expect.isTrue (admits [ micro Op.Step [| -1 |] 0; micro Op.Mul [| 0; -2 |] 1 ] 2) "step mul"
            Expect.isTrue (admits [ micro Op.Mul [| -1; -2 |] 0; micro Op.Neg [| 0 |] 1 ] 2) "mul neg"
            Expect.isTrue (admits [ sum; micro Op.Maximum [| 0; -3 |] 1 ] 2) "max of a sum"
            let where = [ micro Op.Gt [| -1; -2 |] 0; micro Op.Add [| -1; -2 |] 1
                          micro Op.Where [| 0; 1; -3 |] 2 ]
            Expect.isTrue (admits where 3) "where picking a sum"
            // a rounded operand of arithmetic, a comparison or a condition; other ops
            Expect.isFalse (admits [ micro Op.Mul [| -1; -2 |] 0; micro Op.Sub [| -3; 0 |] 1 ] 2) "a − b·c"
            Expect.isFalse (admits [ sum; micro Op.Step [| 0 |] 1 ] 2) "step of a sum"
            Expect.isFalse (admits [ sum; micro Op.Relu [| 0 |] 1; micro Op.Sqrt [| 1 |] 0 ] 2)
                "sqrt of a relu of a sum"
            Expect.isFalse (admits [ sum; micro Op.Where [| 0; -1; -2 |] 1 ] 2) "where on a sum"
            Expect.isFalse (admits [ micro Op.Exp [| -1 |] 0 ] 1) "exp"
            Expect.isFalse (admits [ micro (Op.LeakyRelu 0.01) [| -1 |] 0 ] 1) "leaky relu: float64 slope"
        }

        test "random chains: a float32 run gives the float64 run rounded once, on either path" {
            let mutable float32Passes, float64Passes = 0, 0
            for seed in 0 .. 299 do
                let rng = SplitMix64(uint64 seed)
                let r, c = 1 + rng.Below 3, 1 + rng.Below 40
                let e, vars = randomChain rng r c
                let program = Compile.program [ e ]
                let listing = String.concat "\n" program.Listing
                Expect.equal (snd program.Size) 1 $"seed {seed}: one fused pass\n{listing}"
                if listing.Contains "float32 blocks" then float32Passes <- float32Passes + 1
                else float64Passes <- float64Passes + 1
                let inputs = vars |> List.map (fun (name, shape) ->
                    name, Array.init (Shape.numel shape) (fun _ -> randomFloat32 rng), shape)
                let env32 = Map [ for name, v, shape in inputs -> name, Tensor.ofArray32 shape v ]
                let env64 =
                    Map [ for name, v, shape in inputs -> name, Tensor.ofArray shape (Array.map float v) ]
                let actual = program.Run env32 |> List.head |> Tensor.toArray32
                let expected = program.Run env64 |> List.head |> Tensor.toArray32   // rounded once
                match Array.zip actual expected |> Array.tryFindIndex (fun (a, b) -> not (sameBits a b)) with
                | Some i -> failtest $"seed {seed}, element {i}: {actual[i]}, not {expected[i]}\n{listing}"
                | None -> ()
            // both paths ran
            Expect.isGreaterThan float32Passes 30 $"float32 passes ({float64Passes} in float64)"
            Expect.isGreaterThan float64Passes 30 $"float64 passes ({float32Passes} in float32)"
        }

        test "random chains: inputs read in place give the bits of inputs loaded block by block" {
            for seed in 0 .. 199 do
                let rng = SplitMix64(uint64 (1000 + seed))
                // up to 3 blocks of 1024 and a partial one: the in-place offset moves per block
                let r, c = 1 + rng.Below 3, 1 + rng.Below 1200
                let e, vars = randomChain rng r c
                let program = Compile.program [ e ]
                let values = vars |> List.map (fun (name, shape) ->
                    name, shape, Array.init (Shape.numel shape) (fun _ -> randomFloat32 rng))
                for dtype in [ DType.Float32; DType.Float64 ] do
                    let inputs = [ for name, shape, v in values -> name, layouts dtype v shape ]
                    let run layout =
                        let env =
                            Map [ for name, views in inputs -> name, snd (List.item layout views) ]
                        program.Run env |> List.head |> Tensor.toArray   // float32 widens exactly
                    let strided = run 2
                    for layout in [ 0; 1 ] do
                        let actual = run layout
                        let same (a: float) (b: float) =
                            BitConverter.DoubleToInt64Bits a = BitConverter.DoubleToInt64Bits b
                            || (Double.IsNaN a && Double.IsNaN b)
                        let differs =
                            Array.zip actual strided |> Array.tryFindIndex (fun (a, b) -> not (same a b))
                        match differs with
                        | Some i ->
                            let name = fst (List.item layout (snd inputs.Head))
                            let listing = String.concat "\n" program.Listing
                            failtest ($"seed {seed}, %A{dtype}, {name} inputs, element {i}: "
                                      + $"{actual[i]}, strided {strided[i]}\n{listing}")
                        | None -> ()
        }

        test "W2's passes run on float32 blocks, passes with exp or a rounded product do not" {
            let x = Expr.var "x" [| 4; 3 |]
            let g = Expr.var "g" [| 4; 3 |]
            let b = Expr.var "b" [| 1; 3 |]
            let marked (e: Expr) =
                (Compile.program [ e ]).Listing |> List.exists (fun l -> l.Contains "float32 blocks")
            Expect.isTrue (marked (Expr.relu (x + b))) "add relu"
            Expect.isTrue (marked (Expr.step x * g)) "step mul"
            Expect.isFalse (marked (x - g * 0.1)) "an SGD step x − 0.1·g: the product is rounded"
            Expect.isFalse (marked (Expr.exp x * g)) "exp"
        }
    ]
