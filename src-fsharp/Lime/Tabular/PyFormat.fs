/// Python's "%.Nf" for doubles: the exact binary value rounded to N decimals, ties to even —
/// the strings in LIME's feature names. .NET's "F2" rounds ties away from zero (0.125 → 0.13),
/// so it cannot be used. Layer: Lime/Tabular. Read next: Discretizers.fs.
namespace ScratchML.Lime

open System
open System.Numerics

[<RequireQualifiedAccess>]
module PyFormat =
    /// "%.{decimals}f" % x: x = m·2ᵉ exactly; q = round(|x|·10ᵈ) with ties to even, computed on
    /// integers; the sign is kept even when q = 0 ("-0.00" for −0.004, as C's printf does).
    let fixedPoint (decimals: int) (x: float) : string =
        if Double.IsNaN x then "nan"
        elif Double.IsPositiveInfinity x then "inf"
        elif Double.IsNegativeInfinity x then "-inf"
        else
            let bits = BitConverter.DoubleToInt64Bits x
            let negative = bits < 0L
            let exponent = int ((bits >>> 52) &&& 0x7FFL)
            let fraction = bits &&& 0xFFFFFFFFFFFFFL
            // |x| = mantissa · 2^(power)
            let mantissa, power =
                if exponent = 0 then BigInteger fraction, -1074
                else BigInteger(fraction ||| (1L <<< 52)), exponent - 1075
            let scale = BigInteger.Pow(BigInteger 10, decimals)
            let q =
                if power >= 0 then mantissa * BigInteger.Pow(BigInteger 2, power) * scale
                else
                    let num = mantissa * scale
                    let den = BigInteger.Pow(BigInteger 2, -power)
                    let q, r = BigInteger.DivRem(num, den)
                    let twice = r * BigInteger 2
                    if twice > den || (twice = den && not q.IsEven) then q + BigInteger.One else q
            let digits = q.ToString().PadLeft(decimals + 1, '0')
            let body =
                if decimals = 0 then digits
                else digits[.. digits.Length - decimals - 1] + "." + digits[digits.Length - decimals ..]
            (if negative then "-" else "") + body

    /// "%.2f" % x.
    let f2 (x: float) = fixedPoint 2 x
