/// Listings: one let per shared node, in evaluation order.
module ScratchML.Tests.Core.Print.ListingTests

open Expecto
open ScratchML

let private x = Expr.scalarVar "x"

[<Tests>]
let tests =
    testList "Print.Listing" [
        test "shared nodes get a let, in evaluation order, the result last" {
            let e = Expr.exp (-x)
            let d = 1.0 + e
            let r = e / (d * d)
            Expect.equal (Print.listing r) "let t1 = exp(-x)\nlet t2 = 1 + t1\nt1/(t2*t2)" "listing"
        }
        test "an expression without sharing is one line" {
            Expect.equal (Print.listing (Expr.sin x + 1.0)) "sin(x) + 1" "one line"
        }
        test "a long chain is cut into lets" {
            let mutable e = x
            for i in 1 .. 20 do e <- Expr.sin e + float i
            let lines = (Print.listing e).Split('\n')
            Expect.isGreaterThan lines.Length 2 "cut"
            for l in lines do Expect.isLessThan l.Length 80 l
        }
        test "let names avoid variable names" {
            let t1 = Expr.scalarVar "t1"
            let s = Expr.sin t1
            Expect.equal (Print.listing (s * s)) "let t2 = sin(t1)\nt2*t2" "skips t1"
        }
    ]
