(**
---
title: Convolutional networks from scratch
category: Chapters
index: 4
---

# Chapter 4 — Convolutional networks from scratch

The MLP of chapter 2 flattens a digit into 784 numbers and forgets that they were a picture:
shift the digit by one pixel and every input changes. A **convolutional** network keeps the
grid. It slides small filters over the image, uses the same filter weights at every position,
and so finds a stroke or an edge wherever it is. This chapter shows the convolution on a small
example, counts what weight sharing saves, prints the gradient the library derives for a
convolution (it is a convolution again), adds pooling, and trains a small CNN on MNIST.

As in the earlier chapters, every formula below is printed by the library from its graphs.

*)
// The CLI's build folder holds the library and every package it needs (./build.sh builds it).
#I "../src-csharp/ScratchML.Cli/bin/Release/net10.0"
#r "System.Numerics.Tensors.dll"
#r "ScratchML.Core.dll"
#r "ScratchML.NN.dll"
#r "ScratchML.Lime.dll"    // LIME image in section 7
#r "SkiaSharp.dll"
#r "ScottPlot.dll"        // the training curve of section 5
#r "ScratchML.Plots.dll"  // grids of grey images: the worked example, the learnt filters
open System
open System.IO
open ScratchML
open ScratchML.NN
open ScratchML.Plots
let figure name = Path.Combine(__SOURCE_DIRECTORY__, "output", "img", name)
(**
## 1. Convolution is cross-correlation

Images are stored as PyTorch does, **NCHW**: a batch of $N$ images, $C$ channels (1 for grey,
3 for colour), height $H$ and width $W$. A convolution layer with weights
$w$ $[C_\text{out}, C_\text{in}, k_H, k_W]$ and bias $b$ $[C_\text{out}]$ computes

$$y[n, o, i, j] = b[o] + \sum_{c=0}^{C_\text{in}-1} \sum_{p=0}^{k_H-1} \sum_{q=0}^{k_W-1}
  x[n, c,\; i s + p,\; j s + q]\; w[o, c, p, q]$$

with stride $s$ (1 by default): lay the $k_H \times k_W$ kernel on the image at $(i, j)$,
multiply what lies on top of each other, add up, move on. Deep-learning libraries call this
*convolution*; mathematically it is **cross-correlation** — a true convolution would flip the
kernel first ($w[k_H - 1 - p, k_W - 1 - q]$). Since the kernel is learnt, the flip does not
matter, and the library follows PyTorch's `nn.Conv2d`.

A worked example: a $7 \times 7$ image of a bright vertical bar, and a $3 \times 3$ kernel that
responds to left-to-right changes (a Sobel filter). `Expr.conv2d` builds the node,
`Eval.run` evaluates it:
*)
let image =
    Tensor.ofArray [| 1; 1; 7; 7 |]
        [| for i in 0 .. 6 do for j in 0 .. 6 -> if j >= 2 && j <= 3 && i >= 1 && i <= 5 then 1.0 else 0.0 |]
let sobel = Tensor.ofArray [| 1; 1; 3; 3 |] [| -1.0; 0.0; 1.0; -2.0; 0.0; 2.0; -1.0; 0.0; 1.0 |]
let imageVar, kernelVar = Expr.var "x" image.Shape, Expr.var "w" sobel.Shape
let featureMap = Expr.conv2d Conv2dSpec.Default imageVar kernelVar
printfn "y = %s, shape %s" (Print.infix featureMap) (Shape.show featureMap.Shape)
let mapValues = Eval.run (Map [ "x", image; "w", sobel ]) featureMap
let rows (t: Tensor) =
    let a = Tensor.toArray t
    let width = t.Shape[t.Shape.Length - 1]
    [ for r in 0 .. a.Length / width - 1 -> String.Join(" ", [ for v in a[r * width .. (r + 1) * width - 1] -> $"%3g{v}" ]) ]
printfn "\nfeature map:"
for line in rows mapValues do printfn "  %s" line
// one output by hand: the window at (1, 0) times the kernel, summed
let byHand = [ for p in 0 .. 2 do for q in 0 .. 2 -> image.At((1 + p) * 7 + q) * sobel.At(p * 3 + q) ] |> List.sum
printfn "\ny[1, 0] by hand: %g, by the library: %g" byHand (mapValues.At(1 * 5 + 0))
(*** include-output ***)
(**
The output is $5 \times 5$: a $3 \times 3$ kernel fits in $7 - 3 + 1 = 5$ positions per axis.
In general, with padding $p$ (zeros around the image), stride $s$ and dilation $d$ (gaps
between kernel taps), $H_\text{out} = \lfloor (H + 2p - d(k - 1) - 1)/s \rfloor + 1$; shapes
are checked when the node is built:
*)
for label, spec in [ "default", Conv2dSpec.Default
                     "padding 1", { Conv2dSpec.Default with Padding = (1, 1) }
                     "stride 2", { Conv2dSpec.Default with Stride = (2, 2) }
                     "dilation 2", { Conv2dSpec.Default with Dilation = (2, 2) } ] do
    printfn "%-10s → %s" label (Shape.show (Expr.conv2d spec imageVar kernelVar).Shape)
(*** include-output ***)
(**
The picture (black is each panel's smallest value, white its largest): the map is large and
positive where the bar's left edge goes from dark to bright, negative at its right edge, and
zero where the image is flat.
*)
let exampleFigure = figure "cnn-correlation.png"
let panel caption (t: Tensor) = ImageGrid.ofTensor caption true (Tensor.reshape [| t.Shape[2]; t.Shape[3] |] t)
ImageGrid.save exampleFigure 3 36
    [ panel "input x (7×7)" image; panel "kernel w (3×3)" sobel; panel "feature map y (5×5)" mapValues ]
printfn "wrote img/%s (%d bytes)" (Path.GetFileName exampleFigure) (FileInfo(exampleFigure).Length)
(*** include-output ***)
(**
![A 7×7 input with a vertical bar, a Sobel kernel, and the 5×5 feature map](img/cnn-correlation.png)

## 2. Weight sharing: parameter counts

A convolution uses the same $C_\text{out} \cdot C_\text{in} \cdot k_H k_W$ weights at every
position. A dense layer computing an output of the same size from the same image needs one
weight per (input pixel, output value) pair. Counted from the layers' parameter shapes, for
32 filters of $3 \times 3$ on a $28 \times 28$ digit:
*)
let parameterCount (network: Sequential) =
    network.Parameters |> List.sumBy (fun p -> Shape.numel p.Shape)
let convLayer = Sequential.ofSpecs [ LayerSpec.Conv2d (1, 32, (3, 3), Conv2dSpec.Default) ]
let convOutput = Sequential.forward Mode.Eval convLayer (Expr.var "x" [| 1; 1; 28; 28 |])
let outputs = Shape.numel convOutput.Shape
let denseLayer = Sequential.ofSpecs [ LayerSpec.Flatten; LayerSpec.Dense (28 * 28, outputs) ]
for p in convLayer.Parameters do printfn "conv  %-13s %s" p.Name (Shape.show p.Shape)
for p in denseLayer.Parameters do printfn "dense %-13s %s" p.Name (Shape.show p.Shape)
printfn "output %s = %d values" (Shape.show convOutput.Shape) outputs
printfn "convolution: %d parameters; dense layer with as many outputs: %d (%.0f× more)"
    (parameterCount convLayer) (parameterCount denseLayer)
    (float (parameterCount denseLayer) / float (parameterCount convLayer))
(*** include-output ***)
(**
The convolution's 320 parameters do not depend on the image size either. Sharing is also a
prior that suits images: a feature detector useful in one place is useful everywhere
— *translation equivariance*: shift the input, and the feature map shifts with it.

## 3. The gradient of a convolution is a convolution

Training needs $\partial L / \partial x$ (to pass the gradient to earlier layers) and
$\partial L / \partial w$ (to update the kernel). Let an upstream gradient $g = \partial L /
\partial y$ arrive at the output; the library derives the rest from the convolution's card:
*)
let x = Expr.var "x" [| 1; 1; 5; 5 |]
let w = Expr.var "w" [| 1; 1; 3; 3 |]
let y = Expr.conv2d Conv2dSpec.Default x w
let g = Expr.var "g" y.Shape
let surrogate = Expr.sumAll (g * y)          // ∂/∂y of Σ g⊙y is g: any upstream gradient
let dx, dw =
    match Grad.grad surrogate [ x; w ] with
    | [ dx; dw ] -> dx, dw
    | _ -> failwith "two gradients"
printfn "raw:        dL/dx = %s" (Print.infix dx)
printfn "simplified: dL/dx = %s" (Print.infix (Simplify.run dx))
printfn "            dL/dw = %s" (Print.infix (Simplify.run dw))
(*** include-output ***)
(**
Two new ops appear, each a convolution in disguise. Differentiate the sum above by hand:
$y[i, j] = \sum_{p,q} x[i + p, j + q]\, w[p, q]$, so

* **the weight gradient** collects, for each tap $(p, q)$, every input pixel that tap touched,
  weighted by the gradient of the output it helped make:
  $$\frac{\partial L}{\partial w[p, q]} = \sum_{i,j} g[i, j]\; x[i + p, j + q],$$
  which is the cross-correlation of the **input with the upstream gradient** — `conv2d(x, g)`
  with $g$ playing the kernel;
* **the input gradient** sends each output's gradient back to the pixels under the kernel:
  $$\frac{\partial L}{\partial x[u, v]} = \sum_{p,q} g[u - p, v - q]\; w[p, q],$$
  a *full* correlation of $g$ padded by $k - 1$ with the **flipped** kernel — the *transposed
  convolution* (it maps the $3 \times 3$ output shape back to the $5 \times 5$ input shape).

`conv2d_input_grad` and `conv2d_weight_grad` compute exactly these, for any stride, padding,
dilation and groups (with a batch and several channels the weight gradient also sums over the
batch). Both claims can be checked numerically with plain `conv2d`
nodes:
*)
let rng = SplitMix64 5UL
let env = Map [ "x", Tensor.randn DType.Float64 rng x.Shape
                "w", Tensor.randn DType.Float64 rng w.Shape
                "g", Tensor.randn DType.Float64 rng g.Shape ]
let flipped = Tensor.ofArray w.Shape (Array.rev (Tensor.toArray env["w"]))   // w[2 − p, 2 − q]
let transposed =   // full correlation: g padded by k − 1 = 2 with the flipped kernel
    Eval.run (Map.add "flipped" flipped env)
        (Expr.conv2d { Conv2dSpec.Default with Padding = (2, 2) } g (Expr.var "flipped" w.Shape))
let correlation = Eval.run env (Expr.conv2d Conv2dSpec.Default x g)   // g as the kernel
let maxDifference (a: Tensor) (b: Tensor) =
    let d = Array.map2 (fun u v -> abs (u - v)) (Tensor.toArray a) (Tensor.toArray b) |> Array.max
    d.ToString("0.0e+0", Globalization.CultureInfo.InvariantCulture)
let viaInputGrad, viaWeightGrad = Eval.run env (Simplify.run dx), Eval.run env (Simplify.run dw)
printfn "dL/dx: conv2d_input_grad vs conv2d(pad(g, 2), flip(w)): max difference %s" (maxDifference viaInputGrad transposed)
printfn "dL/dw: conv2d_weight_grad vs conv2d(x, g):               max difference %s" (maxDifference viaWeightGrad correlation)
(*** include-output ***)
(**
The bias of a convolution layer is added to every position of its channel, so its gradient
sums $g$ over the batch and both spatial axes — the same broadcasting rule as a dense layer's
bias in chapter 2:
*)
let bias = Expr.var "b" [| 1 |]
let yb = Expr.conv2dBias Conv2dSpec.Default x w bias
let db = Grad.grad (Expr.sumAll (g * yb)) [ bias ] |> List.head |> Simplify.run
printfn "y = %s\ndL/db = %s" (Print.infix yb) (Print.infix db)
(*** include-output ***)
(**
## 4. Pooling

A pooling layer shrinks each feature map by summarising windows: **max pooling** keeps the
largest value of each $2 \times 2$ window (halving height and width), which makes the
network tolerant to small shifts and cuts the work of later layers. It has no parameters.
Its gradient is a *router*: the whole gradient of a window goes to the position of its
maximum, nothing to the others:
*)
let small = Tensor.ofArray [| 1; 1; 4; 4 |] [| 1.; 3.; 2.; 0.;  4.; 2.; 1.; 1.;  0.; 1.; 5.; 6.;  2.; 2.; 7.; 1. |]
let xs = Expr.var "x" small.Shape
let pooled = Expr.maxPool2d (Pool2dSpec.Square 2) xs
let gPool = Expr.var "g" pooled.Shape
let dPool = Grad.grad (Expr.sumAll (gPool * pooled)) [ xs ] |> List.head |> Simplify.run
printfn "dL/dx = %s\n" (Print.infix dPool)
let poolEnv = Map [ "x", small; "g", Tensor.ofArray pooled.Shape [| 10.; 20.; 30.; 40. |] ]
printfn "x:";           for line in rows small do printfn "  %s" line
printfn "max pool:";    for line in rows (Eval.run poolEnv pooled) do printfn "  %s" line
printfn "g = ∂L/∂y:";   for line in rows poolEnv["g"] do printfn "  %s" line
printfn "∂L/∂x:";       for line in rows (Eval.run poolEnv dPool) do printfn "  %s" line
(*** include-output ***)
(**
`max_pool2d_indices` records where each window's maximum is (as a flat index $h \cdot W + w$)
and `scatter_add` adds $g$ at those places. (A tie goes to the first maximum, as in PyTorch.)

## 5. A small CNN on MNIST

Put together, the classic pattern is *convolution → ReLU → pooling*, twice, then a dense layer
on the flattened maps (a small LeNet). The shapes, followed through the layers for one digit:
*)
let cnn =
    Sequential.ofSpecs
        [ LayerSpec.Conv2d (1, 8, (5, 5), Conv2dSpec.Default); LayerSpec.Activation Activation.Relu
          LayerSpec.MaxPool2d (Pool2dSpec.Square 2)
          LayerSpec.Conv2d (8, 16, (5, 5), Conv2dSpec.Default); LayerSpec.Activation Activation.Relu
          LayerSpec.MaxPool2d (Pool2dSpec.Square 2)
          LayerSpec.Flatten
          LayerSpec.Dense (16 * 4 * 4, 10) ]
let mutable shape = Expr.var "x" [| 1; 1; 28; 28 |]
printfn "%-9s %-14s %s" "input" (Shape.show shape.Shape) ""
for layer in cnn.Layers do
    shape <- layer.Forward Mode.Eval shape
    let parameters = layer.Parameters |> List.map (fun p -> $"{p.Name} {Shape.show p.Shape}")
    printfn "%-9s %-14s %s" layer.Name (Shape.show shape.Shape) (String.Join(", ", parameters))
printfn "%d parameters in all" (parameterCount cnn)
(*** include-output ***)
(**
To keep this page quick we train for **one epoch on 2,500 training digits** (Adam,
$\gamma = 0.003$, batches of 32, float32); the full task uses all 60,000. Pixels are scaled to $[0, 1]$. Every 10 batches the loop's `OnBatch` hook
measures loss and accuracy on 500 test digits the network never trains on; that gives the
training curve.
*)
let subset (split: MnistSplit) (n: int) =
    let pixels = Array.sub (Tensor.toArray32 split.Images) 0 (n * 784)
    Tensor.ofArray32 [| n; 1; 28; 28 |] pixels, Array.sub split.Labels 0 n
let folder = Mnist.defaultFolder ()
let trainX, trainLabels = subset (Mnist.train folder) 2500
let testX, testLabels = subset (Mnist.test folder) 500
let trainSet = Train.classification DType.Float32 10 trainX trainLabels
let testSet = Train.classification DType.Float32 10 testX testLabels
let model = Model.create cnn [| 1; 28; 28 |] DType.Float32 InitScheme.PyTorch 1
let loss = Loss.CrossEntropy Reduction.Mean
let batchSize = 32
let curve = ResizeArray<int * float * float>()   // (digits seen, test loss, test accuracy)
let measure seen =
    let testLoss, testAccuracy = Train.evaluate model loss Regularizer.None 250 testSet
    curve.Add((seen, testLoss, testAccuracy))
let options =
    { Train.defaults loss (Optimizer.Adam { AdamOptions.Defaults with LearningRate = 0.003 }) with
        Epochs = 1; BatchSize = batchSize; Shuffle = Some 0
        OnBatch = fun _ batch batches ->
            if batch % 10 = 0 || batch = batches then measure (min (batch * batchSize) trainSet.Count) }
let clock = Diagnostics.Stopwatch.StartNew()
measure 0
let history = Train.fit options model trainSet
printfn "one epoch in %.1f s (with the test measurements): training loss %.4f, accuracy %.1f%%"
    clock.Elapsed.TotalSeconds history.Head.Loss (100.0 * history.Head.Accuracy)
for seen, testLoss, testAccuracy in curve do
    printfn "after %4d digits: test loss %.4f, accuracy %5.1f%%" seen testLoss (100.0 * testAccuracy)
(*** include-output ***)
(**
The same measurements as a curve:
*)
let curveFigure = figure "cnn-training.png"
let curvePlot () =
    use plot = new ScottPlot.Plot()
    let seen = [| for s, _, _ in curve -> float s |]
    let lossLine = plot.Add.Scatter(seen, [| for _, l, _ in curve -> l |], ScottPlot.Colors.Orange)
    lossLine.LegendText <- "test loss"
    lossLine.LineWidth <- 2.0f
    let accuracyLine = plot.Add.Scatter(seen, [| for _, _, a in curve -> 100.0 * a |], ScottPlot.Colors.Orange)
    accuracyLine.LegendText <- "test accuracy (%)"
    accuracyLine.LinePattern <- ScottPlot.LinePattern.Dashed
    accuracyLine.LineWidth <- 2.0f
    accuracyLine.Axes.YAxis <- plot.Axes.Right
    plot.Title("Small CNN, first epoch on 2,500 MNIST digits")
    plot.XLabel("training digits seen")
    plot.YLabel("loss")
    plot.Axes.Right.Label.Text <- "accuracy (%)"
    plot.ShowLegend(ScottPlot.Edge.Bottom) |> ignore
    plot.SavePng(curveFigure, 800, 450) |> ignore
curvePlot ()
printfn "wrote img/%s (%d bytes)" (Path.GetFileName curveFigure) (FileInfo(curveFigure).Length)
(*** include-output ***)
(**
![Test loss and accuracy of the CNN during its first epoch](img/cnn-training.png)

## 6. What the first layer learnt

The eight $5 \times 5$ kernels of `conv1`, each scaled to its own range (black most negative,
white most positive), and what they make of one test digit — the eight feature maps after the
ReLU, evaluated from the trained weights with the layers' own expressions:
*)
let filtersFigure = figure "cnn-filters.png"
let conv1Weight = model.Named |> List.find (fun (name, _) -> name = "conv1.weight") |> snd
ImageGrid.save filtersFigure 8 20 (ImageGrid.ofFilters conv1Weight)
printfn "wrote img/%s (%d bytes)" (Path.GetFileName filtersFigure) (FileInfo(filtersFigure).Length)
let digit = Expr.var "x" [| 1; 1; 28; 28 |]
let firstMaps = cnn.Layers |> List.take 2 |> List.fold (fun h layer -> layer.Forward Mode.Eval h) digit
let digitPixels = Tensor.ofArray32 digit.Shape (Array.sub (Tensor.toArray32 testX) 0 784)
let maps = Eval.run (Map (("x", digitPixels) :: model.Named)) firstMaps
let mapsFigure = figure "cnn-feature-maps.png"
ImageGrid.save mapsFigure 9 4
    (ImageGrid.ofTensor $"digit ({testLabels[0]})" false (Tensor.reshape [| 28; 28 |] digitPixels)
     :: [ for k in 0 .. 7 -> ImageGrid.ofTensor $"map {k}" false (Tensor.reshape [| 24; 24 |] (Tensor.slice [| Slice.Index 0; Slice.Index k |] maps)) ])
printfn "wrote img/%s (%d bytes)" (Path.GetFileName mapsFigure) (FileInfo(mapsFigure).Length)
(*** include-output ***)
(**
![The eight 5×5 filters of the first layer](img/cnn-filters.png)

![A test digit and its eight feature maps after the first convolution and ReLU](img/cnn-feature-maps.png)

After a single short epoch on 2,500 digits the filters are still noisy, but several already
have a bright band next to a dark one — oriented edge and stroke detectors — and different maps
respond to different strokes of the digit. Every later layer works on these maps, not on
pixels; training on all 60,000 digits for several epochs sharpens the filters.
*)
(**
## 7. LIME on a real photo

MNIST digits are grey and centred. Real photographs are neither, so the last step trains a
small **colour** CNN on the 2,000 CIFAR-10 cats and dogs shipped in `data/catsdogs` (32×32 RGB,
20% of each class held out) and asks LIME why it calls a photo it has never seen a dog or a cat.
The network is `scratchml train catsdogs`'s: three blocks of 3×3 convolution (padding 1), ReLU
and 2×2 max pooling (16, 32, 64 channels), then a dense layer of 64, dropout 0.5 and two logits.
Training draws a random flip and shift of up to 4 pixels per image and epoch (`Augment.cifar`)
and anneals Adam's rate along a cosine. The command trains 40 epochs from a rate of $10^{-3}$;
this page trains 10 from $2 \cdot 10^{-3}$ (printed below) to stay fast, and evaluates the
held-out 20% once at the end.
*)
let catsDogs = CatsDogs.load (CatsDogs.defaultFolder ())
let petTrainRows, petTestRows = CatsDogs.split 0 0.2 catsDogs.Labels
let petMean, petStd = CatsDogs.channelStats catsDogs petTrainRows
let petSet (rows: int[]) =
    Train.classification DType.Float32 2 (CatsDogs.tensor petMean petStd catsDogs rows)
        (rows |> Array.map (fun i -> catsDogs.Labels[i]))
let petTrain, petTest = petSet petTrainRows, petSet petTestRows
let block (inputs: int) (outputs: int) =
    [ LayerSpec.Conv2d (inputs, outputs, (3, 3), { Conv2dSpec.Default with Padding = (1, 1) })
      LayerSpec.Activation Activation.Relu
      LayerSpec.MaxPool2d (Pool2dSpec.Square 2) ]
let smallCnn =
    Sequential.ofSpecs
        (block 3 16 @ block 16 32 @ block 32 64
         @ [ LayerSpec.Flatten; LayerSpec.Dense (64 * 4 * 4, 64); LayerSpec.Activation Activation.Relu
             LayerSpec.Dropout 0.5; LayerSpec.Dense (64, 2) ])
let petModel = Model.create smallCnn [| 3; CatsDogs.Side; CatsDogs.Side |] DType.Float32 InitScheme.PyTorch 0
let petOptions =
    { Train.defaults (Loss.CrossEntropy Reduction.Mean) (Optimizer.Adam { AdamOptions.Defaults with LearningRate = 2e-3 }) with
        Epochs = 10; BatchSize = 32; Shuffle = Some 0 }
let petClock = Diagnostics.Stopwatch.StartNew()
let petHistory = AugmentedTraining.fit Augment.cifar Schedule.Cosine 0 petOptions petModel petTrain
printfn "%d training images, %d held out" petTrainRows.Length petTestRows.Length
for e in petHistory do
    printfn "epoch %d: loss %.4f  training accuracy %5.1f%%" e.Epoch e.Loss (100.0 * e.Accuracy)
let _, petHeldOut = Train.evaluate petModel (Loss.CrossEntropy Reduction.Mean) Regularizer.None 256 petTest
printfn "%d epochs in %.1f s; held-out accuracy %.1f%%" petOptions.Epochs petClock.Elapsed.TotalSeconds (100.0 * petHeldOut)
(*** include-output ***)
(**
`scratchml train catsdogs` runs the same recipe for 40 epochs and holds out 75–78% correct
(78.25% with the default seed, 75.0% and 76.0% with seeds 1 and 2; 400 held-out images put
about ±2 points of chance on each figure) — 32×32 cats and dogs are hard, and 1,600 of them
are few.
The short run above is weaker, but enough to show how to ask *why*.

The black box for LIME takes RGB images of any size with values in $[0, 1]$, resizes each to
32×32 with a proper (area-averaging) filter — `Resize.image` — normalises the channels with the
training statistics, and returns the two class probabilities:
*)
open ScratchML.Lime
open ScratchML.Lime.Image

let petProbabilities (images: RgbImage[]) : float[,] =
    let side, plane = CatsDogs.Side, CatsDogs.Side * CatsDogs.Side
    let values = Array.zeroCreate<float32> (images.Length * 3 * plane)
    images |> Array.iteri (fun i image ->
        let small = if image.Height = side && image.Width = side then image else Resize.image side side image
        for p in 0 .. plane - 1 do
            for k in 0 .. 2 do
                values[(i * 3 + k) * plane + p] <- float32 ((small.Pixels[p * 3 + k] - petMean[k]) / petStd[k]))
    let shape = [| images.Length; 3; side; side |]
    let probabilities = Model.predictProba petModel (Tensor(Storage.F32 values, shape, Shape.rowMajorStrides shape, 0))
    Array2D.init images.Length 2 (fun i k -> probabilities.At(i * 2 + k))
(**
The photos in `data/photos` are not CIFAR images: `dog.jpg` comes from darknet, `chelsea.png`
(a cat) from scikit-image (licences in `data/photos/README.md`). LIME explains each one at
160 pixels on its longer side (`Resize.fit`): quickshift cuts it into superpixels with LIME's
defaults, 1,000 samples hide random subsets of them (painted with each superpixel's mean
colour), and a weighted ridge regression on "superpixel kept" gives each one a weight towards
the predicted class — the settings of `scratchml explain image`.
*)
let explainPhoto (file: string) =
    let photo = ImageFile.load (Path.Combine(__SOURCE_DIRECTORY__, "..", "data", "photos", file))
    let shown = Resize.fit 160 photo
    let p = petProbabilities [| photo |]
    let predicted = if p[0, 1] > p[0, 0] then 1 else 0
    let args =
        { ImageExplainOptions.Defaults with
            Labels = LabelChoice.Labels [ predicted ]; NumSamples = 1000
            Segmentation = Some (Segmentation.Quickshift (Quickshift.limeDefaults 0)); RandomSeed = Some 0 }
    let explanation = ImageExplainer.explain ImageExplainerOptions.Defaults args petProbabilities shown
    let local = explanation.Explanation.For predicted
    printfn "%s (%d×%d): p(cat) = %.3f, p(dog) = %.3f → %s; %d superpixels, weighted R² %.3f"
        file photo.Width photo.Height p[0, 0] p[0, 1] CatsDogs.ClassNames[predicted]
        explanation.Segments.Count local.Score
    for segment, weight in Array.truncate 5 local.Weights do
        printfn "  superpixel %3d  %+.4f" segment weight
    explanation, predicted
(**
The figure puts the photo at display size (left) next to LIME's mask (right): the five
superpixels of largest |weight|, green when they push towards the predicted class and red when
they push against it, outlined in yellow (`ImageReport.overlay`, LIME's `get_image_and_mask`
with `positive_only=False` followed by `mark_boundaries`).
*)
let sideBySide (left: RgbImage) (right: RgbImage) =
    let gap = 8
    let height, width = max left.Height right.Height, left.Width + gap + right.Width
    let pixels = Array.create (height * width * 3) 1.0
    let paste (image: RgbImage) (column: int) =
        for r in 0 .. image.Height - 1 do
            Array.blit image.Pixels (r * image.Width * 3) pixels ((r * width + column) * 3) (image.Width * 3)
    paste left 0
    paste right (left.Width + gap)
    RgbImage.create height width pixels
for file, name in [ "dog.jpg", "cnn-lime-dog.png"; "chelsea.png", "cnn-lime-chelsea.png" ] do
    let explanation, predicted = explainPhoto file
    let mask = ImageReport.overlay explanation predicted { MaskOptions.Defaults with PositiveOnly = false; NumFeatures = 5 }
    let path = figure name
    File.WriteAllBytes(path, ImageFile.toPng (sideBySide explanation.Image mask))
    printfn "  wrote img/%s (%d bytes)" name (FileInfo(path).Length)
(*** include-output ***)
(**
![dog.jpg at 160 pixels and LIME's five strongest superpixels for the predicted class](img/cnn-lime-dog.png)

![chelsea.png at 160 pixels and LIME's five strongest superpixels for the predicted class](img/cnn-lime-chelsea.png)

Read the masks with the printed probabilities in mind: LIME explains *the model*, not the
truth. On `dog.jpg` the superpixel with by far the largest weight covers the dog's body: that
patch, not the bicycle or the wall, carries the "dog" vote. On `chelsea.png` the network is
wrong, not far from a coin toss and tipped towards "dog" — a network trained for a few epochs
on 32×32 thumbnails has not learnt to recognise a cat's face filling the whole frame — and LIME
shows where the tip comes from: patches in the middle of the face itself. The HTML report of
`scratchml explain image data/photos/dog.jpg --out report.html` shows the same figures with the
weights of every superpixel, for the model trained by `scratchml train catsdogs`.
*)
