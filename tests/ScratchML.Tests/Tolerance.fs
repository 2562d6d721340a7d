/// Tolerances used across the tests, each with where it comes from.
module ScratchML.Tests.Tolerance

/// |a − e| ≤ atol + rtol·|e|, element by element (the fixtures README's comparison).
let close (rtol: float) (atol: float) (actual: float) (expected: float) =
    abs (actual - expected) <= atol + rtol * abs expected

/// PyTorch op fixtures: rtol 1e-9, atol 1e-12 (fixtures README, "Recommended tolerance").
let torchOps = close 1e-9 1e-12

/// Optimizer fixtures: rtol 1e-10, atol 1e-13 (fixtures README, torch_optim).
let torchOptim = close 1e-10 1e-13

/// Symbolic gradient vs central differences (h = 1e-6): |a − n| ≤ 1e-6 + 1e-4·max(|a|, |n|).
let grad (a: float) (n: float) = abs (a - n) <= 1e-6 + 1e-4 * max (abs a) (abs n)
