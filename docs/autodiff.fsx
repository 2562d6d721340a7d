(**
---
title: Automatic differentiation from scratch
category: Chapters
index: 1
---

# Chapter 1 — Automatic differentiation from scratch

A neural network is trained by following the gradient of a loss. This chapter builds the tool
that computes gradients in ScratchML: **reverse-mode differentiation done symbolically**. The
gradient of an expression is not a number that falls out of a tape: it is *another expression*,
which we can print, simplify, check and compile.

Every formula printed below is printed by the library from the graphs it builds.

*)
// The CLI's build folder holds the library and every package it needs (./build.sh builds it).
#I "../src-csharp/ScratchML.Cli/bin/Release/net10.0"
#r "System.Numerics.Tensors.dll"
#r "ScratchML.Core.dll"
open ScratchML
(**
## 1. Expressions are graphs

`Expr.var` makes a named input with a shape (`[||]` is a scalar); arithmetic operators and
functions like `Expr.tanh` build new nodes. Nothing is evaluated yet.
*)
let x = Expr.scalarVar "x"
let w = Expr.scalarVar "w"
let b = Expr.scalarVar "b"
let y = Expr.tanh (w * x + b)

printfn "%s" (Print.infix y)
printfn "%s" (Print.tree y)
(*** include-output ***)
(**
Each node is built **once**: building the same sub-expression again returns the same node
(hash-consing). That turns the expression tree into a DAG in which shared parts are stored and
visited once — which is what keeps gradients small later.
*)
let again = Expr.tanh (w * x + b)
printfn "same node: %b (id %d)" (obj.ReferenceEquals(y, again)) y.Id
(*** include-output ***)
(**
Shapes are checked when a node is built, and a mismatch names the op and both shapes:
*)
try
    Expr.matmul (Expr.var "A" [| 2; 3 |]) (Expr.var "B" [| 4; 5 |]) |> ignore
with e ->
    printfn "%s" e.Message
(*** include-output ***)
(**
## 2. The chain rule, backwards

Write the computation as a sequence of primitive steps $v_1, v_2, \dots, v_n = L$. Reverse
mode computes the *adjoint* $\bar v_i = \partial L / \partial v_i$ of every step, starting
from $\bar L = 1$ and walking the steps backwards:

$$\bar v_i = \sum_{j \,:\, v_i \text{ is an argument of } v_j} \bar v_j \, \frac{\partial v_j}{\partial v_i}.$$

Each primitive knows its own local rule — its **card**, forward kernel and backward rule side
by side in `Diff/Cards.fs`. For $\tanh$ the backward rule is $\bar x = \bar y\,(1 - y^2)$; for a
product $a b$ it is $(\bar y\, b, \bar y\, a)$. `Grad.grad` orders the nodes once, seeds
$\bar L = 1$, asks each card, and sums the contributions. The backward rules build *graph
nodes*, so the result is an expression — the **raw chain rule**:
*)
let dyRaw = Grad.grad y [ w ] |> List.head
printfn "raw:        %s" (Print.infix dyRaw)
(*** include-output ***)
(**
## 3. Simplification: named rules to a fixpoint

The raw chain rule multiplies by the seed 1 and repeats $\tanh(wx+b)$ as a product. The
simplifier rewrites bottom-up with small named rules (`x·1 → x`, `x·x → x²`, `log(eˣ) → x`, …)
until none applies; `Simplify.trace` also says which rules fired.
*)
let trace = Simplify.trace dyRaw
printfn "simplified: %s" (Print.infix trace.Result)
printfn "rules:      %A" trace.Fired
(*** include-output ***)
(**
The same derivative in LaTeX, written by the library (`Print.latex`) and typeset by the page:
*)
sprintf "$$\\frac{\\partial y}{\\partial w} = %s$$" (Print.latex trace.Result)
(*** include-it-raw ***)
(**
A few classics. The derivative of the logistic function comes out in the recognisable
form $e^{-x}/(1+e^{-x})^2$, and $x^x$ gives $x^x(\log x + 1)$:
*)
for text in [ "tanh(x)"; "1/(1+exp(-x))"; "x^x"; "sin(x)*cos(x)"; "log(x^2+1)" ] do
    let e = Parse.expr text
    let d = Grad.grad e [ x ] |> List.head |> Simplify.run
    printfn "d/dx %-14s = %s" text (Print.infix d)
(*** include-output ***)
(**
## 4. Trust, but check: finite differences

A symbolic derivative can be checked numerically with the central difference
$f'(x) \approx (f(x+h) - f(x-h)) / 2h$. `Eval.run` is the slow, obviously correct interpreter.
*)
let at (e: Expr) (values: (string * float) list) =
    let env = values |> List.map (fun (n, v) -> n, Tensor.scalar DType.Float64 v) |> Map.ofList
    Eval.run env e |> Tensor.item

let point = [ "x", 0.7; "w", -1.3; "b", 0.2 ]
let h = 1e-6
let numeric =
    let shifted d = point |> List.map (fun (n, v) -> if n = "w" then n, v + d else n, v)
    (at y (shifted h) - at y (shifted -h)) / (2.0 * h)
printfn "symbolic %.10f   numeric %.10f" (at trace.Result point) numeric
(*** include-output ***)
(**
The test suite does this for every primitive at random points and shapes (FsCheck), for random
graphs of depth ≥ 4, and against PyTorch's own gradients (the `torch_ops` fixtures).

## 5. Tensors: softmax cross-entropy

The same machinery works on tensors. For logits $Z \in \mathbb{R}^{n \times c}$ and one-hot
targets $Y$, the mean cross-entropy is
$L = -\frac1n \sum_{i} \sum_k Y_{ik} \log \operatorname{softmax}(Z_i)_k$.
Its gradient is famously $(\operatorname{softmax}(Z) - Y)/n$ — *because each row of $Y$ sums
to 1*. With $Y$ a variable the library cannot know that, and says
$(\operatorname{softmax}(Z)\sum_k Y_{ik} - Y)/n$; with the targets as a constant one-hot
matrix, constant folding evaluates $\sum_k Y_{ik} = 1$ and the textbook form appears:
*)
let z = Expr.var "z" [| 4; 3 |]
let yVar = Expr.var "y" [| 4; 3 |]
let lossOf target = -(Expr.sumAll (target * Expr.logSoftmax 1 z)) / 4.0
printfn "Y a variable: %s" (Print.infix (Simplify.run (Grad.grad (lossOf yVar) [ z ] |> List.head)))
let target = Expr.constant (Tensor.oneHot DType.Float64 3 [| 0; 2; 1; 2 |])
let loss = lossOf target
let dz = Grad.grad loss [ z ] |> List.head
printfn "raw:        %s" (Print.infix dz)
printfn "simplified: %s" (Print.infix (Simplify.run dz))
(*** include-output ***)
sprintf "$$\\frac{\\partial L}{\\partial z} = %s$$" (Print.latex (Simplify.run dz))
(*** include-it-raw ***)
(**
## 6. Gradients of gradients

Because a gradient is an expression, it can be differentiated again. The second derivative
of $\tanh$:
*)
let t = Expr.tanh x
let d1 = Grad.grad t [ x ] |> List.head
let d2 = Grad.grad d1 [ x ] |> List.head |> Simplify.run
printfn "d²/dx² tanh(x) = %s" (Print.infix d2)
(*** include-output ***)
(**
For a function of many variables, the Hessian-vector product $H v$ is the gradient of
$\nabla f \cdot v$ — two reverse sweeps, never the full Hessian:
*)
let u = Expr.var "u" [| 3 |]
let v = Expr.var "v" [| 3 |]
let f = Expr.sumAll (Expr.exp u * u)
let g = Grad.grad f [ u ] |> List.head
let hv = Grad.grad (Expr.sumAll (g * v)) [ u ] |> List.head |> Simplify.run
printfn "Hv = %s" (Print.infix hv)
(*** include-output ***)
(**
## 7. Size: gradients stay O(N)

Reverse mode visits each node once, and the backward rule of each node adds a constant number
of nodes, so the gradient graph of an $N$-node graph has $O(N)$ nodes. `Print.listing` shows
the shared structure: one `let` per node used more than once, in evaluation order.
*)
let mlpX = Expr.var "x" [| 64; 784 |]
let w1 = Expr.var "W1" [| 256; 784 |]
let b1 = Expr.var "b1" [| 256 |]
let w2 = Expr.var "W2" [| 10; 256 |]
let b2 = Expr.var "b2" [| 10 |]
let onehot = Expr.var "Y" [| 64; 10 |]
let hidden = Expr.relu (Expr.matmul mlpX (Expr.transpose 0 1 w1) + b1)
let logits = Expr.matmul hidden (Expr.transpose 0 1 w2) + b2
let mlpLoss = -(Expr.sumAll (onehot * Expr.logSoftmax 1 logits)) / 64.0
let grads = Grad.grad mlpLoss [ w1; b1; w2; b2 ] |> List.map Simplify.run
let size outputs = (Order.topological outputs).Length
printfn "forward %d nodes; loss + 4 gradients %d nodes" (size [ mlpLoss ]) (size (mlpLoss :: grads))
printfn "%s" (Print.listing (List.head grads))
(*** include-output ***)
(**
## 8. Compiling

`Eval.run` walks the graph and allocates a fresh tensor per node. `Compile.program` flattens
the DAG once into a linear program — the same order as the listing above — with buffers
allocated up front, buffers of dead values reused, and chains of elementwise ops fused into
one pass. The two must agree to the last bit that is checkable:
*)
let rng = SplitMix64 7UL
let env =
    [ "x", Tensor.uniform DType.Float64 rng 0.0 1.0 [| 64; 784 |]
      "W1", Tensor.uniform DType.Float64 rng -0.035 0.035 [| 256; 784 |]
      "b1", Tensor.zeros DType.Float64 [| 256 |]
      "W2", Tensor.uniform DType.Float64 rng -0.06 0.06 [| 10; 256 |]
      "b2", Tensor.zeros DType.Float64 [| 10 |]
      "Y", Tensor.oneHot DType.Float64 10 [| for i in 0 .. 63 -> i % 10 |] ]
    |> Map.ofList
let program = Compile.program (mlpLoss :: grads)
let compiled = program.Run env
let interpreted = Eval.runMany env (mlpLoss :: grads)
let agree = List.forall2 (Tensor.allClose 1e-12 1e-14) compiled interpreted
printfn "compiled = interpreted: %b; loss %.6f" agree (Tensor.item compiled.Head)
(*** include-output ***)
(**
That is the whole core: graphs, cards, a reverse sweep, rules, printers and a compiler. The next
chapter trains a neural network with it.
*)
