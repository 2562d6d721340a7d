/// Infix text: minimal parentheses, round-trippable numbers, and parse(infix e) = e.
module ScratchML.Tests.Core.Print.InfixTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open ScratchML
open ScratchML.Tests.Core

let private x, y, z = RandomScalars.x, RandomScalars.y, RandomScalars.z
let private config = { FsCheckConfig.defaultConfig with maxTest = 100 }
let private cases = Arb.fromGen (Gen.zip (Gen.choose (0, 1_000_000)) (Gen.choose (1, 25)))

let private prints (e: Expr) (expected: string) =
    test expected { Expect.equal (Print.infix e) expected "infix" }

[<Tests>]
let tests =
    testList "Print.Infix" [
        prints (x + y * z) "x + y*z"
        prints ((x + y) * z) "(x + y)*z"
        prints (x - (y - z)) "x - (y - z)"
        prints (x - y - z) "x - y - z"
        prints (x + (y + z)) "x + (y + z)"                    // kept: float addition is not associative
        prints (x / (y * z)) "x/(y*z)"
        prints (-(Expr.Pow(x, 2.0))) "-x^2"
        prints (Expr.Pow(-x, 2.0)) "(-x)^2"
        prints (Expr.Pow(x, Expr.Pow(y, z))) "x^y^z"
        prints (Expr.Pow(Expr.Pow(x, y), z)) "(x^y)^z"
        prints (Expr.Pow(x, -1.0)) "x^(-1)"
        prints (x * -y) "x*(-y)"
        prints (x + Expr.scalar -2.0) "x + (-2)"
        prints (-(x + y)) "-(x + y)"
        prints (-(-x)) "-(-x)"
        prints (Expr.exp (-x) / Expr.Pow(1.0 + Expr.exp (-x), 2.0)) "exp(-x)/(1 + exp(-x))^2"
        prints (Expr.scalar 0.1 + 2.5e-3 * x) "0.1 + 0.0025*x"
        prints (Expr.scalar 1e-7 * x) "1E-07*x"
        prints (Expr.sigmoid x * (1.0 - Expr.sigmoid x)) "sigmoid(x)*(1 - sigmoid(x))"
        test "tensor ops print readably" {
            let a = Expr.var "a" [| 4; 3 |]
            let w = Expr.var "W" [| 3; 2 |]
            Expect.equal (Print.infix (Expr.tanh (Expr.matmul a w))) "tanh(a @ W)" "matmul"
            Expect.equal (Print.infix (Expr.sum [ 1 ] false a)) "sum(a, axis=1)" "sum axis"
            Expect.equal (Print.infix (Expr.sumAll a)) "sum(a)" "sum all"
            Expect.equal (Print.infix (Expr.sum [ 0 ] true a)) "sum(a, axis=0, keepdim=true)" "keepdim"
            Expect.equal (Print.infix (Expr.transpose 0 1 (a + 1.0))) "(a + 1).T" "transpose"
            Expect.equal (Print.infix (Expr.softmax 1 a)) "softmax(a)" "softmax"
            Expect.equal (Print.infix (Expr.logSoftmax 0 a)) "log_softmax(a, axis=0)" "log softmax"
            Expect.equal (Print.infix (Expr.reshape [| 12 |] a)) "reshape(a, shape=[12])" "reshape"
            Expect.equal (Print.infix (Expr.slice [ Slice.Range (Some 1, Some 3, 1); Slice.Index 0 ] a)) "a[1:3, 0]" "slice"
            Expect.equal (Print.infix (Expr.where (Expr.gt a (Expr.scalar 0.0)) a (Expr.scalar 0.0))) "where(gt(a, 0), a, 0)" "where"
            Expect.equal (Print.infix (Expr.constant (Tensor(Storage.F64 [| 1.0; 2.0; 3.0; 4.0 |], [| 2; 2 |], [| 2; 1 |], 0)))) "[[1, 2], [3, 4]]" "constant"
        }
        test "numbers print shortest round-trip, invariant culture" {
            let previous = Globalization.CultureInfo.CurrentCulture
            try
                // a culture writing 0,1 (built by hand: this machine may run globalization-invariant)
                let comma = Globalization.CultureInfo.InvariantCulture.Clone() :?> Globalization.CultureInfo
                comma.NumberFormat.NumberDecimalSeparator <- ","
                Globalization.CultureInfo.CurrentCulture <- comma
                Expect.equal ((0.5).ToString()) "0,5" "the culture is in effect"
                for c in [ 0.1; 1.0 / 3.0; 1e20; 2.5e-3; -0.0; Math.PI; 5e-324 ] do
                    let text = Print.infix (Expr.scalar c)
                    Expect.equal (Double.Parse(text, Globalization.CultureInfo.InvariantCulture)) c text
            finally Globalization.CultureInfo.CurrentCulture <- previous
        }
        test "a chain 3000 operations deep prints and parses back without exhausting the stack" {
            let mutable e = x
            for i in 1 .. 1500 do e <- Expr.sin e + float (i % 7)
            Expect.equal (Parse.expr (Print.infix e)).Id e.Id "same graph"
        }
        testPropertyWithConfig config "parse (infix e) is e: same text again, same value bit for bit" <|
            Prop.forAll cases (fun (seed, size) ->
                let e = RandomScalars.expr seed size
                let text = Print.infix e
                let back = Parse.expr text
                let env = RandomScalars.point seed
                let a, b = RandomScalars.eval env e, RandomScalars.eval env back
                let sameValue = BitConverter.DoubleToInt64Bits a = BitConverter.DoubleToInt64Bits b || (Double.IsNaN a && Double.IsNaN b)
                Expect.isTrue ((Print.infix back = text && sameValue)) $"seed {seed}: {text}\n→ {Print.infix back}\n{a} vs {b}")
    ]
