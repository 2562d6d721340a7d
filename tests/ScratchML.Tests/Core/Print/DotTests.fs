/// Graphviz output: one node per shared node.
module ScratchML.Tests.Core.Print.DotTests

open Expecto
open ScratchML

[<Tests>]
let tests =
    testList "Print.Dot" [
        test "a shared node is drawn once, with an edge per use" {
            let x = Expr.scalarVar "x"
            let t = Expr.tanh x
            let text = Print.dot (t * t - 1.0)
            let lines = text.Split('\n')
            let count (s: string) = lines |> Array.filter (fun l -> l.Contains s) |> Array.length
            Expect.equal (count "label=\"tanh\"") 1 "one tanh node"
            Expect.equal (count $"n{t.Id} -> ") 2 "two edges out of it"
            Expect.stringStarts text "digraph expr {" "header"
            Expect.stringContains text "label=\"-\", shape=box, peripheries=2" "root marked"
        }
    ]
