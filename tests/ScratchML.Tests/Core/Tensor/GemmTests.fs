/// Gemm.sgemm / Gemm.dgemm against the naive triple loop cᵢⱼ = Σₚ aᵢₚ·bₚⱼ (computed in float64).
/// Random shapes (1-sized, not multiples of the 6×16 / 6×8 tiles), row-major, transposed and
/// strided views with offsets, threads 1 and 2, the AVX2 kernel and the portable fallback.
module ScratchML.Tests.Core.Tensor.GemmTests

open System
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

/// Sizes 1…40, often 1 or just around the tile sizes (5, 6, 7, 8, 9, 15, 16, 17).
let genSize =
    Gen.frequency
        [ 1, Gen.constant 1; 2, Gen.elements [ 5; 6; 7; 8; 9; 15; 16; 17 ]; 3, Gen.choose (1, 40) ]

let genCase =
    gen {
        let! m = genSize
        let! n = genSize
        let! k = genSize
        let! a = genView m k
        let! b = genView k n
        let! cOff = Gen.choose (0, 3)
        let! ldcPad = Gen.choose (0, 3)
        let! threads = Gen.elements [ 1; 2 ]
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

/// Sets the internal switches for one test and restores them afterwards.
let withSwitches fallback threshold (body: unit -> unit) =
    let oldFallback, oldThreshold = Gemm.forceFallback, Gemm.parallelThreshold
    Gemm.forceFallback <- fallback
    Gemm.parallelThreshold <- threshold
    try body () finally
        Gemm.forceFallback <- oldFallback
        Gemm.parallelThreshold <- oldThreshold

/// A property run with the switches set, as one sequenced test (the switches are global).
let switched name fallback threshold eps gemm =
    testSequenced <| testCase name (fun () ->
        withSwitches fallback threshold (fun () ->
            Check.One(Config.QuickThrowOnFailure.WithMaxTest(100).WithQuietOnSuccess(true),
                      Prop.forAll (Arb.fromGen genCase) (check eps gemm))))

/// A fixed case large enough to cross the KC (384) and MC (96 / 48) blocks and to be split
/// between 2 threads at the default threshold.
let big m n k transposeA transposeB threads seed =
    let view rows cols t =
        if t then { Rows = rows; Cols = cols; Off = 1; Rs = 1; Cs = rows; Length = 1 + rows * cols }
        else { Rows = rows; Cols = cols; Off = 1; Rs = cols; Cs = 1; Length = 1 + rows * cols }
    { M = m; N = n; K = k; A = view m k transposeA; B = view k n transposeB; COff = 2; Ldc = n + 1
      Threads = threads; Seed = seed }

[<Tests>]
let tests =
    testList "Tensor.Gemm" [
        property "float32 random shapes and layouts" eps32 sgemmCase
        property "float64 random shapes and layouts" eps64 dgemmCase
        switched "float32 portable fallback" true Gemm.parallelThreshold eps32 sgemmCase
        switched "float64 portable fallback" true Gemm.parallelThreshold eps64 dgemmCase
        switched "float32 two threads on small shapes" false 0L eps32 sgemmCase
        switched "float64 two threads on small shapes" false 0L eps64 dgemmCase
        testSequenced <| test "large shapes cross the cache blocks: 1, 2 threads, both kernels" {
            for fallback in [ false; true ] do
                withSwitches fallback Gemm.parallelThreshold (fun () ->
                    for threads in [ 1; 2 ] do
                        for ta, tb in [ false, false; true, false; false, true ] do
                            let c = big 151 133 400 ta tb threads 7
                            let what = $"fallback={fallback} %A{c}"
                            Expect.isTrue (check eps32 sgemmCase c) $"sgemm {what}"
                            Expect.isTrue (check eps64 dgemmCase c) $"dgemm {what}")
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
