/// VecMath's exp, log, tanh, σ: error in ulps against mpmath's correctly rounded values
/// (data/vecmath_reference.txt, made by scripts/vecmath_reference.py); a value's bits do not
/// depend on its place in a span, on the span path (float64, float32, one element) or on the
/// instruction set and JIT tier (child processes with AVX2 or every intrinsic turned off);
/// special values; tensor kernels and compiled passes give the same bits; sums and dot products
/// in their fixed order: accurate, and the same bits wherever the span lies.
module ScratchML.Tests.Core.Tensor.VecMathTests

open System
open System.Diagnostics
open System.IO
open Expecto
open ScratchML

/// The four functions by name, on lanes.
let functions : (string * (VecMath.V -> VecMath.V)) list =
    [ "exp", VecMath.exp; "log", VecMath.log; "tanh", VecMath.tanh; "sigmoid", VecMath.sigmoid ]

let private bitsOf (x: float) = BitConverter.DoubleToInt64Bits x

/// Distance in ulps between two finite float64 of one sign (0 for the same bits).
let ulps (a: float) (b: float) = abs (bitsOf a - bitsOf b)

/// A float64 that exercises a function: O(1) values, wide ranges, tiny, huge and special ones.
let randomFloat (rng: SplitMix64) =
    match rng.Below 6 with
    | 0 -> rng.Uniform() * 4.0 - 2.0
    | 1 -> (rng.Uniform() * 2.0 - 1.0) * 800.0
    | 2 -> (if rng.Below 2 = 0 then 1.0 else -1.0) * Math.Pow(2.0, rng.Uniform() * 2000.0 - 1000.0)
    | 3 -> BitConverter.Int64BitsToDouble(int64 (rng.Next()))                    // any bit pattern
    | 4 -> [| 0.0; -0.0; infinity; -infinity; nan; Double.Epsilon; 709.78; -745.13 |][rng.Below 8]
    | _ -> float (rng.Below 41 - 20)

/// The bits of every function over a fixed sweep, through map (float64 spans) and map32, as one
/// hex hash: what the child processes print (Main.fs: --vecmath-hash).
let sweepHash () =
    let rng = SplitMix64 20261126UL
    let x = Array.init 4099 (fun _ -> randomFloat rng)
    let x32 = Array.map float32 x
    let mutable hash = 14695981039346656037UL                                  // FNV-1a
    let mix (v: uint64) = hash <- (hash ^^^ v) * 1099511628211UL
    for _, f in functions do
        let d = Array.zeroCreate<float> x.Length
        VecMath.map f (ReadOnlySpan x) (Span d)
        for v in d do mix (uint64 (bitsOf v))
        let d32 = Array.zeroCreate<float32> x.Length
        VecMath.map32 f (ReadOnlySpan x32) (Span d32)
        for v in d32 do mix (uint64 (BitConverter.SingleToUInt32Bits v))
    // sums and dot products of every length up to 200, of finite values of mixed scales
    let finite = Array.init 200 (fun _ -> (rng.Uniform() - 0.5) * Math.Pow(2.0, float (rng.Below 40 - 20)))
    let finite32 = Array.map float32 finite
    for n in 0 .. finite.Length do
        mix (uint64 (bitsOf (VecMath.sum (ReadOnlySpan(finite, 0, n)))))
        mix (uint64 (BitConverter.SingleToUInt32Bits(VecMath.sum (ReadOnlySpan(finite32, 0, n)))))
        let y = ReadOnlySpan(finite, finite.Length - n, n)
        mix (uint64 (bitsOf (VecMath.dot (ReadOnlySpan(finite, 0, n)) y)))
    hash.ToString "x16"

/// The reference cases: function name, x, correctly rounded f(x).
let private reference =
    lazy (
        let folder = Path.Combine(ScratchML.Tests.Fixtures.repoRoot, "tests", "ScratchML.Tests", "Core")
        let path = Path.Combine(folder, "Tensor", "data", "vecmath_reference.txt")
        File.ReadAllLines path
        |> Array.map (fun line ->
            match line.Split ' ' with
            | [| name; x; y |] ->
                let value (hex: string) = BitConverter.Int64BitsToDouble(Convert.ToInt64(hex, 16))
                name, value x, value y
            | _ -> failwith $"{path}: not 'function x y': {line}"))

/// sweepHash in a child process of this test assembly with `variable` set (e.g. AVX2 off).
let private hashIn (variable: string) (value: string) =
    let assembly = Reflection.Assembly.GetExecutingAssembly().Location
    let info = ProcessStartInfo("dotnet", $"\"{assembly}\" --vecmath-hash")
    info.RedirectStandardOutput <- true
    info.RedirectStandardError <- true
    info.UseShellExecute <- false
    info.Environment[variable] <- value
    use child = Process.Start info
    let output = child.StandardOutput.ReadToEndAsync()
    let errors = child.StandardError.ReadToEndAsync()
    if not (child.WaitForExit 120_000) then child.Kill true; failtest $"{variable}={value}: timed out"
    Expect.equal child.ExitCode 0 $"{variable}={value}: exit code ({errors.Result})"
    output.Result.Trim()

[<Tests>]
let tests =
    testList "Tensor.VecMath" [
        test "within 1 ulp of the correctly rounded value (σ: 2), mpmath at 200 bits" {
            let limits = Map [ "exp", 1L; "log", 1L; "tanh", 1L; "sigmoid", 2L ]
            for name, f in functions do
                let cases = reference.Value |> Array.filter (fun (n, _, _) -> n = name)
                Expect.isGreaterThan cases.Length 1000 $"{name}: reference cases"
                let errors = cases |> Array.map (fun (_, x, y) -> x, ulps (VecMath.one f x) y)
                let x, worst = errors |> Array.maxBy snd
                let exact = errors |> Array.filter (fun (_, e) -> e = 0L) |> Array.length
                printfn "VecMath.%s: %d cases, %.1f %% correctly rounded, worst %d ulp (x = %.17g)"
                    name cases.Length (100.0 * float exact / float cases.Length) worst x
                Expect.isLessThanOrEqual worst limits[name] $"{name}({x:R}): {worst} ulp"
        }

        test "a value's bits do not depend on its place in a span or the span's type" {
            let rng = SplitMix64 7UL
            for n in 1 .. 40 do
                let x = Array.init n (fun _ -> randomFloat rng)
                for name, f in functions do
                    let single = x |> Array.map (VecMath.one f)
                    for offset in 0 .. 7 do   // every lane of the 8-wide step, every tail length
                        let padded = Array.append (Array.create offset 0.5) x
                        let d = Array.zeroCreate<float> padded.Length
                        VecMath.map f (ReadOnlySpan padded) (Span d)
                        for i in 0 .. n - 1 do
                            if bitsOf d[offset + i] <> bitsOf single[i] then
                                failtest ($"{name}({x[i]:R}) at {offset + i} of {padded.Length}: "
                                          + $"{d[offset + i]:R}, alone {single[i]:R}")
                    // float32: the float64 function of the widened value, rounded once
                    let x32 = Array.map float32 x
                    let d32 = Array.zeroCreate<float32> n
                    VecMath.map32 f (ReadOnlySpan x32) (Span d32)
                    for i in 0 .. n - 1 do
                        let expected = float32 (VecMath.one f (float x32[i]))
                        if BitConverter.SingleToInt32Bits d32[i] <> BitConverter.SingleToInt32Bits expected then
                            failtest $"{name}({x32[i]:R}f) at {i} of {n}: {d32[i]:R}, rounded once {expected:R}"
        }

        test "sums and dot products: the same bits at any offset, within n·ε·Σ|x| of the exact value" {
            let rng = SplitMix64 5UL
            for n in [ 0; 1; 3; 15; 16; 17; 31; 32; 33; 100; 1000 ] do
                let x = Array.init n (fun _ -> (rng.Uniform() - 0.5) * Math.Pow(2.0, float (rng.Below 30 - 15)))
                let y = Array.init n (fun _ -> rng.Uniform() - 0.5)
                // exact: every value here is an integer multiple of 2⁻⁸⁰
                let scaled (v: float) = Numerics.BigInteger(v * Math.Pow(2.0, 80.0))
                let exact (total: Numerics.BigInteger) (scale: float) = float total / Math.Pow(2.0, scale)
                let exactSum = exact (x |> Array.sumBy scaled) 80.0
                let exactDot = exact (Array.map2 (fun a b -> scaled a * scaled b) x y |> Array.sum) 160.0
                let s, d = VecMath.sum (ReadOnlySpan x), VecMath.dot (ReadOnlySpan x) (ReadOnlySpan y)
                let bound = float n * Math.Pow(2.0, -52.0) * (Array.sumBy abs x)
                Expect.isLessThanOrEqual (abs (s - exactSum)) bound $"sum of {n}"
                Expect.isLessThanOrEqual (abs (d - exactDot)) bound $"dot of {n}"
                let x32 = Array.map float32 x
                let s32 = VecMath.sum (ReadOnlySpan x32)
                let bound32 = float n * Math.Pow(2.0, -23.0) * (Array.sumBy (abs >> float) x32)
                let exact32 = exact (x32 |> Array.sumBy (float >> scaled)) 80.0
                Expect.isLessThanOrEqual (abs (float s32 - exact32)) bound32 $"sum32 of {n}"
                for offset in 1 .. 8 do
                    let shifted = Array.append (Array.create offset nan) x
                    let shiftedY = Array.append (Array.create offset nan) y
                    Expect.equal (bitsOf (VecMath.sum (ReadOnlySpan(shifted, offset, n)))) (bitsOf s)
                        $"sum of {n} at offset {offset}"
                    Expect.equal (bitsOf (VecMath.dot (ReadOnlySpan(shifted, offset, n))
                                                      (ReadOnlySpan(shiftedY, offset, n)))) (bitsOf d)
                        $"dot of {n} at offset {offset}"
                    let shifted32 = Array.append (Array.create offset nanf) x32
                    Expect.equal (VecMath.sum (ReadOnlySpan(shifted32, offset, n))) s32
                        $"sum32 of {n} at offset {offset}"
        }

        test "special values" {
            let check name (f: VecMath.V -> VecMath.V) (x: float) (expected: float) =
                let y = VecMath.one f x
                let same = bitsOf y = bitsOf expected || (Double.IsNaN y && Double.IsNaN expected)
                Expect.isTrue same $"{name}({x:R}) = {y:R}, not {expected:R}"
            for x, y in [ 0.0, 1.0; -0.0, 1.0; infinity, infinity; -infinity, 0.0; nan, nan
                          709.782712893384, 1.7976931348622732e308          // the largest finite
                          709.7827128933841, infinity; -745.1332191019411, Double.Epsilon
                          -745.1332191019412, 0.0; 1e-300, 1.0; 1.0, Math.E ] do
                check "exp" VecMath.exp x y
            for x, y in [ 0.0, -infinity; -0.0, -infinity; -1.0, nan; -infinity, nan; infinity, infinity
                          nan, nan; 1.0, 0.0; Double.Epsilon, -744.4400719213812; Math.E, 1.0 ] do
                check "log" VecMath.log x y
            for x, y in [ 0.0, 0.0; -0.0, -0.0; infinity, 1.0; -infinity, -1.0; nan, nan; 25.0, 1.0
                          -25.0, -1.0; Double.Epsilon, Double.Epsilon; -1e-300, -1e-300 ] do
                check "tanh" VecMath.tanh x y
            for x, y in [ 0.0, 0.5; infinity, 1.0; -infinity, 0.0; -800.0, 0.0; 800.0, 1.0; nan, nan ] do
                check "sigmoid" VecMath.sigmoid x y
        }

        test "the same bits with AVX2 off, every intrinsic off, no tiered JIT (child processes)" {
            let here = sweepHash ()
            for variable, value in [ "DOTNET_EnableAVX2", "0"; "DOTNET_EnableHWIntrinsic", "0"
                                     "DOTNET_TieredCompilation", "0"; "DOTNET_JITMinOpts", "1" ] do
                Expect.equal (hashIn variable value) here $"{variable}={value}"
        }

        test "tensor kernels on any layout and compiled passes give VecMath's bits" {
            let rng = SplitMix64 11UL
            let values = Array.init (37 * 23) (fun _ -> randomFloat rng)
            let x = Tensor.ofArray [| 37; 23 |] values
            let strided = Tensor.transpose 0 1 (Tensor.ofArray [| 23; 37 |] (Array.copy values))
            for name, f, kernel, op in [ "exp", VecMath.exp, Tensor.exp, Expr.exp
                                         "log", VecMath.log, Tensor.log, Expr.log
                                         "tanh", VecMath.tanh, Tensor.tanh, Expr.tanh
                                         "sigmoid", VecMath.sigmoid, Tensor.sigmoid, Expr.sigmoid ] do
                let expected (t: Tensor) = Tensor.toArray t |> Array.map (VecMath.one f)
                let program = Compile.program [ op (Expr.var "x" [| 37; 23 |]) ]
                for what, t in [ "contiguous", x; "transposed", strided ] do
                    let same (actual: float[]) =
                        Array.forall2 (fun a b -> bitsOf a = bitsOf b || (Double.IsNaN a && Double.IsNaN b))
                            actual (expected t)
                    Expect.isTrue (same (Tensor.toArray (kernel t))) $"Tensor.{name}, {what}"
                    if what = "contiguous" then
                        let compiled = program.Run (Map [ "x", t ]) |> List.head |> Tensor.toArray
                        Expect.isTrue (same compiled) $"compiled {name}"
        }
    ]
