(**
---
title: Explaining predictions with LIME
category: Chapters
index: 8
---

# Explaining predictions with LIME

A classifier says "malignant, p = 0.97". *Why?* LIME (Ribeiro, Singh & Guestrin, 2016) answers
for **one prediction at a time**: near the instance, any smooth model looks linear, so fit a
small linear model there and read its weights.

The recipe, which `Explain.run` in `src-fsharp/Lime/Explain.fs` follows line by line:

1. **Perturb.** Draw $n$ samples $z_1, \dots, z_n$ around the instance $x$ in an
   *interpretable* space: binned or scaled columns for tables, words present or removed for
   text, superpixels shown or hidden for images. Row 0 is the instance itself.
2. **Predict.** Ask the black box $f$ about every sample: $y_i = f(z_i)_\ell$ for the label
   $\ell$ being explained.
3. **Weight by the kernel.** Samples close to $x$ matter more:
   $\pi_i = \sqrt{\exp(-d(x, z_i)^2 / \sigma^2)}$ with $d$ the euclidean distance of scaled rows
   (tables, $\sigma = 0.75\sqrt{\#\text{columns}}$) or the cosine distance of the on/off masks
   (text: $\times 100$, $\sigma = 25$).
4. **Fit a local linear model.** Weighted ridge regression on (a selection of $K$ of) the
   interpretable features:
   $$g = \arg\min_{b, w} \sum_i \pi_i \,(y_i - b - w^\top z_i)^2 + \alpha \lVert w \rVert^2,
     \qquad \alpha = 1.$$
   The weights $w_j$ are the explanation; the weighted $R^2$ of $g$ says how faithful the
   linear picture is near $x$.

Every random draw comes from one `SplitMix64` stream, so the same seed gives a bit-identical
explanation.
*)
// The CLI's build folder holds the library and every package it needs (./build.sh builds it).
#I "../src-csharp/ScratchML.Cli/bin/Release/net10.0"
#r "System.Numerics.Tensors.dll"
#r "MathNet.Numerics.dll"
#r "ScratchML.Core.dll"
#r "ScratchML.Lime.dll"
#r "ScratchML.Bench.dll"
#r "ScratchML.NN.dll"     // the MNIST network of section 6
#r "SkiaSharp.dll"        // PNG encoding of the digit figure (ImageFile.toPng)
#r "ScottPlot.dll"        // the bar chart of the tabular weights
open System
open System.IO
open System.Text.Json
open ScratchML
open ScratchML.Lime
(**
## 1. A model to explain: logistic regression on the breast-cancer data

The Breast Cancer Wisconsin data has 569 tumours described by 30 measurements, labelled
malignant (0) or benign (1). The model is the benchmark's fixed logistic regression
(`w4_model.json`, fitted by scikit-learn on rows 0..399):
$$p_1(x) = \sigma\Big(\sum_j \frac{x_j - \mu_j}{s_j}\, c_j + c_0\Big), \qquad
  f(x) = [\,1 - p_1,\; p_1\,].$$
We explain its predictions for rows it was not trained on (400..568).
*)
let data, classNames = ScratchML.Bench.W4.load ()
let featureNames = ScratchML.Bench.W4.featureNames
let model = JsonDocument.Parse(File.ReadAllText(ScratchML.Bench.BenchData.file "w4_model.json")).RootElement
let vector (name: string) = [| for v in model.GetProperty(name).EnumerateArray() -> v.GetDouble() |]
let mu, s, c = vector "mean", vector "std", vector "coef"
let c0 =
    let e = model.GetProperty "intercept"
    if e.ValueKind = JsonValueKind.Array then e[0].GetDouble() else e.GetDouble()
let d = featureNames.Length

/// f(rows) = [1 − p₁, p₁] per row: the black box LIME may only call.
let classify (rows: float[,]) =
    Array2D.init (Array2D.length1 rows) 2 (fun i k ->
        let mutable z = c0
        for j in 0 .. d - 1 do z <- z + (rows[i, j] - mu[j]) / s[j] * c[j]
        let p1 = 1.0 / (1.0 + exp -z)
        if k = 1 then p1 else 1.0 - p1)

let training = Array2D.init 400 d (fun i j -> data[i, j])
let row = 410
let instance = Array.init d (fun j -> data[row, j])
let p1AtRow = (classify (array2D [ instance ])).[0, 1]
printfn "row %d: p(%s) = %.4f" row classNames[1] p1AtRow
(*** include-output ***)
(**
## 2. Explaining one row

`Tabular.create` learns what it needs from the training rows (mean, standard deviation and
quartiles of each column); `Tabular.explain` runs the four steps. With LIME's default quartile
discretizer the features read like rules, `worst area > 1084.00`: the weight says how much
being in that bin (rather than another drawn from the training distribution) moves $p_\ell$.
*)
let explainer = Tabular.create { Tabular.defaults with FeatureNames = featureNames; ClassNames = classNames } training
let options = { Tabular.explainDefaults with NumFeatures = 6; NumSamples = 5000; Seed = 42UL }
let explanation = Tabular.explain explainer instance classify options
let local = explanation.For 1
for name, weight in explanation.AsList 1 do
    printfn "%-36s %+.4f  %s" name weight (String((if weight > 0.0 then '+' else '-'), int (abs weight * 200.0)))
printfn "intercept %.4f, local prediction %.4f (model %.4f), weighted R² %.3f"
    local.Intercept local.LocalPrediction explanation.Prediction[1] local.Score
(*** include-output ***)
(**
The same weights as a figure (ScottPlot; orange pushes towards "benign", blue towards
"malignant"):
*)
let weightsFigure = Path.Combine(__SOURCE_DIRECTORY__, "output", "img", "lime-tabular.png")
Directory.CreateDirectory(Path.GetDirectoryName weightsFigure) |> ignore
let weightsPlot () =
    let pairs = explanation.AsList 1 |> Array.rev   // largest |weight| drawn on top
    use plot = new ScottPlot.Plot()
    let bars = plot.Add.Bars(pairs |> Array.map snd)
    bars.Horizontal <- true
    for bar in bars.Bars do
        bar.FillColor <- if bar.Value > 0.0 then ScottPlot.Colors.Orange else ScottPlot.Colors.SteelBlue
    plot.Axes.Left.TickGenerator <-
        ScottPlot.TickGenerators.NumericManual(Array.init pairs.Length float, pairs |> Array.map fst)
    plot.Title($"LIME weights for row {row}, class {classNames[1]}")
    plot.XLabel("weight (change in p)")
    plot.SavePng(weightsFigure, 800, 400) |> ignore
weightsPlot ()
printfn "wrote img/%s (%d bytes)" (Path.GetFileName weightsFigure) (FileInfo(weightsFigure).Length)
(*** include-output ***)
(**
![LIME's six weights for the tumour of row 410](img/lime-tabular.png)

The bars are the local model's weights. A low weighted $R^2$ and a local prediction far from
the model's own are LIME's way of saying that six binned features give only a rough linear
picture of this model around this row — read the weights as tendencies, not as a decomposition.
`explanation.ToHtml()` draws the weights as an HTML page
(inline SVG, no network). The same seed gives the same numbers, bit for bit:
*)
let again = Tabular.explain explainer instance classify options
printfn "same seed, identical weights: %b" ((again.For 1).Weights = local.Weights)
File.WriteAllText(Path.Combine(Path.GetTempPath(), "lime-breast-cancer.html"), explanation.ToHtml())
(*** include-output ***)
(**
## 3. How stable is an explanation?

LIME is random: another seed draws other samples and may select other features. The stability
report explains the same row with $k$ seeds and summarises, per feature, the mean and standard
deviation of its weight and how often it was selected; across runs, the mean Jaccard index
$|A \cap B| / |A \cup B|$ of the selected sets and the mean Spearman correlation of the weights.
*)
let stability =
    Stability.report (fun seed -> Tabular.explain explainer instance classify { options with Seed = seed })
        [ 1UL .. 5UL ] 1
for f in stability.Features |> Array.sortByDescending (fun f -> abs f.Mean) |> Array.truncate 8 do
    printfn "%-36s mean %+.4f  std %.4f  selected %3.0f%%" f.Name f.Mean f.Std (100.0 * f.Frequency)
printfn "mean Jaccard %.3f, mean Spearman %.3f over %d seeds"
    stability.MeanJaccard stability.MeanSpearman stability.Seeds.Length
(*** include-output ***)
(**
## 4. Fidelity: LIME's weights against the exact gradient

For a model written with the symbolic core we know the truth near $x$: its gradient. Write
the same logistic regression as an expression, differentiate it with `Grad.grad` and evaluate
at the instance with `Eval.run`:
$$\frac{\partial p_1}{\partial x_j} = p_1 (1 - p_1)\, \frac{c_j}{s_j}.$$
For the comparison LIME must see the same coordinates: keep the columns continuous (no
discretizer), sample around the instance, and remember that LIME works on scaled columns
$(x_j - \bar x_j)/\sigma_j$, so its weight estimates $\sigma_j\, \partial p_1/\partial x_j$. A
narrow kernel makes the neighbourhood local, where the linear picture should be exact.
*)
let xVar = Expr.var "x" [| d |]
let scaled = (xVar - Expr.constant (Tensor.ofArray [| d |] mu)) / Expr.constant (Tensor.ofArray [| d |] s)
let p1 = Expr.sigmoid (Expr.sumAll (scaled * Expr.constant (Tensor.ofArray [| d |] c)) + c0)
let gradient = Grad.grad p1 [ xVar ] |> List.head |> Simplify.run
let env = Map.ofList [ ("x", Tensor.ofArray [| d |] instance) ]
let exact = Eval.run env gradient |> Tensor.toArray
printfn "the expression agrees with the black box: p1 = %.12f vs %.12f"
    (Eval.run env p1 |> Tensor.item) p1AtRow

let continuous =
    Tabular.create { Tabular.defaults with FeatureNames = featureNames; ClassNames = classNames
                                           Discretization = Discretization.Continuous
                                           SampleAroundInstance = true; KernelWidth = Some 1.0
                                           FeatureSelection = FeatureSelection.NoSelection } training
let fidelity = Tabular.explain continuous instance classify { options with NumFeatures = d }
let limeWeights = (fidelity.For 1).Weights |> Map.ofArray
let expected = Array.init d (fun j -> exact[j] * continuous.ScalerScale[j])
let lime = Array.init d (fun j -> limeWeights[j])
printfn "%-24s %12s %12s" "feature" "LIME" "σ·∂p/∂x"
for j in Array.init d id |> Array.sortByDescending (fun j -> abs (expected[j])) |> Array.truncate 8 do
    printfn "%-24s %+12.6f %+12.6f" featureNames[j] lime[j] expected[j]
let cosine =
    (Array.map2 ( * ) lime expected |> Array.sum)
    / sqrt (Array.sumBy (fun v -> v * v) lime * Array.sumBy (fun v -> v * v) expected)
let signs = Array.map2 (fun a b -> sign a = sign b) lime expected |> Array.filter id |> Array.length
printfn "cosine(LIME, gradient) = %.4f; same sign on %d of %d features" cosine signs d
(*** include-output ***)
(**
The magnitudes differ: with 30 columns the samples lie far from the instance on the kernel's
scale, so the kernel weights $\pi_i$ sum to little and the ridge penalty ($\alpha = 1$) shrinks
every weight several-fold; the sampled neighbourhood also has a finite width, over which the
sigmoid is not linear. What LIME gets right is the *direction*: the cosine similarity and the
sign agreement above compare it with the exact local sensitivity. For models that are not built on the symbolic core there is no gradient to compare
with — which is exactly when LIME is needed.

## 5. Text: which words made the prediction?

For text the interpretable features are the words. A sample removes a random subset of them;
the classifier sees the shortened texts. Here the black box is a tiny hand-written "spam"
score, so we know which words should come out.
*)
let spamScore (texts: string[]) =
    Array2D.init texts.Length 2 (fun i k ->
        let words = texts[i].ToLowerInvariant().Split([| ' '; ','; '!'; '.' |], StringSplitOptions.RemoveEmptyEntries)
        let count w = words |> Array.filter ((=) w) |> Array.length |> float
        let z = 2.0 * count "free" + 1.5 * count "prize" - 2.0 * count "meeting" - 0.5
        let p = 1.0 / (1.0 + exp -z)
        if k = 1 then p else 1.0 - p)
let message = "Claim your free prize before the meeting, free entry!"
let textExplanation =
    Text.explain { Text.defaults with ClassNames = [| "ham"; "spam" |] } message spamScore
        { Text.explainDefaults with NumFeatures = 4; NumSamples = 2000; Seed = 7UL }
for word, weight in textExplanation.AsList 1 do printfn "%-10s %+.4f" word weight
printfn "weighted R² %.3f" (textExplanation.For 1).Score
(*** include-output ***)
(**
"free" and "prize" push towards spam, "meeting" away, as the score was written. The HTML
report (`textExplanation.ToHtml()`) highlights every occurrence of each explained word in its
colour.

## 6. Images: which strokes made an MNIST digit?

For images the interpretable features are *superpixels*: patches of neighbouring pixels of
similar colour. A sample keeps a random subset of them and paints the rest with a hide colour;
the classifier sees the patched images. The black box here is a small network trained as in
chapter 2 — a 784-64-10 MLP, 2,000 training digits, 2 epochs of Adam — just enough to read
digits, and fast enough for this page.
*)
open ScratchML.NN
open ScratchML.Lime.Image

let mnistFolder = Mnist.defaultFolder ()
let mnistTrain, mnistTest = Mnist.train mnistFolder, Mnist.test mnistFolder
let firstDigits (split: MnistSplit) (n: int) =
    Tensor.ofArray32 [| n; 784 |] (Array.sub (Tensor.toArray32 split.Images) 0 (n * 784)), Array.sub split.Labels 0 n
let digitTrainX, digitTrainY = firstDigits mnistTrain 2000
let digitModel =
    Model.create (Sequential.mlp 784 [ 64 ] 10 Activation.Relu) [| 784 |] DType.Float32 InitScheme.PyTorch 1
let digitFit =
    { Train.defaults (Loss.CrossEntropy Reduction.Mean) (Optimizer.Adam { AdamOptions.Defaults with LearningRate = 0.005 })
        with Epochs = 2; BatchSize = 64; Shuffle = Some 0 }
let digitHistory = Train.fit digitFit digitModel (Train.classification DType.Float32 10 digitTrainX digitTrainY)
printfn "trained 784-64-10 on 2000 digits: last epoch loss %.4f, accuracy %.1f%%"
    (List.last digitHistory).Loss (100.0 * (List.last digitHistory).Accuracy)
(*** include-output ***)
(**
The explainer works on RGB images, so the grey digit becomes $R = G = B$, and the classifier
turns each perturbed RGB image back into a grey row of 784 pixels. The digit is split by SLIC
(k-means in Lab colour and position) into about 40 superpixels; on a grey digit the lightness
spans 0–100, so a small compactness (0.5) lets the strokes, not the grid, shape the segments.
Hidden superpixels are painted black — the digits' background — so hiding a patch of stroke
erases it. 1,000 samples, seed 0: the settings of `scratchml explain` and of the C# facade's
`DigitExplanations.Explain`.
*)
let digitIndex = 0
let grey = Array.sub (Tensor.toArray32 mnistTest.Images) (digitIndex * 784) 784 |> Array.map float
let digitImage = RgbImage.ofGray 28 28 grey
/// The black box: a batch of RGB digits → (batch × 10) class probabilities.
let classifyDigits (batch: RgbImage[]) =
    let rows = Array.zeroCreate<float32> (batch.Length * 784)
    batch |> Array.iteri (fun i img -> for p in 0 .. 783 do rows[i * 784 + p] <- float32 img.Pixels[p * 3])
    let probs = Model.predictProba digitModel (Tensor.ofArray32 [| batch.Length; 784 |] rows) |> Tensor.toArray
    Array2D.init batch.Length 10 (fun i k -> probs[i * 10 + k])
let digitProbs = classifyDigits [| digitImage |]
let predicted = Array.init 10 (fun k -> digitProbs[0, k]) |> Array.indexed |> Array.maxBy snd |> fst
let digitExplanation =
    ImageExplainer.explain
        { ImageExplainerOptions.Defaults with Seed = 0 }
        { ImageExplainOptions.Defaults with
            Labels = LabelChoice.Labels [ predicted ]; HideColor = HideColor.Rgb(0.0, 0.0, 0.0)
            NumSamples = 1000; BatchSize = 250; RandomSeed = Some 0
            Segmentation = Some(Segmentation.Slic { NSegments = 40; Compactness = 0.5; MaxIter = 10
                                                    Sigma = 0.0; ConvertToLab = true }) }
        classifyDigits digitImage
let digitLocal = digitExplanation.Explanation.For predicted
let segmentSizes = Segments.sizes digitExplanation.Segments
printfn "test digit %d: label %d, predicted %d with p = %.3f; %d superpixels"
    digitIndex mnistTest.Labels[digitIndex] predicted digitProbs[0, predicted] digitExplanation.Segments.Count
for segment, weight in Array.truncate 8 digitLocal.Weights do
    printfn "superpixel %2d (%3d pixels) %+.4f  %s" segment segmentSizes[segment] weight
        (String((if weight > 0.0 then '+' else '-'), int (abs weight * 100.0)))
printfn "intercept %.4f, local prediction %.4f (model %.4f), weighted R² %.3f"
    digitLocal.Intercept digitLocal.LocalPrediction digitProbs[0, predicted] digitLocal.Score
(*** include-output ***)
(**
A weight is the change in $p(\text{predicted digit})$ when that superpixel is kept rather than
blacked out. The figure shows the digit with its superpixel outlines (left), and the five
superpixels with the largest positive weights tinted green and the five most negative tinted red
(right) — LIME's `get_image_and_mask` with `positive_only=False`, drawn by hand here so both
signs get a colour. `ImageFile.toPng` encodes it with SkiaSharp; the 28×28 digit is enlarged 10×.
*)
let figureOf (explanation: ImageExplanation) (label: int) (top: int) =
    let weights = (explanation.Explanation.For label).Weights
    let pick keep = weights |> Array.filter (snd >> keep) |> Array.truncate top |> Array.map fst |> set
    let pros, cons = pick (fun w -> w > 0.0), pick (fun w -> w < 0.0)
    let labels = explanation.Segments.Labels
    let scale, gap = 10, 2
    let side = 28 * scale
    let width = 2 * side + gap * scale
    let pixels = Array.create (side * width * 3) 1.0
    // Figure pixel (r, c) lies on an outline when the neighbouring digit pixel across the nearest
    // cell edge belongs to another superpixel: thin lines between superpixels.
    let outline r c =
        let p = (r / scale) * 28 + c / scale
        let differs dr dc =
            let rr, cc = r / scale + dr, c / scale + dc
            rr >= 0 && rr < 28 && cc >= 0 && cc < 28 && labels[rr * 28 + cc] <> labels[p]
        (r % scale = 0 && differs -1 0) || (r % scale = scale - 1 && differs 1 0)
        || (c % scale = 0 && differs 0 -1) || (c % scale = scale - 1 && differs 0 1)
    let paint (left: int) (colour: int -> bool -> float[]) =
        for r in 0 .. side - 1 do
            for c in 0 .. side - 1 do
                let rgb = colour ((r / scale) * 28 + c / scale) (outline r c)
                for k in 0 .. 2 do pixels[(r * width + left + c) * 3 + k] <- rgb[k]
    let g p = explanation.Image.Pixels[p * 3]
    let tint (t: float[]) v = Array.map (fun tk -> 0.5 * v + 0.5 * tk) t
    paint 0 (fun p edge -> if edge then [| 1.0; 0.8; 0.0 |] else [| g p; g p; g p |])
    paint (side + gap * scale) (fun p edge ->
        if edge then [| 0.35; 0.35; 0.35 |]
        elif pros.Contains labels[p] then tint [| 0.1; 0.75; 0.2 |] (g p)
        elif cons.Contains labels[p] then tint [| 0.85; 0.1; 0.1 |] (g p)
        else [| 0.7 * g p; 0.7 * g p; 0.7 * g p |])
    RgbImage.create side width pixels
let digitFigure = Path.Combine(__SOURCE_DIRECTORY__, "output", "img", "lime-digit.png")
Directory.CreateDirectory(Path.GetDirectoryName digitFigure) |> ignore
File.WriteAllBytes(digitFigure, ImageFile.toPng (figureOf digitExplanation predicted 5))
printfn "wrote img/%s (%d bytes)" (Path.GetFileName digitFigure) (FileInfo(digitFigure).Length)
(*** include-output ***)
(**
![Test digit 0 with its SLIC superpixels (left) and LIME's top superpixels for the predicted class: green for, red against (right)](img/lime-digit.png)

Test digit 0 is a 7, and LIME puts almost all of the evidence on the superpixels along the
stroke — the horizontal bar and the diagonal. The background patches tinted in the figure
(every red one included) have much smaller weights: blacking out black pixels changes nothing,
so they only pick up the noise of the linear fit. As in the tabular case, the local model is a
rough picture (its
prediction for the whole digit overshoots the model's probability, which is capped at 1);
read the ranking of the stroke pieces, not the sum of the weights.

The C# facade wraps all three explainers
(`new TabularExplainer(rows, names, seed: 42).Explain(row, model.PredictProbabilities)`,
`DigitExplanations.Explain(model, Mnist.Test(), 0, seed: 0)`), and
`scratchml explain` writes the full HTML report of a digit.
*)
