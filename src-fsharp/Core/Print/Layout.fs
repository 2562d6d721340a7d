/// How an expression is laid out for printing: operators, precedence and every pair of
/// parentheses are decided here, once; Infix.fs and Latex.fs only render the result.
/// Layer: Print (above Graph). Read next: Infix.fs.
///
/// Precedence, loosest first: + − (1), * / @ (2), unary minus (3), ^ (4), calls and atoms (5).
/// ^ is right-associative and binds tighter than unary minus: −x^2 = −(x^2), (−x)^2 keeps its
/// parentheses; 2^(−1) keeps them too (the parser would accept 2^-1, a reader may stumble).
/// Parentheses keep the structure, not just the value: a + (b + c) keeps them, because
/// floating-point addition is not associative and re-parsing must give the same graph.
namespace ScratchML

open System
open System.Globalization

/// Binary operators of the infix syntax.
[<RequireQualifiedAccess>]
type Operator =
    | Plus
    | Minus
    | Times
    | Divide
    | MatMul
    | Power

/// An expression laid out for printing.
[<RequireQualifiedAccess>]
type Layout =
    | Number of float
    | Name of string                                    // a variable, or a node bound by `let`
    | Tensor of shape: int[] * values: float[] option   // a constant tensor (values when few)
    | Group of Layout                                   // parentheses
    | Binary of Operator * Layout * Layout
    | Negate of Layout
    | Call of name: string * args: Layout list * options: (string * string) list
    | Transpose of Layout                               // x.T, the 2-d transpose
    | Index of Layout * string                          // x[1:3, 0], basic slicing

/// Build layouts from expressions.
[<RequireQualifiedAccess>]
module Layout =
    /// Shortest text that reads back as the same double ("R"), invariant culture: 0.1, 2, 1E-05.
    let number (c: float) =
        if Double.IsNaN c then "nan"
        elif Double.IsPositiveInfinity c then "inf"
        elif Double.IsNegativeInfinity c then "-inf"
        else c.ToString("R", CultureInfo.InvariantCulture)

    /// A number printed with a leading minus sign (−0 included) reads like a negation.
    let private negativeNumber c = c < 0.0 || (c = 0.0 && Double.IsNegative c)

    /// Binding strength of a layout's outermost operator (5 for calls and atoms).
    let precedence (layout: Layout) =
        match layout with
        | Layout.Binary ((Operator.Plus | Operator.Minus), _, _) -> 1
        | Layout.Binary ((Operator.Times | Operator.Divide | Operator.MatMul), _, _) -> 2
        | Layout.Negate _ -> 3
        | Layout.Number c when negativeNumber c -> 3
        | Layout.Binary (Operator.Power, _, _) -> 4
        | _ -> 5

    let private wrapIf condition l = if condition then Layout.Group l else l

    /// Printed with a leading minus sign: −a, −2, or −a·b (whose left operand is −a).
    let rec private negative (l: Layout) =
        match l with
        | Layout.Negate _ -> true
        | Layout.Number c -> negativeNumber c
        | Layout.Binary (op, a, _) when op <> Operator.Power -> negative a
        | _ -> false

    /// a op b with exactly the parentheses the parser needs to rebuild the same graph.
    let binary (op: Operator) (a: Layout) (b: Layout) =
        let pa, pb = precedence a, precedence b
        match op with
        | Operator.Power -> Layout.Binary (op, wrapIf (pa <= 4) a, wrapIf (pb < 4) b)
        | _ ->
            let p = match op with Operator.Plus | Operator.Minus -> 1 | _ -> 2
            // the right operand is grouped on ties (left-associative) and when it is a negation
            Layout.Binary (op, wrapIf (pa < p) a, wrapIf (pb <= p || negative b) b)

    /// −a: a product or quotient needs no parentheses (−a·b has the same value either way).
    let negate (a: Layout) = Layout.Negate (wrapIf (precedence a < 2 || negative a) a)


    /// x.T or x[…]: the operand is grouped unless it is an atom or a call.
    let private postfix (a: Layout) = wrapIf (precedence a < 5) a

    let private shapeText (shape: int list) = "[" + String.Join(", ", shape) + "]"

    let private axisOption (axes: int list) rank keepdim =
        let axisText = match axes with [ a ] -> string a | _ -> shapeText axes
        [ if axes <> List.init rank id || keepdim then yield "axis", axisText
          if keepdim then yield "keepdim", "true" ]

    let private sliceText (specs: Slice list) =
        let spec s =
            match s with
            | Slice.All -> ":"
            | Slice.Index i -> string i
            | Slice.Range (a, b, step) ->
                let o = Option.map string >> Option.defaultValue ""
                o a + ":" + o b + (if step = 1 then "" else ":" + string step)
        String.Join(", ", specs |> List.map spec)

    /// Options of a convolution or pooling that differ from PyTorch's defaults, as "(h, w)" pairs.
    let private pairText ((a, b): int * int) = $"({a}, {b})"
    let private convOptions (spec: Conv2dSpec) =
        let d = Conv2dSpec.Default
        [ if spec.Stride <> d.Stride then yield "stride", pairText spec.Stride
          if spec.Padding <> d.Padding then yield "padding", pairText spec.Padding
          if spec.Dilation <> d.Dilation then yield "dilation", pairText spec.Dilation
          if spec.Groups <> d.Groups then yield "groups", string spec.Groups ]
    let private poolOptions (spec: Pool2dSpec) =
        [ yield "kernel", pairText spec.Kernel
          if spec.Stride <> spec.Kernel then yield "stride", pairText spec.Stride
          if spec.Padding <> (0, 0) then yield "padding", pairText spec.Padding
          if spec.CeilMode then yield "ceil_mode", "true" ]
    let private includeOption inc = if inc then [] else [ "count_include_pad", "false" ]

    /// The printed name of an op and its options: one name everywhere (the card's name).
    let private call (op: Op) (args: Layout list) (first: Expr) : Layout =
        let c name options = Layout.Call (name, args, options)
        match op with
        | Op.Neg -> negate args.Head
        | Op.Add -> binary Operator.Plus args[0] args[1]
        | Op.Sub -> binary Operator.Minus args[0] args[1]
        | Op.Mul -> binary Operator.Times args[0] args[1]
        | Op.Div -> binary Operator.Divide args[0] args[1]
        | Op.Pow -> binary Operator.Power args[0] args[1]
        | Op.MatMul -> binary Operator.MatMul args[0] args[1]
        | Op.Exp ->
            c "exp" [] | Op.Log -> c "log" [] | Op.Sqrt -> c "sqrt" [] | Op.Abs -> c "abs" []
        | Op.Sin ->
            c "sin" [] | Op.Cos -> c "cos" [] | Op.Tan -> c "tan" [] | Op.Tanh -> c "tanh" []
        | Op.Sigmoid -> c "sigmoid" [] | Op.Softplus -> c "softplus" [] | Op.Relu -> c "relu" []
        | Op.LeakyRelu slope -> c "leaky_relu" [ "slope", number slope ]
        | Op.Step -> c "step" [] | Op.Sign -> c "sign" []
        | Op.Maximum -> c "maximum" [] | Op.Minimum -> c "minimum" []
        | Op.Gt -> c "gt" [] | Op.Ge -> c "ge" [] | Op.Lt -> c "lt" [] | Op.Le -> c "le" []
        | Op.Eq -> c "eq" [] | Op.Where -> c "where" []
        | Op.Sum (axes, keep) -> c "sum" (axisOption axes first.Rank keep)
        | Op.Max (axes, keep) -> c "max" (axisOption axes first.Rank keep)
        | Op.Min (axes, keep) -> c "min" (axisOption axes first.Rank keep)
        | Op.LogSumExp (axes, keep) -> c "logsumexp" (axisOption axes first.Rank keep)
        | Op.ArgMax (axis, keep) ->
            c "argmax" [ yield "axis", string axis; if keep then yield "keepdim", "true" ]
        | Op.LogSoftmax axis ->
            c "log_softmax" (if axis = first.Rank - 1 then [] else [ "axis", string axis ])
        | Op.Reshape shape -> c "reshape" [ "shape", shapeText shape ]
        | Op.Permute [ 1; 0 ] -> Layout.Transpose (postfix args.Head)
        | Op.Permute dims -> c "permute" [ "dims", shapeText dims ]
        | Op.BroadcastTo shape -> c "broadcast_to" [ "shape", shapeText shape ]
        | Op.SumTo shape -> c "sum_to" [ "shape", shapeText shape ]
        | Op.Slice specs -> Layout.Index (postfix args.Head, sliceText specs)
        | Op.SliceBackward (shape, specs) ->
            c "slice_backward" [ "shape", shapeText shape; "index", "[" + sliceText specs + "]" ]
        | Op.Concat axis -> c "concat" [ "axis", string axis ]
        | Op.IndexSelect axis -> c "index_select" [ "axis", string axis ]
        | Op.IndexAdd (axis, size) -> c "index_add" [ "axis", string axis; "size", string size ]
        | Op.Gather axis -> c "gather" [ "axis", string axis ]
        | Op.ScatterAdd (shape, axis) ->
            c "scatter_add" [ "shape", shapeText shape; "axis", string axis ]
        | Op.Conv2d spec -> c "conv2d" (convOptions spec)
        | Op.Conv2dInputGrad (spec, input) -> c "conv2d_input_grad" (convOptions spec @ [ "input", shapeText input ])
        | Op.Conv2dWeightGrad (spec, weight) -> c "conv2d_weight_grad" (convOptions spec @ [ "weight", shapeText weight ])
        | Op.MaxPool2d spec -> c "max_pool2d" (poolOptions spec)
        | Op.MaxPool2dIndices spec -> c "max_pool2d_indices" (poolOptions spec)
        | Op.AvgPool2d (spec, inc) -> c "avg_pool2d" (poolOptions spec @ includeOption inc)
        | Op.AvgPool2dBackward (spec, inc, input) ->
            c "avg_pool2d_backward" (poolOptions spec @ includeOption inc @ [ "input", shapeText input ])

    let private constant (t: ScratchML.Tensor) =
        if t.Rank = 0 then Layout.Number (TensorData.at 0 t)
        else
            let values =
                if t.Numel <= 8 then Some (Array.init t.Numel (fun i -> TensorData.at i t))
                else None
            Layout.Tensor (t.Shape, values)

    /// The layout of e, where a node for which `bound` gives a name (a `let` of a listing) prints
    /// as that name — except e itself. Shared nodes are laid out once (memoised by id).
    let ofExprWith (bound: Expr -> string option) (root: Expr) : Layout =
        // the nodes printed inline: reachable from the root without entering a bound node
        let seen = Collections.Generic.HashSet<int>()
        let inlined = ResizeArray<Expr>()
        let stack = Collections.Generic.Stack<Expr>([ root ])
        while stack.Count > 0 do
            let e = stack.Pop()
            if seen.Add e.Id then
                inlined.Add e
                match e.Node with
                | Node.Apply (_, args) -> for a in args do if (bound a).IsNone then stack.Push a
                | _ -> ()
        // arguments have smaller ids: building in id order needs no recursion, however deep
        inlined.Sort(fun a b -> compare a.Id b.Id)
        let memo = Collections.Generic.Dictionary<int, Layout>()
        let child (a: Expr) = match bound a with Some name -> Layout.Name name | None -> memo[a.Id]
        for e in inlined do
            memo[e.Id] <-
                match e.Node with
                | Node.Const t -> constant t
                | Node.Var name -> Layout.Name name
                // softmax is exp(log_softmax): print it as the function a reader knows
                | Node.Apply (Op.Exp, [ Apply (Op.LogSoftmax axis, [ z ]) as inner ])
                    when (bound inner).IsNone ->
                    let options = if axis = z.Rank - 1 then [] else [ "axis", string axis ]
                    Layout.Call ("softmax", [ child z ], options)
                | Node.Apply (op, args) -> call op (List.map child args) args.Head
        memo[root.Id]

    /// A piece of rendered text: literal text, or a layout still to render.
    [<RequireQualifiedAccess>]
    type Piece =
        | Text of string
        | Sub of Layout

    /// Render a layout given how each kind splits into pieces, with an explicit stack: a chain
    /// of ten thousand nested operations renders without deep recursion.
    let render (pieces: Layout -> Piece list) (layout: Layout) : string =
        let text = Text.StringBuilder()
        let stack = Collections.Generic.Stack<Piece>()
        stack.Push(Piece.Sub layout)
        while stack.Count > 0 do
            match stack.Pop() with
            | Piece.Text s -> text.Append s |> ignore
            | Piece.Sub l -> for p in List.rev (pieces l) do stack.Push p
        text.ToString()

    /// The layout of e with every node inline.
    let ofExpr (e: Expr) = ofExprWith (fun _ -> None) e

    /// Nodes reachable from the root in evaluation order, and how often each is an argument.
    let internal walk (root: Expr) =
        let nodes = Order.topological [ root ]
        let uses = Order.useCounts nodes
        nodes, (fun (e: Expr) -> match uses.TryGetValue e.Id with | true, k -> k | _ -> 0)

    /// The layout of e alone, its arguments as placeholders: what a node of a tree or graph shows.
    let shallow (e: Expr) = ofExprWith (fun _ -> Some "_") e
