/// Recurrent layers unrolled over a sequence: nn.RNN / nn.LSTM / nn.GRU as one expression graph
/// (stacked layers, both directions, time- or batch-first, given or zero initial states, and
/// variable lengths through a mask). Layer: NN, after RecurrentCells.fs. Read next: Embedding.fs.
///
/// Backpropagation through time is nothing special: `Grad.grad` on the unrolled graph is the
/// chain rule through every step. Every step reuses the same parameter nodes and each step adds
/// a constant number of nodes, so the graph (and its gradient graph) has O(T·layers·directions)
/// nodes: a 1-layer LSTM (I = 3, H = 4) with T = 50 has 958 forward nodes (19 per step) and
/// a gradient graph of 2,901 nodes (58 per step); T = 10 gives 198 and 581 (RecurrentTests).
/// The input terms x_t·W_ihᵀ of all steps are one matrix product, sliced per step.
/// Truncated BPTT: run chunks of k steps, binding h0/c0 Vars of each chunk to the previous
/// chunk's h_n/c_n values, so gradients stop at chunk boundaries and one compiled program serves.
namespace ScratchML.NN

open ScratchML

/// The shape of a recurrent layer stack (PyTorch's constructor arguments).
type RecurrentSpec =
    { Kind: CellKind
      InputSize: int
      HiddenSize: int
      NumLayers: int
      Bidirectional: bool
      BatchFirst: bool // input [N; T; I] and output [N; T; D·H] instead of [T; N; …]
      Bias: bool }

    /// D = 2 for a bidirectional stack, 1 otherwise.
    member s.Directions = if s.Bidirectional then 2 else 1

/// The result of running a stack: the last layer's h at every step and the last states.
type RecurrentOutput =
    { Output: Expr     // [T; N; D·H] (batch-first: [N; T; D·H])
      HN: Expr         // [layers·D; N; H], rows ordered layer 0 forward, layer 0 reverse, …
      CN: Expr option } // the LSTM cell state, same shape as HN

/// Building, initialising and running recurrent stacks.
[<RequireQualifiedAccess>]
module Recurrent =
    /// One layer, one direction, no batch-first, with biases: PyTorch's defaults.
    let spec (kind: CellKind) (inputSize: int) (hiddenSize: int) =
        { Kind = kind; InputSize = inputSize; HiddenSize = hiddenSize; NumLayers = 1
          Bidirectional = false; BatchFirst = false; Bias = true }

    /// PyTorch's suffix of layer l, direction d: "_l0", "_l0_reverse", "_l1", …
    let private suffix layer direction = if direction = 0 then $"_l{layer}" else $"_l{layer}_reverse"

    /// PyTorch's parameter names and shapes, in its order: weight_ih_lk [G·H; I or D·H],
    /// weight_hh_lk [G·H; H], bias_ih_lk [G·H], bias_hh_lk [G·H] (then the _reverse ones).
    let parameterShapes (s: RecurrentSpec) : (string * int[]) list =
        let rows = s.Kind.Gates * s.HiddenSize
        [ for layer in 0 .. s.NumLayers - 1 do
            for direction in 0 .. s.Directions - 1 do
                let sfx = suffix layer direction
                let inputs = if layer = 0 then s.InputSize else s.Directions * s.HiddenSize
                yield $"weight_ih{sfx}", [| rows; inputs |]
                yield $"weight_hh{sfx}", [| rows; s.HiddenSize |]
                if s.Bias then
                    yield $"bias_ih{sfx}", [| rows |]
                    yield $"bias_hh{sfx}", [| rows |] ]

    /// A named Var per parameter: name ↦ Var (prefix + name), e.g. "lstm.weight_ih_l0".
    let variables (prefix: string) (s: RecurrentSpec) : Map<string, Expr> =
        parameterShapes s |> List.map (fun (name, shape) -> name, Expr.var (prefix + name) shape) |> Map

    /// PyTorch's initialisation: every parameter U(−k, k), k = 1/√H, drawn in parameterShapes order.
    let init (rng: SplitMix64) (dtype: DType) (s: RecurrentSpec) : (string * Tensor) list =
        let bound = 1.0 / sqrt (float s.HiddenSize)
        [ for name, shape in parameterShapes s -> name, Init.uniform rng dtype bound shape ]

    /// The cell parameters of layer l, direction d, looked up by PyTorch name.
    let private cellParams (s: RecurrentSpec) (parameters: Map<string, Expr>) layer direction =
        let sfx = suffix layer direction
        let find name =
            match parameters.TryFind (name + sfx) with
            | Some e -> e
            | None -> invalidArg "parameters" $"missing {name}{sfx}"
        { WeightIh = find "weight_ih"; WeightHh = find "weight_hh"
          BiasIh = (if s.Bias then Some (find "bias_ih") else None)
          BiasHh = (if s.Bias then Some (find "bias_hh") else None) }

    /// mask_t [N; 1]: 1 where step t < length of that sequence, else 0 (a constant).
    let private stepMask (lengths: int[]) t =
        Expr.constant (Tensor.ofArray [| lengths.Length; 1 |] [| for n in lengths -> if t < n then 1.0 else 0.0 |])

    /// The input terms of every step at once: P = X·W_ihᵀ, one GEMM for the whole sequence
    /// (X: [A; B; I] with time on `timeAxis`, 0 or 1, read as [A·B; I]), then per step
    /// xi_t = P[time t] + b_ih [N; G·H]. The sum of the slices' gradients is merged back into one
    /// tensor by the compiler (SumMerge), so the backward pass is one GEMM for ∂X and one for
    /// ∂W_ih too, instead of T small ones each.
    let private inputTerms (p: CellParams) (sequence: Expr) (timeAxis: int) =
        let a, b, inputs = sequence.Shape[0], sequence.Shape[1], sequence.Shape[2]
        let projected =
            Expr.matmul (Expr.reshape [| a * b; inputs |] sequence) (Expr.transpose 0 1 p.WeightIh)
            |> Expr.reshape [| a; b; p.WeightIh.Shape[0] |]
        Array.init sequence.Shape[timeAxis] (fun t ->
            let at = if timeAxis = 0 then [ Slice.Index t ] else [ Slice.All; Slice.Index t ]
            let xw = Expr.slice at projected
            match p.BiasIh with Some bias -> xw + bias | None -> xw)

    /// One direction of one layer over the input terms xi_t = x_t·W_ihᵀ + b_ih (t = 0 … T−1):
    /// h_t = cell(xi_t, h_{t−1}) for t in order (reverse: T−1 down to 0). With lengths, a step
    /// past a sequence's end keeps the state (h_t = where(mask_t, cell(…), h_{t−1})) and
    /// outputs 0, as PyTorch's packed sequences do. → (h_t for each t, final state).
    let private runDirection (s: RecurrentSpec) (p: CellParams) (inputs: Expr[]) (initial: CellState)
                             (lengths: int[] option) (reverse: bool) =
        let steps = inputs.Length
        let order = if reverse then [ steps - 1 .. -1 .. 0 ] else [ 0 .. steps - 1 ]
        let outputs = Array.zeroCreate steps
        let mutable state = initial
        for t in order do
            let next = Cell.stepFrom s.Kind p inputs[t] state
            match lengths with
            | None ->
                outputs[t] <- next.H
                state <- next
            | Some lengths ->
                let m = stepMask lengths t
                let keep (a: Expr) (b: Expr) = Expr.where m a b
                outputs[t] <- keep next.H (Expr.zeros next.H.Shape)
                state <- { H = keep next.H state.H; C = Option.map2 keep next.C state.C }
        outputs, state

    /// Run the stack on `input` ([T; N; I], batch-first [N; T; I]) from initial states h0, c0
    /// ([layers·D; N; H], None = zeros), with optional per-sequence lengths (each ≤ T).
    /// Layer l > 0 reads the concatenated [forward; reverse] outputs of layer l − 1.
    /// output_t = last layer's h_t;  h_n, c_n = each layer and direction's last state.
    let run (s: RecurrentSpec) (parameters: Map<string, Expr>) (input: Expr) (h0: Expr option)
            (c0: Expr option) (lengths: int[] option) : RecurrentOutput =
        if input.Rank <> 3 then invalidArg "input" $"expected rank 3, got {Shape.show input.Shape}"
        let timeFirst = if s.BatchFirst then Expr.transpose 0 1 input else input
        let batch = timeFirst.Shape[1]
        lengths |> Option.iter (fun l ->
            if l.Length <> batch || Array.exists (fun n -> n < 1 || n > timeFirst.Shape[0]) l then
                invalidArg "lengths" $"need {batch} lengths in 1..{timeFirst.Shape[0]}")
        let zeros = Expr.zeros [| batch; s.HiddenSize |]
        let row (stacked: Expr option) k =
            stacked |> Option.map (fun e -> Expr.slice [ Slice.Index k ] e) |> Option.defaultValue zeros
        // [a; b; …] each [N; H] → [k; N; H]
        let stack (states: Expr list) =
            states |> List.map (fun h -> Expr.reshape (Array.append [| 1 |] h.Shape) h) |> Expr.concat 0
        // layer 0 projects the input in its own layout (batch-first needs no transposed copy);
        // an inner layer projects the previous layer's step outputs stacked [T; N; D·H]
        let mutable layerInput = [||]
        let finals = ResizeArray<CellState>()
        for layer in 0 .. s.NumLayers - 1 do
            let sequence, timeAxis =
                if layer = 0 then input, (if s.BatchFirst then 1 else 0)
                else stack (List.ofArray layerInput), 0
            let perDirection =
                [ for direction in 0 .. s.Directions - 1 ->
                    let k = layer * s.Directions + direction
                    let initial =
                        { H = row h0 k; C = (if s.Kind = CellKind.Lstm then Some (row c0 k) else None) }
                    let p = cellParams s parameters layer direction
                    let terms = inputTerms p sequence timeAxis
                    let outputs, final = runDirection s p terms initial lengths (direction = 1)
                    finals.Add final
                    outputs ]
            // step t of this layer's output: [h_t forward, h_t reverse] along the feature axis
            layerInput <-
                Array.init timeFirst.Shape[0] (fun t ->
                    match perDirection with
                    | [ forward ] -> forward[t]
                    | _ -> Expr.concat 1 [ for hs in perDirection -> hs[t] ])
        let output = stack (List.ofArray layerInput)
        { Output = (if s.BatchFirst then Expr.transpose 0 1 output else output)
          HN = stack [ for f in finals -> f.H ]
          CN = if s.Kind = CellKind.Lstm then Some (stack [ for f in finals -> f.C.Value ]) else None }
