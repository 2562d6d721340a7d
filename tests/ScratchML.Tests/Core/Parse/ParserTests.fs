/// The parser: precedence, associativity, numbers, and errors with 1-based positions.
module ScratchML.Tests.Core.Parse.ParserTests

open Expecto
open ScratchML

let private x, y = Expr.scalarVar "x", Expr.scalarVar "y"

/// text parses to exactly this graph (interning: same node).
let private parsesTo (text: string) (expected: Expr) =
    test $"{text}" { Expect.equal (Parse.expr text).Id expected.Id $"{Print.infix (Parse.expr text)} vs {Print.infix expected}" }

/// text fails at this 1-based position with this message.
let private failsAt (text: string) (position: int) (message: string) =
    test $"error: {text}" {
        match Parse.tryExpr text with
        | Ok e -> failtest $"parsed as {Print.infix e}"
        | Error error ->
            Expect.equal error.Position position "position"
            Expect.equal error.Message message "message"
    }

[<Tests>]
let tests =
    testList "Parse.Parser" [
        parsesTo "-x^2" (-(Expr.Pow(x, 2.0)))
        parsesTo "(-x)^2" (Expr.Pow(-x, 2.0))
        parsesTo "2^3^2" (Expr.Pow(Expr.scalar 2.0, Expr.Pow(Expr.scalar 3.0, 2.0)))
        parsesTo "2^-1" (Expr.Pow(Expr.scalar 2.0, -1.0))
        parsesTo "-2^2" (-(Expr.Pow(Expr.scalar 2.0, 2.0)))
        parsesTo "-2*x" (Expr.scalar -2.0 * x)
        parsesTo "x - y - 1" (x - y - 1.0)
        parsesTo "x/y/2" (x / y / 2.0)
        parsesTo "x + y*2" (x + y * 2.0)
        parsesTo " 2.5e-3 * x " (Expr.scalar 2.5e-3 * x)
        parsesTo "1E+20 + .5 + 3." (Expr.scalar 1e20 + 0.5 + 3.0)
        parsesTo "sin(x)*cos(y) + tanh(abs(x))" (Expr.sin x * Expr.cos y + Expr.tanh (Expr.abs x))
        parsesTo "sqrt(exp(log(x)))" (Expr.sqrt (Expr.exp (Expr.log x)))
        parsesTo "sigmoid(x) + relu(y)" (Expr.sigmoid x + Expr.relu y)
        parsesTo "x_1 + w2" (Expr.scalarVar "x_1" + Expr.scalarVar "w2")
        test "variables are scalars" { Expect.equal (Parse.expr "x").Shape [||] "shape []" }
        failsAt "(x + 1" 7 "expected ')' at position 7, found the end of input"
        failsAt "foo(x)" 1 "unknown function 'foo' at position 1"
        failsAt "x +" 4 "unexpected end of input at position 4, expected an operand"
        failsAt "" 1 "unexpected end of input at position 1, expected an operand"
        failsAt "x * * y" 5 "expected an operand at position 5, found '*'"
        failsAt "2 x" 3 "expected an operator or the end of input at position 3, found 'x'"
        failsAt "sin x" 5 "expected '(' after 'sin' at position 5, found 'x'"
        failsAt "x # 1" 3 "unexpected character '#' at position 3"
        failsAt "(x))" 4 "expected an operator or the end of input at position 4, found ')'"
        failsAt "exp(x" 6 "expected ')' at position 6, found the end of input"
        test "Parse.expr raises with the message" {
            let e = Expect.throwsC (fun () -> Parse.expr "x +" |> ignore) id
            Expect.equal e.Message "unexpected end of input at position 4, expected an operand" "message"
        }
        test "the error says what was expected" {
            match Parse.tryExpr "(x" with
            | Error e -> Expect.equal e.Expected "')'" "expected"
            | Ok _ -> failtest "parsed"
        }
    ]
