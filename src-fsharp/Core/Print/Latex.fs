/// LaTeX for an expression: \frac{…}{…}, x^{…}, \tanh, \exp, \sqrt{…}, \sigma for the sigmoid.
/// Layer: Print. Read next: Dot.fs.
///
/// The layout's parentheses are reused as \left( … \right), except where LaTeX's own grouping
/// makes them redundant: inside \frac, in an exponent, under \sqrt and in |…|.
[<RequireQualifiedAccess>]
module ScratchML.Latex

open System
open System.Text.RegularExpressions

let private greek =
    set [ "alpha"; "beta"; "gamma"; "delta"; "epsilon"; "zeta"; "eta"; "theta"; "iota"; "kappa"
          "lambda"; "mu"; "nu"; "xi"; "pi"; "rho"; "sigma"; "tau"; "phi"; "chi"; "psi"; "omega" ]

/// x, x_{1}, \alpha, \mathrm{loss}: a variable name as mathematicians write it.
let name (n: string) =
    let m = Regex.Match(n, @"^([A-Za-z]+)_?(\d+)$")
    let word (w: string) =
        if w.Length = 1 then w
        elif greek.Contains w then "\\" + w
        else "\\mathrm{" + w.Replace("_", "\\_") + "}"
    if m.Success then word m.Groups[1].Value + "_{" + m.Groups[2].Value + "}" else word n

/// 2.5, 10^{-5} style: 1E-05 becomes 1 \cdot 10^{-5}.
let number (c: float) =
    let text = Layout.number c
    match text with
    | "inf" -> "\\infty"
    | "-inf" -> "-\\infty"
    | _ ->
        match text.Split('E') with
        | [| mantissa; exponent |] -> $"{mantissa} \\cdot 10^{{{int exponent}}}"
        | _ -> text

let private functions =
    dict [ "exp", "\\exp"; "log", "\\log"; "sin", "\\sin"; "cos", "\\cos"; "tan", "\\tan"
           "tanh", "\\tanh"; "sigmoid", "\\sigma" ]

let private strip (l: Layout) = match l with Layout.Group inner -> inner | _ -> l

/// How each layout splits into LaTeX text and sub-layouts.
let private pieces (layout: Layout) : Layout.Piece list =
    let t s = Layout.Piece.Text s
    let sub l = Layout.Piece.Sub l
    match layout with
    | Layout.Number c -> [ t (number c) ]
    | Layout.Name n -> [ t (name n) ]
    | Layout.Tensor (shape, values) -> [ t ("\\mathrm{" + Infix.tensorText shape values + "}") ]
    | Layout.Group l -> [ t "\\left("; sub l; t "\\right)" ]
    | Layout.Binary (Operator.Divide, a, b) ->
        [ t "\\frac{"; sub (strip a); t "}{"; sub (strip b); t "}" ]
    | Layout.Binary (Operator.Power, a, b) -> [ t "{"; sub a; t "}^{"; sub (strip b); t "}" ]
    | Layout.Binary (op, a, b) ->
        let symbol =
            match op with
            | Operator.Plus -> " + "
            | Operator.Minus -> " - "
            | Operator.MatMul -> " \\, "
            | _ -> " \\cdot "
        [ sub a; t symbol; sub b ]
    | Layout.Negate a -> [ t "-"; sub a ]
    | Layout.Call ("sqrt", [ a ], []) -> [ t "\\sqrt{"; sub (strip a); t "}" ]
    | Layout.Call ("abs", [ a ], []) -> [ t "\\left|"; sub (strip a); t "\\right|" ]
    | Layout.Call (f, args, options) ->
        let head =
            match functions.TryGetValue f with
            | true, s -> s
            | _ -> "\\operatorname{" + f.Replace("_", "\\_") + "}"
        let options = options |> List.map (fun (k, v) -> t $"\\mathrm{{{k}}}={v}")
        let parts = (args |> List.map sub) @ options
        let separated = parts |> List.mapi (fun i p ->
            if i = 0 then [ p ]
            else [ t ", "; p ]) |> List.concat
        [ t (head + "\\left(") ] @ separated @ [ t "\\right)" ]
    | Layout.Transpose a -> [ t "{"; sub a; t "}^{\\top}" ]
    | Layout.Index (a, specs) -> [ sub a; t ("\\left[" + specs + "\\right]") ]

/// The LaTeX of a layout.
let render (layout: Layout) : string = Layout.render pieces layout

/// e as LaTeX (math mode, without the surrounding $).
let ofExpr (e: Expr) = render (Layout.ofExpr e)
