/// Every way to show an expression, in one place: infix, LaTeX, Graphviz, listing, tree.
/// Layer: Print. Read next: Parse/Parser.fs (infix text back into an expression).
[<RequireQualifiedAccess>]
module ScratchML.Print

/// One line in the parser's syntax, minimal parentheses: `1 - tanh(x)^2`.
/// Scalar expressions read back (Parse.expr) as the same graph.
let infix (e: Expr) = Infix.ofExpr e

/// LaTeX math: `1 - {\tanh\left(x\right)}^{2}`.
let latex (e: Expr) = Latex.ofExpr e

/// A Graphviz digraph with one node per shared node of the DAG.
let dot (e: Expr) = Dot.ofExpr e

/// One `let` per shared or large node in evaluation order, the result on the last line.
let listing (e: Expr) = Listing.ofExpr e

/// The indented structure, shared nodes expanded once.
let tree (e: Expr) = Tree.ofExpr e

/// A listing where the given (name, node) pairs get a `let` each: `let i = sigmoid(…)`.
let listingNamed (names: (string * Expr) list) (e: Expr) = NamedListing.ofExpr names e

/// The named listing as LaTeX `aligned` equations: `i &= \sigma\left(…\right) \\ …`.
let latexListing (names: (string * Expr) list) (e: Expr) = NamedListing.latex names e
