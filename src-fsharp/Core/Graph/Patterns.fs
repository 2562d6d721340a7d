/// Active patterns that give graph nodes their mathematical names, so rules and printers read
/// like the identities they implement: `Mul (x, One)`, `Log (Exp x)`, `Scalar c`.
/// Layer: Graph. Read next: Diff/Cards.fs.
[<AutoOpen>]
module ScratchML.Patterns

/// Every node is a constant, a variable or an application.
let (|Const|Var|Apply|) (e: Expr) =
    match e.Node with
    | Node.Const t -> Const t
    | Node.Var name -> Var name
    | Node.Apply (op, args) -> Apply (op, args)

/// A constant whose elements all equal one value c (any shape), e.g. the scalar 2 or zeros.
let (|Scalar|_|) (e: Expr) =
    match e.Node with
    | Node.Const t when t.Numel >= 1 ->
        let c = TensorData.at 0 t
        let mutable same = true
        for i in 1 .. t.Numel - 1 do
            if TensorData.at i t <> c then same <- false
        if same then Some c else None
    | _ -> None

let (|Zero|_|) (e: Expr) = match e with Scalar 0.0 -> Some () | _ -> None
let (|One|_|) (e: Expr) = match e with Scalar 1.0 -> Some () | _ -> None

let (|Add|_|) (e: Expr) = match e.Node with Node.Apply (Op.Add, [ a; b ]) -> Some (a, b) | _ -> None
let (|Sub|_|) (e: Expr) = match e.Node with Node.Apply (Op.Sub, [ a; b ]) -> Some (a, b) | _ -> None
let (|Mul|_|) (e: Expr) = match e.Node with Node.Apply (Op.Mul, [ a; b ]) -> Some (a, b) | _ -> None
let (|Div|_|) (e: Expr) = match e.Node with Node.Apply (Op.Div, [ a; b ]) -> Some (a, b) | _ -> None
let (|Pow|_|) (e: Expr) = match e.Node with Node.Apply (Op.Pow, [ a; b ]) -> Some (a, b) | _ -> None
let (|Neg|_|) (e: Expr) = match e.Node with Node.Apply (Op.Neg, [ a ]) -> Some a | _ -> None
let (|Exp|_|) (e: Expr) = match e.Node with Node.Apply (Op.Exp, [ a ]) -> Some a | _ -> None
let (|Log|_|) (e: Expr) = match e.Node with Node.Apply (Op.Log, [ a ]) -> Some a | _ -> None
let (|Tanh|_|) (e: Expr) = match e.Node with Node.Apply (Op.Tanh, [ a ]) -> Some a | _ -> None
let (|Sigmoid|_|) (e: Expr) = match e.Node with Node.Apply (Op.Sigmoid, [ a ]) -> Some a | _ -> None

/// Unary application of any op: `Unary (op, x)`.
let (|Unary|_|) (e: Expr) = match e.Node with Node.Apply (op, [ a ]) -> Some (op, a) | _ -> None
/// Binary application of any op: `Binary (op, a, b)`.
let (|Binary|_|) (e: Expr) = match e.Node with Node.Apply (op, [ a; b ]) -> Some (op, a, b) | _ -> None
