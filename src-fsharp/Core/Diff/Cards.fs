/// One card per primitive op: its forward kernel (numbers) beside its backward rule (symbols).
/// Layer: Diff (above Graph and Tensor). Read next: Grad.fs (the sweep that asks the cards).
///
/// A backward rule receives the arguments, the op's output y and the upstream gradient g (shaped
/// like y) and returns one gradient per argument as expression graphs — so a gradient can be
/// printed, simplified, compiled and differentiated again. Rules may return a gradient shaped like
/// y where an argument was broadcast: the sweep sums it back (`Expr.sumTo`) in one place.
/// Conventions at kinks and ties are written beside their card.
namespace ScratchML

/// An op in numbers and in symbols.
type Card =
    { /// How the op prints.
      Name: string
      /// Numbers in, numbers out: the tensor kernel.
      Forward: Tensor list -> Tensor
      /// args, output y, upstream g → one gradient per argument (shaped like y or the argument).
      Backward: Expr list -> Expr -> Expr -> Expr list }

/// The card of every primitive. An op without a line here does not compile.
[<RequireQualifiedAccess>]
module Cards =
    let private unary name forward backward =
        { Name = name
          Forward = (fun ts -> forward (List.exactlyOne ts))
          Backward = fun args y g -> [ backward (List.exactlyOne args) y g ] }

    let private binary name forward backward =
        { Name = name
          Forward = (fun ts -> match ts with [ a; b ] -> forward a b | _ -> invalidArg "ts" name)
          Backward = fun args y g ->
            match args with
            | [ a; b ] -> let ga, gb = backward a b y g in [ ga; gb ]
            | _ -> invalidArg "args" name }

    /// The gradient of an argument that does not influence the value (comparisons, indices).
    let noGradient (x: Expr) = Expr.zeros x.Shape

    /// g reshaped so its reduced axes are back as size 1, then stretched over x: ∂(Σ_axes x)/∂x.
    let private expand (axes: int list) keepdim (x: Expr) (g: Expr) =
        let kept = Shape.reduced x.Shape axes true
        let g = if keepdim then g else Expr.reshape kept g
        Expr.broadcastTo x.Shape g

    /// max/min over axes: the gradient goes to the elements equal to the extreme, split evenly
    /// among ties (a subgradient; PyTorch's full max() does the same, its max over a dim picks
    /// the first index instead — the fixtures have no ties): mask · g / count.
    let private maxBackward axes keepdim (x: Expr) (y: Expr) (g: Expr) =
        let mask = Expr.eq x (expand axes keepdim x y)
        let count = Expr.broadcastTo x.Shape (Expr.sum axes true mask)
        mask * expand axes keepdim x g / count

    /// (m + log Σ e^(x−m))' = g · e^(x − y): g times the softmax over the reduced axes.
    let private logSumExpBackward axes keepdim (x: Expr) (y: Expr) (g: Expr) =
        expand axes keepdim x g * Expr.exp (x - expand axes keepdim x y)

    /// log softmax: g − softmax(x)·Σg, with softmax = e^y.
    let private logSoftmaxBackward axis (y: Expr) (g: Expr) =
        g - Expr.exp y * Expr.broadcastTo y.Shape (Expr.sum [ axis ] true g)

    /// Swap the last two axes (a no-op permutation never happens: callers pass rank ≥ 2).
    let private transposeLast (x: Expr) = Expr.transpose -2 -1 x

    /// C = A·B: ∂A = g·Bᵀ, ∂B = Aᵀ·g. 1-d operands are promoted as torch.matmul does (a row
    /// [1; k] on the left, a column [k; 1] on the right) and the gradient reshaped back; batch
    /// axes broadcast by matmul are summed away by the sweep (Expr.sumTo).
    let private matmulBackward (a: Expr) (b: Expr) (y: Expr) (g: Expr) =
        let a2 = if a.Rank = 1 then Expr.reshape [| 1; a.Shape[0] |] a else a
        let b2 = if b.Rank = 1 then Expr.reshape [| b.Shape[0]; 1 |] b else b
        let m, n = a2.Shape[a2.Rank - 2], b2.Shape[b2.Rank - 1]
        let matrixAxes = (if a.Rank = 1 then 0 else 1) + (if b.Rank = 1 then 0 else 1)
        let batch = Array.sub y.Shape 0 (y.Rank - matrixAxes)
        let g2 = if a.Rank > 1 && b.Rank > 1 then g
                 else Expr.reshape (Array.append batch [| m; n |]) g
        let ga = Expr.matmul g2 (transposeLast b2)
        let gb = Expr.matmul (transposeLast a2) g2
        let back (x: Expr) (x2: Expr) (gx: Expr) =
            if x.Rank = 1 then Expr.reshape x.Shape (Expr.sumTo x2.Shape gx) else gx
        back a a2 ga, back b b2 gb

    /// Permute by the inverse permutation.
    let private inverse (dims: int list) =
        let inv = Array.zeroCreate dims.Length
        dims |> List.iteri (fun i d -> inv[d] <- i)
        inv

    /// Concat: each argument's gradient is its slice of g along the axis.
    let private concatBackward axis (args: Expr list) (g: Expr) =
        let starts = args |> List.scan (fun s (a: Expr) -> s + a.Shape[axis]) 0
        List.map2 (fun (a: Expr) start ->
            let piece = Slice.Range (Some start, Some (start + a.Shape[axis]), 1)
            Expr.slice (List.init g.Rank (fun i -> if i = axis then piece else Slice.All)) g)
            args (List.take args.Length starts)

    /// Ops on (x, indices): index arguments get no gradient.
    let private indexed name forward backward =
        { Name = name
          Forward = (fun ts -> match ts with [ x; i ] -> forward x i | _ -> invalidArg "ts" name)
          Backward = fun args _ g ->
            match args with
            | [ x; i ] -> [ backward x i g; noGradient i ]
            | _ -> invalidArg "args" name }

    /// where(c, a, b): g goes to a where c holds, to b elsewhere; c gets none.
    let private whereCard =
        { Name = "where"
          Forward = (function [ c; a; b ] -> Tensor.where c a b | _ -> invalidArg "ts" "where")
          Backward = fun args _ g ->
            match args with
            | [ c; _; _ ] ->
                let zero = Expr.scalar 0.0
                [ noGradient c; Expr.where c g zero; Expr.where c zero g ]
            | _ -> invalidArg "args" "where" }

    let private leakyRelu slope (t: Tensor) =
        Tensor.map (fun v -> if v > 0.0 then v else slope * v) t
    let private flat (x: Expr) (_: Expr) (_: Expr) = noGradient x
    let private flat2 (a: Expr) (b: Expr) _ _ = noGradient a, noGradient b
    /// ∂max(a, b): 1 where a wins, ½ on ties (both sides), 0 where b wins.
    let private wins (a: Expr) (b: Expr) = Expr.gt a b + 0.5 * Expr.eq a b
    let private arr = Array.ofList

    // ---- convolution and pooling ----

    /// A two-argument card whose backward gets (a, b, g).
    let private pair name forward backward =
        { Name = name
          Forward = (fun ts -> match ts with [ a; b ] -> forward a b | _ -> invalidArg "ts" name)
          Backward = fun args _ g ->
            match args with
            | [ a; b ] -> let ga, gb = backward a b g in [ ga; gb ]
            | _ -> invalidArg "args" name }

    let private inputGrad spec (x: Expr) g w = Expr.apply (Op.Conv2dInputGrad (spec, List.ofArray x.Shape)) [ g; w ]
    let private weightGrad spec (w: Expr) x g = Expr.apply (Op.Conv2dWeightGrad (spec, List.ofArray w.Shape)) [ x; g ]

    /// y = conv(x, w) is bilinear: ⟨conv(x, w), g⟩ = ⟨x, T(g, w)⟩ = ⟨w, K(x, g)⟩ with
    /// T = Conv2dInputGrad (a transposed convolution) and K = Conv2dWeightGrad. The same identity
    /// read three ways differentiates T and K too, so every order of gradient stays in these ops:
    ///   ∂conv/∂x = T(g, w),       ∂conv/∂w = K(x, g)
    ///   ∂T(g, w)/∂g = conv(h, w), ∂T(g, w)/∂w = K(h, g)     (h: the upstream, shaped like x)
    ///   ∂K(x, g)/∂x = T(g, k),    ∂K(x, g)/∂g = conv(x, k)  (k: the upstream, shaped like w)
    /// Written out, ∂x[n,c,h,w] = Σ_{o,p,q} g[n,o,(h + pH − p·dH)/sH, (w + pW − q·dW)/sW]·w[o,c,p,q]
    /// over the terms whose divisions are exact: a convolution of g (dilated by the stride, padded)
    /// with the kernel flipped and its channel axes swapped — the gradient of a convolution is a
    /// convolution.
    let private convCards (op: Op) =
        match op with
        | Op.Conv2d spec ->
            pair "conv2d" (Tensor.conv2d spec) (fun x w g -> inputGrad spec x g w, weightGrad spec w x g)
        | Op.Conv2dInputGrad (spec, input) ->
            pair "conv2d_input_grad" (Tensor.conv2dInputGrad spec (arr input)) (fun g w h ->
                Expr.conv2d spec h w, weightGrad spec w h g)
        | Op.Conv2dWeightGrad (spec, weight) ->
            pair "conv2d_weight_grad" (Tensor.conv2dWeightGrad spec (arr weight)) (fun x g k ->
                inputGrad spec x g k, Expr.conv2d spec x k)
        | _ -> invalidArg "op" $"%A{op} is not a convolution"

    /// Max pooling sends g[n,c,i,j] to the first maximum of window (i, j) in its row-major scan
    /// (PyTorch's rule; overlapping windows add up): a scatter-add of g at the flat indices h·W + w
    /// of the maxima, per plane. Flat in x almost everywhere (where no two cells tie).
    let private maxPoolBackward spec (x: Expr) (g: Expr) =
        let n, c, plane = x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3]
        let cells = [| n; c; g.Shape[2] * g.Shape[3] |]
        let indices = Expr.reshape cells (Expr.apply (Op.MaxPool2dIndices spec) [ x ])
        let spread = Expr.apply (Op.ScatterAdd ([ n; c; plane ], 2)) [ Expr.reshape cells g; indices ]
        Expr.reshape x.Shape spread

    /// Average pooling is linear, y = A·x: ∂x = Aᵀ·g (AvgPool2dBackward) and Aᵀ's adjoint is A.
    let private poolCards (op: Op) =
        match op with
        | Op.MaxPool2d spec -> unary "max_pool2d" (Tensor.maxPool2d spec) (fun x _ g -> maxPoolBackward spec x g)
        | Op.MaxPool2dIndices spec -> unary "max_pool2d_indices" (Tensor.maxPool2dIndices spec) flat
        | Op.AvgPool2d (spec, inc) ->
            unary "avg_pool2d" (Tensor.avgPool2d spec inc) (fun x _ g ->
                Expr.apply (Op.AvgPool2dBackward (spec, inc, List.ofArray x.Shape)) [ g ])
        | Op.AvgPool2dBackward (spec, inc, input) ->
            unary "avg_pool2d_backward" (Tensor.avgPool2dBackward spec inc (arr input)) (fun _ _ h ->
                Expr.avgPool2d spec inc h)
        | _ -> invalidArg "op" $"%A{op} is not a pooling"

    /// Every primitive, in numbers and in symbols.
    let cardOf (op: Op) : Card =
        match op with
        | Op.Neg -> unary "neg" Tensor.neg (fun _ _ g -> -g)                         // (−x)' = −1
        | Op.Exp -> unary "exp" Tensor.exp (fun _ y g -> g * y)                      // (eˣ)' = eˣ
        | Op.Log -> unary "log" Tensor.log (fun x _ g -> g / x)  // (ln x)' = 1/x
        | Op.Sqrt -> unary "sqrt" Tensor.sqrt (fun _ y g -> g * 0.5 / y)  // (√x)' = 1/(2√x)
        | Op.Abs -> unary "abs" Tensor.abs (fun x _ g -> g * Expr.sign x)  // sign x; 0 at 0
        | Op.Sin -> unary "sin" Tensor.sin (fun x _ g -> g * Expr.cos x)             // sin' = cos
        | Op.Cos -> unary "cos" Tensor.cos (fun x _ g -> -(g * Expr.sin x))          // cos' = −sin
        | Op.Tan -> unary "tan" Tensor.tan (fun _ y g -> g * (1.0 + y * y))  // tan' = 1 + tan²
        | Op.Tanh -> unary "tanh" Tensor.tanh (fun _ y g -> g * (1.0 - y * y))  // tanh' = 1 − y²
        // σ' = σ(1 − σ): no e^−x/(1 + e^−x)² = ∞/∞ at x = −800
        | Op.Sigmoid -> unary "sigmoid" Tensor.sigmoid (fun _ y g -> g * (y * (1.0 - y)))
        | Op.Softplus -> unary "softplus" Tensor.softplus (fun x _ g -> g * Expr.sigmoid x) // σ(x)
        // relu'(x) = step x = step y (y = relu x > 0 exactly when x > 0; relu'(0) = 0). Reading
        // the output leaves x one user, so the compiler fuses x = a·Wᵀ + b into relu's pass.
        | Op.Relu -> unary "relu" Tensor.relu (fun _ y g -> g * Expr.step y)
        | Op.LeakyRelu slope ->  // leaky'(0) = slope
            unary "leaky_relu" (leakyRelu slope) (fun x _ g ->
                Expr.where (Expr.step x) g (g * slope))
        | Op.Step -> unary "step" Tensor.step flat                                   // flat a.e.
        | Op.Sign -> unary "sign" Tensor.sign flat                                   // flat a.e.
        | Op.Add -> binary "add" Tensor.add (fun _ _ _ g -> g, g)                    // sum rule
        | Op.Sub -> binary "sub" Tensor.sub (fun _ _ _ g -> g, -g)
        | Op.Mul -> binary "mul" Tensor.mul (fun a b _ g -> g * b, g * a)            // product rule
        | Op.Div -> binary "div" Tensor.div (fun _ b y g -> g / b, -(g * y / b))     // 1/b, −a/b²
        | Op.Pow -> binary "pow" Tensor.pow (fun a b y g ->  // x^y: both args
                        g * b * Expr.pow a (b - 1.0), g * y * Expr.log a)  // y·x^(y−1), x^y·ln x
        | Op.Maximum -> binary "maximum" Tensor.maximum (fun a b _ g -> g * wins a b, g * wins b a)
        | Op.Minimum -> binary "minimum" Tensor.minimum (fun a b _ g -> g * wins b a, g * wins a b)
        | Op.Gt -> binary "gt" Tensor.gt flat2  // comparisons: flat
        | Op.Ge -> binary "ge" Tensor.ge flat2
        | Op.Lt -> binary "lt" Tensor.lt flat2
        | Op.Le -> binary "le" Tensor.le flat2
        | Op.Eq -> binary "eq" Tensor.eq flat2
        | Op.Where -> whereCard                                                      // routes g
        | Op.Sum (axes, keep) ->                                                // Σ' = 1, spread
            unary "sum" (Tensor.sum axes keep) (fun x _ g -> expand axes keep x g)
        | Op.Max (axes, keep) -> unary "max" (Tensor.max axes keep) (maxBackward axes keep)
        | Op.Min (axes, keep) -> unary "min" (Tensor.min axes keep) (maxBackward axes keep)
        | Op.LogSumExp (axes, keep) ->                                               // g·softmax
            unary "logsumexp" (Tensor.logSumExp axes keep) (logSumExpBackward axes keep)
        | Op.ArgMax (axis, keep) -> unary "argmax" (Tensor.argmax axis keep) flat
        | Op.LogSoftmax axis ->  // g − softmax·Σg
            unary "log_softmax" (Tensor.logSoftmax axis) (fun _ y g -> logSoftmaxBackward axis y g)
        | Op.MatMul -> binary "matmul" Tensor.matmul matmulBackward                  // g·bᵀ, aᵀ·g
        | Op.Reshape shape ->
            unary "reshape" (Tensor.reshape (arr shape)) (fun x _ g -> Expr.reshape x.Shape g)
        | Op.Permute dims ->
            unary "permute" (Tensor.permute (arr dims)) (fun _ _ g -> Expr.permute (inverse dims) g)
        | Op.BroadcastTo shape ->  // adjoint: sum back
            unary "broadcast_to" (Tensor.broadcastTo (arr shape)) (fun x _ g ->
                Expr.sumTo x.Shape g)
        | Op.SumTo shape ->
            unary "sum_to" (Tensor.sumTo (arr shape)) (fun x _ g -> Expr.broadcastTo x.Shape g)
        | Op.Slice specs ->  // adjoint: g in place
            unary "slice" (Tensor.slice (arr specs)) (fun x _ g ->
                Expr.apply (Op.SliceBackward (List.ofArray x.Shape, specs)) [ g ])
        | Op.SliceBackward (shape, specs) ->
            unary "slice_backward" (Tensor.sliceBackward (arr shape) (arr specs)) (fun _ _ g ->
                Expr.slice specs g)
        | Op.Concat axis ->
            { Name = "concat"
              Forward = Tensor.concat axis
              Backward = fun args _ g -> concatBackward axis args g }
        | Op.IndexSelect axis ->  // rows scatter-add back
            indexed "index_select" (fun x i -> Tensor.indexSelect axis i x) (fun x i g ->
                Expr.apply (Op.IndexAdd (axis, x.Shape[axis])) [ g; i ])
        | Op.IndexAdd (axis, size) ->
            indexed "index_add" (fun src i -> Tensor.indexAdd axis size i src) (fun _ i g ->
                Expr.indexSelect axis i g)
        | Op.Gather axis ->  // scatter-add back
            indexed "gather" (fun x i -> Tensor.gather axis i x) (fun x i g ->
                Expr.apply (Op.ScatterAdd (List.ofArray x.Shape, axis)) [ g; i ])
        | Op.ScatterAdd (shape, axis) ->
            let forward src i = Tensor.scatterAdd (arr shape) axis i src
            indexed "scatter_add" forward (fun _ i g -> Expr.gather axis i g)
        | Op.Conv2d _ | Op.Conv2dInputGrad _ | Op.Conv2dWeightGrad _ -> convCards op
        | Op.MaxPool2d _ | Op.MaxPool2dIndices _ | Op.AvgPool2d _ | Op.AvgPool2dBackward _ -> poolCards op
