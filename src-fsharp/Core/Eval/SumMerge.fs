/// Sums the compiler rewrites before flattening: the same value with O(1) kernels instead of
/// O(terms). Layer: Eval, before Compile.fs (which calls `SumMerge.run`). Read next: Compile.fs.
///
/// An unrolled recurrence's gradient sums one term per time step: the placements of each step's
/// slice gradient into a zero tensor of the whole sequence (T full-size tensors, O(T²) work), and
/// each step's contribution hᵀ·g to a weight's gradient (T small GEMMs). Concatenating the
/// pieces, and the factors of the products, gives one copy and one GEMM with a long inner axis.
/// The gradient stays symbolic and O(T); only the program that computes it changes.
namespace ScratchML

open System.Collections.Generic

/// Merging sums of slice placements and of matrix products.
[<RequireQualifiedAccess>]
module SumMerge =
    let private argsOf (e: Expr) = match e.Node with Node.Apply (_, args) -> args | _ -> []

    /// A SliceBackward term seen as a piece of a tensor of `Shape`: `Value` (with the sliced axis
    /// kept, size `Length`) placed at `Start` along `Axis`, zeros elsewhere.
    type private Piece = { Term: Expr; Shape: int list; Axis: int; Start: int; Length: int; Value: Expr }

    /// The piece a SliceBackward term places, when one axis is sliced (an index, or a range of
    /// step 1) and every other spec is All.
    let private pieceOf (e: Expr) =
        match e.Node with
        | Node.Apply (Op.SliceBackward (shape, specs), [ g ]) ->
            let n axis = shape[axis]
            let piece axis start length value =
                Some { Term = e; Shape = shape; Axis = axis; Start = start; Length = length; Value = value }
            match specs |> List.indexed |> List.filter (fun (_, s) -> s <> Slice.All) with
            | [ axis, Slice.Index i ] ->
                let kept = Array.concat [ g.Shape[.. axis - 1]; [| 1 |]; g.Shape[axis ..] ]
                piece axis (if i < 0 then i + n axis else i) 1 (Expr.reshape kept g)
            | [ axis, Slice.Range (start, stop, 1) ] ->
                let clamp v = if v < 0 then max 0 (v + n axis) else min v (n axis)
                let a = start |> Option.map clamp |> Option.defaultValue 0
                let b = stop |> Option.map clamp |> Option.defaultValue (n axis)
                if b > a then piece axis a (b - a) g else None
            | _ -> None
        | _ -> None

    /// Σ of pieces of one shape, disjoint along one axis = the pieces concatenated along that
    /// axis, zeros in the gaps (exact: each element is one piece's value or 0). An overlapping
    /// piece (a second one at a position) stays a term. → (merged terms, terms left as they were).
    let private mergeSlices (terms: Expr list) =
        let pieces = terms |> List.choose pieceOf
        let left = ResizeArray<Expr>(terms |> List.filter (pieceOf >> Option.isNone))
        let merged = ResizeArray<Expr>()
        for (shape, axis), group in pieces |> List.groupBy (fun p -> p.Shape, p.Axis) do
            let chosen = ResizeArray<Piece>()
            let mutable next = 0
            for p in group |> List.sortBy (fun p -> p.Start) do
                if p.Start >= next then
                    chosen.Add p
                    next <- p.Start + p.Length
                else left.Add p.Term
            if chosen.Count < 2 then (for p in chosen do left.Add p.Term)
            else
                let size = shape[axis]
                let gap a b = Expr.zeros (shape |> List.mapi (fun i d -> if i = axis then b - a else d) |> Array.ofList)
                let parts = ResizeArray<Expr>()
                let mutable at = 0
                for p in chosen do
                    if p.Start > at then parts.Add (gap at p.Start)
                    parts.Add p.Value
                    at <- p.Start + p.Length
                if at < size then parts.Add (gap at size)
                merged.Add (Expr.concat axis (List.ofSeq parts))
        List.ofSeq merged, List.ofSeq left

    /// Σᵢ Aᵢ·Bᵢ over rank-2 products = [A₁ A₂ …]·[B₁; B₂; …]: one GEMM with a long inner axis
    /// instead of many small ones (a recurrent weight's gradient sums one product per step).
    let private mergeProducts (terms: Expr list) =
        let isProduct (e: Expr) =
            match e.Node with
            | Node.Apply (Op.MatMul, [ a; b ]) -> a.Rank = 2 && b.Rank = 2
            | _ -> false
        match List.partition isProduct terms with
        | (_ :: _ :: _ as products), rest ->
            let factors = products |> List.map argsOf
            let transposed (e: Expr) =
                match e.Node with
                | Node.Apply (Op.Permute [ 1; 0 ], [ x ]) -> Some x
                | _ -> None
            // [x₁ᵀ x₂ᵀ …] = [x₁; x₂; …]ᵀ: stacking rows copies whole rows, and the GEMM reads
            // the transpose by strides (a weight gradient's left factors are hᵀ, one per step)
            let left =
                let lefts = [ for f in factors -> f[0] ]
                match List.map transposed lefts with
                | xs when List.forall Option.isSome xs -> Expr.transpose 0 1 (Expr.concat 0 (List.choose id xs))
                | _ -> Expr.concat 1 lefts
            let right = Expr.concat 0 [ for f in factors -> f[1] ]
            Expr.matmul left right :: rest
        | _ -> terms

    let private same (xs: Expr list) (ys: Expr list) =
        xs.Length = ys.Length && List.forall2 (fun (a: Expr) (b: Expr) -> a.Id = b.Id) xs ys

    /// Every sum (a tree of adds of one shape) whose terms are disjoint slice placements or
    /// matrix products, rewritten as above, the rest of the graph rebuilt on top; returns the
    /// rewritten outputs (the same values).
    let run (outputs: Expr list) =
        let nodes = Order.topological outputs
        let uses = Order.useCounts nodes
        let isOutput = HashSet<int>(outputs |> List.map (fun o -> o.Id))
        let user = Dictionary<int, Expr>()
        for e in nodes do for a in argsOf e do user[a.Id] <- e
        let isAdd (e: Expr) =
            match e.Node with
            | Node.Apply (Op.Add, [ a; b ]) -> a.Shape = e.Shape && b.Shape = e.Shape
            | _ -> false
        // an add inside a larger sum: used once, by an add of the same shape
        let inner (e: Expr) =
            isAdd e && not (isOutput.Contains e.Id) && uses.GetValueOrDefault(e.Id) = 1 && isAdd user[e.Id]
        // the terms of the sum rooted at e: its leaves below the inner adds, left to right
        let termsOf (e: Expr) =
            let terms = ResizeArray<Expr>()
            let stack = Stack<Expr>([ e ])
            while stack.Count > 0 do
                let t = stack.Pop()
                if t.Id = e.Id || inner t then (for a in List.rev (argsOf t) do stack.Push a) else terms.Add t
            List.ofSeq terms
        let mapped = Dictionary<int, Expr>()
        let get (e: Expr) = mapped[e.Id]
        // nodes in evaluation order: every argument is rebuilt before its users
        for e in nodes do
            let rebuilt (op: Op) (args: Expr list) =
                let args' = List.map get args
                if same args' args then e else Expr.apply op args'
            mapped[e.Id] <-
                match e.Node with
                | Node.Apply (op, args) when isAdd e && not (inner e) ->
                    let terms = termsOf e |> List.map get
                    let slices, rest = mergeSlices terms
                    let merged = slices @ mergeProducts rest
                    if same merged terms then rebuilt op args
                    else merged |> List.reduce (fun a b -> Expr.apply Op.Add [ a; b ])
                | Node.Apply (op, args) -> rebuilt op args
                | _ -> e
        outputs |> List.map get
