/// Expression nodes: variables, constants and applications of primitive ops, built once each.
/// Layer: Graph. Read next: Build.fs (constructors and operators), Patterns.fs (active patterns).
///
/// Sharing: every node is interned (hash-consing). Building `Apply(op, args)` twice with the
/// same op and the same argument nodes returns the same node, so structural equality is
/// reference equality, a node's `Id` identifies its whole sub-graph, and any traversal that
/// memoises by `Id` visits a DAG of N nodes in O(N) — never its tree expansion.
namespace ScratchML

open System
open System.Collections.Concurrent
open System.Threading

/// The few tensor facts the graph needs before the tensor ops layer: scalar and filled
/// constants, and reading element i (row-major) of any view.
module internal TensorData =
    let scalar (c: float) = Tensor(Storage.F64 [| c |], [||], [||], 0)
    let full (shape: int[]) (c: float) =
        Tensor(Storage.F64 (Array.create (Shape.numel shape) c), Array.copy shape, Shape.rowMajorStrides shape, 0)
    let at (i: int) (t: Tensor) = t.At i

/// Shape inference: every op's output shape from its arguments' shapes, and the op with its
/// axes normalised (negative axes counted from the end, sorted) so equal nodes intern equal.
[<RequireQualifiedAccess>]
module Infer =
    // sprintf "%A" costs about a millisecond: format each distinct op once, not on every build
    let private names = ConcurrentDictionary<Op, string>(HashIdentity.Structural)
    let private name (op: Op) = names.GetOrAdd(op, fun op -> (sprintf "%A" op).Split(' ').[0].ToLowerInvariant())
    /// The printed names of the convolution and pooling ops (their error messages use them).
    let private convName (op: Op) =
        match op with
        | Op.Conv2d _ -> "conv2d"
        | Op.Conv2dInputGrad _ -> "conv2d_input_grad"
        | Op.Conv2dWeightGrad _ -> "conv2d_weight_grad"
        | Op.MaxPool2d _ -> "max_pool2d"
        | Op.MaxPool2dIndices _ -> "max_pool2d_indices"
        | Op.AvgPool2d _ -> "avg_pool2d"
        | Op.AvgPool2dBackward _ -> "avg_pool2d_backward"
        | _ -> name op

    /// Shape of x[specs] under Python/NumPy basic indexing (positive steps, as PyTorch).
    let sliceShape op (shape: int[]) (specs: Slice list) =
        if specs.Length > shape.Length then
            Shape.fail op $"{specs.Length} indices for a tensor of shape {Shape.show shape}"
        let specs = Array.append (Array.ofList specs) (Array.create (shape.Length - specs.Length) Slice.All)
        [| for axis, spec in Array.indexed specs do
             let n = shape[axis]
             match spec with
             | Slice.All -> yield n
             | Slice.Index i ->
                 if i < -n || i >= n then Shape.fail op $"index {i} out of range for axis {axis} of size {n} in {Shape.show shape}"
             | Slice.Range (start, stop, step) ->
                 if step <= 0 then Shape.fail op $"slice step must be positive, got {step}"
                 let clamp v = if v < 0 then max 0 (v + n) else min v n
                 let a = start |> Option.map clamp |> Option.defaultValue 0
                 let b = stop |> Option.map clamp |> Option.defaultValue n
                 yield max 0 ((b - a + step - 1) / step) |]

    /// torch.matmul shapes: 1-d operands get a 1 prepended (left) or appended (right), removed after.
    let matmulShape (a: int[]) (b: int[]) =
        let op = "matmul"
        if a.Length = 0 || b.Length = 0 then Shape.fail op $"scalar operand: {Shape.show a} and {Shape.show b}"
        let a2 = if a.Length = 1 then [| 1; a[0] |] else a
        let b2 = if b.Length = 1 then [| b[0]; 1 |] else b
        let m, k = a2[a2.Length - 2], a2[a2.Length - 1]
        let k2, n = b2[b2.Length - 2], b2[b2.Length - 1]
        if k <> k2 then Shape.fail op $"inner sizes differ: {Shape.show a} and {Shape.show b}"
        let batch = Shape.broadcast op a2[.. a2.Length - 3] b2[.. b2.Length - 3]
        Array.concat [ batch; (if a.Length = 1 then [||] else [| m |]); (if b.Length = 1 then [||] else [| n |]) ]

    let private sameShape op (shapes: int[] list) =
        match shapes with
        | first :: rest ->
            for s in rest do
                if s <> first then Shape.fail op $"shapes {Shape.show first} and {Shape.show s} differ"
            first
        | [] -> Shape.fail op "no arguments"

    /// (normalised op, output shape) of `op` applied to arguments of the given shapes.
    let apply (op: Op) (shapes: int[] list) : Op * int[] =
        let opName = convName op
        let arity n =
            if shapes.Length <> n then Shape.fail opName $"expects {n} arguments, got {shapes.Length}"
        let rank = match shapes with s :: _ -> s.Length | [] -> 0
        let axes xs = Shape.axes opName rank xs
        match op with
        | Op.Neg | Op.Exp | Op.Log | Op.Sqrt | Op.Abs | Op.Sin | Op.Cos | Op.Tan | Op.Tanh
        | Op.Sigmoid | Op.Softplus | Op.Relu | Op.LeakyRelu _ | Op.Step | Op.Sign ->
            arity 1; op, shapes.Head
        | Op.Add | Op.Sub | Op.Mul | Op.Div | Op.Pow | Op.Maximum | Op.Minimum
        | Op.Gt | Op.Ge | Op.Lt | Op.Le | Op.Eq ->
            arity 2; op, Shape.broadcast opName shapes[0] shapes[1]
        | Op.Where ->
            arity 3; op, Shape.broadcast opName (Shape.broadcast opName shapes[0] shapes[1]) shapes[2]
        | Op.Sum (xs, keep) -> arity 1; let a = axes xs in Op.Sum (a, keep), Shape.reduced shapes.Head a keep
        | Op.Max (xs, keep) -> arity 1; let a = axes xs in Op.Max (a, keep), Shape.reduced shapes.Head a keep
        | Op.Min (xs, keep) -> arity 1; let a = axes xs in Op.Min (a, keep), Shape.reduced shapes.Head a keep
        | Op.LogSumExp (xs, keep) ->
            arity 1; let a = axes xs in Op.LogSumExp (a, keep), Shape.reduced shapes.Head a keep
        | Op.ArgMax (axis, keep) ->
            arity 1; let a = Shape.axis opName rank axis in Op.ArgMax (a, keep), Shape.reduced shapes.Head [ a ] keep
        | Op.LogSoftmax axis -> arity 1; Op.LogSoftmax (Shape.axis opName rank axis), shapes.Head
        | Op.MatMul -> arity 2; op, matmulShape shapes[0] shapes[1]
        | Op.Reshape target ->
            arity 1; let s = Shape.reshape opName shapes.Head (Array.ofList target) in Op.Reshape (List.ofArray s), s
        | Op.Permute dims ->
            arity 1
            let d = dims |> List.map (Shape.axis opName rank)
            if List.sort d <> [ 0 .. rank - 1 ] then Shape.fail opName $"%A{dims} is not a permutation of the axes of {Shape.show shapes.Head}"
            Op.Permute d, d |> List.map (fun i -> shapes.Head[i]) |> Array.ofList
        | Op.BroadcastTo target ->
            arity 1
            let t = Array.ofList target
            if Shape.broadcast opName shapes.Head t <> t then Shape.fail opName $"cannot broadcast {Shape.show shapes.Head} to {Shape.show t}"
            op, t
        | Op.SumTo target ->
            arity 1
            let t = Array.ofList target
            if Shape.broadcast opName t shapes.Head <> shapes.Head then Shape.fail opName $"cannot sum {Shape.show shapes.Head} to {Shape.show t}"
            op, t
        | Op.Slice specs -> arity 1; op, sliceShape opName shapes.Head specs
        | Op.SliceBackward (source, specs) ->
            arity 1
            let s = Array.ofList source
            let expected = sliceShape opName s specs
            if expected <> shapes.Head then Shape.fail opName $"gradient of shape {Shape.show shapes.Head} does not fit slice {Shape.show expected} of {Shape.show s}"
            op, s
        | Op.Concat axis ->
            if shapes.IsEmpty then Shape.fail opName "no arguments"
            let a = Shape.axis opName rank axis
            let first = shapes.Head
            for s in shapes do
                let differs = s.Length <> first.Length || Seq.exists (fun i -> i <> a && s[i] <> first[i]) [ 0 .. rank - 1 ]
                if differs then Shape.fail opName $"shapes {Shape.show first} and {Shape.show s} differ outside axis {a}"
            Op.Concat a, first |> Array.mapi (fun i d -> if i = a then shapes |> List.sumBy (fun s -> s[a]) else d)
        | Op.IndexSelect axis ->
            arity 2
            let x, idx = shapes[0], shapes[1]
            let a = Shape.axis opName x.Length axis
            Op.IndexSelect a, Array.concat [ x[.. a - 1]; idx; x[a + 1 ..] ]
        | Op.IndexAdd (axis, size) ->
            arity 2
            let src, idx = shapes[0], shapes[1]
            if axis < 0 || axis + idx.Length > src.Length then Shape.fail opName $"indices {Shape.show idx} do not fit source {Shape.show src} at axis {axis}"
            if src[axis .. axis + idx.Length - 1] <> idx then Shape.fail opName $"indices {Shape.show idx} do not match source {Shape.show src} at axis {axis}"
            op, Array.concat [ src[.. axis - 1]; [| size |]; src[axis + idx.Length ..] ]
        | Op.Gather axis ->
            arity 2
            let x, idx = shapes[0], shapes[1]
            if x.Length <> idx.Length then Shape.fail opName $"index rank differs: {Shape.show x} and {Shape.show idx}"
            Op.Gather (Shape.axis opName x.Length axis), idx
        | Op.ScatterAdd (target, axis) ->
            arity 2
            sameShape opName shapes |> ignore
            let t = Array.ofList target
            if t.Length <> shapes[0].Length then Shape.fail opName $"source {Shape.show shapes[0]} and target {Shape.show t} ranks differ"
            Op.ScatterAdd (target, Shape.axis opName t.Length axis), t
        // convolution and pooling: ConvGeometry / TensorOps.Pool.outputShape name the op and the shapes
        | Op.Conv2d spec -> arity 2; op, TensorOps.Conv.outputShape (TensorOps.Conv.geometry opName spec shapes[0] shapes[1])
        | Op.Conv2dInputGrad (spec, input) ->
            arity 2
            let x = Array.ofList input
            let y = TensorOps.Conv.outputShape (TensorOps.Conv.geometry opName spec x shapes[1])
            if shapes[0] <> y then Shape.fail opName $"gradient of shape {Shape.show shapes[0]}, the convolution of {Shape.show x} gives {Shape.show y}"
            op, x
        | Op.Conv2dWeightGrad (spec, weight) ->
            arity 2
            let w = Array.ofList weight
            let y = TensorOps.Conv.outputShape (TensorOps.Conv.geometry opName spec shapes[0] w)
            if shapes[1] <> y then Shape.fail opName $"gradient of shape {Shape.show shapes[1]}, the convolution of {Shape.show shapes[0]} gives {Shape.show y}"
            op, w
        | Op.MaxPool2d spec | Op.MaxPool2dIndices spec | Op.AvgPool2d (spec, _) ->
            arity 1; op, TensorOps.Pool.outputShape opName spec shapes.Head
        | Op.AvgPool2dBackward (spec, _, input) ->
            arity 1
            let x = Array.ofList input
            let y = TensorOps.Pool.outputShape opName spec x
            if shapes.Head <> y then Shape.fail opName $"gradient of shape {Shape.show shapes.Head}, pooling {Shape.show x} gives {Shape.show y}"
            op, x

/// Intern-table keys: one node per distinct (op, argument ids), variable (name, shape) or constant.
type internal Key =
    | KVar of string * int list
    | KScalar of int64                 // a scalar constant, by its bits
    | KSmall of int list * int64 list  // a small constant tensor, by shape and value bits
    | KTensor of Tensor                // a larger constant tensor, by reference
    | KApply of Op * int list

/// What a node is. Match on it with the active patterns of Patterns.fs.
type Node =
    | Const of Tensor
    | Var of name: string
    | Apply of op: Op * args: Expr list

/// A node of the DAG: its kind, its shape (inferred and checked when built) and a unique id.
/// Equality and hashing are by id, which interning makes equal to structural equality.
and [<Sealed; AllowNullLiteral(false)>] Expr internal (id: int, node: Node, shape: int[]) =
    static let table = ConcurrentDictionary<Key, Expr>(HashIdentity.Structural)
    static let mutable next = 0
    /// Unique, stable for the life of the process; children always have smaller ids.
    member _.Id = id
    member _.Node = node
    member _.Shape = shape
    member _.Rank = shape.Length
    override _.Equals(other) = match other with :? Expr as e -> e.Id = id | _ -> false
    override _.GetHashCode() = id
    interface IComparable with
        member _.CompareTo(other) = compare id (other :?> Expr).Id
    /// The node for a key: the existing one, or a new one made by `make` (node kind, shape).
    static member internal Intern(key: Key, make: unit -> Node * int[]) =
        let mutable e = Unchecked.defaultof<Expr>
        if table.TryGetValue(key, &e) then e
        else
            let n, shape = make ()
            table.GetOrAdd(key, fun _ -> Expr(Interlocked.Increment &next, n, shape))

    /// How many distinct nodes exist (the intern table holds every node built in this process).
    static member InternedCount = table.Count

    /// Apply a primitive: infer and check the shape, normalise the op, share equal nodes.
    static member Apply(op: Op, args: Expr list) =
        let op, shape = Infer.apply op (args |> List.map (fun a -> a.Shape))
        Expr.Intern(KApply (op, args |> List.map (fun a -> a.Id)), fun () -> Node.Apply (op, args), shape)

    /// A constant tensor node; small constants are shared by value, large ones by reference.
    static member Constant(t: Tensor) =
        let key =
            if t.Rank = 0 then KScalar (BitConverter.DoubleToInt64Bits(TensorData.at 0 t))
            elif t.Numel <= 16 then
                KSmall (List.ofArray t.Shape, [ for i in 0 .. t.Numel - 1 -> BitConverter.DoubleToInt64Bits(TensorData.at i t) ])
            else KTensor t
        Expr.Intern(key, fun () -> Node.Const t, t.Shape)

    /// A scalar constant node.
    static member Scalar(c: float) = Expr.Constant(TensorData.scalar c)

    static member (+) (a: Expr, b: Expr) = Expr.Apply(Op.Add, [ a; b ])
    static member (-) (a: Expr, b: Expr) = Expr.Apply(Op.Sub, [ a; b ])
    static member (*) (a: Expr, b: Expr) = Expr.Apply(Op.Mul, [ a; b ])
    static member (/) (a: Expr, b: Expr) = Expr.Apply(Op.Div, [ a; b ])
    static member (~-) (a: Expr) = Expr.Apply(Op.Neg, [ a ])
    static member Pow (a: Expr, b: Expr) = Expr.Apply(Op.Pow, [ a; b ])
    static member (+) (a: Expr, b: float) = a + Expr.Scalar b
    static member (+) (a: float, b: Expr) = Expr.Scalar a + b
    static member (-) (a: Expr, b: float) = a - Expr.Scalar b
    static member (-) (a: float, b: Expr) = Expr.Scalar a - b
    static member (*) (a: Expr, b: float) = a * Expr.Scalar b
    static member (*) (a: float, b: Expr) = Expr.Scalar a * b
    static member (/) (a: Expr, b: float) = a / Expr.Scalar b
    static member (/) (a: float, b: Expr) = Expr.Scalar a / b
    static member Pow (a: Expr, b: float) = Expr.Pow(a, Expr.Scalar b)

    override _.ToString() =
        match node with
        | Const t -> $"Const{Shape.show t.Shape}#{id}"
        | Var n -> $"Var {n}{Shape.show shape}#{id}"
        | Apply (op, args) ->
            let ids = args |> List.map (fun a -> string a.Id) |> String.concat ", "
            $"%A{op}({ids})#{id}"

