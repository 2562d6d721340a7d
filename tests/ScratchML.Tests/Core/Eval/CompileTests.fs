/// The compiled program gives the interpreter's values; buffers are planned and reused; the
/// cheap-gradient benchmark (printed, not timed).
module ScratchML.Tests.Core.Eval.CompileTests

open System.Diagnostics
open Expecto
open ScratchML
open ScratchML.Tests.Core.Diff.Check
open ScratchML.Tests.Core.Diff.GradTests

/// Compiled and interpreted values agree to rtol 1e-12 (fused passes may use other but equally
/// accurate elementwise routines, e.g. a vectorised exp, than the tensor kernels).
let private agree (outputs: Expr list) env =
    let interpreted = Eval.runMany env outputs
    let program = Compile.program outputs
    let compiled = program.Run env
    let again = program.Run env   // a second run reuses the planned buffers
    List.zip3 interpreted compiled again |> List.tryPick (fun (i, c, c2) ->
        if i.Shape <> c.Shape then Some $"shape {Shape.show c.Shape} vs {Shape.show i.Shape}"
        elif not (Tensor.allClose 1e-12 1e-13 c i) then Some $"values differ:\n%A{Tensor.toArray c}\n%A{Tensor.toArray i}"
        elif Tensor.toArray c <> Tensor.toArray c2 then Some "second run differs"
        else None)

/// Forward and loss+gradient times of the compiled MLP (float32), best of n runs taken in
/// turns so both see the same machine load: (forward ms, both ms).
let cheapGradient n =
    let loss, wrt = mlp ()
    let rng = SplitMix64 7UL
    let t32 shape scale = Tensor.astype DType.Float32 (tensor shape (uniform rng -scale scale))
    let env =
        Map [ "x", t32 [| 64; 784 |] 1.0; "w1", t32 [| 784; 256 |] 0.05; "b1", t32 [| 256 |] 0.1
              "w2", t32 [| 256; 10 |] 0.1; "b2", t32 [| 10 |] 0.1
              "target", Tensor.astype DType.Float32 (tensor [| 64 |] (fun () -> float (rng.Below 10))) ]
    let forward = Compile.program [ loss ]
    let both = Compile.program (loss :: Grad.grad loss wrt)
    let ms (p: Compiled) = let sw = Stopwatch.StartNew() in p.Run env |> ignore; sw.Elapsed.TotalMilliseconds
    let times = [ for _ in 1 .. n -> ms forward, ms both ]
    List.min (List.map fst times), List.min (List.map snd times)

[<Tests>]
let tests =
    testList "Eval.Compile" [
        seeded "random graphs and their gradients: compiled equals interpreted" (fun seed ->
            let f, inputs = randomGraph (SplitMix64(uint64 seed))
            let vars = inputs |> List.map (fun (name, t) -> Expr.var name t.Shape)
            let s = Expr.sumAll (f vars)
            agree (s :: f vars :: Grad.grad s vars) (Map inputs))
        seeded "random graphs in float32: compiled equals interpreted to float32 accuracy" (fun seed ->
            let f, inputs = randomGraph (SplitMix64(uint64 seed))
            let vars = inputs |> List.map (fun (name, t) -> Expr.var name t.Shape)
            let s = Expr.sumAll (f vars)
            let outputs = s :: Grad.grad s vars
            let env = inputs |> List.map (fun (name, t) -> name, Tensor.astype DType.Float32 t) |> Map
            // fused passes compute in float64 and round once; the kernels round after every op
            List.zip (Eval.runMany env outputs) ((Compile.program outputs).Run env)
            |> List.tryPick (fun (i, c) ->
                if c.DType <> DType.Float32 then Some $"dtype {c.DType}"
                elif Tensor.allClose 1e-3 1e-4 c i then None
                else Some $"values differ:\n%A{Tensor.toArray c}\n%A{Tensor.toArray i}"))
        test "an elementwise chain is one fused pass" {
            let x = Expr.var "x" [| 5 |]
            let y = Expr.tanh x
            let g = Grad.grad (Expr.sumAll y) [ x ] |> List.head    // 1·(1 − y·y)
            let program = Compile.program [ Expr.exp (Expr.sin x * 2.0 + 1.0) ]
            let instructions, fused = program.Size
            Expect.equal fused 1 ("one pass:\n" + String.concat "\n" program.Listing)
            Expect.equal instructions 4 "x, two constants, the pass"
            Expect.isNone (agree [ g ] (Map [ "x", Tensor.ofArray [| 5 |] [| -2.0; -0.5; 0.0; 0.5; 2.0 |] ])) "gradient"
        }
        test "a fused square x^2 gives the bits of x·x (float32 and float64)" {
            let x = Expr.var "x" [| 37 |]
            let program = Compile.program [ Expr.square (Expr.tanh x) + 1.0 ]
            let values = Array.init 37 (fun i -> float (i - 18) / 7.3)
            for dtype in [ DType.Float64; DType.Float32 ] do
                let input = Tensor.astype dtype (Tensor.ofArray [| 37 |] values)
                // a fused pass computes in float64 (the input widened) and rounds once at the end
                let y = Tensor.toArray (Tensor.tanh (Tensor.astype DType.Float64 input))
                let expected = y |> Array.map (fun t -> t * t + 1.0)
                let expected = if dtype = DType.Float32 then expected |> Array.map (float32 >> float) else expected
                let actual = program.Run (Map [ "x", input ]) |> List.head |> Tensor.toArray
                Expect.equal actual expected $"{dtype}"
        }
        test "dead buffers are reused" {
            let x = Expr.var "x" [| 8 |]
            // each sum makes the previous chain result dead before the next chain needs a buffer
            let mutable e = x
            for i in 1 .. 6 do e <- Expr.sin (e * float i) + Expr.sum [] true (Expr.tanh e)
            let program = Compile.program [ Expr.sumAll e ]
            Expect.isLessThan program.Buffers.Length 4 ("few buffers:\n" + String.concat "\n" program.Listing)
            Expect.isNone (agree [ Expr.sumAll e ] (Map [ "x", Tensor.ofArray [| 8 |] (Array.init 8 (fun i -> 0.01 * float i)) ])) "values"
        }
        test "outputs survive the next run" {
            let x = Expr.var "x" [| 3 |]
            let program = Compile.program [ Expr.exp x * 2.0 ]
            let first = program.Run (Map [ "x", Tensor.ofArray [| 3 |] [| 0.0; 0.0; 0.0 |] ]) |> List.head
            program.Run (Map [ "x", Tensor.ofArray [| 3 |] [| 1.0; 1.0; 1.0 |] ]) |> ignore
            Expect.equal (Tensor.toArray first) [| 2.0; 2.0; 2.0 |] "unchanged"
        }
        test "MLP loss and gradient: compiled equals interpreted (float64)" {
            let loss, wrt = mlp ()
            let rng = SplitMix64 3UL
            let env =
                Map [ "x", tensor [| 64; 784 |] (uniform rng -1.0 1.0); "w1", tensor [| 784; 256 |] (uniform rng -0.05 0.05)
                      "b1", tensor [| 256 |] (uniform rng -0.1 0.1); "w2", tensor [| 256; 10 |] (uniform rng -0.1 0.1)
                      "b2", tensor [| 10 |] (uniform rng -0.1 0.1); "target", tensor [| 64 |] (fun () -> float (rng.Below 10)) ]
            Expect.isNone (agree (loss :: Grad.grad loss wrt) env) "agree"
        }
        test "a sum of disjoint slice placements is one concat (gaps zero, an overlap kept)" {
            let x = Expr.var "x" [| 5; 3 |]
            let place t (g: Expr) = Expr.apply (Op.SliceBackward ([ 5; 3 ], [ Slice.Index t ])) [ g ]
            let row t = Expr.slice [ Slice.Index t ] x
            // rows 0, 1, 3 and a two-row range 3:5 overlapping row 3 (kept as a term); row 2 a gap
            let range = Expr.apply (Op.SliceBackward ([ 5; 3 ], [ Slice.Range (Some 3, Some 5, 1) ])) [ Expr.slice [ Slice.Range (Some 3, Some 5, 1) ] x ]
            let sum = place 0 (Expr.sin (row 0)) + place 3 (row 3 * 2.0) + place 1 (Expr.exp (row 1)) + range
            let program = Compile.program [ sum * 3.0 ]
            let listing = String.concat "\n" program.Listing
            Expect.stringContains listing "Concat 0" "a concat"
            Expect.equal (program.Listing |> List.filter (fun l -> l.Contains "SliceBackward") |> List.length) 1 ("the overlap stays:\n" + listing)
            let env = Map [ "x", tensor [| 5; 3 |] (uniform (SplitMix64 5UL) -1.0 1.0) ]
            Expect.isNone (agree [ sum * 3.0 ] env) "values"
        }
        test "a sum of matrix products is one GEMM over the joined factors" {
            let factors = [ for t in 0 .. 4 -> Expr.var $"a{t}" [| 2; 3 |], Expr.var $"b{t}" [| 3; 4 |] ]
            let sum = factors |> List.map (fun (a, b) -> Expr.matmul a (Expr.transpose 0 1 (Expr.transpose 0 1 b))) |> List.reduce (+)
            let program = Compile.program [ Expr.tanh sum ]
            Expect.equal (program.Listing |> List.filter (fun l -> l.Contains "MatMul") |> List.length) 1 (String.concat "\n" program.Listing)
            let rng = SplitMix64 9UL
            let env =
                Map [ for t in 0 .. 4 do
                        yield $"a{t}", tensor [| 2; 3 |] (uniform rng -1.0 1.0)
                        yield $"b{t}", tensor [| 3; 4 |] (uniform rng -1.0 1.0) ]
            Expect.isNone (agree [ Expr.tanh sum ] env) "values"
        }
        test "products and concats in planned buffers: values right on every run, in float32 too" {
            let a = Expr.var "a" [| 3; 4 |]
            let b = Expr.var "b" [| 4; 3 |]
            // each product is dead before the next one needs a buffer of its size
            let mutable e = a
            for i in 1 .. 4 do e <- Expr.concat 1 [ Expr.tanh (Expr.matmul e b) * float i; Expr.sin e ] |> Expr.slice [ Slice.All; Slice.Range (Some 0, Some 4, 1) ]
            let rng = SplitMix64 4UL
            let env = Map [ "a", tensor [| 3; 4 |] (uniform rng -1.0 1.0); "b", tensor [| 4; 3 |] (uniform rng -1.0 1.0) ]
            Expect.isNone (agree [ Expr.sumAll e; e ] env) "float64"
            let env32 = env |> Map.map (fun _ t -> Tensor.astype DType.Float32 t)
            let program = Compile.program [ e ]
            let first = program.Run env32 |> List.head |> Tensor.toArray
            let second = program.Run env32 |> List.head |> Tensor.toArray
            let reference = Eval.runMany env [ e ] |> List.head |> Tensor.toArray
            Expect.equal first second "same twice"
            Expect.isTrue (Array.forall2 (fun x y -> abs (x - y) < 1e-5) first reference) "float32 close to float64"
        }
        test "float32 blocks widen and narrow exactly as scalar casts (any length, any offset)" {
            let rng = SplitMix64 12UL
            for n in [ 0; 1; 7; 8; 9; 33; 1024 ] do
                let wide = Array.init (n + 3) (fun _ -> (rng.Uniform() - 0.5) * 1e3 + rng.Uniform() * 1e-9)
                let narrowed = Array.zeroCreate<float32> (n + 5)
                Blocks.narrow wide narrowed 2 n
                Expect.equal narrowed[2 .. n + 1] (Array.init n (fun i -> float32 wide[i])) $"narrow n={n}"
                let back = Array.zeroCreate<float> (n + 4)
                Blocks.widen narrowed 2 back 1 n
                Expect.equal back[1 .. n] (Array.init n (fun i -> float narrowed[2 + i])) $"widen n={n}"
        }
        test "reusing: outputs in the program's own buffers, the same values, no large arrays per run" {
            let x = Expr.var "x" [| 64; 300 |]
            let w = Expr.var "w" [| 200; 300 |]
            let h = Expr.relu (Expr.matmul x (Expr.transpose 0 1 w))
            let loss = Expr.sumAll (h * h)
            let outputs = loss :: Grad.grad loss [ w ]
            let rng = SplitMix64 21UL
            let env = Map [ "x", tensor [| 64; 300 |] (uniform rng -1.0 1.0); "w", tensor [| 200; 300 |] (uniform rng -0.1 0.1) ]
            let program = Compile.reusing outputs
            let first = program.Run env
            let firstValues = first |> List.map Tensor.toArray
            let before = System.GC.GetAllocatedBytesForCurrentThread()
            let second = program.Run env
            let allocated = System.GC.GetAllocatedBytesForCurrentThread() - before
            List.zip (Eval.runMany env outputs) second |> List.iter (fun (i, c) ->
                Expect.isTrue (Tensor.allClose 1e-12 1e-13 c i) "compiled equals interpreted")
            Expect.equal (second |> List.map Tensor.toArray) firstValues "same values twice"
            Expect.isTrue (obj.ReferenceEquals(first[1].Storage, second[1].Storage)) "the gradient is in the same buffer each run"
            // the [200; 300] gradient alone is 480 kB in float64; a run now allocates only small objects
            let listing = String.concat "\n" program.Listing
            Expect.isLessThan allocated 60_000L $"bytes allocated by the second run:\n{listing}"
        }
        test "relu(x·wᵀ + b) and its gradient: the bias add runs inside relu's pass" {
            let x = Expr.var "x" [| 4; 3 |]
            let w = Expr.var "w" [| 5; 3 |]
            let b = Expr.var "b" [| 5 |]
            let loss = Expr.sumAll (Expr.tanh (Expr.relu (Expr.matmul x (Expr.transpose 0 1 w) + b)))
            let outputs = loss :: (Grad.grad loss [ w; b ] |> List.map Simplify.run)
            let program = Compile.program outputs
            let listing = String.concat "\n" program.Listing
            Expect.stringContains listing "fused[add relu]" listing
            let rng = SplitMix64 22UL
            let env = Map [ "x", tensor [| 4; 3 |] (uniform rng -1.0 1.0); "w", tensor [| 5; 3 |] (uniform rng -1.0 1.0)
                            "b", tensor [| 5 |] (uniform rng -1.0 1.0) ]
            Expect.isNone (agree outputs env) "values"
        }
        test "a fused pass reads a run of rows of a larger tensor (a view with an offset) in place" {
            let x = Expr.var "x" [| 3; 4 |]
            let whole = tensor [| 10; 4 |] (uniform (SplitMix64 23UL) -1.0 1.0)
            let rows = Tensor.reshape [| 3; 4 |] (TensorOps.Layout.narrow 0 5 3 whole)
            let env = Map [ "x", rows ]
            let e = Expr.exp (Expr.sin x * 2.0)
            Expect.isNone (agree [ e ] env) "float64"
            let env32 = Map [ "x", Tensor.astype DType.Float32 rows ]
            let compiled = (Compile.program [ e ]).Run env32 |> List.head |> Tensor.toArray
            let reference = Eval.runMany env32 [ e ] |> List.head |> Tensor.toArray
            Expect.isTrue (Array.forall2 (fun a b -> abs (a - b) < 1e-5) compiled reference) "float32"
        }
        test "max pooling's values and indices of one input come from one kernel call, in either order" {
            let x = Expr.var "x" [| 2; 3; 6; 7 |]
            let c = Expr.var "c" [| 2; 3; 3; 3 |]
            let pooled = Expr.maxPool2d (Pool2dSpec.Square 2) (Expr.tanh x)
            let loss = Expr.sumAll (pooled * c)
            let dx = Grad.grad loss [ x ] |> List.head
            let rng = SplitMix64 24UL
            let env = Map [ "x", tensor [| 2; 3; 6; 7 |] (uniform rng -1.0 1.0); "c", tensor [| 2; 3; 3; 3 |] (uniform rng -1.0 1.0) ]
            for outputs in [ [ loss; dx ]; [ dx; pooled ] ] do
                let program = Compile.program outputs
                let listing = String.concat "\n" program.Listing
                let count (text: string) = program.Listing |> List.filter (fun l -> l.Contains text) |> List.length
                Expect.equal (count "(one pass)") 1 listing
                Expect.equal (count "set by") 1 listing
                Expect.isNone (agree outputs env) "float64"
                let env32 = env |> Map.map (fun _ t -> Tensor.astype DType.Float32 t)
                let pooled32 = (Compile.program [ pooled ]).Run env32 |> List.head
                let both32 = program.Run env32
                let alone = (Compile.program [ dx ]).Run env32 |> List.head
                let dxBoth = if outputs.Head = dx then both32.Head else both32[1]
                Expect.equal (Tensor.toArray dxBoth) (Tensor.toArray alone) "the gradient as without the pair"
                if outputs.Head = dx then
                    Expect.equal (Tensor.toArray both32[1]) (Tensor.toArray pooled32) "the values as without the pair"
        }
        // sequenced: timings taken while other tests run in parallel would mean nothing
        testSequenced <| test "cheap gradient: compiled MLP loss+gradient vs forward (printed)" {
            let forward, both = cheapGradient 30
            printfn $"cheap gradient (W1 MLP, batch 64, float32, best of 30): forward {forward:F2} ms, loss+gradient {both:F2} ms, ratio {both / forward:F2}"
        }
    ]
