(**
---
title: A neural network from scratch
category: Chapters
index: 2
---

# Chapter 2 — A neural network from scratch

Chapter 1 built gradients as expressions. This chapter puts them to work: a multi-layer
perceptron (MLP) is *one expression* — layers only build graph nodes — so its loss is a graph,
the gradient of the loss with respect to every weight is derived by `Grad.grad`, simplified,
compiled once, and then run at every training step. The formulas below are printed by the
library from the graphs it trains with.

*)
// The CLI's build folder holds the library and every package it needs (./build.sh builds it).
#I "../src-csharp/ScratchML.Cli/bin/Release/net10.0"
#r "System.Numerics.Tensors.dll"
#r "ScratchML.Core.dll"
#r "ScratchML.NN.dll"
#r "SkiaSharp.dll"
#r "ScottPlot.dll"
#r "ScratchML.Plots.dll"  // training curves as PNG (ScottPlot draws with SkiaSharp)
open System
open System.IO
open ScratchML
open ScratchML.NN
open ScratchML.Plots
(**
## 1. The forward pass

An MLP with one hidden layer maps a batch of $n$ images, each flattened to $784 = 28 \times 28$
pixels, to 10 scores (*logits*), one per digit:

$$H = \operatorname{relu}(X W_1^\top + b_1), \qquad Z = H W_2^\top + b_2$$

| symbol | shape | meaning |
|---|---|---|
| $X$ | $[n, 784]$ | a batch of images, one per row |
| $W_1$, $b_1$ | $[h, 784]$, $[h]$ | first dense layer (PyTorch's `Linear` layout: weight is [out, in]) |
| $H$ | $[n, h]$ | hidden activations |
| $W_2$, $b_2$ | $[10, h]$, $[10]$ | second dense layer |
| $Z$ | $[n, 10]$ | logits |

The bias row $b$ is *broadcast*: added to every row of the batch. $\operatorname{relu}(u) =
\max(u, 0)$ elementwise, with the convention $\operatorname{relu}'(0) = 0$.

`Sequential.mlp` builds that stack from layer specs; `Sequential.forward` returns its output
as an expression of the input variable — nothing is computed yet:
*)
let network = Sequential.mlp 784 [ 32 ] 10 Activation.Relu
for layer in network.Layers do
    let shapes = layer.Parameters |> List.map (fun p -> $"{p.Name} {Shape.show p.Shape}")
    printfn "%-6s %A %s" layer.Name layer.Spec (String.Join(", ", shapes))
let xBatch = Expr.var "x" [| 4; 784 |]
let logitsExpr = Sequential.forward Mode.Eval network xBatch
printfn "logits: %s, shape %s" (Print.infix logitsExpr) (Shape.show logitsExpr.Shape)
(*** include-output ***)
(**
## 2. The loss: softmax cross-entropy

Softmax turns a row of logits into probabilities,
$p_{ik} = e^{z_{ik}} / \sum_j e^{z_{ij}}$, and cross-entropy charges $-\log$ of the probability
given to the right class. With one-hot targets $Y$ ($Y_{ik} = 1$ when example $i$ is digit $k$),
the mean over the batch is

$$L = -\frac1n \sum_{i=1}^{n} \sum_{k=1}^{10} Y_{ik} \log \operatorname{softmax}(Z_i)_k .$$

The library computes $\log\operatorname{softmax}$ as one primitive,
$z_k - \max_j z_j - \log \sum_j e^{z_j - \max_j z_j}$, so that logits of $\pm 1000$ give a finite
loss instead of $\log 0$. Its gradient with respect to the logits, derived and simplified by
the library (targets as a constant one-hot matrix, $n = 4$):
*)
let zVar = Expr.var "z" [| 4; 10 |]
let targets = Expr.constant (Tensor.oneHot DType.Float64 10 [| 3; 1; 4; 1 |])
let ceLoss = Losses.crossEntropy Reduction.Mean zVar targets
let dLdz = Grad.grad ceLoss [ zVar ] |> List.head |> Simplify.run
sprintf "$$\\frac{\\partial L}{\\partial z} = %s$$" (Print.latex dLdz)
(*** include-it-raw ***)
(**
(`tensor[4, 10]` is the constant one-hot matrix $Y$.) That is the textbook
$\partial L / \partial Z = (\operatorname{softmax}(Z) - Y)/n$: the
gradient pushes the probability of the right class up and every other one down, in
proportion to how wrong it is.

## 3. The gradient of a dense layer

Through $Z = H W^\top + b$ the chain rule gives $\partial L/\partial W = G^\top H = (H^\top G)^\top$ and
$\partial L/\partial b = \sum_i G_i$, where $G = \partial L/\partial Z$ is $[n, 10]$ — the
bias gradient sums over the batch because the bias was broadcast over it. The library's
version, for a dense layer 5 → 3 on a batch of 2 with the cross-entropy above:
*)
let hIn = Expr.var "h" [| 2; 5 |]
let wVar = Expr.var "W" [| 3; 5 |]
let bVar = Expr.var "b" [| 3 |]
let denseLoss =
    Losses.crossEntropy Reduction.Mean (Dense.apply wVar bVar hIn)
        (Expr.constant (Tensor.oneHot DType.Float64 3 [| 0; 2 |]))
let dW, db =
    match Grad.grad denseLoss [ wVar; bVar ] |> List.map Simplify.run with
    | [ dW; db ] -> dW, db
    | _ -> failwith "two gradients"
sprintf "$$\\frac{\\partial L}{\\partial W} = %s$$\n$$\\frac{\\partial L}{\\partial b} = %s$$"
    (Print.latex dW) (Print.latex db)
(*** include-it-raw ***)
printfn "shapes: dL/dW %s (as W), dL/db %s (as b)" (Shape.show dW.Shape) (Shape.show db.Shape)
(*** include-output ***)
(**
Training builds exactly this for the whole network (every layer's weight and bias), simplifies
it, and compiles the loss, the logits and all gradients into **one** flat program; a training
step points its inputs at a batch (a view of the data's rows, or a copy when the rows are
shuffled) and runs it, writing every gradient into the same buffers step after step.

## 4. Optimizers: the update rules

Given the gradient $g_t = \nabla_\theta L$ at step $t$, an optimizer updates each parameter
$\theta$ in place. The library follows `torch.optim` to the operation order (its tests compare
against PyTorch at a relative tolerance of $10^{-10}$). With learning rate $\gamma$ and weight
decay $\lambda$:

**SGD** with momentum $\mu$, dampening $\tau$, optional Nesterov:

$$g_t \leftarrow g_t + \lambda\theta_{t-1}, \qquad
b_t = \begin{cases} g_t & t = 1 \\ \mu b_{t-1} + (1-\tau) g_t & t > 1 \end{cases}, \qquad
g_t \leftarrow \begin{cases} g_t + \mu b_t & \text{Nesterov} \\ b_t & \text{otherwise} \end{cases}, \qquad
\theta_t = \theta_{t-1} - \gamma g_t .$$

**Adam** keeps running means of the gradient and of its square, and corrects their bias towards
zero (both start at 0):

$$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,$$
$$\theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t} \cdot
\frac{m_t}{\sqrt{v_t}\,/\sqrt{1-\beta_2^t} + \epsilon} .$$

This is PyTorch's arrangement of $\hat m_t / (\sqrt{\hat v_t} + \epsilon)$ with
$\hat m_t = m_t/(1-\beta_1^t)$, $\hat v_t = v_t/(1-\beta_2^t)$; the two differ in the last
bits, and matching PyTorch means computing it PyTorch's way. Adam's weight decay is added to
the gradient ($g_t \leftarrow g_t + \lambda\theta_{t-1}$, an L2 penalty).

**AdamW** decouples the decay from the gradient: first $\theta \leftarrow \theta\,(1 - \gamma\lambda)$,
then the Adam step with the plain gradient.

One Adam step by the library next to the formula by hand, on a parameter of three values:
*)
let theta = Tensor.ofArray [| 3 |] [| 0.5; -1.0; 2.0 |]
let grad = Tensor.ofArray [| 3 |] [| 0.1; -0.2; 0.3 |]
let adam = Optimizer.Adam AdamOptions.Defaults
let state = Optimizer.init adam [| theta |]
let expected =
    let o = AdamOptions.Defaults
    Array.map2 (fun p g ->
        let m, v = (1.0 - o.Beta1) * g, (1.0 - o.Beta2) * g * g
        p - o.LearningRate / (1.0 - o.Beta1) * m / (sqrt v / sqrt (1.0 - o.Beta2) + o.Eps))
        (Tensor.toArray theta) (Tensor.toArray grad)
Optimizer.step adam state [| theta |] [| grad |]
printfn "library: %A" (Tensor.toArray theta)
printfn "by hand: %A" expected
(*** include-output ***)
(**
On the first step $m_1/(1-\beta_1) = g$ and $\sqrt{v_1/(1-\beta_2)} = |g|$: every value moves by
almost exactly $\gamma = 10^{-3}$ against the sign of its gradient, whatever the gradient's size.

## 5. Initialisation

A network that starts with all weights equal never breaks the symmetry between its hidden
units, and weights that are too large saturate or explode the activations. PyTorch's default
for `Linear`, which the library uses, draws $W \sim U(\pm 1/\sqrt{\text{fan\_in}})$ (Kaiming
uniform with $a = \sqrt5$) and $b \sim U(\pm 1/\sqrt{\text{fan\_in}})$; Xavier/Glorot draws
$U\big(\pm\sqrt{6/(\text{fan\_in} + \text{fan\_out})}\big)$. All randomness comes from one
SplitMix64 stream, so the same seed gives bit-identical weights:
*)
let model = Model.create network [| 784 |] DType.Float32 InitScheme.PyTorch 1
for name, value in model.Named do
    let a = Tensor.toArray value
    printfn "%-10s %-10s min %+.4f max %+.4f  (bound 1/√fan_in = %.4f)"
        name (Shape.show value.Shape) (Array.min a) (Array.max a) (1.0 / sqrt (if name.StartsWith "fc1" then 784.0 else 32.0))
(*** include-output ***)
(**
## 6. Training on MNIST

MNIST ships with the repository (`data/mnist`, gzipped IDX). To keep this page fast we train on
the first 2,000 training digits for 3 epochs with Adam ($\gamma = 0.005$, a little above the
default because there are few steps), batches of 64, shuffled with a seed,
and validate on the first 1,000 test digits after each epoch. Pixels are scaled to $[0, 1]$.
*)
let subset (split: MnistSplit) (n: int) =
    let pixels = Array.sub (Tensor.toArray32 split.Images) 0 (n * 784)
    Tensor.ofArray32 [| n; 784 |] pixels, Array.sub split.Labels 0 n
let folder = Mnist.defaultFolder ()
let trainX, trainLabels = subset (Mnist.train folder) 2000
let testX, testLabels = subset (Mnist.test folder) 1000
let trainSet = Train.classification DType.Float32 10 trainX trainLabels
let testSet = Train.classification DType.Float32 10 testX testLabels
let trainer = Optimizer.Adam { AdamOptions.Defaults with LearningRate = 0.005 }
let options =
    { Train.defaults (Loss.CrossEntropy Reduction.Mean) trainer with
        Epochs = 3; BatchSize = 64; Shuffle = Some 0; Validation = Some testSet }
let history = Train.fit options model trainSet
for e in history do
    printfn "epoch %d: loss %.4f  accuracy %5.1f%%  validation loss %.4f  accuracy %5.1f%%"
        e.Epoch e.Loss (100.0 * e.Accuracy) e.ValidationLoss (100.0 * e.ValidationAccuracy)
(*** include-output ***)
(**
The training loss is the mean over each epoch's batches while the weights move; the validation
figures are measured after the epoch, in evaluation mode. `TrainingCurve.save` draws both (the
same plot as `scratchml train mnist --plot loss.png`):
*)
let figure = Path.Combine(__SOURCE_DIRECTORY__, "output", "img", "nn-loss.png")
TrainingCurve.save figure 800 450 history
printfn "wrote img/%s (%d bytes)" (Path.GetFileName figure) (FileInfo(figure).Length)
(*** include-output ***)
(**
![Loss and accuracy per epoch](img/nn-loss.png)

## 7. Evaluating and predicting

`Train.evaluate` runs the compiled evaluation program over a dataset; `Model.predictProba` gives
each class's softmax probability. One test digit, drawn in characters:
*)
let testLoss, testAccuracy = Train.evaluate model options.Loss Regularizer.None 250 testSet
printfn "test: loss %.4f, accuracy %.1f%% on %d digits" testLoss (100.0 * testAccuracy) testSet.Count
let digit = 0
let pixels = Array.sub (Tensor.toArray32 testX) (digit * 784) 784
for row in 3 .. 24 do
    String.init 28 (fun col -> if pixels[row * 28 + col] > 0.5f then "#" elif pixels[row * 28 + col] > 0.1f then "+" else " ")
    |> printfn "  |%s|"
let probs = Model.predictProba model (Tensor.ofArray32 [| 1; 784 |] pixels) |> Tensor.toArray
let best = Array.findIndex ((=) (Array.max probs)) probs
printfn "label %d, predicted %d with probability %.3f" testLabels[digit] best probs[best]
(*** include-output ***)
(**
With 2,000 digits and 3 epochs the network already gets most digits right. The full job,
`scratchml train mnist` (60,000 digits, 784-256-10 with dropout, Adam), trains the same way to
about 98% test accuracy.
*)
