/// One step of a recurrent cell as an expression: RNN (tanh/relu), LSTM, GRU, with PyTorch's
/// equations and parameter layouts. Layer: NN, after Optimizers.fs. Read next: Recurrent.fs
/// (unrolling a cell over a sequence, stacking layers and directions).
///
/// Shapes: x [N; I] (a batch of N inputs), h, c [N; H]; weight_ih [G·H; I], weight_hh [G·H; H],
/// bias_ih and bias_hh [G·H] with G gates (1 RNN, 4 LSTM rows i, f, g, o, 3 GRU rows r, z, n).
/// Every cell is a composition of primitives (matmul, transpose, slice, sigmoid, tanh): its
/// gradient is the chain rule of those, nothing recurrent-specific.
namespace ScratchML.NN

open ScratchML

/// Which recurrence a layer runs (PyTorch's nn.RNN with nonlinearity tanh/relu, nn.LSTM, nn.GRU).
[<RequireQualifiedAccess>]
type CellKind =
    | RnnTanh
    | RnnRelu
    | Lstm
    | Gru

    /// Gate blocks stacked in the weight rows: 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).
    member kind.Gates =
        match kind with
        | RnnTanh | RnnRelu -> 1
        | Lstm -> 4
        | Gru -> 3

/// The parameters of one cell (one layer, one direction). Biases are optional (bias=False).
type CellParams =
    { WeightIh: Expr     // [G·H; I]
      WeightHh: Expr     // [G·H; H]
      BiasIh: Expr option // [G·H]
      BiasHh: Expr option } // [G·H]

    /// H = rows of weight_hh / gates.
    member p.HiddenSize = p.WeightHh.Shape[1]

/// The recurrent state between steps: h, and c for an LSTM (None otherwise).
type CellState = { H: Expr; C: Expr option }

/// The cell equations, one function each.
[<RequireQualifiedAccess>]
module Cell =
    /// x·Wᵀ + b (b omitted when absent)   x: [.., in], W: [out; in] → [.., out].
    let linear (x: Expr) (w: Expr) (b: Expr option) =
        let y = Expr.matmul x (Expr.transpose 0 1 w)
        match b with Some b -> y + b | None -> y

    /// Block k of H columns of the last axis: gates[.., k·H : (k+1)·H].
    let gate (hiddenSize: int) (k: int) (gates: Expr) =
        let leading = List.replicate (gates.Rank - 1) Slice.All
        Expr.slice (leading @ [ Slice.Range (Some (k * hiddenSize), Some ((k + 1) * hiddenSize), 1) ]) gates

    /// The recurrent term h·W_hhᵀ + b_hh. At the zero state (the default h₀) the product is 0,
    /// so the term is b_hh alone, or nothing without biases. Written so here, exactly as Simplify
    /// rewrites it: the forward graph is then the one the simplified gradient reuses; otherwise
    /// every later step differs from its simplified twin and the program runs the forward twice.
    let recurrentTerm (p: CellParams) (h: Expr) : Expr option =
        match h with
        | Zero -> p.BiasHh
        | _ -> Some (linear h p.WeightHh p.BiasHh)

    /// a + b, or a alone when there is no b.
    let private plus (a: Expr) (b: Expr option) = match b with Some b -> a + b | None -> a

    /// RNN step from a precomputed input term xi = x·W_ihᵀ + b_ih:
    /// h₁ = act(xi + h·W_hhᵀ + b_hh), act = tanh or relu.   xi: [N; H], h: [N; H] → [N; H].
    let rnnFrom (activation: Expr -> Expr) (p: CellParams) (xi: Expr) (h: Expr) =
        activation (plus xi (recurrentTerm p h))

    /// LSTM step from xi = x·W_ihᵀ + b_ih [N; 4H]:
    /// gates = xi + h·W_hhᵀ + b_hh, split into i, f, g, o (H columns each);
    /// i, f, o = σ(·), g = tanh(·); c₁ = f⊙c + i⊙g; h₁ = o⊙tanh(c₁).   → (h₁, c₁) each [N; H].
    let lstmFrom (p: CellParams) (xi: Expr) (h: Expr) (c: Expr) =
        let hiddenSize = p.HiddenSize
        let gates = plus xi (recurrentTerm p h)
        let block k = gate hiddenSize k gates
        let i, f = Expr.sigmoid (block 0), Expr.sigmoid (block 1)
        let g, o = Expr.tanh (block 2), Expr.sigmoid (block 3)
        let c1 = match c with Zero -> i * g | _ -> f * c + i * g   // f⊙0 = 0 at c₀ = 0
        o * Expr.tanh c1, c1

    /// GRU step from xi = x·W_ihᵀ + b_ih [N; 3H], with hh = h·W_hhᵀ + b_hh [N; 3H]:
    /// r = σ(xi_r + hh_r); z = σ(xi_z + hh_z); n = tanh(xi_n + r⊙hh_n) — b_hn inside r⊙(…);
    /// h₁ = (1 − z)⊙n + z⊙h   (z keeps the old state).   → h₁ [N; H].
    let gruFrom (p: CellParams) (xi: Expr) (h: Expr) =
        let hiddenSize = p.HiddenSize
        let hh = recurrentTerm p h
        let inBlock k = gate hiddenSize k xi
        let hiddenBlock k = hh |> Option.map (gate hiddenSize k)
        let r = Expr.sigmoid (plus (inBlock 0) (hiddenBlock 0))
        let z = Expr.sigmoid (plus (inBlock 1) (hiddenBlock 1))
        let n = Expr.tanh (plus (inBlock 2) (hiddenBlock 2 |> Option.map (fun b -> r * b)))
        match h with
        | Zero -> (1.0 - z) * n   // z⊙h = 0 at h₀ = 0
        | _ -> (1.0 - z) * n + z * h

    /// One step of any cell kind from the precomputed input term xi = x·W_ihᵀ + b_ih.
    let stepFrom (kind: CellKind) (p: CellParams) (xi: Expr) (state: CellState) : CellState =
        match kind, state.C with
        | CellKind.RnnTanh, _ -> { H = rnnFrom Expr.tanh p xi state.H; C = None }
        | CellKind.RnnRelu, _ -> { H = rnnFrom Expr.relu p xi state.H; C = None }
        | CellKind.Gru, _ -> { H = gruFrom p xi state.H; C = None }
        | CellKind.Lstm, Some c ->
            let h1, c1 = lstmFrom p xi state.H c
            { H = h1; C = Some c1 }
        | CellKind.Lstm, None -> invalidArg "state" "an LSTM step needs a cell state c"

    /// One step of a cell on input x [N; I] (PyTorch's nn.RNNCell / LSTMCell / GRUCell forward).
    let step (kind: CellKind) (p: CellParams) (x: Expr) (state: CellState) : CellState =
        stepFrom kind p (linear x p.WeightIh p.BiasIh) state
