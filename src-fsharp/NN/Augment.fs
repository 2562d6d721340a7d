/// Data augmentation for images: random horizontal flips and small random shifts, drawn from a
/// SplitMix64 stream, so each epoch sees slightly different pictures of the same cats and dogs.
/// Layer: NN data, after CatsDogs.fs. Read next: AugmentedTraining.fs (the loop that uses it).
///
/// Images are float32 [n; C; H; W] (PyTorch's NCHW). A shift by (dy, dx) is torchvision's
/// RandomCrop(padding = m) with zero fill: pad m zeros on every side, cut an H×W window at
/// (m + dy, m + dx). On normalised inputs zero is the mean colour.
namespace ScratchML.NN

open ScratchML

/// What `Augment.batch` draws per image.
type AugmentPolicy =
    { /// Mirror left↔right with probability 1/2.
      Flip: bool
      /// Shift by dy, dx drawn uniformly from −MaxShift..MaxShift (0: no shifts).
      MaxShift: int }

/// One image's draw: mirror or not, then move by (dy, dx).
type Augmentation = { Flipped: bool; Dy: int; Dx: int }

[<RequireQualifiedAccess>]
module Augment =
    /// flips and shifts of up to 4 pixels (a common choice for 32×32 CIFAR images).
    let cifar = { Flip = true; MaxShift = 4 }

    /// The draw for one image: flip = Below(2) = 1 (when enabled), then dy, then dx, each
    /// Below(2m + 1) − m — always in this order, so a seed fixes every image's augmentation.
    let draw (rng: SplitMix64) (policy: AugmentPolicy) : Augmentation =
        let flipped = policy.Flip && rng.Below 2 = 1
        let m = policy.MaxShift
        let dy = if m > 0 then rng.Below(2 * m + 1) - m else 0
        let dx = if m > 0 then rng.Below(2 * m + 1) - m else 0
        { Flipped = flipped; Dy = dy; Dx = dx }

    /// Write augmented image `source[sourceAt ..]` (C·H·W values) into `target[targetAt ..]`:
    /// y[c, r, k] = x̃[c, r + dy, k + dx] inside the image, 0 outside, where
    /// x̃[c, r, k] = x[c, r, W − 1 − k] when flipped, else x[c, r, k].
    let image (channels: int) (height: int) (width: int) (a: Augmentation)
              (source: float32[]) (sourceAt: int) (target: float32[]) (targetAt: int) =
        for c in 0 .. channels - 1 do
            for r in 0 .. height - 1 do
                let sr = r + a.Dy
                let rowOut = targetAt + (c * height + r) * width
                if sr < 0 || sr >= height then
                    System.Array.Clear(target, rowOut, width)
                else
                    let rowIn = sourceAt + (c * height + sr) * width
                    for k in 0 .. width - 1 do
                        let sk = k + a.Dx
                        target[rowOut + k] <-
                            if sk < 0 || sk >= width then 0.0f
                            elif a.Flipped then source[rowIn + width - 1 - sk]
                            else source[rowIn + sk]

    /// A fresh augmented copy of float32 images x [n; C; H; W]: image i gets draw i of `rng`
    /// (images in order), so the same stream state gives the same batch, bit for bit.
    let batch (rng: SplitMix64) (policy: AugmentPolicy) (x: Tensor) : Tensor =
        if x.Shape.Length <> 4 then
            invalidArg "x" $"images must be [n; C; H; W], got {Shape.show x.Shape}"
        let n, c, h, w = x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
        let source =
            match (Tensor.contiguous x).Storage with
            | Storage.F32 a -> a
            | _ -> invalidArg "x" $"images must be float32, got {x.DType}"
        let size = c * h * w
        let target = Array.zeroCreate<float32> (n * size)
        for i in 0 .. n - 1 do
            image c h w (draw rng policy) source (i * size) target (i * size)
        Tensor(Storage.F32 target, Array.copy x.Shape, Shape.rowMajorStrides x.Shape, 0)
