/// Gemm.sgemm / Gemm.dgemm against the naive triple loop cᵢⱼ = Σₚ aᵢₚ·bₚⱼ (computed in float64).
/// Random shapes (1-sized, not multiples of the 6×16 / 6×8 / 12×32 / 12×16 tiles), row-major,
/// transposed and strided views with offsets, threads 1–3, and every kernel path this
/// processor has (AVX-512, AVX2, portable), which must also agree with each other.
module ScratchML.Tests.Core.Tensor.GemmTests

open System
open System.Threading.Tasks
open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML

/// A rows×cols matrix view: element (i, j) at off + i·rs + j·cs of an array of length `length`.
type View = { Rows: int; Cols: int; Off: int; Rs: int; Cs: int; Length: int }

/// Row-major with padded rows, column-major (a transposed view), or strided both ways.
let genView rows cols =
    gen {
        let! kind = Gen.elements [ "row"; "col"; "strided" ]
        let! pad = Gen.choose (0, 3)
        let! off = Gen.choose (0, 4)
        let rs, cs =
            match kind with
            | "row" -> cols + pad, 1
            | "col" -> 1, rows + pad
            | _ -> 2 * cols + pad + 1, 2
        let length = off + (rows - 1) * rs + (cols - 1) * cs + 1 + pad
        return { Rows = rows; Cols = cols; Off = off; Rs = rs; Cs = cs; Length = length }
    }

/// One product to check: sizes, both operand views, C's offset and leading dimension, threads.
type Case =
    { M: int; N: int; K: int; A: View; B: View; COff: int; Ldc: int; Threads: int; Seed: int }

/// Sizes 1…40, often 1 or just around the tile sizes (6, 8, 12, 16, 32 ± 1).
let genSize =
    Gen.frequency
        [ 1, Gen.constant 1
          2, Gen.elements [ 5; 6; 7; 8; 9; 11; 12; 13; 15; 16; 17; 31; 32; 33 ]
          3, Gen.choose (1, 40) ]

let genCase =
    gen {
        let! m = genSize
        let! n = genSize
        let! k = genSize
        let! a = genView m k
        let! b = genView k n
        let! cOff = Gen.choose (0, 3)
        let! ldcPad = Gen.choose (0, 3)
        let! threads = Gen.elements [ 1; 2; 3 ]
        let! seed = Gen.choose (0, Int32.MaxValue)
        return { M = m; N = n; K = k; A = a; B = b; COff = cOff; Ldc = n + ldcPad
                 Threads = threads; Seed = seed }
    }

/// Uniform(−1, 1) contents from SplitMix64 (every slot, including the ones the view skips).
/// 2u − 1 with u a multiple of 2⁻²⁴ is exact in float32, so sgemm sees the very same numbers.
let fill (rng: SplitMix64) length = Array.init length (fun _ -> 2.0 * rng.Uniform() - 1.0)

/// Element (i, j) of a view.
let at (v: View) (data: float[]) i j = data[v.Off + i * v.Rs + j * v.Cs]

/// Runs the case through `gemm` on data of the given precision and compares every element of C
/// with the float64 triple loop: |c − ref| ≤ 2·k·ε·Σₚ|aᵢₚ||bₚⱼ| (the classic dot-product error
/// bound, ε = machine epsilon of the dtype), and checks that C outside its m×n block is untouched.
let check (eps: float) (gemm: Case -> float[] -> float[] -> float[] -> float[]) (case: Case) =
    let rng = SplitMix64(uint64 case.Seed)
    let a, b = fill rng case.A.Length, fill rng case.B.Length
    let cLength = case.COff + (case.M - 1) * case.Ldc + case.N + 2
    let sentinel = 12345.0
    let c = gemm case a b (Array.create cLength sentinel)
    let mutable ok = true
    for i in 0 .. case.M - 1 do
        for j in 0 .. case.N - 1 do
            let mutable s, bound = 0.0, 0.0
            for p in 0 .. case.K - 1 do
                let x, y = at case.A a i p, at case.B b p j
                s <- s + x * y
                bound <- bound + abs x * abs y
            let got = c[case.COff + i * case.Ldc + j]
            if abs (got - s) > 2.0 * float case.K * eps * bound + 1e-300 then
                ok <- false
    let inBlock idx =
        let r = idx - case.COff
        r >= 0 && r / case.Ldc < case.M && r % case.Ldc < case.N
    let untouched = c |> Array.indexed |> Array.forall (fun (idx, x) -> inBlock idx || x = sentinel)
    ok && untouched

let sgemmCase (case: Case) (a: float[]) (b: float[]) (c: float[]) =
    let c32 = Array.map float32 c
    Gemm.sgemm case.Threads case.M case.N case.K
        (Array.map float32 a) case.A.Off case.A.Rs case.A.Cs
        (Array.map float32 b) case.B.Off case.B.Rs case.B.Cs c32 case.COff case.Ldc
    Array.map float c32

let dgemmCase (case: Case) (a: float[]) (b: float[]) (c: float[]) =
    Gemm.dgemm case.Threads case.M case.N case.K a case.A.Off case.A.Rs case.A.Cs
        b case.B.Off case.B.Rs case.B.Cs c case.COff case.Ldc
    c

/// Machine epsilon: 2⁻²³ for float32, 2⁻⁵² for float64.
let eps32, eps64 = 2.0 ** -23.0, 2.0 ** -52.0

let config = { FsCheckConfig.defaultConfig with maxTest = 100 }

let property name eps gemm =
    testPropertyWithConfig config name (Prop.forAll (Arb.fromGen genCase) (check eps gemm))

/// Every kernel path this processor can run (the portable one always).
let private paths =
    [ GemmPath.Avx512; GemmPath.Avx2; GemmPath.Portable ] |> List.filter Gemm.supports

/// Sets the internal switches for one test and restores them afterwards.
let private withSwitches (path: GemmPath option) threshold (body: unit -> unit) =
    let oldPath, oldThreshold = Gemm.forcedPath, Gemm.parallelThreshold
    Gemm.forcedPath <- path
    Gemm.parallelThreshold <- threshold
    try body () finally
        Gemm.forcedPath <- oldPath
        Gemm.parallelThreshold <- oldThreshold

/// The value of `body` run with the given forced path (default threshold).
let private withResult path (body: unit -> 'a) =
    let mutable result = Unchecked.defaultof<'a>
    withSwitches path Gemm.parallelThreshold (fun () -> result <- body ())
    result

/// A property run with the switches set, as one sequenced test (the switches are global).
let private switched name path threshold eps gemm =
    testSequenced <| testCase name (fun () ->
        withSwitches path threshold (fun () ->
            Check.One(Config.QuickThrowOnFailure.WithMaxTest(100).WithQuietOnSuccess(true),
                      Prop.forAll (Arb.fromGen genCase) (check eps gemm))))

/// Runs the case on every path and checks that each pair of results agrees element by element
/// within twice the error bound of `check` (each is within one bound of the exact value).
let private pathsAgree (eps: float) (gemm: Case -> float[] -> float[] -> float[] -> float[])
                       (case: Case) =
    let rng = SplitMix64(uint64 case.Seed)
    let a, b = fill rng case.A.Length, fill rng case.B.Length
    let cLength = case.COff + (case.M - 1) * case.Ldc + case.N + 2
    let results =
        [ for path in paths ->
            path, withResult (Some path) (fun () -> gemm case a b (Array.zeroCreate cLength)) ]
    let mutable ok = true
    for i in 0 .. case.M - 1 do
        for j in 0 .. case.N - 1 do
            let bound =
                Seq.sum (seq { for p in 0 .. case.K - 1 ->
                                   abs (at case.A a i p * at case.B b p j) })
            let idx = case.COff + i * case.Ldc + j
            for _, x in results do
                for _, y in results do
                    if abs (x[idx] - y[idx]) > 4.0 * float case.K * eps * bound + 1e-300 then
                        ok <- false
    ok

/// A fixed case large enough to cross the KC (256, 384, 512) and MC (96, 48, 24) blocks and to be
/// split between 2 threads at the default threshold.
let big m n k transposeA transposeB threads seed =
    let view rows cols t =
        if t then { Rows = rows; Cols = cols; Off = 1; Rs = 1; Cs = rows; Length = 1 + rows * cols }
        else { Rows = rows; Cols = cols; Off = 1; Rs = cols; Cs = 1; Length = 1 + rows * cols }
    { M = m; N = n; K = k; A = view m k transposeA; B = view k n transposeB; COff = 2; Ldc = n + 1
      Threads = threads; Seed = seed }

/// Several callers at once, each splitting its product over 2 threads: the worker pool must
/// hand every caller its own worker and join it before returning.
let concurrentCallers () =
    withSwitches None 0L (fun () ->
        let results =
            [| for caller in 0..3 ->
                System.Threading.Tasks.Task.Run(fun () ->
                    [ for seed in 0..9 ->
                        let case = big (20 + caller) (30 + seed) 17 false false 2 seed
                        check eps64 dgemmCase case ]) |]
        System.Threading.Tasks.Task.WaitAll(results |> Array.map (fun t -> t :> Task))
        for t in results do
            Expect.allEqual t.Result true "every concurrent product is right")

/// GemmWorkers.share with every chunk counting its runs: each must run exactly once, and
/// `first` must be true on exactly one chunk per thread that took part (at most `threads`).
let shareOnce threads count =
    let runs = Array.zeroCreate<int> count
    let mutable firsts = 0
    GemmWorkers.share threads count (fun first i ->
        System.Threading.Interlocked.Increment &runs[i] |> ignore
        if first then System.Threading.Interlocked.Increment &firsts |> ignore)
    Expect.allEqual runs 1 $"every chunk once (threads={threads}, count={count})"
    if count > 0 then
        Expect.isTrue (firsts >= 1 && firsts <= min threads count)
            $"one first chunk per thread, got {firsts} (threads={threads}, count={count})"

/// Products split into chunks of rows (k ≤ KC and n ≤ NC: each thread packs B once and reuses it)
/// or not (k just beyond a KC of 256, 384 or 512, or wide: chunks of columns), k = 1, tall and
/// wide, on every path.
let chunkedShapes () =
    let shapes =
        [ 151, 40, 100; 300, 5, 1; 5, 300, 7; 97, 64, 256; 97, 64, 257; 64, 64, 385
          97, 64, 512; 97, 64, 513 ]
    for path in paths do
        withSwitches (Some path) 0L (fun () ->
            for threads in [ 2; 3 ] do
                for m, n, k in shapes do
                    for ta, tb in [ false, false; true, true ] do
                        let c = big m n k ta tb threads (m + n + k)
                        let what = $"path={path} threads={threads} {m}x{n}x{k} ta={ta} tb={tb}"
                        Expect.isTrue (check eps32 sgemmCase c) $"sgemm {what}"
                        Expect.isTrue (check eps64 dgemmCase c) $"dgemm {what}")

[<Tests>]
let tests =
    testList "Tensor.Gemm" [
        property "float32 random shapes and layouts" eps32 sgemmCase
        property "float64 random shapes and layouts" eps64 dgemmCase
        for path in paths do
            switched $"float32 {path} path" (Some path) Gemm.parallelThreshold eps32 sgemmCase
            switched $"float64 {path} path" (Some path) Gemm.parallelThreshold eps64 dgemmCase
        switched "float32 two threads on small shapes" None 0L eps32 sgemmCase
        switched "float64 two threads on small shapes" None 0L eps64 dgemmCase
        testSequenced <| testCase "the paths agree with each other on odd shapes" (fun () ->
            Check.One(Config.QuickThrowOnFailure.WithMaxTest(100).WithQuietOnSuccess(true),
                      Prop.forAll (Arb.fromGen genCase) (fun case ->
                          pathsAgree eps32 sgemmCase case && pathsAgree eps64 dgemmCase case)))
        testSequenced <| test "large shapes cross the cache blocks: 1, 2 threads, every path" {
            // k = 700 crosses KC (256, 384 and 512) at a point that is a multiple of nothing;
            // m = 151 and n = 133 leave edge tiles for 6 and 12 rows, 8, 16 and 32 columns.
            for path in paths do
                withSwitches (Some path) Gemm.parallelThreshold (fun () ->
                    for threads in [ 1; 2 ] do
                        for ta, tb in [ false, false; true, false; false, true; true, true ] do
                            let c = big 151 133 700 ta tb threads 7
                            let what = $"path={path} %A{c}"
                            Expect.isTrue (check eps32 sgemmCase c) $"sgemm {what}"
                            Expect.isTrue (check eps64 dgemmCase c) $"dgemm {what}")
        }
        testSequenced <| test "wide products cross NC = 4080, which is not a multiple of the AVX-512 NR (32)" {
            // The packed B block must hold nc rounded up to whole panels; sized from NC it
            // overran the workspace on the AVX-512 path (a crash in `train catsdogs`, whose
            // im2col matrices are 32768 columns wide). The product must also stay right.
            for path in paths do
                withSwitches (Some path) Gemm.parallelThreshold (fun () ->
                    let c = big 13 4100 5 false false 1 11
                    Expect.isTrue (check eps32 sgemmCase c) $"sgemm path={path}"
                    Expect.isTrue (check eps64 dgemmCase c) $"dgemm path={path}")
        }
        testSequenced <| test "share runs every chunk exactly once, on 1–4 threads" {
            for _ in 1..20 do
                for threads in 1..4 do
                    for count in 0..13 do
                        shareOnce threads count
        }
        testSequenced <| test "share rethrows a chunk's exception once every thread has stopped" {
            for threads in 1..3 do
                Expect.throwsT<InvalidOperationException>
                    (fun () ->
                        GemmWorkers.share threads 8 (fun _ i ->
                            if i = 3 then invalidOp "chunk 3 fails"))
                    $"threads={threads}"
            shareOnce 2 8 // the workers are free again afterwards
        }
        testSequenced <| testCase "a split product equals the one-thread product bit for bit" (fun () ->
            // every element keeps its tile and its order of k blocks whatever the chunks, so the
            // thread count never changes a result (same seed → same numbers, on any machine load)
            withSwitches None 0L (fun () ->
                Check.One(Config.QuickThrowOnFailure.WithMaxTest(100).WithQuietOnSuccess(true),
                          Prop.forAll (Arb.fromGen genCase) (fun case ->
                              let run gemm threads =
                                  let c = { case with Threads = threads }
                                  let rng = SplitMix64(uint64 c.Seed)
                                  let a, b = fill rng c.A.Length, fill rng c.B.Length
                                  gemm c a b (Array.zeroCreate (c.COff + c.M * c.Ldc + 2))
                              run sgemmCase 1 = run sgemmCase 3 && run dgemmCase 1 = run dgemmCase 2))))
        testSequenced <| test "chunked splits, k = 1, tall and wide products, on every path" {
            chunkedShapes () }
        testSequenced <| test "concurrent callers each get their own worker" {
            concurrentCallers () }
        test "a native buffer is aligned, long enough, and whole huge pages from 1 MiB on" {
            for bytes in [ 1L; 100L; 1048575L; 1048576L; 3000000L ] do
                use buffer = new NativeBuffer(bytes)
                let huge = bytes >= 1048576L
                let alignment = if huge then int64 HugePages.Size else 64L
                Expect.equal (int64 buffer.Address % alignment) 0L $"aligned ({bytes} bytes)"
                Expect.isGreaterThanOrEqual buffer.Length bytes $"long enough ({bytes} bytes)"
                if huge then
                    Expect.equal (buffer.Length % int64 HugePages.Size) 0L $"whole pages ({bytes})"
                // the first and the last byte are ours: writable and readable
                let last = buffer.Address + nativeint (buffer.Length - 1L)
                Runtime.InteropServices.Marshal.WriteByte(buffer.Address, 7uy)
                Expect.equal (Runtime.InteropServices.Marshal.ReadByte buffer.Address) 7uy "first"
                Runtime.InteropServices.Marshal.WriteByte(last, 9uy)
                Expect.equal (Runtime.InteropServices.Marshal.ReadByte last) 9uy "last byte"
        }
        test "k = 0 gives zeros" {
            let c = Array.create 6 5.0f
            Gemm.sgemm 1 2 3 0 [||] 0 0 1 [||] 0 3 1 c 0 3
            Expect.equal c (Array.zeroCreate 6) "empty sum"
        }
        test "a view outside its array is rejected" {
            let c = Array.zeroCreate 4
            Expect.throwsT<ArgumentException>
                (fun () ->
                    Gemm.dgemm 1 2 2 2 (Array.zeroCreate 3) 0 2 1 (Array.zeroCreate 4) 0 2 1 c 0 2)
                "A needs 4 elements"
        }
    ]
