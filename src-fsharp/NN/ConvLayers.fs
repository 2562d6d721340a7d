/// Convolution and pooling layers over images in PyTorch's NCHW layout.
/// Layer: NN, after Dropout.fs. Read next: BatchNorm.fs.
///
/// Each layer only looks up its variables and calls the graph's primitive (Expr.conv2dBias,
/// Expr.maxPool2d, Expr.avgPool2d); the kernels and their derived gradients live in Core.
namespace ScratchML.NN

open ScratchML

/// Conv2d (nn.Conv2d: cross-correlation with bias).
[<RequireQualifiedAccess>]
module Conv2d =
    /// A convolution named `name` with "<name>.weight" [C_out; C_in/groups; kH; kW] and
    /// "<name>.bias" [C_out]; fan_in = C_in/groups·kH·kW for both (PyTorch's convention):
    /// y[n,o] = b[o] + Σ_c W[o,c] ⋆ x[n,c]   x [N; C_in; H; W] → [N; C_out; Ho; Wo].
    let layer (name: string) (inChannels: int) (outChannels: int) (kernel: int * int) (conv: Conv2dSpec) : Layer =
        let kh, kw = kernel
        if inChannels < 1 || outChannels < 1 || kh < 1 || kw < 1 || conv.Groups < 1
           || inChannels % conv.Groups <> 0 || outChannels % conv.Groups <> 0 then
            invalidArg "conv" $"a convolution needs positive sizes and channels divisible by groups, got {inChannels} → {outChannels}, kernel {kh}×{kw}, groups {conv.Groups}"
        let fanIn = inChannels / conv.Groups * kh * kw
        let weight = Expr.var $"{name}.weight" [| outChannels; inChannels / conv.Groups; kh; kw |]
        let bias = Expr.var $"{name}.bias" [| outChannels |]
        let spec = LayerSpec.Conv2d (inChannels, outChannels, kernel, conv)
        { Layer.stateless name spec (fun _ x -> Expr.conv2dBias conv x weight bias) with
            Parameters =
                [ { Var = weight; FanIn = fanIn; Init = ParameterInit.FanIn }
                  { Var = bias; FanIn = fanIn; Init = ParameterInit.FanIn } ] }

/// Pooling layers (nn.MaxPool2d, nn.AvgPool2d): no parameters.
[<RequireQualifiedAccess>]
module Pool2d =
    /// y[n,c,i,j] = max of the window at (i·sH − pH, j·sW − pW).
    let max (name: string) (pool: Pool2dSpec) : Layer =
        Layer.stateless name (LayerSpec.MaxPool2d pool) (fun _ x -> Expr.maxPool2d pool x)

    /// y[n,c,i,j] = Σ window / (kH·kW when countIncludePad, else the cells inside the image).
    let average (name: string) (pool: Pool2dSpec) (countIncludePad: bool) : Layer =
        Layer.stateless name (LayerSpec.AvgPool2d (pool, countIncludePad)) (fun _ x -> Expr.avgPool2d pool countIncludePad x)
