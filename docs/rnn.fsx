(**
---
title: Recurrent networks from scratch
category: Chapters
index: 3
---

# Chapter 3 — Recurrent networks from scratch

Chapter 2 trained a network on images of a fixed size. Text, speech, prices and sensor
readings are *sequences*: their length varies, and the same pattern (a word, a beat) can sit
anywhere in them. A **recurrent** network reads a sequence one step at a time and carries a
*state* from step to step. This chapter builds the three classic cells (RNN, LSTM, GRU) as
expressions, unrolls them over a sequence, shows that backpropagation through time is just
the chain rule on the unrolled graph, measures why plain RNNs forget, and trains an LSTM.

As in the earlier chapters, every equation below is printed by the library from the graph it
computes with — the same functions (`Cell.step`, `Recurrent.run`) that training uses.

*)
// The CLI's build folder holds the library and every package it needs (./build.sh builds it).
#I "../src-csharp/ScratchML.Cli/bin/Release/net10.0"
#r "System.Numerics.Tensors.dll"
#r "ScratchML.Core.dll"
#r "ScratchML.NN.dll"
#r "ScratchML.Lime.dll"    // LIME text in section 6
#r "SkiaSharp.dll"
#r "ScottPlot.dll"        // the gradient-norm figure of section 4
#r "ScratchML.Plots.dll"  // the training curve of section 5
open System
open System.IO
open ScratchML
open ScratchML.NN
open ScratchML.Plots
(**
## 1. Why not a plain network?

An MLP could read a sequence of $T$ steps of $I$ features each by flattening it into one
vector of $T \cdot I$ inputs. Three things go wrong:

* **The length is fixed.** A network built for $T = 10$ cannot read 11 steps.
* **Nothing is shared between positions.** The first layer has separate weights for every
  step, so a pattern learnt at step 3 is unknown at step 7, and the parameter count grows
  with $T$.
* **Order is only implicit.** "Step $t$ follows step $t-1$" is nowhere in the architecture;
  the network must learn it from data.

A recurrent layer instead applies **one** cell at every step, $h_t = \text{cell}(x_t, h_{t-1})$,
with the same weights each time: any length, shared patterns, and the order built in. The
parameter counts, read from the layers' parameter shapes, for $I = 8$ features and $32$
hidden units:
*)
let parameterCount (network: Sequential) =
    network.Parameters |> List.sumBy (fun p -> Shape.numel p.Shape)
let rnnLayer = Sequential.ofSpecs [ LayerSpec.Recurrent (Recurrent.spec CellKind.RnnTanh 8 32, Readout.Last) ]
for steps in [ 10; 100; 1000 ] do
    let window = Sequential.ofSpecs [ LayerSpec.Flatten; LayerSpec.Dense (steps * 8, 32) ]
    printfn "T = %4d: dense layer on the flattened window %7d parameters, RNN layer %d"
        steps (parameterCount window) (parameterCount rnnLayer)
for p in rnnLayer.Parameters do printfn "  %-20s %s" p.Name (Shape.show p.Shape)
(*** include-output ***)
(**
The RNN's $1{,}344 = 32 \cdot 8 + 32 \cdot 32 + 32 + 32$ parameters are PyTorch's layout
(`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`), whatever the length of the sequence.

## 2. The cells, printed by the library

`Cell.step kind parameters x state` builds one step of a cell as an expression. We call it on
symbolic variables — a batch of inputs $x_1$ $[N, I]$, the previous state $h_0$ (and the LSTM's
cell state $c_0$) $[N, H]$ — and print what it built. `Print.listingNamed` gives chosen nodes a
name of their own; the nodes are found again by building the same expressions (nodes are
hash-consed, so building `sigmoid(a[:, 0:2])` twice returns the same node). Here $N = 1$,
$I = 3$ and $H = 2$, so a gate's block of columns is `0:2`, `2:4`, …

**The plain (Elman) RNN**, PyTorch's `nn.RNN`:
*)
let inputSize, hiddenSize = 3, 2
let x1 = Expr.var "x1" [| 1; inputSize |]
let h0 = Expr.var "h0" [| 1; hiddenSize |]
let c0 = Expr.var "c0" [| 1; hiddenSize |]
/// The parameters of a cell with `gates` blocks of rows, named as PyTorch names them.
let cellParams gates =
    { WeightIh = Expr.var "W_ih" [| gates * hiddenSize; inputSize |]
      WeightHh = Expr.var "W_hh" [| gates * hiddenSize; hiddenSize |]
      BiasIh = Some (Expr.var "b_ih" [| gates * hiddenSize |])
      BiasHh = Some (Expr.var "b_hh" [| gates * hiddenSize |]) }
let rnnStep = Cell.step CellKind.RnnTanh (cellParams 1) x1 { H = h0; C = None }
printfn "%s" (Print.listingNamed [ ("h1", rnnStep.H) ] rnnStep.H)
(*** include-output ***)
(**
That is $h_1 = \tanh(x_1 W_{ih}^\top + b_{ih} + h_0 W_{hh}^\top + b_{hh})$: a dense layer on
the input plus a dense layer on the previous state, squashed. `x @ W.T` is the batch times the
transposed weight, as in chapter 2.

**The LSTM** (Hochreiter & Schmidhuber, 1997), PyTorch's `nn.LSTM`, computes four blocks of
$H$ columns at once from the same pre-activation $a$: the input gate $i$, the forget gate $f$,
the candidate $g$ and the output gate $o$. The gates are sigmoids, between 0 and 1, and act as
soft switches ($\odot$, printed `*`, is the elementwise product):
*)
let lstmParams = cellParams 4
let lstmStep = Cell.step CellKind.Lstm lstmParams x1 { H = h0; C = Some c0 }
let lstmGates = Cell.linear x1 lstmParams.WeightIh lstmParams.BiasIh + Cell.linear h0 lstmParams.WeightHh lstmParams.BiasHh
let lstmBlock k = Cell.gate hiddenSize k lstmGates
let lstmNames =
    [ "a", lstmGates; "i", Expr.sigmoid (lstmBlock 0); "f", Expr.sigmoid (lstmBlock 1)
      "g", Expr.tanh (lstmBlock 2); "o", Expr.sigmoid (lstmBlock 3)
      "c1", lstmStep.C.Value; "h1", lstmStep.H ]
printfn "%s" (Print.listingNamed lstmNames lstmStep.H)
(*** include-output ***)
(**
The same equations in LaTeX (`Print.latexListing`):
*)
sprintf "$$%s$$" (Print.latexListing lstmNames lstmStep.H)
(*** include-it-raw ***)
(**
The cell state is the LSTM's memory: $c_1 = f \odot c_0 + i \odot g$ keeps what the forget gate
lets through and adds what the input gate admits. The *addition* matters: in section 4 it is
what lets gradients cross many steps.

**The GRU** (Cho et al., 2014), PyTorch's `nn.GRU`, has no separate cell state: a reset gate
$r$, an update gate $z$ and a candidate $n$. PyTorch keeps the hidden bias $b_{hn}$ inside
$r \odot (\dots)$, and so does the library (the tests compare it with PyTorch's values and
gradients):
*)
let gruParams = cellParams 3
let gruStep = Cell.step CellKind.Gru gruParams x1 { H = h0; C = None }
let fromInput = Cell.linear x1 gruParams.WeightIh gruParams.BiasIh
let fromState = Cell.linear h0 gruParams.WeightHh gruParams.BiasHh
let reset = Expr.sigmoid (Cell.gate hiddenSize 0 fromInput + Cell.gate hiddenSize 0 fromState)
let update = Expr.sigmoid (Cell.gate hiddenSize 1 fromInput + Cell.gate hiddenSize 1 fromState)
let candidate = Expr.tanh (Cell.gate hiddenSize 2 fromInput + reset * Cell.gate hiddenSize 2 fromState)
let gruNames = [ "u", fromInput; "v", fromState; "r", reset; "z", update; "n", candidate; "h1", gruStep.H ]
printfn "%s" (Print.listingNamed gruNames gruStep.H)
(*** include-output ***)
(**
$h_1 = (1 - z) \odot n + z \odot h_0$ interpolates between the new candidate and the old state:
with $z \approx 1$ the state is copied forward unchanged.

## 3. Unrolling, and backpropagation through time

`Recurrent.run` applies the cell at every step of a sequence, feeding each step's state to the
next. The result is one ordinary expression graph — the network *unrolled* in time — in which
every step reuses the same parameter nodes. Its gradient needs nothing new: `Grad.grad` walks
the unrolled graph backwards, and the chain rule through all the steps is what is called
**backpropagation through time** (BPTT).

Each step adds the same number of nodes, so the forward graph and its gradient grow linearly
in $T$. For a one-layer LSTM ($I = 3$, $H = 4$) and the loss $L = \sum h_T$:
*)
let nodeCount (outputs: Expr list) = (Order.topological outputs).Length
printfn "%-4s %14s %16s %22s" "T" "forward nodes" "gradient nodes" "simplified gradient"
let sizes =
  [ for steps in [ 1; 2; 4; 8; 16; 32 ] do
      let spec = Recurrent.spec CellKind.Lstm 3 4
      let variables = Recurrent.variables "" spec
      let sequence = Expr.var "x" [| steps; 1; 3 |]          // [T; N; I], time first
      let result = Recurrent.run spec variables sequence None None None
      let loss = Expr.sumAll result.HN
      let gradients = Grad.grad loss [ for KeyValue (_, v) in variables -> v ]
      let forward, backward = nodeCount [ loss ], nodeCount gradients
      printfn "%-4d %14d %16d %22d" steps forward backward (nodeCount (List.map Simplify.run gradients))
      steps, forward, backward ]
let (firstT, firstForward, firstBackward), (lastT, lastForward, lastBackward) = sizes.Head, List.last sizes
printfn "each step adds %d forward and %d gradient nodes"
    ((lastForward - firstForward) / (lastT - firstT)) ((lastBackward - firstBackward) / (lastT - firstT))
(*** include-output ***)
(**
Past the first step every step adds the same number of nodes, so the gradient graph stays
about three times the size of the forward graph: reverse mode costs a constant multiple of
the function it differentiates, whatever $T$. (The gradient graph *contains* the forward graph:
the backward pass reads every $h_t$ and $c_t$, which is why BPTT must keep all the states of a
sequence in memory.)

To see the chain rule at work, unroll a tanh RNN by hand for three steps — exactly what
`Recurrent.run` does — and ask for the gradient of $L = \sum h_3$ with respect to the first
input $x_1$:
*)
let rnnParams = cellParams 1
let inputs = [ for t in 1 .. 3 -> Expr.var $"x{t}" [| 1; inputSize |] ]
let states =
    inputs |> List.scan (fun h x -> (Cell.step CellKind.RnnTanh rnnParams x { H = h; C = None }).H) h0
    |> List.tail
let stateNames = states |> List.mapi (fun t h -> $"h{t + 1}", h)
let rnnLoss = Expr.sumAll (List.last states)
let dLdx1 = Grad.grad rnnLoss [ inputs.Head ] |> List.head
printfn "raw:\n%s\n" (Print.listingNamed stateNames dLdx1)
printfn "simplified:\n%s" (Print.listingNamed stateNames (Simplify.run dLdx1))
(*** include-output ***)
(**
Read the simplified result from left to right: $\partial L / \partial x_1 =
\mathbf{1}\,J_3\, W_{hh}\, J_2\, W_{hh}\, J_1\, W_{ih}$ with $J_t = \operatorname{diag}(1 - h_t^2)$
(`(1 - h3^2) @ W_hh*(1 - h2^2)` multiplies elementwise by the diagonal). The derivative of
$h_3$ with respect to $h_2$ is $J_3 W_{hh}$, and reaching $x_1$ from $h_3$ takes one such factor
per step in between — **a product of $T - t$ Jacobians**. Section 4 measures what that product
does.

The gradient of the shared recurrent weight is a *sum over steps*, one term per use of
$W_{hh}$ (each term $h_{t-1}^\top \delta_t$, with $\delta_t$ the gradient arriving at step $t$'s
pre-activation):
*)
let dLdWhh = Grad.grad rnnLoss [ rnnParams.WeightHh ] |> List.head |> Simplify.run
printfn "%s" (Print.listingNamed stateNames dLdWhh)
(*** include-output ***)
(**
For long sequences the usual shortcut is *truncated* BPTT, which `Recurrent.run`'s initial
states make simple: run chunks of $k$ steps and give each chunk the previous chunk's final
state as a constant initial state, so gradients stop at chunk boundaries.

## 4. Vanishing gradients, measured

If every factor $J_t W_{hh}$ shrinks a vector, a product of many of them shrinks it
geometrically: the loss at step $T$ hardly feels inputs far in the past, and the network
cannot learn long-range dependencies. (If the factors grow, gradients *explode* instead;
gradient clipping, `GradientClipping.fs`, is the usual cure.)

The LSTM changes the product. Along the cell state, $c_t = f_t \odot c_{t-1} + \dots$, so
$\partial c_t / \partial c_{t-1}$ contains $\operatorname{diag}(f_t)$ — no squashing, no weight
matrix — and a forget gate near 1 passes the gradient on almost intact. Near 1, though, is not
where it starts: with PyTorch's initialisation every weight and bias is drawn from
$U(\pm 1/\sqrt H)$, so $f \approx \sigma(0) = 0.5$ at first.

Let us measure instead of argue. Take 16 random sequences of $T = 50$ steps ($I = 8$ features,
$N(0, 1)$), layers with $H = 32$ and PyTorch's initialisation from one seed, the loss
$L = \sum h_T$, and the gradient norm $\lVert \partial L / \partial x_t \rVert$ at every step
$t$, averaged over the 16 sequences. The gradient is the library's symbolic gradient of the
unrolled graph, simplified and compiled once per layer. Besides the defaults we try the
classic remedy of Jozefowicz et al. (2015): start the forget gate's bias at $+1$ (or $+2$).
*)
let steps, batch, features, hidden = 50, 16, 8, 32
let sequences = Tensor.randn DType.Float64 (SplitMix64 7UL) [| steps; batch; features |]

/// The initial parameters of a layer, with `forgetBias` added to the forget block of b_ih.
let initialValues (spec: RecurrentSpec) (forgetBias: float) =
    Recurrent.init (SplitMix64 1UL) DType.Float64 spec
    |> List.map (fun (name, value) ->
        if name = "bias_ih_l0" && spec.Kind = CellKind.Lstm then
            // rows H … 2H−1 of an LSTM's biases belong to the forget gate (order i, f, g, o)
            let shifted = Tensor.toArray value |> Array.mapi (fun k v -> if k / hidden = 1 then v + forgetBias else v)
            name, Tensor.ofArray value.Shape shifted
        else name, value)

/// ‖∂L/∂x_t‖ for t = 0 … T−1, L = Σ h_T, averaged over the batch.
let gradientNorms (kind: CellKind) (forgetBias: float) =
    let spec = Recurrent.spec kind features hidden
    let variables = Recurrent.variables "" spec
    let x = Expr.var "x" [| steps; batch; features |]
    let loss = Expr.sumAll (Recurrent.run spec variables x None None None).HN
    let gradient = Grad.grad loss [ x ] |> List.head |> Simplify.run
    let program = Compile.program [ gradient ]
    let values = program.Run(Map (("x", sequences) :: initialValues spec forgetBias)) |> List.head |> Tensor.toArray
    let norm t n = values[(t * batch + n) * features .. (t * batch + n + 1) * features - 1] |> Array.sumBy (fun v -> v * v) |> sqrt
    Array.init steps (fun t -> List.average [ for n in 0 .. batch - 1 -> norm t n ])

let curves =
    [ "tanh RNN", gradientNorms CellKind.RnnTanh 0.0
      "GRU", gradientNorms CellKind.Gru 0.0
      "LSTM", gradientNorms CellKind.Lstm 0.0
      "LSTM, forget bias +1", gradientNorms CellKind.Lstm 1.0
      "LSTM, forget bias +2", gradientNorms CellKind.Lstm 2.0 ]
let scientific (v: float) = v.ToString("0.0e+0", Globalization.CultureInfo.InvariantCulture).PadLeft 10
printfn "%-22s %s   t=0 / t=%d" "‖∂L/∂x_t‖ at t ="
    (String.Join("", [ for t in 0 .. 10 .. steps - 1 -> $"%10d{t}" ] @ [ $"%10d{steps - 1}" ])) (steps - 1)
for name, norms in curves do
    let columns = [ for t in [ 0 .. 10 .. steps - 1 ] @ [ steps - 1 ] -> scientific norms[t] ]
    printfn "%-22s %s %s" name (String.Join("", columns)) (scientific (norms[0] / norms[steps - 1]))
(*** include-output ***)
(**
The figure shows every step on a logarithmic axis:
*)
let vanishingFigure = Path.Combine(__SOURCE_DIRECTORY__, "output", "img", "rnn-vanishing.png")
Directory.CreateDirectory(Path.GetDirectoryName vanishingFigure) |> ignore
let vanishingPlot () =
    use plot = new ScottPlot.Plot()
    let colours = [ ScottPlot.Colors.Red; ScottPlot.Colors.Green; ScottPlot.Colors.Blue
                    ScottPlot.Colors.Orange; ScottPlot.Colors.Purple ]
    for (name, norms), colour in List.zip curves colours do
        // ScottPlot has no log axis: plot log10 and label the ticks as powers of ten
        let line = plot.Add.Scatter(Array.init steps float, Array.map log10 norms, colour)
        line.LegendText <- name
        line.MarkerSize <- 3.0f
        line.LineWidth <- 2.0f
    let ticks = ScottPlot.TickGenerators.NumericAutomatic()
    ticks.IntegerTicksOnly <- true
    ticks.LabelFormatter <- Func<float, string>(fun y -> $"1e{int (Math.Round y)}")
    plot.Axes.Left.TickGenerator <- ticks
    plot.Axes.SetLimitsX(-1.0, float steps)
    plot.Title($"Gradient reaching step t from the loss at step {steps - 1} (at initialisation)")
    plot.XLabel("step t")
    plot.YLabel("‖∂L/∂x_t‖ (log scale)")
    plot.ShowLegend(ScottPlot.Edge.Bottom) |> ignore
    plot.SavePng(vanishingFigure, 800, 500) |> ignore
vanishingPlot ()
printfn "wrote img/%s (%d bytes)" (Path.GetFileName vanishingFigure) (FileInfo(vanishingFigure).Length)
(*** include-output ***)
(**
![Gradient norm versus time step for a tanh RNN, a GRU and LSTMs](img/rnn-vanishing.png)

What the numbers say, honestly:

* For the **tanh RNN** the gradient falls by roughly a factor of ten every four or five steps:
  the input 49 steps back receives a vanishing fraction of what the last input receives (the
  last column). Training cannot use such a signal.
* At PyTorch's default initialisation the **LSTM and the GRU vanish just as fast**: their
  gates start near $\sigma(0) = 0.5$, and halving at each step is also geometric decay. The
  gated cells do not avoid vanishing gradients automatically.
* What they have is a **knob**: the forget gate (the GRU's update gate). Open it — here by
  starting its bias at $+1$ or $+2$ — and the path through $c_t$ carries the gradient across
  all 50 steps with little loss. A tanh RNN has no such knob; its only path goes through
  $W_{hh}$ and $\tanh'$ at every step. During training an LSTM can *learn* to open the gate
  where a long memory pays.

## 5. An LSTM learns parity

A small sequence task shows an LSTM trained end to end: read 10 bits, say whether the number
of ones is odd. The answer depends on *every* bit, so the network must carry one bit of state
through all the steps. There are $2^{10} = 1024$ sequences; we shuffle them with a seed, train
on 700 and test on the other 324, which the network never sees.

The model is built from layer specs like chapter 2's MLP: an embedding turns each bit (a token
id 0 or 1) into a vector of 4, an LSTM with 16 hidden units reads the sequence and passes on
its last state (`Readout.Last`), and a dense layer gives two logits.
*)
let bits = 10
let order =
    let ids = Array.init (1 <<< bits) id
    let rng = SplitMix64 3UL
    for i in ids.Length - 1 .. -1 .. 1 do           // Fisher–Yates
        let j = rng.Below(i + 1)
        let t = ids[i] in ids[i] <- ids[j]; ids[j] <- t
    ids
/// The sequences whose bits are the binary digits of `ids` (lowest first) and their parity.
let parityData (ids: int[]) =
    let tokens = [| for k in ids do for p in 0 .. bits - 1 -> float ((k >>> p) &&& 1) |]
    let labels = ids |> Array.map (fun k -> Numerics.BitOperations.PopCount(uint k) % 2)
    Train.classification DType.Float32 2 (Tensor.ofArray [| ids.Length; bits |] tokens) labels
let parityTrain = parityData order[.. 699]
let parityTest = parityData order[700 ..]
let parityNetwork =
    Sequential.ofSpecs
        [ LayerSpec.Embedding (2, 4)
          LayerSpec.Recurrent (Recurrent.spec CellKind.Lstm 4 16, Readout.Last)
          LayerSpec.Dense (16, 2) ]
let parityModel = Model.create parityNetwork [| bits |] DType.Float32 InitScheme.PyTorch 1
for name, value in parityModel.Named do printfn "%-22s %s" name (Shape.show value.Shape)
(*** include-output ***)
(**
Training is chapter 2's loop unchanged: the loss of a batch is one unrolled graph, its
gradient is derived, simplified and compiled once, then run for every batch (Adam,
$\gamma = 0.01$, batches of 50, 45 epochs).
*)
let parityOptions =
    { Train.defaults (Loss.CrossEntropy Reduction.Mean) (Optimizer.Adam { AdamOptions.Defaults with LearningRate = 0.01 }) with
        Epochs = 45; BatchSize = 50; Shuffle = Some 0; Validation = Some parityTest }
let parityClock = Diagnostics.Stopwatch.StartNew()
let parityHistory = Train.fit parityOptions parityModel parityTrain
for e in parityHistory do
    if e.Epoch % 5 = 0 || e.Epoch >= 35 && e.Epoch <= 40 then
        printfn "epoch %2d: loss %.4f  accuracy %5.1f%%  test loss %.4f  accuracy %5.1f%%"
            e.Epoch e.Loss (100.0 * e.Accuracy) e.ValidationLoss (100.0 * e.ValidationAccuracy)
printfn "trained in %.1f s" parityClock.Elapsed.TotalSeconds
let parityFigure = Path.Combine(__SOURCE_DIRECTORY__, "output", "img", "rnn-parity.png")
TrainingCurve.save parityFigure 800 450 parityHistory
printfn "wrote img/%s (%d bytes)" (Path.GetFileName parityFigure) (FileInfo(parityFigure).Length)
(*** include-output ***)
(**
![Loss and accuracy per epoch of the parity LSTM](img/rnn-parity.png)

(`TrainingCurve` calls the held-out sequences *validation*; here they are the 324 test
sequences.)

For most of the run the loss sits at $\ln 2 \approx 0.693$ — guessing — and then drops within
a few epochs to near zero, with every one of the 324 unseen sequences right. Such a long
plateau followed by a sudden drop is typical of parity: until the network tracks the running
parity, no single bit tells it anything, and the gradient has little to follow. Once found,
the rule is exact, which is why it generalises to sequences never seen. (The run is fixed by
its seeds; other seeds find the rule earlier or later.)

## 6. A real text task: which mailing list?

The shipped data set `data/spamassassin` holds the bodies of the SpamAssassin corpus's ham
messages, labelled by the mailing list they were sent to (headers and list footers removed).
`MailingLists.split` is the fixed stratified split: 20% of each list for testing, seed 2026.
*)
let listsTrain, listsTest = MailingLists.split ()
let classCount (d: TextDataset) c = d.Labels |> Array.filter ((=) c) |> Array.length
printfn "%-14s %6s %6s" "list" "train" "test"
for c, name in Array.indexed listsTrain.ClassNames do
    printfn "%-14s %6d %6d" name (classCount listsTrain c) (classCount listsTest c)
printfn "%-14s %6d %6d" "total" listsTrain.Count listsTest.Count
(*** include-output ***)
(**
**The baseline.** Multinomial naive Bayes treats a message as a bag of words drawn
independently given its list: training counts words per class, prediction adds
$\log \pi_c + \sum_w \text{count}(w)\,\log \theta_{c,w}$. Word order is ignored entirely.
*)
let bayesClock = Diagnostics.Stopwatch.StartNew()
let bayes = NaiveBayes.ofDataset listsTrain
let bayesPredicted = listsTest.Texts |> Array.map (Tokenizer.words >> NaiveBayes.predict bayes)
printfn "naive Bayes: %d words, test accuracy %.1f%% (%.2f s)"
    bayes.Index.Count (100.0 * TextClassifier.accuracy listsTest.Labels bayesPredicted) bayesClock.Elapsed.TotalSeconds
(*** include-output ***)
(**
**A recurrent classifier.** `TextClassifier` reads the first $T$ words of a message as ids,
looks up a word vector for each (`Embedding`), runs an LSTM over them, takes the maximum of
every state component over time, and maps it to six logits with a dense layer — the layers of
section 5 with a bigger vocabulary. `scratchml train text` uses `TextClassifier.defaults`
($T = 120$, $d = H = 64$, 10 epochs). To keep this page fast, the network below is smaller and
trained briefly; the exact settings are printed with the result.
*)
let small =
    { TextClassifier.defaults with MaxLength = 80; Epochs = 4 }
let textClock = Diagnostics.Stopwatch.StartNew()
let classifier = TextClassifier.create small listsTrain
let textHistory = TextClassifier.fit small (fun _ _ _ -> ()) ignore classifier listsTrain
let rnnPredicted = TextClassifier.predict classifier listsTest.Texts
printfn "LSTM: %d ids, T = %d, d = %d, H = %d, %d epochs on all %d training messages (%.1f s)"
    classifier.Vocabulary.Size small.MaxLength small.EmbeddingSize small.HiddenSize small.Epochs
    listsTrain.Count textClock.Elapsed.TotalSeconds
for e in textHistory do printfn "  epoch %d: loss %.4f, training accuracy %.1f%%" e.Epoch e.Loss (100.0 * e.Accuracy)
printfn "LSTM test accuracy %.1f%%" (100.0 * TextClassifier.accuracy listsTest.Labels rnnPredicted)
let cliDefaults = TextClassifier.defaults
printfn "scratchml train text instead: T = %d, d = %d, H = %d, %d epochs"
    cliDefaults.MaxLength cliDefaults.EmbeddingSize cliDefaults.HiddenSize cliDefaults.Epochs
(*** include-output ***)
(**
With the defaults (`scratchml train text`: T = 120, ten epochs on the full set) the LSTM
reaches 89.8% test accuracy (476 of 530), a little under the 91.3% naive Bayes line — eight
messages; rounding changes in the last bit move it by a few messages either way.
Topic is mostly a matter of *which* words occur — "rpm", "exmh", "razor" — which is exactly what a bag of words
captures with no training at all; the recurrent network has to learn the same thing from
gradients, through word vectors, and only sees the first $T$ words.

**Why that list?** LIME explains one prediction by deleting random subsets of the message's
words, asking the classifier about each shortened message, and fitting a weighted linear model
of "word present" → probability of the predicted list (as in the LIME chapter). Here it
explains the small LSTM on the first short test message (15 to 60 distinct words) that it
classifies correctly with probability at least 0.9.
*)
let limeWords (text: string) = ScratchML.Lime.IndexedString.numWords (ScratchML.Lime.Text.index ScratchML.Lime.Text.defaults text)
let testProbabilities = TextClassifier.predictProbabilities classifier listsTest.Texts
let messageIndex =
    Array.init listsTest.Count id
    |> Array.find (fun i ->
        rnnPredicted[i] = listsTest.Labels[i] && testProbabilities[i, rnnPredicted[i]] >= 0.9
        && (let n = limeWords listsTest.Texts[i] in n >= 15 && n <= 60))
let messageText = listsTest.Texts[messageIndex]
let predictedList = rnnPredicted[messageIndex]
let whyList =
    ScratchML.Lime.Text.explain { ScratchML.Lime.Text.defaults with ClassNames = classifier.ClassNames } messageText
        (TextClassifier.predictProbabilities classifier)
        { ScratchML.Lime.Text.explainDefaults with
            Labels = ScratchML.Lime.LabelChoice.Labels [ predictedList ]; NumFeatures = 8; NumSamples = 1000 }
let messageProbability = testProbabilities[messageIndex, predictedList]
printfn "test message %d (%s), predicted %s with p = %.3f:" messageIndex listsTest.ClassNames[listsTest.Labels[messageIndex]]
    classifier.ClassNames[predictedList] messageProbability
printfn "  %s" (messageText.Replace('\n', ' ') |> fun t -> if t.Length > 300 then t.Substring(0, 300) + " …" else t)
for word, weight in whyList.AsList predictedList do printfn "%-16s %+.4f" word weight
let textReport = Path.Combine(__SOURCE_DIRECTORY__, "output", "rnn-lime-text.html")
Directory.CreateDirectory(Path.GetDirectoryName textReport) |> ignore
File.WriteAllText(textReport, ScratchML.Lime.Report.html whyList)
printfn "wrote %s (%d bytes)" (Path.GetFileName textReport) (FileInfo(textReport).Length)
(*** include-output ***)
(**
A positive weight means that keeping the word raises the probability of the predicted list.
The report ([rnn-lime-text.html](rnn-lime-text.html), the same page `scratchml explain text`
writes) draws the weights and highlights each explained word in the message:

<iframe src="rnn-lime-text.html" width="100%" height="520" style="border: 1px solid #ccc"></iframe>
*)
