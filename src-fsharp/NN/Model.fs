/// A model: a network, its current parameter values, and its compiled programs.
/// Layer: NN, after Regularizers.fs. Read next: Train.fs (the fit loop over batches).
///
/// Compiling is done ONCE per batch size: the loss expression is built, differentiated
/// symbolically (Grad.grad), simplified (Simplify.run) and flattened into a program
/// (Compile.reusing) whose outputs are [loss; prediction; ∂loss/∂p₁; …]. Each step then only
/// binds a batch (a view of the data's rows, or a copy into the input buffers when shuffled),
/// runs the program into buffers it owns and updates parameters in place.
namespace ScratchML.NN

open System
open System.Collections.Generic
open ScratchML

/// How first parameter values are drawn.
[<RequireQualifiedAccess>]
type InitScheme =
    /// PyTorch's Linear/Conv2d defaults: W ~ Kaiming-uniform(a = √5) = U(±1/√fan_in),
    /// b ~ U(±1/√fan_in), from one SplitMix64 stream seeded with the model's seed.
    | PyTorch
    /// Xavier/Glorot uniform weights U(±√(6/(fan_in + fan_out))), zero biases.
    | Xavier
    /// The benchmark's init (WORKLOADS.md): every tensor U(±1/√fan_in) as float32
    /// symmetric(1/√fan_in), one stream with seed 42 (the model's seed is not used).
    | Splitmix

/// Host-side helpers on the contiguous row-major tensors a model owns and fills in place.
[<RequireQualifiedAccess>]
module Buffers =
    /// A zero-filled contiguous tensor.
    let zeros (dtype: DType) (shape: int[]) = Tensor.zeros dtype shape

    /// Element k (row-major) of any view, as a double.
    let at (t: Tensor) (k: int) = t.At k

    /// A contiguous copy of `t` in `dtype` (the same tensor when nothing changes).
    let convert (dtype: DType) (t: Tensor) = Tensor.contiguous (Tensor.astype dtype t)

    /// Numbers per example of a [n; …] source, checked against inputs of `shape` [b; …].
    let private checkWidth (source: Tensor) (shape: int[]) =
        let width = Shape.numel source.Shape / source.Shape[0]
        let expected = Shape.numel shape / shape[0]
        if width <> expected then
            invalidArg "source" $"examples of {Shape.show source.Shape[1..]} ({width} numbers) do not \
                                  fit inputs of {Shape.show shape[1..]} ({expected} numbers)"
        width

    /// Copy rows `rows` of a contiguous [n; …] tensor into the first rows of `dest` (same dtype).
    /// Rows are copied as flat runs of numbers: an example may come in any shape with the same
    /// count, so a 784-pixel MNIST row [n; 784] fills an image [b; 1; 28; 28] of a CNN (row-major:
    /// pixel h·28 + w is cell (0, h, w)); a different count is an error.
    let copyRows (source: Tensor) (rows: ReadOnlySpan<int>) (dest: Tensor) =
        let width = checkWidth source dest.Shape
        match source.Storage, dest.Storage with
        | Storage.F32 s, Storage.F32 d ->
            for r in 0 .. rows.Length - 1 do Array.Copy(s, rows[r] * width, d, r * width, width)
        | Storage.F64 s, Storage.F64 d ->
            for r in 0 .. rows.Length - 1 do Array.Copy(s, rows[r] * width, d, r * width, width)
        | _ -> invalidArg "dest" $"dtype {dest.DType} differs from the data's {source.DType}"

    /// Rows [start, start + count) of a contiguous [n; …] tensor seen as `shape` ([count; …], the
    /// same numbers per row, as copyRows): a view, no copy — a batch of data taken in order.
    let rows (source: Tensor) (start: int) (count: int) (shape: int[]) =
        checkWidth source shape |> ignore
        Tensor.reshape shape (TensorOps.Layout.narrow 0 start count source)

/// What a compiled program computes.
[<RequireQualifiedAccess>]
type internal PlanKind =
    /// Training mode: outputs [loss; prediction; ∂loss/∂p for every parameter].
    | Train
    /// Evaluation mode: outputs [loss; prediction].
    | Evaluate
    /// Evaluation mode: outputs [prediction].
    | Predict

/// A compiled program and the input tensors it reads (filled in place before each run). A
/// training plan's outputs end with one new value per buffer in `Updates` (stored after a step).
type internal Plan =
    { /// Run on the inputs X and Y.
      Run: unit -> Tensor list
      /// Run on other inputs x, y of X's and Y's shapes, e.g. views of a batch's rows.
      RunOn: Tensor -> Tensor -> Tensor list
      X: Tensor
      Y: Tensor
      Masks: (Mask * Tensor) list
      Updates: Tensor list }

/// A network with its parameter values (contiguous tensors, updated in place by training), its
/// buffer values (running statistics, overwritten after each training step, never by an
/// optimizer), its input shape (one example, e.g. [784]), its dtype (float32 by default;
/// float64 for checking), and the seed of its dropout masks and shuffles.
type Model internal (network: Sequential, inputShape: int[], dtype: DType, values: Tensor list,
                     buffers: Tensor list, seed: int) =
    let plans = Dictionary<PlanKind * int * Loss * Regularizer, Plan>(HashIdentity.Structural)
    member _.Network = network
    member _.InputShape = inputShape
    member _.DType = dtype
    member _.Seed = seed
    /// Parameter tensors in `Network.Parameters` order (weights before biases, layer by layer).
    member _.Values = values
    /// (name, current tensor) pairs, e.g. ("fc1.weight", [256; 784]).
    member _.Named = List.zip (network.Parameters |> List.map (fun p -> p.Name)) values
    /// Buffer tensors in `Network.Buffers` order (e.g. bn1.running_mean, bn1.running_var).
    member _.BufferValues = buffers
    /// (name, current tensor) pairs of the buffers, e.g. ("bn1.running_var", [16]).
    member _.NamedBuffers = List.zip (network.Buffers |> List.map (fun b -> b.Name)) buffers
    /// Compiled programs by (kind, batch size, loss): built on first use, reused after.
    member internal _.Plans = plans

/// Creating models, compiling their programs, predicting.
[<RequireQualifiedAccess>]
module Model =
    /// First parameter values for a network, in its parameter order.
    let initialValues (scheme: InitScheme) (dtype: DType) (seed: int) (network: Sequential) =
        let parameters = network.Parameters
        let isWeight (p: Parameter) = p.Shape.Length >= 2
        // a parameter that is not fan-in based is drawn as its layer says under every scheme
        let own rng (p: Parameter) =
            match p.Init with
            | ParameterInit.FanIn -> None
            | ParameterInit.Uniform bound -> Some (Init.uniform rng dtype bound p.Shape)
            | ParameterInit.Normal std -> Some (Init.normal rng dtype std p.Shape)
            | ParameterInit.Constant value -> Some (Init.constant dtype value p.Shape)
        match scheme with
        | InitScheme.Splitmix ->
            // constants (BatchNorm's γ = 1, β = 0) take no draws from the benchmark's stream
            let isConstant (p: Parameter) = match p.Init with ParameterInit.Constant _ -> true | _ -> false
            let mutable drawn =
                Init.splitmix dtype [ for p in parameters do if not (isConstant p) then yield p.Shape, p.FanIn ]
            [ for p in parameters ->
                match p.Init with
                | ParameterInit.Constant value -> Init.constant dtype value p.Shape
                | _ ->
                    let t = List.head drawn
                    drawn <- List.tail drawn
                    t ]
        | InitScheme.PyTorch ->
            let rng = SplitMix64(uint64 seed)
            [ for p in parameters ->
                own rng p |> Option.defaultWith (fun () ->
                    if isWeight p then Init.pytorchWeight rng dtype p.Shape
                    else Init.pytorchBias rng dtype p.FanIn p.Shape) ]
        | InitScheme.Xavier ->
            let rng = SplitMix64(uint64 seed)
            [ for p in parameters ->
                own rng p |> Option.defaultWith (fun () ->
                    if isWeight p then Init.xavierUniform rng dtype 1.0 p.Shape else Init.zeros dtype p.Shape) ]

    /// First buffer values: every element of a buffer its `Initial` (running mean 0, variance 1).
    let initialBuffers (dtype: DType) (network: Sequential) =
        [ for b in network.Buffers -> Init.constant dtype b.Initial b.Var.Shape ]

    /// A model of `network` for examples of `inputShape`, initialised by `scheme` from `seed`.
    let create (network: Sequential) (inputShape: int[]) (dtype: DType) (scheme: InitScheme) (seed: int) =
        Model(network, Array.copy inputShape, dtype, initialValues scheme dtype seed network,
              initialBuffers dtype network, seed)

    /// Contiguous `tensors` in `dtype` (converted where needed), checked one by one against `expected`
    /// (name, shape) pairs; `what` says what they are in an error.
    let private checkedCopies (what: string) (dtype: DType) (expected: (string * int[]) list) (tensors: Tensor list) =
        if tensors.Length <> expected.Length then
            invalidArg what $"{tensors.Length} tensors for {expected.Length} {what}"
        for (name, shape), t in List.zip expected tensors do
            if t.Shape <> shape then
                invalidArg what $"{name} has shape {Shape.show t.Shape}, expected {Shape.show shape}"
        tensors |> List.map (Buffers.convert dtype)

    /// A model with given parameter and buffer values (loading); each is converted to `dtype`
    /// and checked against its parameter's or buffer's shape.
    let ofState (network: Sequential) (inputShape: int[]) (dtype: DType) (seed: int) (values: Tensor list) (buffers: Tensor list) =
        let values =
            values |> checkedCopies "parameters" dtype [ for p in network.Parameters -> p.Name, p.Shape ]
        let buffers =
            buffers |> checkedCopies "buffers" dtype [ for b in network.Buffers -> b.Name, b.Var.Shape ]
        Model(network, Array.copy inputShape, dtype, values, buffers, seed)

    /// A model with given parameter values and first buffer values; each is converted to
    /// `dtype`, checked against its parameter's shape.
    let ofValues (network: Sequential) (inputShape: int[]) (dtype: DType) (seed: int) (values: Tensor list) =
        ofState network inputShape dtype seed values (initialBuffers dtype network)

    /// The network's output expression for a batch of inputs x: [batch; inputShape…].
    let output (mode: Mode) (model: Model) (x: Expr) = Sequential.forward mode model.Network x

    /// Shape of the network's output for one example (e.g. [10]).
    let outputShape (model: Model) =
        let x = Expr.var "x" (Array.append [| 1 |] model.InputShape)
        (output Mode.Eval model x).Shape[1..]

    /// Every variable of a set of expressions (each node visited once).
    let private variables (roots: Expr list) =
        let seen = HashSet<int>()
        let found = Dictionary<string, Expr>()
        let rec visit (e: Expr) =
            if seen.Add e.Id then
                match e with
                | Var name -> found[name] <- e
                | Apply (_, args) -> List.iter visit args
                | _ -> ()
        List.iter visit roots
        found

    /// (a·b)ᵀ = bᵀ·aᵀ: a gradient that ends in the transpose of a matrix product (a Dense
    /// weight's gradient comes out of the sweep as (xᵀ·g)ᵀ) becomes the product of transposed
    /// views, so the GEMM writes the parameter's own layout and the in-place update reads it as
    /// one contiguous span (a strided [256; 784] gradient would be gathered element by element).
    let private productLayout (g: Expr) =
        match g with
        | Apply (Op.Permute [ 1; 0 ], [ Apply (Op.MatMul, [ a; b ]) ]) when a.Rank = 2 && b.Rank = 2 ->
            Simplify.run (Expr.matmul (Expr.transpose 0 1 b) (Expr.transpose 0 1 a))
        | _ -> g

    /// The one place the compiler is called: outputs → a runner over fixed input tensors. The
    /// program writes its outputs into buffers it owns (Compile.reusing): a step allocates no
    /// gradient arrays, and every caller here reads or copies the outputs before the next run.
    /// The runner takes (name, tensor) pairs that replace bindings of `env` for one run.
    let private compile (outputs: Expr list) (env: (string * Tensor) list) =
        let program = Compile.reusing outputs
        let bindings = Map env
        fun (inputs: (string * Tensor) list) ->
            program.Run (inputs |> List.fold (fun bound (name, t) -> Map.add name t bound) bindings)

    /// The plan of `kind` for a batch size: the objective (loss + penalty, in the mode's
    /// graph), its simplified gradient for training, compiled once and cached.
    let internal plan (model: Model) (kind: PlanKind) (objective: Loss * Regularizer) (batch: int) =
        let loss, regularizer = objective
        let key = kind, batch, loss, regularizer
        match model.Plans.TryGetValue key with
        | true, p -> p
        | _ ->
            let mode = if kind = PlanKind.Train then Mode.Train else Mode.Eval
            let xShape = Array.append [| batch |] model.InputShape
            let x = Expr.var "x" xShape
            let prediction = output mode model x
            let y = Expr.var "y" prediction.Shape
            let parameters = model.Network.Parameters
            let weights = parameters |> List.filter (fun p -> p.Shape.Length >= 2) |> List.map (fun p -> p.Var)
            let objectiveExpr = Losses.build loss prediction y |> Regularizers.add regularizer weights
            // a training step also computes each buffer's new value (never differentiated)
            let updates =
                if kind = PlanKind.Train then
                    let found = Map (Sequential.updates model.Network x)
                    [ for name, t in model.NamedBuffers do
                        match found.TryFind name with
                        | Some e -> yield t, e
                        | None -> () ]
                else []
            let outputs =
                match kind with
                | PlanKind.Train ->
                    let grads = Grad.grad objectiveExpr (parameters |> List.map (fun p -> p.Var))
                    objectiveExpr :: prediction :: (grads |> List.map (Simplify.run >> productLayout))
                    @ (updates |> List.map snd)
                | PlanKind.Evaluate -> [ objectiveExpr; prediction ]
                | PlanKind.Predict -> [ prediction ]
            let used = variables outputs
            let xBuffer = Buffers.zeros model.DType xShape
            let yBuffer = Buffers.zeros model.DType prediction.Shape
            let masks =
                [ for m in model.Network.Masks do
                    match used.TryGetValue m.Name with
                    | true, v -> m, Buffers.zeros model.DType v.Shape
                    | _ -> () ]
            let env =
                [ yield "x", xBuffer
                  yield "y", yBuffer
                  yield! model.Named
                  yield! model.NamedBuffers
                  for m, t in masks do yield m.Name, t ]
            let run = compile outputs env
            let p = { Run = (fun () -> run []); RunOn = (fun x y -> run [ "x", x; "y", y ])
                      X = xBuffer; Y = yBuffer; Masks = masks
                      Updates = updates |> List.map fst }
            model.Plans[key] <- p
            p

    /// Store a training step's buffer values: the outputs after the gradients, in the plan's
    /// `Updates` order, copied into the model's buffer tensors (which every plan reads).
    let internal storeUpdates (plan: Plan) (values: Tensor list) =
        if values.Length <> plan.Updates.Length then
            invalidArg "values" $"{values.Length} buffer values for {plan.Updates.Length} buffers"
        for buffer, value in List.zip plan.Updates values do
            match buffer.Storage, (Buffers.convert buffer.DType value).Storage with
            | Storage.F32 d, Storage.F32 s -> Array.Copy(s, d, d.Length)
            | Storage.F64 d, Storage.F64 s -> Array.Copy(s, d, d.Length)
            | _ -> invalidArg "values" "a buffer value has another dtype than its buffer"

    /// A training step's outputs [objective; prediction; gradients…; buffer values…]: store the
    /// buffer values (storeUpdates) and return (objective, prediction, gradients), the part an
    /// optimizer needs. Every loop over training plans goes through here.
    let internal finishStep (plan: Plan) (outputs: Tensor list) =
        match outputs with
        | value :: prediction :: rest when rest.Length >= plan.Updates.Length ->
            let grads, bufferValues = List.splitAt (rest.Length - plan.Updates.Length) rest
            storeUpdates plan bufferValues
            value, prediction, grads
        | _ -> failwith "the training program returns the loss, the prediction, the gradients and the buffer values"

    /// Largest batch a prediction runs at once (more rows are split into chunks of this size).
    [<Literal>]
    let PredictChunk = 4096

    /// The network's outputs (logits for a classifier) for inputs x [n; inputShape…], in
    /// evaluation mode (no dropout); [n; outputShape…], contiguous, in the model's dtype.
    /// Thread-safe: a compiled plan runs over the model's own input buffers, so callers on
    /// several threads take turns (a lock on the model) instead of overwriting each other's rows.
    let predict (model: Model) (x: Tensor) : Tensor =
      lock model (fun () ->
        let x = Buffers.convert model.DType x
        let n = x.Shape[0]
        let outShape = outputShape model
        let result = Buffers.zeros model.DType (Array.append [| n |] outShape)
        let width = Shape.numel outShape
        let mutable start = 0
        while start < n do
            let count = min PredictChunk (n - start)
            let p = plan model PlanKind.Predict (Loss.Mse Reduction.Mean, Regularizer.None) count
            // the chunk's rows are read in place (a view), not copied into p.X
            let out = p.RunOn (Buffers.rows x start count p.X.Shape) p.Y |> List.head |> Buffers.convert model.DType
            match out.Storage, result.Storage with
            | Storage.F32 s, Storage.F32 d -> Array.Copy(s, 0, d, start * width, count * width)
            | Storage.F64 s, Storage.F64 d -> Array.Copy(s, 0, d, start * width, count * width)
            | _ -> ()
            start <- start + count
        result)

    /// The index (0-based, in `Network.Layers` order) of the layer named `name` (e.g. "conv1").
    let layerIndex (model: Model) (name: string) =
        match model.Network.Layers |> List.tryFindIndex (fun l -> l.Name = name) with
        | Some i -> i
        | None ->
            let names = model.Network.Layers |> List.map (fun l -> l.Name) |> String.concat ", "
            invalidArg "name" $"no layer named '{name}'; the layers are {names}"

    /// The output of layer `index` for inputs x [n; inputShape…] (rows of any shape with the
    /// same number of elements), in evaluation mode: hₖ = fₖ(…f₀(x)), e.g. a convolution's
    /// feature maps [n; C; H; W]. Compiled for this call (meant for looking inside, not speed).
    let activations (model: Model) (index: int) (x: Tensor) : Tensor =
        let layers = model.Network.Layers
        if index < 0 || index >= layers.Length then
            invalidArg "index" $"layer index {index} is not in 0..{layers.Length - 1}"
        let n = x.Shape[0]
        let shape = Array.append [| n |] model.InputShape
        if x.Numel <> Shape.numel shape then
            invalidArg "x" $"inputs of shape {Shape.show x.Shape} do not fit {n} examples of {Shape.show model.InputShape}"
        let input = Expr.var "x" shape
        let h = layers |> List.take (index + 1) |> List.fold (fun h layer -> layer.Forward Mode.Eval h) input
        lock model (fun () ->
            let x = Tensor.reshape shape (Buffers.convert model.DType x)
            let run = compile [ h ] (("x", x) :: model.Named @ model.NamedBuffers)
            run [] |> List.head |> Buffers.convert model.DType)

    /// Class of each row: argmax over the last axis of the outputs (first maximum on ties);
    /// a single output column is a binary logit: class 1 when it is > 0.
    let classes (outputs: Tensor) : int[] =
        let n = outputs.Shape[0]
        let width = Shape.numel outputs.Shape / n
        // a row-major view (a training step's logits) is read straight from its storage
        let dense = outputs.Strides = Shape.rowMajorStrides outputs.Shape
        let at k =
            if not dense then Buffers.at outputs k
            else
                match outputs.Storage with
                | Storage.F32 a -> float a[outputs.Offset + k]
                | Storage.F64 a -> a[outputs.Offset + k]
        Array.init n (fun r ->
            if width = 1 then (if at r > 0.0 then 1 else 0)
            else
                let mutable best, bestValue = 0, at (r * width)
                for c in 1 .. width - 1 do
                    let v = at (r * width + c)
                    if v > bestValue then best <- c; bestValue <- v
                best)

    /// Predicted classes of inputs x [n; inputShape…].
    let predictClasses (model: Model) (x: Tensor) = classes (predict model x)

    /// Class probabilities [n; classes]: softmax of the logits per row, σ(z) for one logit.
    let predictProba (model: Model) (x: Tensor) : Tensor =
        let logits = predict model x
        let n = logits.Shape[0]
        let width = Shape.numel logits.Shape / n
        let probs = Array.zeroCreate (n * width)
        for r in 0 .. n - 1 do
            if width = 1 then
                let z = Buffers.at logits r
                probs[r] <- if z >= 0.0 then 1.0 / (1.0 + exp -z) else exp z / (1.0 + exp z)
            else
                let row = Array.init width (fun c -> Buffers.at logits (r * width + c))
                let m = Array.max row
                let e = row |> Array.map (fun v -> exp (v - m))
                let s = Array.sum e
                for c in 0 .. width - 1 do probs[r * width + c] <- e[c] / s
        Tensor(Storage.F64 probs, [| n; width |], Shape.rowMajorStrides [| n; width |], 0)
