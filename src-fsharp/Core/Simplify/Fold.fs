/// Constant folding: an op whose arguments are all constants becomes the constant it computes.
/// Layer: Simplify. Read next: Rules.fs (the named rewrites, "fold" among them).
///
/// Filled constants (every element one value c, e.g. the scalar 2 or zeros of [3; 4]) fold to a
/// filled constant of the result's shape — broadcasting kept — without touching a tensor.
/// A value is folded only when it reads well (finite, at most 10 characters): 2·3 becomes 6 and
/// 1/4 becomes 0.25, but 1/3 and log(2) stay exact symbols, as a computer algebra system keeps
/// them.
/// Other constant tensors fold with the tensor kernels (the same ones the cards run), up to
/// `maxElements` elements so simplifying never materialises a large tensor.
[<RequireQualifiedAccess>]
module ScratchML.Fold

open System
open ScratchML.Facts
open System.Globalization

/// The value of an elementwise op on numbers, as the tensor kernels define it.
let elementwise (op: Op) (xs: float list) : float option =
    match op, xs with
    | Op.Neg, [ x ] -> Some (-x)
    | Op.Exp, [ x ] -> Some (Math.Exp x)
    | Op.Log, [ x ] -> Some (Math.Log x)
    | Op.Sqrt, [ x ] -> Some (Math.Sqrt x)
    | Op.Abs, [ x ] -> Some (Math.Abs x)
    | Op.Sin, [ x ] -> Some (Math.Sin x)
    | Op.Cos, [ x ] -> Some (Math.Cos x)
    | Op.Tan, [ x ] -> Some (Math.Tan x)
    | Op.Tanh, [ x ] -> Some (Math.Tanh x)
    | Op.Sigmoid, [ x ] -> Some (1.0 / (1.0 + Math.Exp -x))
    | Op.Softplus, [ x ] -> Some (Math.Max(x, 0.0) + Math.Log(1.0 + Math.Exp(-(Math.Abs x))))
    | Op.Relu, [ x ] -> Some (if x > 0.0 then x else 0.0)
    | Op.LeakyRelu slope, [ x ] -> Some (if x > 0.0 then x else slope * x)
    | Op.Step, [ x ] -> Some (if x > 0.0 then 1.0 else 0.0)
    | Op.Sign, [ x ] -> Some (if Double.IsNaN x then x else float (Math.Sign x))
    | Op.Add, [ a; b ] -> Some (a + b)
    | Op.Sub, [ a; b ] -> Some (a - b)
    | Op.Mul, [ a; b ] -> Some (a * b)
    | Op.Div, [ a; b ] -> Some (a / b)
    | Op.Pow, [ a; b ] -> Some (Math.Pow(a, b))
    | Op.Maximum, [ a; b ] -> Some (Math.Max(a, b))
    | Op.Minimum, [ a; b ] -> Some (Math.Min(a, b))
    | Op.Gt, [ a; b ] -> Some (if a > b then 1.0 else 0.0)
    | Op.Ge, [ a; b ] -> Some (if a >= b then 1.0 else 0.0)
    | Op.Lt, [ a; b ] -> Some (if a < b then 1.0 else 0.0)
    | Op.Le, [ a; b ] -> Some (if a <= b then 1.0 else 0.0)
    | Op.Eq, [ a; b ] -> Some (if a = b then 1.0 else 0.0)
    | Op.Where, [ c; a; b ] -> Some (if c <> 0.0 then a else b)
    | _ -> None

/// Finite and short when printed: worth replacing the expression that computes it.
let readable (c: float) =
    Double.IsFinite c && c.ToString("R", CultureInfo.InvariantCulture).Length <= 10

/// Elements reduced into one output element.
let private reducedCount (shape: int[]) (axes: int list) =
    axes |> List.fold (fun n a -> n * shape[a]) 1

/// The value c of op(filled arguments) when every output element equals c.
let private filledValue (op: Op) (arg: Expr) (values: float list) : float option =
    match op, values with
    | (Op.Reshape _ | Op.Permute _ | Op.BroadcastTo _ | Op.Slice _ | Op.Max _ | Op.Min _), [ c ] ->
        Some c
    | Op.Sum (axes, _), [ c ] -> Some (c * float (reducedCount arg.Shape axes))
    | Op.SumTo target, [ c ] ->
        Some (c * float (Shape.numel arg.Shape / Shape.numel (Array.ofList target)))
    | Op.LogSumExp (axes, _), [ c ] -> Some (c + Math.Log(float (reducedCount arg.Shape axes)))
    | Op.LogSoftmax axis, [ _ ] -> Some (-Math.Log(float arg.Shape[axis]))
    | Op.ArgMax _, [ _ ] -> Some 0.0                                  // the first of equal elements
    | Op.Concat _, c :: rest when rest |> List.forall ((=) c) -> Some c
    | (Op.IndexSelect _ | Op.Gather _), [ c; _ ] -> Some c
    | Op.SliceBackward _, [ 0.0 ] -> Some 0.0
    | _ -> elementwise op values

/// op(c₁, …, cₖ) → the filled constant it equals, of the result's shape; None when an argument
/// is not filled, the node is already a filled constant, or the value would not read well.
let filled (e: Expr) : Expr option =
    match e with
    | Apply (Op.BroadcastTo _, [ Number _ ]) -> None                // already the canonical form
    | Apply (op, (first :: _ as args)) ->
        let values = args |> List.map uniform
        if values |> List.forall ValueOption.isSome then
            filledValue op first (values |> List.map ValueOption.get)
            |> Option.filter readable
            |> Option.map (fill e.Shape)
        else None
    | _ -> None

/// The largest tensor (in elements) constant folding computes.
let maxElements = 1 <<< 16

/// The op's forward computation on tensors: the kernels the cards' Forward also calls.
let forward (op: Op) (ts: Tensor list) : Tensor =
    let one () = List.exactlyOne ts
    let two () = match ts with [ a; b ] -> a, b | _ -> invalidArg "ts" "two arguments"
    match op with
    | Op.Neg -> Tensor.neg (one ())
    | Op.Exp -> Tensor.exp (one ())
    | Op.Log -> Tensor.log (one ())
    | Op.Sqrt -> Tensor.sqrt (one ())
    | Op.Abs -> Tensor.abs (one ())
    | Op.Sin -> Tensor.sin (one ())
    | Op.Cos -> Tensor.cos (one ())
    | Op.Tan -> Tensor.tan (one ())
    | Op.Tanh -> Tensor.tanh (one ())
    | Op.Sigmoid -> Tensor.sigmoid (one ())
    | Op.Softplus -> Tensor.softplus (one ())
    | Op.Relu -> Tensor.relu (one ())
    | Op.LeakyRelu slope -> Tensor.map (fun v -> if v > 0.0 then v else slope * v) (one ())
    | Op.Step -> Tensor.step (one ())
    | Op.Sign -> Tensor.sign (one ())
    | Op.Add -> two () ||> Tensor.add
    | Op.Sub -> two () ||> Tensor.sub
    | Op.Mul -> two () ||> Tensor.mul
    | Op.Div -> two () ||> Tensor.div
    | Op.Pow -> two () ||> Tensor.pow
    | Op.Maximum -> two () ||> Tensor.maximum
    | Op.Minimum -> two () ||> Tensor.minimum
    | Op.Gt -> two () ||> Tensor.gt
    | Op.Ge -> two () ||> Tensor.ge
    | Op.Lt -> two () ||> Tensor.lt
    | Op.Le -> two () ||> Tensor.le
    | Op.Eq -> two () ||> Tensor.eq
    | Op.Where ->
        match ts with [ c; a; b ] -> Tensor.where c a b | _ -> invalidArg "ts" "three arguments"
    | Op.Sum (axes, keep) -> Tensor.sum axes keep (one ())
    | Op.Max (axes, keep) -> Tensor.max axes keep (one ())
    | Op.Min (axes, keep) -> Tensor.min axes keep (one ())
    | Op.LogSumExp (axes, keep) -> Tensor.logSumExp axes keep (one ())
    | Op.ArgMax (axis, keep) -> Tensor.argmax axis keep (one ())
    | Op.LogSoftmax axis -> Tensor.logSoftmax axis (one ())
    | Op.MatMul -> two () ||> Tensor.matmul
    | Op.Reshape shape -> Tensor.reshape (Array.ofList shape) (one ())
    | Op.Permute dims -> Tensor.permute (Array.ofList dims) (one ())
    | Op.BroadcastTo shape -> Tensor.broadcastTo (Array.ofList shape) (one ())
    | Op.SumTo shape -> Tensor.sumTo (Array.ofList shape) (one ())
    | Op.Slice specs -> Tensor.slice (Array.ofList specs) (one ())
    | Op.SliceBackward (shape, specs) ->
        Tensor.sliceBackward (Array.ofList shape) (Array.ofList specs) (one ())
    | Op.Concat axis -> Tensor.concat axis ts
    | Op.IndexSelect axis -> let x, i = two () in Tensor.indexSelect axis i x
    | Op.IndexAdd (axis, size) -> let src, i = two () in Tensor.indexAdd axis size i src
    | Op.Gather axis -> let x, i = two () in Tensor.gather axis i x
    | Op.ScatterAdd (shape, axis) ->
        let src, i = two () in Tensor.scatterAdd (Array.ofList shape) axis i src
    | Op.Conv2d spec -> two () ||> Tensor.conv2d spec
    | Op.Conv2dInputGrad (spec, input) -> two () ||> Tensor.conv2dInputGrad spec (Array.ofList input)
    | Op.Conv2dWeightGrad (spec, weight) -> two () ||> Tensor.conv2dWeightGrad spec (Array.ofList weight)
    | Op.MaxPool2d spec -> Tensor.maxPool2d spec (one ())
    | Op.MaxPool2dIndices spec -> Tensor.maxPool2dIndices spec (one ())
    | Op.AvgPool2d (spec, inc) -> Tensor.avgPool2d spec inc (one ())
    | Op.AvgPool2dBackward (spec, inc, input) -> Tensor.avgPool2dBackward spec inc (Array.ofList input) (one ())

/// A constant's tensor: a Const node's own, or the stride-0 view of a filled broadcast.
let private tensorOf (e: Expr) =
    match e with
    | Constant t -> Some t
    | Apply (Op.BroadcastTo shape, [ Number c ]) ->
        Some (Tensor.broadcastTo (Array.ofList shape) (Tensor.scalar DType.Float64 c))
    | _ -> None

/// op(constant tensors) → the constant it computes (a filled node when all its elements are
/// equal), for results of at most `maxElements` elements.
let tensor (e: Expr) : Expr option =
    match e with
    | Apply (Op.BroadcastTo _, [ Number _ ]) -> None
    | Apply (op, args) when e :: args |> List.forall (fun a -> Shape.numel a.Shape <= maxElements) ->
        let ts = args |> List.map tensorOf
        if ts |> List.forall Option.isSome then
            // a kernel refusing its inputs (float32 and float64 constants mixed) leaves the node
            let result = try Some (forward op (List.map Option.get ts)) with _ -> None
            result |> Option.map (fun t ->
                let folded = Expr.constant (Tensor.contiguous t)
                match uniform folded with
                | ValueSome c -> fill e.Shape c
                | ValueNone -> folded)
        else None
    | _ -> None

/// Constant folding: filled constants first (no tensor work), then constant tensors — except
/// c·Y and the like (an elementwise op with a filled operand), kept so the rules can still see Y:
/// (softmax(z) − Y)/4 reads better than a folded table of −Y/4.
let constants (e: Expr) : Expr option =
    match filled e with
    | Some r -> Some r
    | None ->
        match e with
        | Apply (op, args) when args |> List.exists (fun a -> (uniform a).IsNone) ->
            let ones = args |> List.map (fun _ -> 1.0)
            let isElementwise = args.Length >= 2 && (elementwise op ones).IsSome
            let scaling = isElementwise && args |> List.exists (fun a -> (uniform a).IsSome)
            if scaling then None else tensor e
        | _ -> None
