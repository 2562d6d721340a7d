/// Infix text into an expression, by hand-written recursive descent:
///   expr  := term (("+" | "-") term)*
///   term  := unary (("*" | "/") unary)*
///   unary := "-" unary | "+" unary | power          (so −x^2 = −(x^2))
///   power := atom ("^" unary)?                      (right-associative; 2^-1 allowed)
///   atom  := number | name | function "(" expr ")" | "(" expr ")"
/// Numbers: 3, 0.5, .5, 2.5e-3. Names are scalar variables (shape []). A minus sign directly
/// before a number gives a negative constant (−2·x is the constant −2 times x), as Print.infix
/// writes one. Layer: Parse (above Print). Read next: Eval/Eval.fs.
///
/// Positions in errors are 1-based: the first character is position 1, the end of the input is
/// its length + 1.
namespace ScratchML

open System
open System.Globalization

/// Why text did not parse: where (1-based character position), what was expected there, and a
/// one-line message saying both.
type ParseError = { Position: int; Expected: string; Message: string }

/// Raised by Parse.expr; Parse.tryExpr returns the error instead.
exception ParseException of ParseError with
    override this.Message = this.Data0.Message

/// Read infix text as an expression.
[<RequireQualifiedAccess>]
module Parse =
    type private Token =
        | Number of float
        | Name of string
        | Symbol of char
        | End

    /// A token and the 1-based position of its first character.
    type private Lexeme = { Token: Token; Position: int; Text: string }

    /// The functions the parser knows, by name: the same names Print.infix writes.
    let functions : Map<string, Expr -> Expr> =
        Map [ "sin", Expr.sin; "cos", Expr.cos; "tan", Expr.tan; "exp", Expr.exp; "log", Expr.log
              "sqrt", Expr.sqrt; "tanh", Expr.tanh; "abs", Expr.abs; "sigmoid", Expr.sigmoid
              "relu", Expr.relu; "softplus", Expr.softplus; "step", Expr.step; "sign", Expr.sign ]

    let private fail position expected message =
        raise (ParseException { Position = position; Expected = expected; Message = message })

    let private describe (l: Lexeme) =
        match l.Token with
        | End -> "the end of input"
        | _ -> $"'{l.Text}'"

    /// Split text into numbers, names and one-character symbols.
    let private lex (text: string) : Lexeme[] =
        let tokens = ResizeArray<Lexeme>()
        let isDigit i = i < text.Length && Char.IsAsciiDigit text[i]
        let mutable i = 0
        while i < text.Length do
            let c = text[i]
            let start = i
            if Char.IsWhiteSpace c then i <- i + 1
            elif Char.IsAsciiDigit c || (c = '.' && isDigit (i + 1)) then
                while isDigit i do i <- i + 1
                if i < text.Length && text[i] = '.' then
                    i <- i + 1
                    while isDigit i do i <- i + 1
                // an exponent only when digits follow: "2e" is 2 then the name e
                if i < text.Length && (text[i] = 'e' || text[i] = 'E') then
                    let signed = i + 1 < text.Length && (text[i + 1] = '+' || text[i + 1] = '-')
                    let j = if signed then i + 2 else i + 1
                    if isDigit j then
                        i <- j
                        while isDigit i do i <- i + 1
                let s = text.Substring(start, i - start)
                let value = Double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)
                tokens.Add { Token = Number value; Position = start + 1; Text = s }
            elif Char.IsAsciiLetter c || c = '_' then
                let isNamePart i =
                    i < text.Length && (Char.IsAsciiLetterOrDigit text[i] || text[i] = '_')
                while isNamePart i do i <- i + 1
                let s = text.Substring(start, i - start)
                tokens.Add { Token = Name s; Position = start + 1; Text = s }
            elif "+-*/^()".Contains c then
                tokens.Add { Token = Symbol c; Position = start + 1; Text = string c }
                i <- i + 1
            else
                fail (start + 1) "an operand or operator"
                    $"unexpected character '{c}' at position {start + 1}"
        tokens.Add { Token = End; Position = text.Length + 1; Text = "" }
        tokens.ToArray()

    /// The recursive descent over the tokens; `pos` is the index of the next token.
    type private Parser(tokens: Lexeme[]) =
        let mutable pos = 0
        member _.Peek = tokens[pos]
        member _.PeekAt k = tokens[min (pos + k) (tokens.Length - 1)]
        member _.Advance() = pos <- pos + 1

        member p.Expect(symbol: char) =
            let l = p.Peek
            if l.Token = Symbol symbol then p.Advance()
            else
                fail l.Position $"'{symbol}'"
                    $"expected '{symbol}' at position {l.Position}, found {describe l}"

        member p.Expr() : Expr =
            let mutable left = p.Term()
            let mutable go = true
            while go do
                match p.Peek.Token with
                | Symbol '+' -> p.Advance(); left <- left + p.Term()
                | Symbol '-' -> p.Advance(); left <- left - p.Term()
                | _ -> go <- false
            left

        member p.Term() : Expr =
            let mutable left = p.Unary()
            let mutable go = true
            while go do
                match p.Peek.Token with
                | Symbol '*' -> p.Advance(); left <- left * p.Unary()
                | Symbol '/' -> p.Advance(); left <- left / p.Unary()
                | _ -> go <- false
            left

        member p.Unary() : Expr =
            match p.Peek.Token, (p.PeekAt 1).Token, (p.PeekAt 2).Token with
            | Symbol '-', Number c, next when next <> Symbol '^' ->
                // −2 is a negative constant; −2^2 is −(2^2), so not before ^
                p.Advance(); p.Advance(); Expr.scalar -c
            | Symbol '-', _, _ -> p.Advance(); -(p.Unary())
            | Symbol '+', _, _ -> p.Advance(); p.Unary()
            | _ -> p.Power()

        member p.Power() : Expr =
            let base' = p.Atom()
            match p.Peek.Token with
            | Symbol '^' -> p.Advance(); Expr.Pow(base', p.Unary())
            | _ -> base'

        member p.Atom() : Expr =
            let l = p.Peek
            match l.Token with
            | Number c -> p.Advance(); Expr.scalar c
            | Name n when (p.PeekAt 1).Token = Symbol '(' ->
                match functions.TryFind n with
                | Some f ->
                    p.Advance(); p.Advance()
                    let arg = p.Expr()
                    p.Expect ')'
                    f arg
                | None ->
                    let known = String.Join(", ", functions.Keys)
                    fail l.Position $"one of {known}"
                        $"unknown function '{n}' at position {l.Position}"
            | Name n when functions.ContainsKey n ->
                let next = p.PeekAt 1
                fail next.Position "'('"
                    $"expected '(' after '{n}' at position {next.Position}, found {describe next}"
            | Name n -> p.Advance(); Expr.scalarVar n
            | Symbol '(' ->
                p.Advance()
                let inner = p.Expr()
                p.Expect ')'
                inner
            | End ->
                fail l.Position "an operand"
                    $"unexpected end of input at position {l.Position}, expected an operand"
            | _ ->
                fail l.Position "an operand"
                    $"expected an operand at position {l.Position}, found {describe l}"

        member p.Whole() : Expr =
            let e = p.Expr()
            let l = p.Peek
            if l.Token <> End then
                fail l.Position "an operator or the end of input"
                    ($"expected an operator or the end of input at position {l.Position}, "
                     + $"found {describe l}")
            e

    let private parse (text: string) =
        try Ok (Parser(lex text).Whole())
        with ParseException error -> Error error

    /// The expression the text denotes, or where and why it does not parse.
    let tryExpr (text: string) : Result<Expr, ParseError> =
        if text.Length < 2000 then parse text
        else
            // recursive descent nests one call chain per parenthesis: give long texts a deep stack
            let mutable result = Unchecked.defaultof<Result<Expr, ParseError>>
            let mutable failure: exn = null
            let run () = try result <- parse text with e -> failure <- e
            let worker = Threading.Thread(run, 256 * 1024 * 1024)
            worker.Start()
            worker.Join()
            if isNull failure then result else raise failure

    /// The expression the text denotes; raises ParseException (message with the position).
    let expr (text: string) : Expr =
        match tryExpr text with
        | Ok e -> e
        | Error error -> raise (ParseException error)
