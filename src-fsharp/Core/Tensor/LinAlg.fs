/// matmul with PyTorch's semantics (2-d, batched, broadcast batch axes, 1-d operands), handing
/// every 2-d block to Gemm.fs with the operands' own strides (a transposed view is never copied).
/// Layer: Tensor (uses Layout, Gemm). Read next: Ops.fs (the Tensor module).
namespace ScratchML.TensorOps

open ScratchML

/// Linear algebra.
module LinAlg =
    /// matmul a b: c[…, i, j] = Σₚ a[…, i, p]·b[…, p, j], the leading (batch) axes broadcast.
    /// A 1-d a is a row vector [1; k] and a 1-d b a column [k; 1]; that axis is dropped afterwards.
    let matmul (a: Tensor) (b: Tensor) =
        let shapes () = $"shapes {Shape.show a.Shape} and {Shape.show b.Shape}"
        Create.sameDType "matmul" a b
        if a.Rank = 0 || b.Rank = 0 then
            Shape.fail "matmul" $"{shapes ()}: scalars have no matrix product"
        let a2 = if a.Rank = 1 then Layout.unsqueeze 0 a else a
        let b2 = if b.Rank = 1 then Layout.unsqueeze 1 b else b
        let m, k = a2.Shape[a2.Rank - 2], a2.Shape[a2.Rank - 1]
        let k2, n = b2.Shape[b2.Rank - 2], b2.Shape[b2.Rank - 1]
        if k <> k2 then Shape.fail "matmul" $"{shapes ()}: inner sizes {k} and {k2} differ"
        let batch =
            try Shape.broadcast "matmul" a2.Shape[.. a2.Rank - 3] b2.Shape[.. b2.Rank - 3]
            with ShapeError _ -> Shape.fail "matmul" $"{shapes ()}: batch axes do not broadcast"
        let av = Layout.broadcastTo (Array.append batch [| m; k |]) a2
        let bv = Layout.broadcastTo (Array.append batch [| k; n |]) b2
        let shape = Array.append batch [| m; n |]
        let out = Create.zeros a.DType shape
        let r = batch.Length
        // one GEMM per batch index; the Plan walks the batch axes of out, a and b together
        let outStrides = Shape.rowMajorStrides batch |> Array.map ((*) (m * n))
        let plan = Plan(batch, [| outStrides; av.Strides[.. r - 1]; bv.Strides[.. r - 1] |],
                        [| 0; av.Offset; bv.Offset |])
        let len, inner = plan.Length, plan.Inner
        let threads = Gemm.defaultThreads
        let ars, acs, brs, bcs = av.Strides[r], av.Strides[r + 1], bv.Strides[r], bv.Strides[r + 1]
        // the product of `rows` rows of A with B at offsets (c, a, b), chosen once for the dtype
        let block : int -> int -> int -> int -> unit =
            match av.Storage, bv.Storage, out.Storage with
            | Storage.F32 x, Storage.F32 y, Storage.F32 c ->
                fun rows co ao bo -> Gemm.sgemm threads rows n k x ao ars acs y bo brs bcs c co n
            | Storage.F64 x, Storage.F64 y, Storage.F64 c ->
                fun rows co ao bo -> Gemm.dgemm threads rows n k x ao ars acs y bo brs bcs c co n
            | _ -> failwith "unreachable: dtypes checked above"
        // When b is the same matrix for every batch index (stride 0: x·W with x [B; T; k]) and a's
        // batch axes continue its rows evenly, the batch is just more rows: one GEMM of B·m rows.
        let sharedB = Array.forall ((=) 0) bv.Strides[.. r - 1]
        let continues d = av.Strides[d] = av.Strides[d + 1] * av.Shape[d + 1]
        let rowsContinue = List.forall continues [ 0 .. r - 1 ]
        if m * n > 0 && k > 0 then // out is already zeros when k = 0
            if r > 0 && sharedB && rowsContinue then block (Shape.numel batch * m) 0 av.Offset bv.Offset
            else
                plan.Iter(fun o ->
                    for i in 0 .. len - 1 do
                        block m (o[0] + i * inner[0]) (o[1] + i * inner[1]) (o[2] + i * inner[2]))
        // drop the axes that 1-d operands gained
        let out = if a.Rank = 1 then Layout.squeeze -2 out else out
        if b.Rank = 1 then Layout.squeeze -1 out else out
