/// Layout: views that only change (shape, strides, offset) — transpose, permute, broadcast,
/// reshape, slice — and the copies that glue tensors together (concat, stack, split's inverse).
/// Layer: Tensor (uses Create.fs). Read next: ElementOps.fs.
namespace ScratchML.TensorOps

open ScratchML

/// Views and joins. "View" means the result shares x's storage: nothing is copied.
module Layout =
    /// transpose i j x: a view with axes i and j swapped (their sizes and strides exchanged).
    let transpose (i: int) (j: int) (x: Tensor) =
        let axis = Create.axis "transpose" x.Shape x.Rank
        let i, j = axis i, axis j
        let swap (a: int[]) = let b = Array.copy a in b[i] <- a[j]; b[j] <- a[i]; b
        Create.view x (swap x.Shape) (swap x.Strides) x.Offset

    /// permute p x: a view with out axis k = x axis p[k] (p a permutation; negatives allowed).
    let permute (perm: int[]) (x: Tensor) =
        if perm.Length <> x.Rank then
            Shape.fail "permute" $"permutation %A{perm} does not fit shape {Shape.show x.Shape}"
        let p = perm |> Array.map (Create.axis "permute" x.Shape x.Rank)
        if Array.distinct p |> Array.length <> p.Length then
            Shape.fail "permute" $"%A{perm} repeats an axis (shape {Shape.show x.Shape})"
        let pick (a: int[]) = p |> Array.map (fun k -> a[k])
        Create.view x (pick x.Shape) (pick x.Strides) x.Offset

    /// broadcastTo shape x: a view of x stretched to `shape` (NumPy rules; a stretched axis gets
    /// stride 0).
    let broadcastTo (shape: int[]) (x: Tensor) =
        let lead = shape.Length - x.Rank
        let stretches i = x.Shape[i] = shape[lead + i] || x.Shape[i] = 1
        let fits =
            lead >= 0
            && Array.forall stretches [| 0 .. x.Rank - 1 |]
        if not fits then
            Shape.fail "broadcastTo" $"shape {Shape.show x.Shape} cannot broadcast to {Shape.show shape}"
        let strides =
            Array.init shape.Length (fun k ->
                let i = k - lead
                if i < 0 || (x.Shape[i] = 1 && shape[k] <> 1) then 0 else x.Strides[i])
        Create.view x (Array.copy shape) strides x.Offset

    /// unsqueeze axis x: a view with a new axis of size 1 at `axis` (in −(rank+1) … rank).
    let unsqueeze (axis: int) (x: Tensor) =
        let k = Create.axis "unsqueeze" x.Shape (x.Rank + 1) axis
        let stride = if k < x.Rank then x.Strides[k] * x.Shape[k] else 1
        Create.view x (Array.insertAt k 1 x.Shape) (Array.insertAt k stride x.Strides) x.Offset

    /// squeeze axis x: a view without `axis`, which must have size 1 (NumPy's rule; torch would
    /// silently do nothing).
    let squeeze (axis: int) (x: Tensor) =
        let k = Create.axis "squeeze" x.Shape x.Rank axis
        if x.Shape[k] <> 1 then
            Shape.fail "squeeze" $"axis {axis} of {Shape.show x.Shape} has size {x.Shape[k]}, not 1"
        Create.view x (Array.removeAt k x.Shape) (Array.removeAt k x.Strides) x.Offset

    /// Strides that show x's elements, in row-major order, with shape `target` — if any exist
    /// (NumPy's no-copy reshape): each run of old axes that is contiguous in memory may be
    /// re-split freely; a new axis may not straddle two such runs.
    let private viewStrides (x: Tensor) (target: int[]) : int[] option =
        // old axes without the size-1 ones (their strides do not matter)
        if x.Strides = Shape.rowMajorStrides x.Shape then Some(Shape.rowMajorStrides target) else
        let oldShape = x.Shape |> Array.filter ((<>) 1)
        let oldStrides =
            Array.zip x.Shape x.Strides |> Array.filter (fun (d, _) -> d <> 1) |> Array.map snd
        let strides = Array.zeroCreate target.Length
        let mutable ok = true
        let mutable oi, ni = 0, 0
        // walk groups: the smallest prefix of old axes and of new axes with equal products
        while ok && ni < target.Length do
            if target[ni] = 1 then ni <- ni + 1 // given a stride below
            else
                let o0, n0 = oi, ni
                let mutable po, pn = oldShape[oi], target[ni]
                oi <- oi + 1; ni <- ni + 1
                while po <> pn do
                    if po < pn then
                        po <- po * oldShape[oi]
                        oi <- oi + 1
                    else
                        pn <- pn * target[ni]
                        ni <- ni + 1
                // the old axes o0..oi-1 must be one contiguous run in memory
                for k in o0 .. oi - 2 do
                    if oldStrides[k] <> oldStrides[k + 1] * oldShape[k + 1] then ok <- false
                if ok then
                    strides[ni - 1] <- oldStrides[oi - 1]
                    for k in ni - 2 .. -1 .. n0 do strides[k] <- strides[k + 1] * target[k + 1]
        // a size-1 axis gets the stride it would have in a row-major layout of the run after it
        for k in target.Length - 1 .. -1 .. 0 do
            if target[k] = 1 then
                strides[k] <- if k + 1 < target.Length then strides[k + 1] * target[k + 1] else 1
        if ok then Some strides else None

    /// reshape shape x: the same row-major sequence of elements with another shape (−1 infers one
    /// size). A view when the strides allow it, otherwise a row-major copy.
    let reshape (shape: int[]) (x: Tensor) =
        let target = Shape.reshape "reshape" x.Shape shape
        if Shape.numel target = 0 then Create.zeros x.DType target
        else
            match viewStrides x target with
            | Some strides -> Create.view x target strides x.Offset
            | None -> let c = Create.copy x in Create.view c target (Shape.rowMajorStrides target) 0

    /// Start, size and step of one Python slice `start:stop:step` over an axis of size n.
    let private range op (n: int) (start: int option) (stop: int option) (step: int) =
        if step = 0 then Shape.fail op "slice step cannot be zero"
        let clamp lo hi v = max lo (min hi v)
        let norm v = if v < 0 then v + n else v
        if step > 0 then
            let s = start |> Option.map (norm >> clamp 0 n) |> Option.defaultValue 0
            let e = stop |> Option.map (norm >> clamp 0 n) |> Option.defaultValue n
            s, (if e > s then (e - s + step - 1) / step else 0), step
        else
            // counting down: −1 means "before the first element"
            let s = start |> Option.map (norm >> clamp -1 (n - 1)) |> Option.defaultValue (n - 1)
            let e = stop |> Option.map (norm >> clamp -1 (n - 1)) |> Option.defaultValue -1
            s, (if s > e then (s - e - step - 1) / -step else 0), step

    /// slice specs x: NumPy basic indexing x[s₀, s₁, …] as a view; `Index` drops its axis, a
    /// `Range` keeps it with size ⌈(stop − start)/step⌉; missing trailing specs mean `All`.
    let slice (specs: Slice[]) (x: Tensor) =
        if specs.Length > x.Rank then
            Shape.fail "slice" $"{specs.Length} indices for shape {Shape.show x.Shape}"
        let shape, strides = ResizeArray<int>(), ResizeArray<int>()
        let mutable offset = x.Offset
        for d in 0 .. x.Rank - 1 do
            let n, st = x.Shape[d], x.Strides[d]
            match (if d < specs.Length then specs[d] else Slice.All) with
            | Slice.All -> shape.Add n; strides.Add st
            | Slice.Index i ->
                let k = if i < 0 then i + n else i
                if k < 0 || k >= n then
                    Shape.fail "slice" $"index {i} out of range for axis {d} of {Shape.show x.Shape}"
                offset <- offset + k * st
            | Slice.Range (start, stop, step) ->
                let s, size, step = range "slice" n start stop step
                if size > 0 then offset <- offset + s * st
                shape.Add size; strides.Add(st * step)
        Create.view x (shape.ToArray()) (strides.ToArray()) offset

    /// dst view ← src (same shape); dst must be a view of a fresh tensor the caller owns.
    let copyInto op (dst: Tensor) (src: Tensor) =
        if dst.Shape <> src.Shape then
            Shape.fail op $"cannot write shape {Shape.show src.Shape} into {Shape.show dst.Shape}"
        Create.sameDType op dst src
        match dst.Storage, src.Storage with
        | Storage.F32 d, Storage.F32 s ->
            Loops.copyInto src.Shape s src.Strides src.Offset d dst.Strides dst.Offset
        | Storage.F64 d, Storage.F64 s ->
            Loops.copyInto src.Shape s src.Strides src.Offset d dst.Strides dst.Offset
        | _ -> ()

    /// sliceBackward shape specs g: zeros of `shape` with g written where `slice specs` reads
    /// (the adjoint: ⟨slice s x, g⟩ = ⟨x, sliceBackward shape s g⟩).
    let sliceBackward (shape: int[]) (specs: Slice[]) (g: Tensor) =
        let out = Create.zeros g.DType shape
        copyInto "sliceBackward" (slice specs out) g
        out

    /// narrow axis start length x: the view x[…, start : start + length, …] along `axis`.
    let narrow (axis: int) (start: int) (length: int) (x: Tensor) =
        let shape = Array.copy x.Shape
        shape[axis] <- length
        Create.view x shape x.Strides (x.Offset + start * x.Strides[axis])

    /// concat axis xs: the tensors joined along `axis`; all other sizes and the dtype must agree.
    let concat (axis: int) (xs: Tensor list) =
        match xs with
        | [] -> Shape.fail "concat" "needs at least one tensor"
        | first :: _ ->
            let k = Create.axis "concat" first.Shape first.Rank axis
            let shapes () = xs |> List.map (fun t -> Shape.show t.Shape) |> String.concat " "
            for t in xs do
                Create.sameDType "concat" first t
                let sameOff d = d = k || t.Shape[d] = first.Shape[d]
                let agree = t.Rank = first.Rank && Array.forall sameOff [| 0 .. t.Rank - 1 |]
                if not agree then Shape.fail "concat" $"shapes {shapes ()} differ off axis {axis}"
            let shape = Array.copy first.Shape
            shape[k] <- xs |> List.sumBy (fun t -> t.Shape[k])
            let out = Create.zeros first.DType shape
            let mutable start = 0
            for t in xs do
                copyInto "concat" (narrow k start t.Shape[k] out) t
                start <- start + t.Shape[k]
            out

    /// stack axis xs: equal-shaped tensors joined along a new axis (unsqueeze each, then concat).
    let stack (axis: int) (xs: Tensor list) =
        match xs with
        | [] -> Shape.fail "stack" "needs at least one tensor"
        | first :: _ ->
            for t in xs do
                if t.Shape <> first.Shape then
                    let shapes = $"{Shape.show first.Shape} and {Shape.show t.Shape}"
                    Shape.fail "stack" $"shapes {shapes} differ"
            let k = Create.axis "stack" first.Shape (first.Rank + 1) axis
            concat k (xs |> List.map (unsqueeze k))

    /// split axis sizes x: views of consecutive pieces along `axis` (Σ sizes = x's size there;
    /// concat axis (split axis sizes x) = x).
    let split (axis: int) (sizes: int[]) (x: Tensor) =
        let k = Create.axis "split" x.Shape x.Rank axis
        if Array.exists (fun s -> s < 0) sizes || Array.sum sizes <> x.Shape[k] then
            Shape.fail "split" $"sizes %A{sizes} do not add up to axis {axis} of {Shape.show x.Shape}"
        let starts = Array.scan (+) 0 sizes
        [ for i in 0 .. sizes.Length - 1 -> narrow k starts[i] sizes[i] x ]
