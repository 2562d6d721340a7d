/// The simplifier's rewrites: small named rules, each an identity written beside it.
/// Layer: Simplify. Read next: Simplify.fs (runs them bottom-up to a fixpoint).
///
/// A rule sees one node whose arguments are already simplified and returns its replacement, or
/// None. Conventions every rule keeps:
///   - the value never changes where every node of the original is a finite number (a NaN or ∞
///     may become a number: x·0 → 0 even where x = ∞, log(eˣ) → x even where eˣ overflows, as
///     every computer algebra system does); sums may be reassociated (rounding differs);
///   - the shape never changes: a folded or dropped operand that was broadcasting the result is
///     replaced by a broadcast (`fit`), zeros keep the result's shape;
///   - no argument is copied, so a shared sub-graph stays shared and the DAG cannot blow up;
///   - rules are oriented (constants left, signs outwards, division outwards, fewer nodes), so
///     no sequence of them loops.
[<RequireQualifiedAccess>]
module ScratchML.Rules

open System
open ScratchML.Facts

/// A named rewrite of one node.
type Rule = string * (Expr -> Expr option)

/// r, broadcast to the shape of the node e it replaces when dropping an operand shrank it.
let fit (e: Expr) (r: Expr) = if r.Shape = e.Shape then r else Expr.broadcastTo e.Shape r

let private same (a: Expr) (b: Expr) = a.Id = b.Id
let private zerosOf (e: Expr) = Some (fill e.Shape 0.0)
let private onesOf (e: Expr) = Some (fill e.Shape 1.0)

// ---- identities of 0 and 1 ----

// x+0 = x
let private addZero e = match e with Add (x, Zeros) | Add (Zeros, x) -> Some (fit e x) | _ -> None
// x−0 = x
let private subZero e = match e with Sub (x, Zeros) -> Some (fit e x) | _ -> None
// 0−x = −x
let private zeroSub e = match e with Sub (Zeros, x) -> Some (fit e (-x)) | _ -> None
// x·1 = x
let private mulOne e = match e with Mul (x, Ones) | Mul (Ones, x) -> Some (fit e x) | _ -> None
// x·0 = 0
let private mulZero e =
    match e with
    | Mul (_, Zeros) | Mul (Zeros, _) -> zerosOf e
    | Apply (Op.MatMul, [ Zeros; _ ]) | Apply (Op.MatMul, [ _; Zeros ]) ->
        zerosOf e
    | _ -> None
// x/1 = x
let private divOne e = match e with Div (x, Ones) -> Some (fit e x) | _ -> None
// 0/x = 0, x ≠ 0
let private zeroDiv e = match e with Div (Zeros, x) when nonZero x -> zerosOf e | _ -> None
// x−x = 0
let private subSelf e = match e with Sub (a, b) when same a b -> zerosOf e | _ -> None
// x/x = 1, x ≠ 0
let private divSelf e = match e with Div (a, b) when same a b && nonZero a -> onesOf e | _ -> None
// −(−x) = x
let private negNeg e = match e with Neg (Neg x) -> Some x | _ -> None

// ---- exp and log ----

// log eˣ = x
let private logExp e = match e with Log (Exp x) -> Some x | _ -> None
// e^(log x) = x, x > 0
let private expLog e = match e with Exp (Log x) when positive x -> Some x | _ -> None

// ---- powers ----

// x¹ = x
let private powOne e = match e with Pow (x, Ones) -> Some (fit e x) | _ -> None
// x⁰ = 1 (also 0⁰)
let private powZero e = match e with Pow (_, Zeros) -> onesOf e | _ -> None
// 1ˣ = 1
let private onePow e = match e with Pow (Ones, _) -> onesOf e | _ -> None
// x·x = x²
let private mulSelf e =
    match e with
    | Mul (a, b) when same a b -> Some (Expr.Pow(a, 2.0))
    | _ -> None
// xᵃ·xᵇ = x^(a+b)
let private powMul e =
    match e with
    | Mul (Pow (x, a), Pow (y, b)) when same x y -> Some (Expr.Pow(x, a + b))
    | Mul (x, Pow (y, b)) when same x y -> Some (Expr.Pow(x, 1.0 + b))
    | Mul (Pow (x, a), y) when same x y -> Some (Expr.Pow(x, a + 1.0))
    | _ -> None
// xᵃ/xᵇ = x^(a−b), a > b numbers
let private powDiv e =
    match e with
    | Div (Pow (x, Number a), Pow (y, Number b)) when same x y && a > b -> Some (Expr.Pow(x, a - b))
    | Div (Pow (x, Number a), y) when same x y && a > 1.0 -> Some (Expr.Pow(x, a - 1.0))
    | _ -> None
// (xᵃ)ᵇ = x^(a·b), b whole or x > 0
let private powPow e =
    match e with
    | Pow (Pow (x, a), (Number b as bExpr)) when isInteger b || positive x ->
        Some (Expr.Pow(x, a * bExpr))
    | Pow (Pow (x, a), b) when positive x -> Some (Expr.Pow(x, a * b))
    | _ -> None
let private powNegEven e =                                                  // (−x)ⁿ = xⁿ, n even
    match e with
    | Pow (Neg x, (Number n as nExpr)) when isInteger n && n % 2.0 = 0.0 ->
        Some (Expr.Pow(x, nExpr))
    | _ -> None

// ---- constants first, coefficients positive ----

let private mulConstFirst e =                                                         // x·c = c·x
    match e with
    | Mul (x, (Uniform _ as c)) when (uniform x).IsNone -> Some (c * x)
    | _ -> None
// a·(b·x) = (ab)·x
let private mulConsts e =
    match e with
    | Mul (Number a, Mul (Number b, x)) when Fold.readable (a * b) -> Some (Expr.scalar (a * b) * x)
    | _ -> None
// (c·a)·b = c·(a·b), a·(c·b) = c·(a·b)
let private mulAssocConst e =
    match e with
    | Mul (Mul (Number _ as c, a), b) | Mul (a, Mul (Number _ as c, b)) when (uniform a).IsNone ->
        Some (c * (a * b))
    | _ -> None
// (−1)·x = −x
let private mulMinusOne e = match e with Mul (Uniform -1.0, x) -> Some (fit e (-x)) | _ -> None
// (−c)·x = −(c·x)
let private mulNegConst e =
    match e with
    | Mul (Number c, x) when c < 0.0 -> Some (-(Expr.scalar -c * x))
    | _ -> None
// (1/n)·x = x/n
let private mulReciprocal e =
    match e with
    | Mul (Number c, x) when c > 0.0 && c < 1.0 && isInteger (1.0 / c) -> Some (x / (1.0 / c))
    | _ -> None
// (a·x)/b = (a/b)·x
let private divConst e =
    match e with
    | Div (Mul (Number a, x), Number b) when b <> 0.0 && Fold.readable (a / b) ->
        Some (Expr.scalar (a / b) * x)
    | _ -> None

// ---- signs outwards ----

// a + (−b) = a − b, (−a) + b = b − a
let private addNeg e =
    match e with
    | Add (a, Neg b) -> Some (a - b)
    | Add (Neg a, b) -> Some (b - a)
    | _ -> None
// a − (−b) = a + b
let private subNeg e = match e with Sub (a, Neg b) -> Some (a + b) | _ -> None
// −a − b = −(a + b)
let private negSubLeft e = match e with Sub (Neg a, b) -> Some (-(a + b)) | _ -> None
// −(a − b) = b − a
let private negSub e = match e with Neg (Sub (a, b)) -> Some (b - a) | _ -> None
// a + (−c) = a − c, a − (−c) = a + c
let private addNegConst e =
    match e with
    | Add (a, Number c) when c < 0.0 -> Some (a - (-c))
    | Add (Number c, a) when c < 0.0 -> Some (a - (-c))
    | Sub (a, Number c) when c < 0.0 -> Some (a + (-c))
    | _ -> None
let private mulNeg e =                                                  // (−a)·b = a·(−b) = −(a·b)
    match e with
    | Mul (Neg a, b) | Mul (a, Neg b) -> Some (-(a * b))
    | Apply (Op.MatMul, [ Neg a; b ]) | Apply (Op.MatMul, [ a; Neg b ]) -> Some (-(Expr.matmul a b))
    | _ -> None
// (−a)/b = −(a/b)
let private divNeg e = match e with Div (Neg a, b) | Div (a, Neg b) -> Some (-(a / b)) | _ -> None
let private negInto e =                                                  // −(a·(b − c)) = a·(c − b)
    match e with
    | Neg (Mul (a, Sub (b, c))) -> Some (a * (c - b))
    | Neg (Mul (Sub (b, c), a)) -> Some ((c - b) * a)
    | Neg (Div (Sub (b, c), a)) -> Some ((c - b) / a)
    | _ -> None

// ---- division outwards ----

// a·(b/c) = (b/c)·a = (a·b)/c
let private mulDiv e =
    match e with
    | Mul (a, Div (b, c)) -> Some ((a * b) / c)
    | Mul (Div (b, c), a) -> Some ((b * a) / c)
    | _ -> None
// (a/b)/c = a/(b·c), a/(b/c) = (a·c)/b
let private divDiv e =
    match e with
    | Div (Div (a, b), c) -> Some (a / (b * c))
    | Div (a, Div (b, c)) -> Some ((a * c) / b)
    | _ -> None
let private mulDivCancel e =                                             // (a·b)/b = a, b ≠ 0
    match e with
    | Div (Mul (a, b), c) when same b c && nonZero c -> Some (fit e a)
    | Div (Mul (b, a), c) when same b c && nonZero c -> Some (fit e a)
    | _ -> None

let private divCommon e =                                               // (a·b)/(a·c) = b/c, a ≠ 0
    match e with
    | Div (Mul (a, b), Mul (a', c)) | Div (Mul (b, a), Mul (c, a')) when same a a' && nonZero a ->
        Some (fit e (b / c))
    | Div (Mul (Number p, b), Mul (Number q, c)) when q <> 0.0 && Fold.readable (p / q) ->
        Some (fit e (Expr.scalar (p / q) * (b / c)))
    | _ -> None

// ---- sums: like terms, cancellation, common factors ----

/// c·x as (c, x): 3·x → (3, x), −x → (−1, x), x/4 → (0.25, x), x → (1, x).
let rec private term (e: Expr) =
    match e with
    | Mul (Number c, x) -> c, x
    | Neg x -> let c, b = term x in -c, b
    | Div (x, Number c) when c <> 0.0 && Fold.readable (1.0 / c) -> 1.0 / c, x
    | _ -> 1.0, e

/// c·x in its canonical form.
let private scaled (c: float) (x: Expr) =
    match c with
    | 0.0 -> fill x.Shape 0.0
    | 1.0 -> x
    | -1.0 -> -x
    | _ -> Expr.scalar c * x

let private likeTerms e =                                                // a·x ± b·x = (a ± b)·x
    let collect combine a b =
        let (ca, xa), (cb, xb) = term a, term b
        let c = combine ca cb
        if same xa xb && (uniform xa).IsNone && Fold.readable c then Some (fit e (scaled c xa))
        else None
    match e with
    | Add (a, b) -> collect (+) a b
    | Sub (a, b) -> collect (-) a b
    | _ -> None

// a + (b − a) = b, (a + b) − b = a, …
let private cancel e =
    match e with
    | Add (a, Sub (b, a')) | Add (Sub (b, a'), a) when same a a' -> Some (fit e b)
    | Sub (Add (a, b), b') when same b b' -> Some (fit e a)
    | Sub (Add (a, b), a') when same a a' -> Some (fit e b)
    | Sub (a, Sub (a', b)) when same a a' -> Some (fit e b)
    | _ -> None

let private factor e =                                                   // a·b ± a·c = a·(b ± c)
    let join isAdd (x: Expr) (y: Expr) = if isAdd then x + y else x - y
    let pick isAdd l r =
        match l, r with
        | Mul (a, b), Mul (a', c) when same a a' -> Some (a * join isAdd b c)
        | Mul (b, a), Mul (c, a') when same a a' -> Some (join isAdd b c * a)
        | Mul (a, b), Mul (c, a') when same a a' -> Some (a * join isAdd b c)
        | Mul (b, a), Mul (a', c) when same a a' -> Some (a * join isAdd b c)
        // a + a·c = a·(c + 1)
        | a, Mul (a', c) | a, Mul (c, a') when same a a' ->
            // a − a·c = a·(1 − c)
            Some (a * (if isAdd then c + 1.0 else 1.0 - c))
        // a·c ± a = a·(c ± 1)
        | Mul (a, c), a' when same a a' -> Some (a * join isAdd c (Expr.scalar 1.0))
        | Mul (c, a), a' when same a a' -> Some (a * join isAdd c (Expr.scalar 1.0))
        // b/a ± c/a = (b ± c)/a
        | Div (b, a), Div (c, a') when same a a' -> Some (join isAdd b c / a)
        | _ -> None
    match e with
    | Add (l, r) -> pick true l r
    | Sub (l, r) -> pick false l r
    | _ -> None

// ---- layout and reductions: the adjoint clean-ups ----

// sumTo/broadcastTo/reshape to own shape
let private sameShapeOp e =
    match e with
    | Apply ((Op.SumTo _ | Op.BroadcastTo _ | Op.Reshape _), [ x ]) when x.Shape = e.Shape -> Some x
    | _ -> None
let private permuteIdentity e =                                          // permute(x, id) = x
    match e with
    | Apply (Op.Permute dims, [ x ]) when dims = List.init x.Rank id -> Some x
    | _ -> None
// permute(permute(x, p), q) = permute(x, p∘q)
let private permutePermute e =
    match e with
    | Apply (Op.Permute q, [ Apply (Op.Permute p, [ x ]) ]) ->
        Some (Expr.permute [| for i in q -> p[i] |] x)
    | _ -> None
// reshape∘reshape, broadcast∘broadcast, sumTo∘sumTo
let private layoutTwice e =
    match e with
    | Apply (Op.Reshape s, [ Apply (Op.Reshape _, [ x ]) ]) ->
        Some (Expr.reshape (Array.ofList s) x)
    | Apply (Op.BroadcastTo s, [ Apply (Op.BroadcastTo _, [ x ]) ]) ->
        Some (Expr.broadcastTo (Array.ofList s) x)
    | Apply (Op.SumTo s, [ Apply (Op.SumTo _, [ x ]) ]) -> Some (Expr.sumTo (Array.ofList s) x)
    | _ -> None
// sumTo(broadcast(x)) = k·x, k copies
let private sumToBroadcast e =
    match e with
    | Apply (Op.SumTo _, [ Apply (Op.BroadcastTo _, [ x ]) as b ]) when x.Shape = e.Shape ->
        let k = Shape.numel b.Shape / Shape.numel x.Shape
        Some (if k = 1 then x else float k * x)
    | _ -> None
let private sumToAll e =                                                 // sumTo([], x) = Σ x
    match e with
    | Apply (Op.SumTo [], [ x ]) when x.Rank > 0 -> Some (Expr.sumAll x)
    | _ -> None
// Σ over size-1 axes (or none) = x
let private sumTrivial e =
    match e with
    | Apply (Op.Sum (axes, keep), [ x ]) when axes |> List.forall (fun a -> x.Shape[a] = 1) ->
        Some (if keep || axes.IsEmpty then x else Expr.reshape e.Shape x)
    | _ -> None
// Σ c·x = c·Σ x, Σ −x = −Σ x, Σ x/c = (Σ x)/c
let private sumScale e =
    match e with
    | Apply ((Op.Sum _ | Op.SumTo _) as op, [ Mul (Number _ as c, x) ]) ->
        Some (c * Expr.apply op [ x ])
    | Apply ((Op.Sum _ | Op.SumTo _) as op, [ Neg x ]) -> Some (-(Expr.apply op [ x ]))
    | Apply ((Op.Sum _ | Op.SumTo _) as op, [ Div (x, (Number _ as c)) ]) ->
        Some (Expr.apply op [ x ] / c)
    | _ -> None
let private isBroadcast (a: Expr) = match a with Apply (Op.BroadcastTo _, _) -> true | _ -> false
// a ⊙ broadcast(b) = a ⊙ b when shapes allow
let private dropBroadcast e =
    match e with
    | Apply (op, args) when args |> List.exists isBroadcast ->
        match op with
        | Op.Add | Op.Sub | Op.Mul | Op.Div | Op.Pow | Op.Maximum | Op.Minimum
        | Op.Gt | Op.Ge | Op.Lt | Op.Le | Op.Eq | Op.Where ->
            let bare = args |> List.map (function Apply (Op.BroadcastTo _, [ x ]) -> x | a -> a)
            let shapes = bare |> List.map (fun a -> a.Shape)
            let fits = (shapes |> List.reduce (Shape.broadcast "simplify")) = e.Shape
            if fits then Some (Expr.apply op bare) else None
        | _ -> None
    | _ -> None

/// Every rule, in the order they are tried on a node (the first that applies wins).
let all : Rule list =
    [ "fold", Fold.constants
      "add-zero", addZero
      "sub-zero", subZero
      "zero-sub", zeroSub
      "mul-one", mulOne
      "mul-zero", mulZero
      "div-one", divOne
      "zero-div", zeroDiv
      "sub-self", subSelf
      "div-self", divSelf
      "neg-neg", negNeg
      "log-exp", logExp
      "exp-log", expLog
      "pow-one", powOne
      "pow-zero", powZero
      "one-pow", onePow
      "same-shape", sameShapeOp
      "permute-identity", permuteIdentity
      "permute-permute", permutePermute
      "layout-twice", layoutTwice
      "sumto-broadcast", sumToBroadcast
      "sumto-all", sumToAll
      "sum-trivial", sumTrivial
      "sum-scale", sumScale
      "drop-broadcast", dropBroadcast
      "mul-const-first", mulConstFirst
      "mul-consts", mulConsts
      "mul-minus-one", mulMinusOne
      "mul-neg-const", mulNegConst
      "mul-reciprocal", mulReciprocal
      "div-const", divConst
      "mul-assoc-const", mulAssocConst
      "add-neg", addNeg
      "sub-neg", subNeg
      "neg-sub-left", negSubLeft
      "neg-sub", negSub
      "add-neg-const", addNegConst
      "mul-neg", mulNeg
      "div-neg", divNeg
      "neg-into", negInto
      "pow-neg-even", powNegEven
      "mul-self", mulSelf
      "pow-mul", powMul
      "pow-div", powDiv
      "pow-pow", powPow
      "mul-div-cancel", mulDivCancel
      "div-common", divCommon
      "mul-div", mulDiv
      "div-div", divDiv
      "like-terms", likeTerms
      "cancel", cancel
      "factor", factor ]
