/// Shapes: sizes per axis, row-major strides, NumPy broadcasting and the one shape error.
/// Layer: Tensor. Read next: Tensor.fs.
namespace ScratchML

open System

/// Raised when shapes do not fit an operation; the message names the op and both shapes.
exception ShapeError of op: string * detail: string with
    override this.Message = $"{this.op}: {this.detail}"

/// A shape is an int array of sizes, outermost axis first; [||] is a scalar.
[<RequireQualifiedAccess>]
module Shape =
    /// "[2; 3; 4]" — how shapes print in every error message.
    let show (shape: int[]) = "[" + String.Join("; ", shape) + "]"

    /// Raise a ShapeError naming the op.
    let fail op (detail: string) : 'a = raise (ShapeError(op, detail))

    /// Number of elements: the product of the sizes (1 for a scalar).
    let numel (shape: int[]) = Array.fold (*) 1 shape

    /// Row-major (C-order) strides: stride[i] = ∏_{j>i} shape[j].
    let rowMajorStrides (shape: int[]) =
        let strides = Array.zeroCreate shape.Length
        let mutable s = 1
        for i in shape.Length - 1 .. -1 .. 0 do
            strides[i] <- s
            s <- s * shape[i]
        strides

    /// A possibly negative axis counted from the end (−1 is the last), checked against the rank.
    let axis op (rank: int) (a: int) =
        let k = if a < 0 then a + rank else a
        if k < 0 || k >= rank then fail op $"axis {a} is out of range for rank {rank}"
        k

    /// Normalised, sorted, distinct axes; an empty list means every axis.
    let axes op (rank: int) (xs: int list) =
        match xs with
        | [] -> [ 0 .. rank - 1 ]
        | _ ->
            let ks = xs |> List.map (axis op rank)
            if List.distinct ks <> ks then fail op $"repeated axis in %A{xs}"
            List.sort ks

    /// NumPy broadcasting: align trailing axes; a size-1 or missing axis stretches.
    let broadcast op (a: int[]) (b: int[]) =
        let rank = max a.Length b.Length
        Array.init rank (fun i ->
            let da = let j = i - (rank - a.Length) in if j >= 0 then a[j] else 1
            let db = let j = i - (rank - b.Length) in if j >= 0 then b[j] else 1
            if da = db || db = 1 then da
            elif da = 1 then db
            else fail op $"shapes {show a} and {show b} do not broadcast")

    /// Shape after reducing `axes` (already normalised): dropped, or kept as 1 with keepdim.
    let reduced (shape: int[]) (axes: int list) (keepdim: bool) =
        if keepdim then shape |> Array.mapi (fun i d -> if List.contains i axes then 1 else d)
        else shape |> Array.indexed |> Array.filter (fun (i, _) -> not (List.contains i axes)) |> Array.map snd

    /// Check that a target shape has as many elements as the source (for reshape); −1 infers one size.
    let reshape op (source: int[]) (target: int[]) =
        let n = numel source
        let unknown = target |> Array.filter ((=) -1) |> Array.length
        if unknown > 1 then fail op $"more than one -1 in {show target}"
        let known = target |> Array.filter ((<>) -1) |> Array.fold (*) 1
        let resolved =
            if unknown = 1 then
                if known = 0 || n % known <> 0 then fail op $"cannot reshape {show source} to {show target}"
                target |> Array.map (fun d -> if d = -1 then n / known else d)
            else target
        if numel resolved <> n then fail op $"cannot reshape {show source} ({n} elements) to {show target}"
        resolved
