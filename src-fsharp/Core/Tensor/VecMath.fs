/// exp, log, tanh and σ on 4 float64 lanes, written out from +, −, ×, ÷, fma, compares and bit
/// operations, and sums and dot products in a fixed order: a result's bits depend on the values
/// alone. Layer: Tensor (no graph). Read next: ElementOps.fs, Reduce.fs and Eval/Blocks.fs.
///
/// Why not TensorPrimitives.Exp or Vector256.Exp: their bits are not a function of the value.
/// They pick a vector width, a scalar tail or a whole scalar fallback (the C library's exp) per
/// call, and on CI one call of a test got the C library's bits where the next call of the same
/// program got the vector polynomial's (1 ulp apart at x = −0.00155). Here every path, the
/// scalar one included, runs the same lanes' formula, and fma is fused in hardware and in the
/// software fallback alike: same value, same bits, whatever the width, alignment, JIT tier or
/// instruction set. Against 200-bit mpmath the results are within 1 ulp (exp, log, tanh) or 2
/// (σ): tests/ScratchML.Tests/Core/Tensor/VecMathTests.fs. The sums at the end keep the same
/// promise for Σ and x·y, whose bits TensorPrimitives lets depend on its path too.
module ScratchML.VecMath

open System
open System.Runtime.CompilerServices
open System.Runtime.InteropServices
open System.Runtime.Intrinsics

/// 4 float64 lanes.
type V = Vector256<float>

/// x in every lane.
let inline lanes (x: float) : V = Vector256.Create x
/// a·b + c rounded once.
let inline fma (a: V) (b: V) (c: V) = Vector256.FusedMultiplyAdd(a, b, c)
/// mask ? a : b, lane by lane.
let inline pick (mask: Vector256<'T>) (a: Vector256<'T>) (b: Vector256<'T>) =
    Vector256.ConditionalSelect(mask, a, b)

/// 1.5·2⁵²: for |t| < 2⁵¹, (t + S) − S is t rounded to an integer, and the low bits of t + S
/// are that integer in two's complement (no float → int conversion needed).
[<Literal>]
let Shifter = 6755399441055744.0
/// ln 2 = LN2_HI + LN2_LO, LN2_HI with 32 trailing zero bits, so n·LN2_HI is exact (fdlibm).
[<Literal>]
let Ln2Hi = 6.93147180369123816490e-01
[<Literal>]
let Ln2Lo = 1.90821492927058770002e-10

/// The integer-valued lanes n (|n| < 2⁵¹) as int64.
let inline toInt64 (n: V) = (n + lanes Shifter).AsInt64() - (lanes Shifter).AsInt64()
/// 2ⁿ for integer-valued lanes n ∈ [−1022, 1023]: the biased exponent n + 1023 in bits 52–62.
let inline pow2 (n: V) = Vector256.ShiftLeft(toInt64 n + Vector256.Create 1023L, 52).AsDouble()

/// eˣ = 2ⁿ · eʳ with n = round(x / ln 2) and r = x − n·ln 2 ∈ [−0.35, 0.35] (two fma steps, the
/// first exact); eʳ = Σ_{k≤13} rᵏ/k! by Horner in fma (the first term left out, r¹⁴/14!, is below
/// 5·10⁻¹⁸). 2ⁿ is applied as 2^n₁ · 2^n₂ with n₁ clamped to [−1021, 1023]: eʳ·2^n₁ is exact and
/// normal, so a subnormal or overflowing result is rounded once, by the second factor. x is clamped
/// to [−746, 710] first (far past under- and overflow); NaN stays NaN.
let inline exp (x: V) : V =
    let clamped = pick (Vector256.GreaterThan(x, lanes 710.0)) (lanes 710.0)
                       (pick (Vector256.LessThan(x, lanes -746.0)) (lanes -746.0) x)
    let n = fma clamped (lanes 1.4426950408889634) (lanes Shifter) - lanes Shifter // round(x·log₂e)
    let r = fma n (lanes -Ln2Lo) (fma n (lanes -Ln2Hi) clamped)
    // Horner: p ← p·r + 1/k! for k = 12 … 0, from p = 1/13!
    let inline step (p: V) (coefficient: float) = fma p r (lanes coefficient)
    let p = step (lanes 1.6059043836821613e-10) 2.08767569878681e-09
    let p = step (step (step p 2.505210838544172e-08) 2.755731922398589e-07) 2.7557319223985893e-06
    let p = step (step (step p 2.48015873015873e-05) 1.984126984126984e-04) 1.388888888888889e-03
    let p = step (step (step p 8.333333333333333e-03) 4.1666666666666664e-02) 0.16666666666666666
    let p = step (step (step p 0.5) 1.0) 1.0
    let n1 = pick (Vector256.LessThan(n, lanes -1021.0)) (lanes -1021.0)
                  (pick (Vector256.GreaterThan(n, lanes 1023.0)) (lanes 1023.0) n)
    let y = p * pow2 n1 * pow2 (n - n1)
    pick (Vector256.Equals(x, x)) y x

/// ln x = k·ln 2 + ln(1 + f) for x = 2ᵏ(1 + f), 1 + f ∈ [√2/2, √2): with s = f/(2 + f),
/// ln(1 + f) = 2s + 2s³/3 + … = f − (f²/2 − s(f²/2 + R(s²))), R fdlibm's minimax polynomial
/// (e_log.c, error < 2⁻⁵⁸·⁴⁵). Subnormal x is scaled by 2⁵⁴ first. ln 0 = −∞, ln x<0 = NaN.
let inline log (x: V) : V =
    let tiny = Vector256.LessThan(x, lanes 2.2250738585072014e-308)
    let scaled = pick tiny (x * lanes 18014398509481984.0) x            // × 2⁵⁴
    let bits = scaled.AsInt64()
    let fraction = bits &&& Vector256.Create 0x000FFFFFFFFFFFFFL
    let mantissa = (fraction ||| Vector256.Create 0x3FF0000000000000L).AsDouble()      // in [1, 2)
    let high = Vector256.GreaterThan(mantissa, lanes 1.4142135623730951)
    let m = pick high (mantissa * lanes 0.5) mantissa
    // the exponent as a float64: bits 52–62 placed into the shifter's low bits, less the bias
    let exponent = Vector256.ShiftRightLogical(bits, 52) + (lanes Shifter).AsInt64()
    let biased = exponent.AsDouble() - lanes Shifter
    let e = biased - lanes 1023.0 - pick tiny (lanes 54.0) (lanes 0.0)
            + pick high (lanes 1.0) (lanes 0.0)
    let f = m - lanes 1.0
    let s = f / (lanes 2.0 + f)
    let z = s * s
    let w = z * z
    // R(z) = t1 + t2 = Lg1·z + Lg2·z² + … + Lg7·z⁷, split into even and odd powers of w = z²
    let t1 = w * (lanes 3.999999999940941908e-01
                  + w * (lanes 2.222219843214978396e-01 + w * lanes 1.531383769920937332e-01))
    let t2 = z * (lanes 6.666666666666735130e-01
                  + w * (lanes 2.857142874366239149e-01
                         + w * (lanes 1.818357216161805012e-01 + w * lanes 1.479819860511658591e-01)))
    let halfSquare = lanes 0.5 * f * f
    let y = e * lanes Ln2Hi - ((halfSquare - (s * (halfSquare + (t2 + t1)) + e * lanes Ln2Lo)) - f)
    let y = pick (Vector256.Equals(x, lanes 0.0)) (lanes -infinity) y
    let y = pick (Vector256.LessThan(x, lanes 0.0)) (lanes nan) y
    let y = pick (Vector256.Equals(x, lanes infinity)) x y
    pick (Vector256.Equals(x, x)) y x

/// tanh x = sign x · tanh |x|: for |x| < 0.625, tanh a = a + a·z·P(z)/Q(z) with z = a² (Cephes'
/// rational approximation), else 1 − 2/(e^{2a} + 1) (→ 1 once e^{2a} = ∞). The sign bit is put
/// back last, so tanh(−0) = −0.
let inline tanh (x: V) : V =
    let sign = x.AsInt64() &&& Vector256.Create Int64.MinValue
    let a = Vector256.Abs x
    let z = a * a
    let p = (lanes -9.64399179425052238628e-1 * z + lanes -9.92877231001918586564e1) * z
            + lanes -1.61468768441708447952e3
    let q = ((z + lanes 1.12811678491632931402e2) * z + lanes 2.23548839060100448583e3) * z
            + lanes 4.84406305325125486048e3
    let small = a + a * (z * p / q)
    let large = lanes 1.0 - lanes 2.0 / (exp (a + a) + lanes 1.0)
    ((pick (Vector256.LessThan(a, lanes 0.625)) small large).AsInt64() ||| sign).AsDouble()

/// σ(x) = 1/(1 + e⁻ˣ) for x ≥ 0 and eˣ/(1 + eˣ) for x < 0: one exp of −|x| ≤ 0, which never
/// overflows, so σ(−800) = 0 and σ(−712) ≈ 10⁻³⁰⁹ (subnormal) come out, never NaN.
let inline sigmoid (x: V) : V =
    let e = exp -(Vector256.Abs x)
    let d = lanes 1.0 + e
    pick (Vector256.GreaterThanOrEqual(x, lanes 0.0)) (lanes 1.0 / d) (e / d)

/// f of one float64, through lane 0 of the same formula.
let inline one ([<InlineIfLambda>] f: V -> V) (x: float) = (f (Vector256.Create x)).ToScalar()

/// d[i] = f(x[i]) over 4 lanes at a time; the last 1–3 elements go through one more vector (the
/// lanes past the end hold 0). x and d may be the same span.
let inline map ([<InlineIfLambda>] f: V -> V) (x: ReadOnlySpan<float>) (d: Span<float>) =
    let n = d.Length
    let rx = &MemoryMarshal.GetReference x
    let rd = &MemoryMarshal.GetReference d
    let mutable i = 0
    while i + 8 <= n do   // two independent vectors per step: their fma chains overlap
        let a = Vector256.LoadUnsafe(&rx, unativeint i)
        let b = Vector256.LoadUnsafe(&rx, unativeint (i + 4))
        Vector256.StoreUnsafe(f a, &rd, unativeint i)
        Vector256.StoreUnsafe(f b, &rd, unativeint (i + 4))
        i <- i + 8
    while i + 4 <= n do
        Vector256.StoreUnsafe(f (Vector256.LoadUnsafe(&rx, unativeint i)), &rd, unativeint i)
        i <- i + 4
    if i < n then
        let x1 = if i + 1 < n then x[i + 1] else 0.0
        let x2 = if i + 2 < n then x[i + 2] else 0.0
        let y = f (Vector256.Create(x[i], x1, x2, 0.0))
        for j in 0 .. n - i - 1 do d[i + j] <- y.GetElement j

/// d[i] = f(x[i]) rounded to float32, computed on x[i] widened to float64 (exact): 8 floats are
/// widened to two vectors and narrowed back (to nearest, as a scalar cast); the tail goes one by one.
let inline map32 ([<InlineIfLambda>] f: V -> V) (x: ReadOnlySpan<float32>) (d: Span<float32>) =
    let n = d.Length
    let rx = &MemoryMarshal.GetReference x
    let rd = &MemoryMarshal.GetReference d
    let mutable i = 0
    while i + 8 <= n do
        let struct (low, high) = Vector256.Widen(Vector256.LoadUnsafe(&rx, unativeint i))
        Vector256.StoreUnsafe(Vector256.Narrow(f low, f high), &rd, unativeint i)
        i <- i + 8
    for j in i .. n - 1 do d[j] <- float32 (one f (float x[j]))

/// The elements of a span of 'T seen as 'U (same size: float32 or float64 as themselves).
let inline retype<'T, 'U> (x: Span<'T>) =
    MemoryMarshal.CreateSpan(&Unsafe.As<'T, 'U>(&MemoryMarshal.GetReference x), x.Length)
let inline retypeReadOnly<'T, 'U> (x: ReadOnlySpan<'T>) =
    MemoryMarshal.CreateReadOnlySpan(&Unsafe.As<'T, 'U>(&MemoryMarshal.GetReference x), x.Length)

/// f over a span of float32 or float64 (map32 or map), chosen once per call by the JIT.
let inline run<'T> ([<InlineIfLambda>] f: V -> V) (x: ReadOnlySpan<'T>) (d: Span<'T>) =
    if typeof<'T> = typeof<float> then map f (retypeReadOnly<'T, float> x) (retype<'T, float> d)
    elif typeof<'T> = typeof<float32> then
        map32 f (retypeReadOnly<'T, float32> x) (retype<'T, float32> d)
    else invalidOp $"VecMath: no {typeof<'T>.Name} lanes"

// ---- Sums in a fixed order ----
// TensorPrimitives.Sum and Dot add in an order that depends on the path a call takes (vector
// width, scalar fallback, the horizontal add's shuffles). Here the order is a function of the
// length alone: with w lanes per Vector256 (4 float64, 8 float32), element i goes to partial sum
// i mod 4w, added in index order (4 vectors of lanes); the partials meet in a fixed tree (halves
// of the vector added lane by lane); the last n mod 4w elements are added one by one.

/// Σ of a vector's lanes, halves first: ((v₀ + v₂) + (v₁ + v₃)) for 4 lanes, and so on. Written
/// out because Vector256.Sum's order is the JIT's choice.
let inline laneSum (v: Vector256<'T>) : 'T =
    let half = v.GetLower() + v.GetUpper()
    let quarter = half.GetLower() + half.GetUpper()
    let mutable total = quarter.GetElement 0
    for k in 1 .. Vector64<'T>.Count - 1 do total <- total + quarter.GetElement k
    total

/// Σ x[i] (0 for an empty span) in the fixed order above; float32 accumulates in float32, as
/// TensorPrimitives and PyTorch do.
let sum<'T when 'T: unmanaged and 'T: (new: unit -> 'T) and 'T: struct and 'T :> ValueType
                and 'T :> Numerics.INumber<'T>> (x: ReadOnlySpan<'T>) : 'T =
    let w = Vector256<'T>.Count
    let rx = &MemoryMarshal.GetReference x
    let zero = Vector256<'T>.Zero
    let mutable a0, a1, a2, a3 = zero, zero, zero, zero
    let mutable i = 0
    while i + 4 * w <= x.Length do
        a0 <- a0 + Vector256.LoadUnsafe(&rx, unativeint i)
        a1 <- a1 + Vector256.LoadUnsafe(&rx, unativeint (i + w))
        a2 <- a2 + Vector256.LoadUnsafe(&rx, unativeint (i + 2 * w))
        a3 <- a3 + Vector256.LoadUnsafe(&rx, unativeint (i + 3 * w))
        i <- i + 4 * w
    let mutable total = laneSum ((a0 + a1) + (a2 + a3))
    for j in i .. x.Length - 1 do total <- total + x[j]
    total

/// Σ x[i]·y[i] (float64), each product added by an fma, in the fixed order of `sum`.
let dot (x: ReadOnlySpan<float>) (y: ReadOnlySpan<float>) : float =
    if x.Length <> y.Length then invalidArg "y" $"dot: lengths {x.Length} and {y.Length}"
    let rx = &MemoryMarshal.GetReference x
    let ry = &MemoryMarshal.GetReference y
    let mutable a0, a1, a2, a3 = V.Zero, V.Zero, V.Zero, V.Zero
    let mutable i = 0
    while i + 16 <= x.Length do
        let at k = unativeint (i + k)
        a0 <- fma (Vector256.LoadUnsafe(&rx, at 0)) (Vector256.LoadUnsafe(&ry, at 0)) a0
        a1 <- fma (Vector256.LoadUnsafe(&rx, at 4)) (Vector256.LoadUnsafe(&ry, at 4)) a1
        a2 <- fma (Vector256.LoadUnsafe(&rx, at 8)) (Vector256.LoadUnsafe(&ry, at 8)) a2
        a3 <- fma (Vector256.LoadUnsafe(&rx, at 12)) (Vector256.LoadUnsafe(&ry, at 12)) a3
        i <- i + 16
    let mutable total = laneSum ((a0 + a1) + (a2 + a3))
    for j in i .. x.Length - 1 do total <- Math.FusedMultiplyAdd(x[j], y[j], total)
    total

/// Σ x[i] over a span of float32 or float64 (`sum` in that type).
let inline sumOf<'T> (x: ReadOnlySpan<'T>) : 'T =
    if typeof<'T> = typeof<float> then
        let s = sum (retypeReadOnly<'T, float> x) in Unsafe.As<float, 'T>(&Unsafe.AsRef &s)
    elif typeof<'T> = typeof<float32> then
        let s = sum (retypeReadOnly<'T, float32> x) in Unsafe.As<float32, 'T>(&Unsafe.AsRef &s)
    else invalidOp $"VecMath: no {typeof<'T>.Name} sum"
