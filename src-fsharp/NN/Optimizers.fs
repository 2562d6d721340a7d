/// Optimizers with explicit state: SGD, Adagrad, RMSprop, Adam, AdamW, exactly as torch.optim 1.13.
/// Layer: NN, after Init.fs. Read next: Idx.fs (the data these parameters learn from).
///
/// Design: `Optimizer` is plain data (which rule, which hyper-parameters); `ParamState` is what a
/// rule remembers about one parameter between steps (PyTorch's `optimizer.state[p]`: a step count
/// and named buffers). `Optimizer.step` updates parameters IN PLACE: training owns its parameter
/// tensors and W1 updates 200k float32 values 125 times an epoch, so allocating new tensors per
/// step would cost more than the update itself. Every rule is written once as an inline generic
/// loop over flat arrays and instantiated for float32 and float64 storage. As in PyTorch's CPU
/// kernels, a float32 parameter is updated in float32 arithmetic with the hyper-parameters (and
/// step-dependent scalars such as Adam's lr/(1−β₁ᵗ), computed in double) rounded to float32.
namespace ScratchML.NN

open System
open System.Numerics.Tensors
open System.Runtime.Intrinsics
open ScratchML

/// SGD hyper-parameters (torch.optim.SGD).
type SgdOptions =
    { LearningRate: float; Momentum: float; Dampening: float; WeightDecay: float
      Nesterov: bool; Maximize: bool }
    /// PyTorch's defaults around a learning rate: no momentum, no dampening, no weight decay.
    static member Defaults(learningRate) =
        { LearningRate = learningRate; Momentum = 0.0; Dampening = 0.0; WeightDecay = 0.0
          Nesterov = false; Maximize = false }

/// Adagrad hyper-parameters (torch.optim.Adagrad).
type AdagradOptions =
    { LearningRate: float; LearningRateDecay: float; WeightDecay: float
      InitialAccumulatorValue: float; Eps: float; Maximize: bool }
    /// PyTorch's defaults: lr 0.01, no decay, accumulator starting at 0, eps 1e-10.
    static member Defaults =
        { LearningRate = 0.01; LearningRateDecay = 0.0; WeightDecay = 0.0
          InitialAccumulatorValue = 0.0; Eps = 1e-10; Maximize = false }

/// RMSprop hyper-parameters (torch.optim.RMSprop).
type RmsPropOptions =
    { LearningRate: float; Alpha: float; Eps: float; WeightDecay: float; Momentum: float
      Centered: bool; Maximize: bool }
    /// PyTorch's defaults: lr 0.01, alpha 0.99, eps 1e-8, plain (not centered), no momentum.
    static member Defaults =
        { LearningRate = 0.01; Alpha = 0.99; Eps = 1e-8; WeightDecay = 0.0; Momentum = 0.0
          Centered = false; Maximize = false }

/// Adam / AdamW hyper-parameters (torch.optim.Adam, torch.optim.AdamW).
type AdamOptions =
    { LearningRate: float; Beta1: float; Beta2: float; Eps: float; WeightDecay: float
      AmsGrad: bool; Maximize: bool }
    /// PyTorch's Adam defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay.
    static member Defaults =
        { LearningRate = 1e-3; Beta1 = 0.9; Beta2 = 0.999; Eps = 1e-8; WeightDecay = 0.0
          AmsGrad = false; Maximize = false }

/// An update rule with its hyper-parameters. Adam adds weight decay to the gradient (L2,
/// coupled); AdamW decays the parameter directly (decoupled), p ← p·(1 − lr·wd), before Adam.
[<RequireQualifiedAccess>]
type Optimizer =
    | Sgd of SgdOptions
    | Adagrad of AdagradOptions
    | RmsProp of RmsPropOptions
    | Adam of AdamOptions
    | AdamW of AdamOptions

/// What a rule remembers about one parameter: steps taken t and buffers named as in PyTorch
/// (momentum_buffer, sum, square_avg, grad_avg, exp_avg, exp_avg_sq, max_exp_avg_sq), each a
/// flat row-major array of the parameter's dtype and size.
type ParamState = { mutable Step: int; Buffers: Map<string, Storage> }

/// The update loops, one per rule, generic over the element type ('T = float32 or float) and
/// inlined into each instantiation. Scalars arrive already converted to 'T; i runs over the flat
/// arrays. Each line mirrors torch 1.13's tensor ops, in their order of operations.
module private Rules =
    /// g ← ±grad + wd·p (maximize flips the sign first, as torch 1.13 does).
    let inline gradient (maximize: bool) (wd: 'T) (grad: 'T) (p: 'T) =
        let g = if maximize then -grad else grad
        if wd <> LanguagePrimitives.GenericZero then g + wd * p else g

    /// SGD: buf = g on the first step, else momentum·buf + (1−dampening)·g;
    /// g = g + momentum·buf (Nesterov) or buf; p ← p − lr·g.
    let inline sgd (p: 'T[]) (grad: 'T[]) (buf: 'T[]) first
                   lr momentum dampening wd nesterov maximize =
        let hasMomentum = momentum <> LanguagePrimitives.GenericZero
        let undamped = LanguagePrimitives.GenericOne - dampening
        for i in 0 .. p.Length - 1 do
            let mutable g = gradient maximize wd grad[i] p[i]
            if hasMomentum then
                buf[i] <- if first then g else momentum * buf[i] + undamped * g
                g <- if nesterov then g + momentum * buf[i] else buf[i]
            p[i] <- p[i] + -lr * g

    /// Adagrad: sum ← sum + g²; p ← p − clr·g/(√sum + eps), clr = lr/(1 + (t−1)·lr_decay).
    let inline adagrad (p: 'T[]) (grad: 'T[]) (sum: 'T[]) clr eps wd maximize =
        for i in 0 .. p.Length - 1 do
            let g = gradient maximize wd grad[i] p[i]
            sum[i] <- sum[i] + g * g
            p[i] <- p[i] + -clr * g / (sqrt sum[i] + eps)

    /// RMSprop: v ← α·v + (1−α)·g²; centered: ga ← α·ga + (1−α)·g, avg = √(v − ga²) + eps,
    /// else avg = √v + eps; momentum: buf ← μ·buf + g/avg, p ← p − lr·buf; else p ← p − lr·g/avg.
    let inline rmsprop (p: 'T[]) (grad: 'T[]) (v: 'T[]) (ga: 'T[]) (buf: 'T[])
                       lr alpha eps wd momentum centered maximize =
        let one = LanguagePrimitives.GenericOne
        let hasMomentum = momentum > LanguagePrimitives.GenericZero
        for i in 0 .. p.Length - 1 do
            let g = gradient maximize wd grad[i] p[i]
            v[i] <- v[i] * alpha + (one - alpha) * g * g
            let avg =
                if centered then
                    ga[i] <- ga[i] * alpha + (one - alpha) * g
                    sqrt (v[i] + -one * ga[i] * ga[i]) + eps
                else sqrt v[i] + eps
            if hasMomentum then
                buf[i] <- buf[i] * momentum + g / avg
                p[i] <- p[i] + -lr * buf[i]
            else p[i] <- p[i] + -lr * g / avg

    /// Adam on one element i: m ← β₁·m + (1−β₁)·g; v ← β₂·v + (1−β₂)·g²; amsgrad:
    /// vmax ← max(vmax, v), use vmax; p ← p − stepSize·m/(√v/√(1−β₂ᵗ) + eps), stepSize = lr/(1−β₁ᵗ).
    /// The readable definition; `adam` below runs it on SIMD lanes and calls this for the tail.
    let inline adamAt (i: int) (p: 'T[]) (grad: 'T[]) (m: 'T[]) (v: 'T[]) (vmax: 'T[])
                      stepSize bc2Sqrt b1 b2 eps wd amsgrad maximize =
        let one = LanguagePrimitives.GenericOne
        let g = gradient maximize wd grad[i] p[i]
        m[i] <- m[i] * b1 + (one - b1) * g
        v[i] <- v[i] * b2 + (one - b2) * g * g
        let vhat =
            if amsgrad then
                if v[i] > vmax[i] then vmax[i] <- v[i]
                vmax[i]
            else v[i]
        p[i] <- p[i] + -stepSize * m[i] / (sqrt vhat / bc2Sqrt + eps)

    /// Adam over whole arrays in one pass: `adamAt`'s operations in its order on Vector256 lanes
    /// (IEEE +, ·, /, √ round lane by lane as they do one by one, and no multiply-add is fused,
    /// so every element gets the bits of the scalar formula), then `adamAt` on the last few.
    let inline adam (p: 'T[]) (grad: 'T[]) (m: 'T[]) (v: 'T[]) (vmax: 'T[])
                    stepSize bc2Sqrt b1 b2 eps wd amsgrad maximize =
        let one = LanguagePrimitives.GenericOne
        let hasDecay = wd <> LanguagePrimitives.GenericZero
        let splat (x: 'T) = Vector256.Create<'T> x
        let beta1, keep1, beta2, keep2 = splat b1, splat (one - b1), splat b2, splat (one - b2)
        let step, bc2, epsilon, decay = splat -stepSize, splat bc2Sqrt, splat eps, splat wd
        let width = Vector256<'T>.Count
        let mutable i = 0
        while i + width <= p.Length do
            let p0 = Vector256.Create<'T>(p, i)
            let mutable g = Vector256.Create<'T>(grad, i)
            if maximize then g <- -g
            if hasDecay then g <- g + decay * p0
            let m1 = Vector256.Create<'T>(m, i) * beta1 + keep1 * g
            let v1 = Vector256.Create<'T>(v, i) * beta2 + keep2 * g * g
            let mutable vhat = v1
            if amsgrad then
                let old = Vector256.Create<'T>(vmax, i)
                vhat <- Vector256.ConditionalSelect(Vector256.GreaterThan(v1, old), v1, old)
                vhat.CopyTo(vmax, i)
            m1.CopyTo(m, i)
            v1.CopyTo(v, i)
            (p0 + step * m1 / (Vector256.Sqrt vhat / bc2 + epsilon)).CopyTo(p, i)
            i <- i + width
        for j in i .. p.Length - 1 do
            adamAt j p grad m v vmax stepSize bc2Sqrt b1 b2 eps wd amsgrad maximize

/// Creating state and stepping.
[<RequireQualifiedAccess>]
module Optimizer =
    /// A storage of n copies of `value` in the given dtype.
    let private filled (dtype: DType) (n: int) (value: float) =
        match dtype with
        | DType.Float32 -> Storage.F32(Array.create n (float32 value))
        | DType.Float64 -> Storage.F64(Array.create n value)

    /// Buffer names each rule keeps (PyTorch's state keys) and their initial value.
    let private bufferNames (optimizer: Optimizer) =
        match optimizer with
        | Optimizer.Sgd o -> [ if o.Momentum <> 0.0 then "momentum_buffer", 0.0 ]
        | Optimizer.Adagrad o -> [ "sum", o.InitialAccumulatorValue ]
        | Optimizer.RmsProp o ->
            [ "square_avg", 0.0
              if o.Momentum > 0.0 then "momentum_buffer", 0.0
              if o.Centered then "grad_avg", 0.0 ]
        | Optimizer.Adam o | Optimizer.AdamW o ->
            [ "exp_avg", 0.0; "exp_avg_sq", 0.0; if o.AmsGrad then "max_exp_avg_sq", 0.0 ]

    /// Fresh state for each parameter: t = 0 and buffers of the parameter's size and dtype
    /// (zeros; Adagrad's sum starts at initial_accumulator_value).
    let init (optimizer: Optimizer) (parameters: Tensor[]) : ParamState[] =
        parameters
        |> Array.map (fun p ->
            { Step = 0
              Buffers =
                Map [ for name, initial in bufferNames optimizer ->
                        name, filled p.DType p.Numel initial ] })

    /// A float32 buffer of the state (null when the rule keeps no such buffer).
    let private f32 (s: ParamState) name =
        match s.Buffers.TryFind name with Some(Storage.F32 a) -> a | _ -> null

    /// A float64 buffer of the state (null when the rule keeps no such buffer).
    let private f64 (s: ParamState) name =
        match s.Buffers.TryFind name with Some(Storage.F64 a) -> a | _ -> null

    let private sgd (o: SgdOptions) (s: ParamState) (param: Storage) (grad: Storage) =
        let first = s.Step = 1
        let plain = o.Momentum = 0.0 && o.WeightDecay = 0.0 && not o.Maximize
        match param, grad with
        // Plain SGD, p ← p + (−lr)·g, is one SIMD multiply-add over the array (W1's hot path).
        | Storage.F32 p, Storage.F32 g when plain ->
            let step = float32 -o.LearningRate
            TensorPrimitives.MultiplyAdd(ReadOnlySpan g, step, ReadOnlySpan p, Span p)
        | Storage.F64 p, Storage.F64 g when plain ->
            TensorPrimitives.MultiplyAdd(ReadOnlySpan g, -o.LearningRate, ReadOnlySpan p, Span p)
        | Storage.F32 p, Storage.F32 g ->
            Rules.sgd p g (f32 s "momentum_buffer") first (float32 o.LearningRate)
                (float32 o.Momentum) (float32 o.Dampening) (float32 o.WeightDecay)
                o.Nesterov o.Maximize
        | Storage.F64 p, Storage.F64 g ->
            Rules.sgd p g (f64 s "momentum_buffer") first o.LearningRate o.Momentum o.Dampening
                o.WeightDecay o.Nesterov o.Maximize
        | _ -> ()

    let private adagrad (o: AdagradOptions) (s: ParamState) (param: Storage) (grad: Storage) =
        let clr = o.LearningRate / (1.0 + float (s.Step - 1) * o.LearningRateDecay)
        match param, grad with
        | Storage.F32 p, Storage.F32 g ->
            Rules.adagrad p g (f32 s "sum") (float32 clr) (float32 o.Eps) (float32 o.WeightDecay)
                o.Maximize
        | Storage.F64 p, Storage.F64 g ->
            Rules.adagrad p g (f64 s "sum") clr o.Eps o.WeightDecay o.Maximize
        | _ -> ()

    let private rmsprop (o: RmsPropOptions) (s: ParamState) (param: Storage) (grad: Storage) =
        match param, grad with
        | Storage.F32 p, Storage.F32 g ->
            Rules.rmsprop p g (f32 s "square_avg") (f32 s "grad_avg") (f32 s "momentum_buffer")
                (float32 o.LearningRate) (float32 o.Alpha) (float32 o.Eps) (float32 o.WeightDecay)
                (float32 o.Momentum) o.Centered o.Maximize
        | Storage.F64 p, Storage.F64 g ->
            Rules.rmsprop p g (f64 s "square_avg") (f64 s "grad_avg") (f64 s "momentum_buffer")
                o.LearningRate o.Alpha o.Eps o.WeightDecay o.Momentum o.Centered o.Maximize
        | _ -> ()

    /// Adam (decoupled = false) or AdamW (decoupled = true: p ← p·(1 − lr·wd) first, and the
    /// gradient gets no weight decay).
    let private adam decoupled (o: AdamOptions) (s: ParamState) (param: Storage) (grad: Storage) =
        let t = float s.Step
        let stepSize = o.LearningRate / (1.0 - o.Beta1 ** t)
        let bc2Sqrt = sqrt (1.0 - o.Beta2 ** t)
        let wd = if decoupled then 0.0 else o.WeightDecay
        let decay = 1.0 - o.LearningRate * o.WeightDecay
        match param, grad with
        | Storage.F32 p, Storage.F32 g ->
            if decoupled then TensorPrimitives.Multiply(ReadOnlySpan p, float32 decay, Span p)
            Rules.adam p g (f32 s "exp_avg") (f32 s "exp_avg_sq") (f32 s "max_exp_avg_sq")
                (float32 stepSize) (float32 bc2Sqrt) (float32 o.Beta1) (float32 o.Beta2)
                (float32 o.Eps) (float32 wd) o.AmsGrad o.Maximize
        | Storage.F64 p, Storage.F64 g ->
            if decoupled then TensorPrimitives.Multiply(ReadOnlySpan p, decay, Span p)
            Rules.adam p g (f64 s "exp_avg") (f64 s "exp_avg_sq") (f64 s "max_exp_avg_sq")
                stepSize bc2Sqrt o.Beta1 o.Beta2 o.Eps wd o.AmsGrad o.Maximize
        | _ -> ()

    /// One optimisation step, IN PLACE: for each parameter tensor p (contiguous) with gradient
    /// ∇p (same shape and dtype, any layout) and state s: t ← t + 1, then p and s are updated by
    /// the rule at step t. The arrays are parallel: parameters[i] goes with states[i], grads[i].
    let step (optimizer: Optimizer) (states: ParamState[]) (parameters: Tensor[])
             (grads: Tensor[]) =
        if states.Length <> parameters.Length || grads.Length <> parameters.Length then
            invalidArg "grads"
                $"{parameters.Length} parameters, {states.Length} states, {grads.Length} gradients"
        for i in 0 .. parameters.Length - 1 do
            let p, g, s = parameters[i], grads[i], states[i]
            if not p.IsContiguous then
                invalidArg "parameters" $"parameter {i} ({p}) is not contiguous"
            if p.Shape <> g.Shape || p.DType <> g.DType then
                invalidArg "grads" $"parameter {i} is {p}, its gradient {g}"
            s.Step <- s.Step + 1
            let param, grad = p.Storage, Flat.storage g
            match optimizer with
            | Optimizer.Sgd o -> sgd o s param grad
            | Optimizer.Adagrad o -> adagrad o s param grad
            | Optimizer.RmsProp o -> rmsprop o s param grad
            | Optimizer.Adam o -> adam false o s param grad
            | Optimizer.AdamW o -> adam true o s param grad
