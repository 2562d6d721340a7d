/// Named listings: the reader's names get a `let` each, beside Listing's own.
module ScratchML.Tests.Core.Print.NamedListingTests

open Expecto
open ScratchML

let private x = Expr.scalarVar "x"

[<Tests>]
let tests =
    testList "Print.NamedListing" [
        test "given names replace t1, t2 and bind an unshared node too" {
            let e = Expr.exp (-x)
            let d = 1.0 + e
            let s = Expr.sin d
            let r = e / (d * s)
            Expect.equal (Print.listingNamed [ "e", e; "d", d; "s", s ] r)
                "let e = exp(-x)\nlet d = 1 + e\nlet s = sin(d)\ne/(d*s)" "named"
        }
        test "without names it is Listing's listing" {
            let e = Expr.exp (-x)
            let d = 1.0 + e
            let r = e / (d * d)
            Expect.equal (Print.listingNamed [] r) (Print.listing r) "same as Print.listing"
        }
        test "a named root is printed as a let; names outside the graph are ignored" {
            let a = Expr.sin x
            let y = a + 1.0
            Expect.equal (Print.listingNamed [ "y", y; "a", a; "z", Expr.cos x; "x", x ] y)
                "let a = sin(x)\nlet y = a + 1" "root named"
        }
        test "automatic names skip the given ones" {
            let t1 = Expr.sin x
            let u = Expr.exp x
            let r = (t1 + u) * u
            Expect.equal (Print.listingNamed [ "t1", t1 ] r) "let t1 = sin(x)\nlet t2 = exp(x)\n(t1 + t2)*t2" "t2"
        }
        test "LaTeX lines are aligned at the equals signs" {
            let a = Expr.tanh x
            let c1 = a * a
            Expect.equal (Print.latexListing [ "a", a; "c1", c1 ] (c1 + 1.0))
                "\\begin{aligned}\na &= \\tanh\\left(x\\right) \\\\\nc_{1} &= a \\cdot a \\\\\n &= c_{1} + 1\n\\end{aligned}" "latex"
        }
    ]
