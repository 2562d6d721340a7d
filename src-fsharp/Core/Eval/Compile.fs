/// The compiler: flatten a DAG into a linear program, fuse elementwise chains, plan buffers once.
/// Layer: Eval (its block kernels: Blocks.fs, Blocks32.fs). Read next: the tests
/// (Eval/CompileTests.fs) — compiled equals interpreted.
///
/// One instruction per materialised node, in evaluation order (the order of a `let` listing).
/// An elementwise node used once by an elementwise node of the same shape is not materialised:
/// it is inlined into its user, so a chain like g·(1 − y·y) runs as one pass over blocks of
/// 1024 elements held in a few registers (float64 blocks rounded once at the end; float32
/// blocks where that gives the same bits). Other ops call their card's tensor kernel, except
/// max pooling's values and indices of one input, which one kernel call gives together. Outputs
/// of fused instructions live in buffers planned at compile time: a buffer is reused as soon as
/// every value reading it (including views of it, e.g. a reshape) is dead.
namespace ScratchML

open System
open System.Collections.Generic


/// What an instruction does.
type Instruction =
    /// A variable, read from the environment.
    | Input of name: string
    /// A constant, converted once per dtype.
    | Constant of Tensor
    /// The card's forward kernel on the argument slots.
    | Kernel of op: Op * args: int[]
    /// A fused elementwise pass: inputs (slots) broadcast to the node's shape, then the steps;
    /// the result is the register of the last step, written into `buffer` (−1: fresh each run).
    | Fused of inputs: int[] * steps: Micro[] * registers: int * buffer: int
    /// Max pooling of slot `input` giving both its values (slot `values`, the forward) and its
    /// indices (slot `indices`, read by the backward) from one pass; the earlier of the two.
    | MaxPoolBoth of pool: Pool2dSpec * input: int * values: int * indices: int
    /// The value of `op` on slot `input`, already set by the MaxPoolBoth at instruction `by`.
    | SetBy of op: Op * input: int * by: int
    /// A 2-d matrix product a·b written by the GEMM into `buffer` (−1: a fresh tensor each run).
    | Product of a: int * b: int * buffer: int
    /// The arguments joined along `axis` (Concat), copied into `buffer` (−1: fresh each run).
    | Joined of parts: int[] * axis: int * buffer: int

/// A compiled program: `Run env` gives the outputs' values, equal to `Eval.runMany env outputs`.
/// Not reentrant: a run writes its intermediate results into buffers the program owns, so one
/// program must not run on two threads at once (Model.predict and CharLm take a lock on their model).
/// A program compiled with `Compile.reusing` also writes its outputs into its own buffers: they
/// hold their values until the next run (no allocation per run, e.g. a training step's gradients).
[<Sealed>]
type Compiled internal (outputs: Expr list, nodes: Expr[], code: Instruction[], release: int list[],
                        slotOf: Dictionary<int, int>, bufferSizes: int[]) =
    let buffers = Dictionary<DType, Storage[]>()
    let constants = Dictionary<DType, Dictionary<int, Tensor>>()
    // the tensor over instruction i's planned buffer, made once per dtype (the same view each run)
    let results = Dictionary<DType, Tensor[]>()
    // the values of one run, kept between runs (the program is not reentrant anyway)
    let values : Tensor[] = Array.zeroCreate code.Length
    // scratch blocks shared by every fused pass, allocated once, in float64 and in float32
    let mostInputs =
        code |> Array.map (function Fused (ins, _, _, _) -> ins.Length | _ -> 0) |> Array.fold max 0
    let mostRegisters =
        code |> Array.map (function Fused (_, _, r, _) -> r | _ -> 0) |> Array.fold max 0
    let inputBlocks = Array.init mostInputs (fun _ -> Array.zeroCreate<float> Blocks.size)
    let registerBlocks = Array.init mostRegisters (fun _ -> Array.zeroCreate<float> Blocks.size)
    let inputBlocks32 = Array.init mostInputs (fun _ -> Array.zeroCreate<float32> Blocks.size)
    let registerBlocks32 = Array.init mostRegisters (fun _ -> Array.zeroCreate<float32> Blocks.size)
    // per input of the pass being run: the array its operands read (its own storage when read in
    // place, else its input block) and where its elements start there (−1: loaded block by block)
    let sources = Array.zeroCreate<float[]> mostInputs
    let sources32 = Array.zeroCreate<float32[]> mostInputs
    let origins = Array.zeroCreate<int> mostInputs
    // the fused passes that may run on float32 blocks (a float32 run, float32 inputs)
    let float32Safe =
        code |> Array.map (function
            | Fused (_, steps, registers, _) -> Blocks32.roundsLikeFloat64 steps registers
            | _ -> false)
    let storageFor dtype n =
        match dtype with
        | DType.Float64 -> Storage.F64 (Array.zeroCreate n)
        | DType.Float32 -> Storage.F32 (Array.zeroCreate n)

    /// The storage of planned buffer `buffer` in `dtype` (−1: a fresh one of n elements).
    let storageOf dtype buffer n =
        if buffer >= 0 then
            let pool = match buffers.TryGetValue dtype with
                       | true, p -> p
                       | _ -> let p = bufferSizes |> Array.map (storageFor dtype) in buffers[dtype] <- p; p
            pool[buffer]
        else storageFor dtype n

    /// The row-major tensor of `shape` over instruction i's planned buffer `buffer` (made on the
    /// first run in a dtype, the same object after), or over fresh storage when buffer = −1.
    let resultOf dtype (i: int) (shape: int[]) buffer =
        if buffer < 0 then
            Tensor(storageFor dtype (Shape.numel shape), Array.copy shape, Shape.rowMajorStrides shape, 0)
        else
            let made = match results.TryGetValue dtype with
                       | true, r -> r
                       | _ -> let r = Array.zeroCreate code.Length in results[dtype] <- r; r
            if isNull made[i] then
                made[i] <- Tensor(storageOf dtype buffer (Shape.numel shape), Array.copy shape,
                                  Shape.rowMajorStrides shape, 0)
            made[i]

    /// c = a·b for 2-d a [m; k], b [k; n] of the run's dtype, into a planned buffer: the GEMM
    /// reads both operands by their strides (a transposed view is not copied) and overwrites c.
    let product (i: int) (a: Tensor) (b: Tensor) dtype buffer =
        if buffer < 0 || a.DType <> dtype || b.DType <> dtype then Tensor.matmul a b
        else
            let m, k, n = a.Shape[0], a.Shape[1], b.Shape[1]
            let result = resultOf dtype i [| m; n |] buffer
            let storage = result.Storage
            let threads = Gemm.defaultThreads
            match a.Storage, b.Storage, storage with
            | _ when k = 0 -> Blocks.clear storage (m * n)
            | Storage.F32 x, Storage.F32 y, Storage.F32 c ->
                Gemm.sgemm threads m n k x a.Offset a.Strides[0] a.Strides[1] y b.Offset b.Strides[0] b.Strides[1] c 0 n
            | Storage.F64 x, Storage.F64 y, Storage.F64 c ->
                Gemm.dgemm threads m n k x a.Offset a.Strides[0] a.Strides[1] y b.Offset b.Strides[0] b.Strides[1] c 0 n
            | _ -> invalidOp "Compile: operand dtypes differ"
            result

    /// Concat of `parts` along `axis` into a planned buffer of `shape` (each part's strides read
    /// as they are; the parts cover the axis, so every element is written).
    let joined (i: int) (parts: Tensor[]) (axis: int) (shape: int[]) dtype buffer =
        if buffer < 0 || parts |> Array.exists (fun p -> p.DType <> dtype) then Tensor.concat axis (List.ofArray parts)
        else
            let out = resultOf dtype i shape buffer
            let mutable start = 0
            for part in parts do
                TensorOps.Layout.copyInto "concat" (TensorOps.Layout.narrow axis start part.Shape[axis] out) part
                start <- start + part.Shape[axis]
            out

    /// Point each input of a pass of `shape` at the array its operands read: a dense input of
    /// that shape whose storage `storageArray` gives (the blocks' element type) is read in place,
    /// any other (broadcast, strided, another dtype) is loaded into `blocks[k]` block by block.
    let placeInputs (inputs: int[]) (shape: int[]) (blocks: 'T[][]) (sources: 'T[][])
                    (storageArray: Storage -> 'T[]) =
        for k in 0 .. inputs.Length - 1 do
            let t = values[inputs[k]]
            let a = storageArray t.Storage
            if not (isNull a) && t.Shape = shape && Blocks.isDense t then
                sources[k] <- a
                origins[k] <- t.Offset
            else
                sources[k] <- blocks[k]
                origins[k] <- -1

    /// Argument `k` of a step (empty past its arity) over the len elements of the block at
    /// `start`: register c ≥ 0, or input −c−1 where placeInputs put it.
    let operand (registers: 'T[][]) (sources: 'T[][]) (args: int[]) k start len : ReadOnlySpan<'T> =
        if k >= args.Length then ReadOnlySpan<'T>.Empty
        else
            let c = args[k]
            if c >= 0 then ReadOnlySpan<'T>(registers[c], 0, len)
            else
                let origin = origins[-c - 1]
                ReadOnlySpan<'T>(sources[-c - 1], (if origin >= 0 then origin + start else 0), len)

    /// One fused pass over blocks: load the inputs, run the steps, store the last one's result. In
    /// float64 blocks (exact widening, one rounding at the store), or in float32 blocks when the
    /// steps give the same bits that way (Blocks32.roundsLikeFloat64) and every input is float32.
    /// Float32 blocks, and float64 blocks in a float64 run, read dense inputs in place and write the
    /// last step straight into the output (memory-bound passes: copies fewer): the same ops on the
    /// same values, so the same bits (no op's bits depend on where its operands lie: VecMath).
    let fused (i: int) dtype (shape: int[]) (inputs: int[]) (steps: Micro[]) buffer =
        let n = Shape.numel shape
        let result = resultOf dtype i shape buffer
        let lastStep = steps.Length - 1
        let float32Blocks =
            dtype = DType.Float32 && float32Safe[i]
            && inputs |> Array.forall (fun k -> values[k].DType = DType.Float32)
        match result.Storage with
        | Storage.F32 out when float32Blocks ->
            let float32Array = function Storage.F32 a -> a | Storage.F64 _ -> null
            placeInputs inputs shape inputBlocks32 sources32 float32Array
            let regs = registerBlocks32
            let mutable start = 0
            while start < n do
                let len = min Blocks.size (n - start)
                for k in 0 .. inputs.Length - 1 do
                    if origins[k] < 0 then
                        Blocks32.load values[inputs[k]] shape start len inputBlocks32[k]
                for s in 0 .. lastStep do
                    let args = steps[s].Args
                    let d =
                        if s = lastStep then Span(out, start, len)
                        else Span(regs[steps[s].Dest], 0, len)
                    Blocks32.apply steps[s].Op (operand regs sources32 args 0 start len)
                        (operand regs sources32 args 1 start len)
                        (operand regs sources32 args 2 start len) d
                start <- start + len
        | storage ->
            // dense float64 inputs are read in place and a float64 output is written directly
            // (every step's bits are a function of its operands' values: VecMath); a float32
            // output is narrowed from the last register block
            let float64Array = function Storage.F64 a -> a | Storage.F32 _ -> null
            placeInputs inputs shape inputBlocks sources float64Array
            let regs = registerBlocks
            let out = float64Array storage
            let last = steps[lastStep].Dest
            let mutable start = 0
            while start < n do
                let len = min Blocks.size (n - start)
                for k in 0 .. inputs.Length - 1 do
                    if origins[k] < 0 then
                        Blocks.load values[inputs[k]] shape start len inputBlocks[k]
                for s in 0 .. lastStep do
                    let args = steps[s].Args
                    let d =
                        if s = lastStep && not (isNull out) then Span(out, start, len)
                        else Span(regs[steps[s].Dest], 0, len)
                    Blocks.apply steps[s].Op (operand regs sources args 0 start len)
                        (operand regs sources args 1 start len)
                        (operand regs sources args 2 start len) d
                if isNull out then Blocks.store regs[last] storage start len
                start <- start + len
        result

    /// Run the program; with `times` (not null) also time each instruction into times[i] (ms).
    let execute (env: Map<string, Tensor>) (times: float[]) =
        let dtype = Eval.dtypeOf env
        let cache = match constants.TryGetValue dtype with
                    | true, c -> c
                    | _ -> let c = Dictionary() in constants[dtype] <- c; c
        let timed = not (isNull times)
        for i in 0 .. code.Length - 1 do
            let node = nodes[i]
            let started = if timed then Diagnostics.Stopwatch.GetTimestamp() else 0L
            values[i] <-
                match code[i] with
                | Input name -> Eval.lookup env name node.Shape
                | Constant t ->
                    match cache.TryGetValue i with
                    | true, c -> c
                    | _ -> let c = (if t.DType = dtype then t else Tensor.astype dtype t) in cache[i] <- c; c
                | Kernel (Op.SumTo target, [| a |]) when Blocks.isRowSum values[a] (Array.ofList target) ->
                    Blocks.sumRows values[a] (Array.ofList target)
                | Kernel (Op.SumTo target, [| a |]) when Blocks.isMiddleSum values[a] (Array.ofList target) ->
                    Blocks.sumMiddle values[a] (Array.ofList target)
                | Kernel (op, args) -> (Cards.cardOf op).Forward [ for a in args -> values[a] ]
                | MaxPoolBoth (spec, input, v, ix) ->
                    let y, indices = Tensor.maxPool2dWithIndices spec values[input]
                    values[v] <- y
                    values[ix] <- indices
                    values[i]
                | SetBy _ -> values[i]
                | Fused (inputs, steps, _, buffer) -> fused i dtype node.Shape inputs steps buffer
                | Product (a, b, buffer) -> product i values[a] values[b] dtype buffer
                | Joined (parts, axis, buffer) -> joined i (parts |> Array.map (fun p -> values[p])) axis node.Shape dtype buffer
            if timed then times[i] <- Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds
            for dead in release[i] do values[dead] <- null   // let the collector have dead kernel outputs
        [ for o in outputs -> values[slotOf[o.Id]] ]

    /// The program, one line per instruction (slot = instruction index); "float32 blocks" marks
    /// the fused passes a float32 run computes in float32 (Blocks32).
    member _.Listing =
        let slots (xs: int[]) = xs |> Array.map (sprintf "v%d") |> String.concat ", "
        [ for i, ins in Array.indexed code ->
            let node = nodes[i]
            match ins with
            | Input name -> $"v{i} = {name}"
            | Constant t -> $"v{i} = const {Shape.show t.Shape}"
            | Kernel (op, args) -> $"v{i} = %A{op}({slots args})"
            | MaxPoolBoth (spec, input, v, ix) ->
                let other = if i = v then $"v{ix} its indices" else $"v{v} its values"
                let op = if i = v then Op.MaxPool2d spec else Op.MaxPool2dIndices spec
                $"v{i} = %A{op}(v{input}), with {other} (one pass)"
            | SetBy (op, input, by) -> $"v{i} = %A{op}(v{input}), set by v{by}"
            | Fused (inputs, steps, _, buffer) ->
                let ops = steps |> Array.map (fun s -> (Cards.cardOf s.Op).Name) |> String.concat " "
                let blocks = if float32Safe[i] then ", float32 blocks" else ""
                let shape = Shape.show node.Shape
                $"v{i} = fused[{ops}]({slots inputs}) {shape} in buffer {buffer}{blocks}"
            | Product (a, b, buffer) -> $"v{i} = MatMul({slots [| a; b |]}) {Shape.show node.Shape} in buffer {buffer}"
            | Joined (parts, axis, buffer) -> $"v{i} = Concat {axis}({slots parts}) {Shape.show node.Shape} in buffer {buffer}" ]

    /// Number of instructions and of fused elementwise passes.
    member _.Size = code.Length, code |> Array.filter (function Fused _ -> true | _ -> false) |> Array.length

    /// Sizes (elements) of the buffers planned for fused results.
    member _.Buffers = Array.copy bufferSizes

    /// Run the program, timing each instruction: (outputs, milliseconds per listing line).
    member _.Profile(env: Map<string, Tensor>) : Tensor list * float[] =
        let times = Array.zeroCreate code.Length
        let outputs = execute env times
        outputs, times

    /// Run the program; variables are read from env (checked as in Eval), constants take its dtype.
    member _.Run(env: Map<string, Tensor>) : Tensor list = execute env null

/// Compile expressions into a program.
[<RequireQualifiedAccess>]
module Compile =
    let private isElementwise (e: Expr) =
        match e.Node with
        | Node.Apply (op, _) ->
            match op with
            | Op.Neg | Op.Exp | Op.Log | Op.Sqrt | Op.Abs | Op.Sin | Op.Cos | Op.Tan | Op.Tanh | Op.Sigmoid
            | Op.Softplus | Op.Relu | Op.LeakyRelu _ | Op.Step | Op.Sign | Op.Add | Op.Sub | Op.Mul | Op.Div
            | Op.Pow | Op.Maximum | Op.Minimum | Op.Gt | Op.Ge | Op.Lt | Op.Le | Op.Eq | Op.Where -> true
            | _ -> false
        | _ -> false

    let private argsOf (e: Expr) = match e.Node with Node.Apply (_, args) -> args | _ -> []

    /// The micro-steps of one fused pass rooted at `root`: a post-order walk over the inlined
    /// nodes below it (a tree: an inlined node has one user). Registers are recycled as soon as
    /// their one reader has run, so a long chain needs only a few blocks.
    let private fuse (root: Expr) (inlined: Expr -> bool) (slotOf: Dictionary<int, int>) =
        let inputs = ResizeArray<int>()
        let inputCode = Dictionary<int, int>()
        let registerOf = Dictionary<int, int>()
        let steps = ResizeArray<Micro>()
        let free = Stack<int>()
        let mutable registers = 0
        let operand (a: Expr) =
            if inlined a then registerOf[a.Id]
            else
                match inputCode.TryGetValue a.Id with
                | true, c -> c
                | _ ->
                    inputs.Add slotOf[a.Id]
                    inputCode[a.Id] <- -inputs.Count
                    -inputs.Count
        let stack = Stack<struct (Expr * bool)>()
        stack.Push(struct (root, false))
        while stack.Count > 0 do
            let struct (e, ready) = stack.Pop()
            if ready then
                // x^2 runs as x·x (the same correctly rounded square): a general pow costs ~10×
                // more per element, and Simplify writes every y·y (tanh', σ'…) as y^2
                let op, args =
                    match e.Node with
                    | Node.Apply (Op.Pow, [ x; Scalar 2.0 ]) -> Op.Mul, [ x; x ]
                    | Node.Apply (op, args) -> op, args
                    | _ -> invalidOp "fuse"
                let codes = args |> List.map operand |> Array.ofList
                let dest = if free.Count > 0 then free.Pop() else (registers <- registers + 1; registers - 1)
                for c in Array.distinct codes do if c >= 0 then free.Push c   // after choosing dest: never in place
                registerOf[e.Id] <- dest
                steps.Add { Op = op; Args = codes; Dest = dest }
            else
                stack.Push(struct (e, true))
                for a in argsOf e do if inlined a then stack.Push(struct (a, false))
        inputs.ToArray(), steps.ToArray(), registers

    /// Max pooling's values (the forward) and indices (the backward) of one input come from one
    /// pass: the earlier of the two kernels becomes a MaxPoolBoth setting both slots, the later a
    /// SetBy. The pair is found here, not in the graph, so each op keeps its own card.
    let private pairMaxPools (code: Instruction[]) =
        let seen = Dictionary<struct (Pool2dSpec * int * bool), int>()
        for i in 0 .. code.Length - 1 do
            match code[i] with
            | Kernel ((Op.MaxPool2d spec | Op.MaxPool2dIndices spec) as op, [| input |]) ->
                let isValues = op = Op.MaxPool2d spec
                match seen.TryGetValue(struct (spec, input, not isValues)) with
                | true, first ->
                    let v, ix = if isValues then i, first else first, i
                    code[first] <- MaxPoolBoth (spec, input, v, ix)
                    code[i] <- SetBy (op, input, first)
                    seen.Remove(struct (spec, input, not isValues)) |> ignore
                | _ -> seen[struct (spec, input, isValues)] <- i
            | _ -> ()

    /// Flatten the DAG of `outputs` into a program: merge sums, fuse, assign slots, plan buffers
    /// by liveness; with `reuseOutputs` the outputs get buffers of their own too (overwritten by
    /// the next run). The program still returns the values of the original `outputs`.
    let private build (reuseOutputs: bool) (original: Expr list) : Compiled =
        let outputs = SumMerge.run original
        let nodes = Order.topological outputs
        let uses = Order.useCounts nodes
        let isOutput = HashSet<int>(outputs |> List.map (fun o -> o.Id))
        let user = Dictionary<int, Expr>()
        for e in nodes do for a in argsOf e do user[a.Id] <- e
        // inline an elementwise node into its only user when that is elementwise of the same shape
        let inlinedIds = HashSet<int>()
        for e in nodes do
            if isElementwise e && not (isOutput.Contains e.Id) && uses.GetValueOrDefault(e.Id) = 1 then
                let u = user[e.Id]
                if isElementwise u && u.Shape = e.Shape then inlinedIds.Add e.Id |> ignore
        let inlined (e: Expr) = inlinedIds.Contains e.Id
        let kept = nodes |> Array.filter (inlined >> not)
        let slotOf = Dictionary<int, int>()
        kept |> Array.iteri (fun i e -> slotOf[e.Id] <- i)
        let code =
            kept |> Array.map (fun e ->
                match e.Node with
                | Node.Var name -> Input name
                | Node.Const t -> Constant t
                | Node.Apply _ when isElementwise e ->
                    let inputs, steps, registers = fuse e inlined slotOf
                    Fused (inputs, steps, registers, -1)
                | Node.Apply (Op.MatMul, [ a; b ]) when a.Rank = 2 && b.Rank = 2 -> Product (slotOf[a.Id], slotOf[b.Id], -1)
                | Node.Apply (Op.Concat axis, args) ->
                    Joined ([| for a in args -> slotOf[a.Id] |], (if axis < 0 then axis + e.Rank else axis), -1)
                | Node.Apply (op, args) -> Kernel (op, [| for a in args -> slotOf[a.Id] |]))
        pairMaxPools code
        let readsOf = function
            | Kernel (_, args) -> args
            | MaxPoolBoth (_, input, _, _) -> [| input |]
            | Fused (inputs, _, _, _) -> inputs
            | Product (a, b, _) -> [| a; b |]
            | Joined (parts, _, _) -> parts
            | _ -> [||]
        // liveness: the last instruction reading each slot (outputs live forever)
        let forever = Int32.MaxValue
        let lastUse = Array.init kept.Length (fun i -> if isOutput.Contains kept[i].Id then forever else i)
        code |> Array.iteri (fun i ins -> for a in readsOf ins do lastUse[a] <- max lastUse[a] i)
        // a kernel's result may be a view of its arguments (reshape, permute, slice…): it keeps
        // their buffers alive; matmul, convolution and pooling surely write a fresh tensor
        let roots = Array.create kept.Length Set.empty<int>
        let bufferEnd = Array.create kept.Length -1
        for i in 0 .. kept.Length - 1 do
            roots[i] <-
                match code[i] with
                | Fused _ | Product _ | Joined _ -> Set.singleton i
                | Kernel (Op.MatMul, _) -> Set.empty
                // so do reductions to fewer elements (a bias gradient's SumTo) and log-softmax
                | Kernel ((Op.Sum _ | Op.SumTo _), [| a |])
                    when Shape.numel kept[i].Shape < Shape.numel kept[a].Shape -> Set.empty
                | Kernel (Op.LogSoftmax _, _) -> Set.empty
                // convolution and pooling kernels write fresh arrays too
                | Kernel ((Op.Conv2d _ | Op.Conv2dInputGrad _ | Op.Conv2dWeightGrad _ | Op.MaxPool2d _
                          | Op.MaxPool2dIndices _ | Op.AvgPool2d _ | Op.AvgPool2dBackward _), _) -> Set.empty
                | Kernel (_, args) -> args |> Array.map (fun a -> roots[a]) |> Set.unionMany
                | _ -> Set.empty
            for r in roots[i] do bufferEnd[r] <- max bufferEnd[r] lastUse[i]
        // plan: a fused result or a product takes a free buffer of its size, released after its
        // last reader (never one its own inputs still use: those are released after it runs); an
        // output's buffer (reuseOutputs) is never released, so no other value shares it
        let sizes = ResizeArray<int>()
        let free = Dictionary<int, Stack<int>>()
        let bufferOf = Array.create kept.Length -1
        let endsAt = Dictionary<int, ResizeArray<int>>()
        let allocate i =
            let n = Shape.numel kept[i].Shape
            if not (free.ContainsKey n) then free[n] <- Stack()
            let pool = free[n]
            let b = if pool.Count > 0 then pool.Pop() else (sizes.Add n; sizes.Count - 1)
            bufferOf[i] <- b
            let e = bufferEnd[i]
            if not (endsAt.ContainsKey e) then endsAt[e] <- ResizeArray()
            endsAt[e].Add i
            b
        let planned i = reuseOutputs || bufferEnd[i] <> forever
        for i in 0 .. kept.Length - 1 do
            match code[i] with
            | Fused (inputs, steps, registers, _) when planned i ->
                code[i] <- Fused (inputs, steps, registers, allocate i)
            | Product (a, b, _) when planned i -> code[i] <- Product (a, b, allocate i)
            | Joined (parts, axis, _) when planned i -> code[i] <- Joined (parts, axis, allocate i)
            | _ -> ()
            match endsAt.TryGetValue i with
            | true, ended -> for r in ended do free[sizes[bufferOf[r]]].Push bufferOf[r]
            | _ -> ()
        let release = Array.init kept.Length (fun _ -> [])
        for s in 0 .. kept.Length - 1 do
            if lastUse[s] <> forever then release[lastUse[s]] <- s :: release[lastUse[s]]
        Compiled(outputs, kept, code, release, slotOf, sizes.ToArray())

    /// The program of `outputs`: each run returns fresh output tensors, which survive later runs
    /// (intermediate results live in buffers the program owns).
    let program (outputs: Expr list) : Compiled = build false outputs

    /// The program of `outputs` writing them, too, into buffers it owns: a run allocates no large
    /// arrays, and its outputs hold their values only until the next run (so they must not be fed
    /// back as inputs). For loops that consume the outputs at once, e.g. a training step.
    let reusing (outputs: Expr list) : Compiled = build true outputs
