/// SplitMix64: the one random generator behind every seeded draw in ScratchML.
/// Layer: Tensor (no dependencies). Read next: Shape.fs.
/// Exactly as ../shared/bench/WORKLOADS.md defines it, so PyTorch scripts can reproduce our numbers.
namespace ScratchML

/// A SplitMix64 stream. Mutable on purpose: one stream, drawn in a documented order.
type SplitMix64(seed: uint64) =
    let mutable state = seed

    /// next() : state += 0x9E3779B97F4A7C15; z = state; two xor-shift-multiply rounds; z ^ (z >> 31).
    member _.Next() : uint64 =
        state <- state + 0x9E3779B97F4A7C15UL
        let mutable z = state
        z <- (z ^^^ (z >>> 30)) * 0xBF58476D1CE4E5B9UL
        z <- (z ^^^ (z >>> 27)) * 0x94D049BB133111EBUL
        z ^^^ (z >>> 31)

    /// uniform() = (next() >> 40) · 2⁻²⁴, a double in [0, 1) that is exact in float32.
    member this.Uniform() : float = float (this.Next() >>> 40) * (1.0 / 16777216.0)

    /// symmetric(bound) = (float32)((2·uniform() − 1)·bound): computed in double, rounded once.
    member this.Symmetric(bound: float) : float32 = float32 ((2.0 * this.Uniform() - 1.0) * bound)

    /// below(m) = (next() >> 32) mod m, an integer in [0, m).
    member this.Below(m: int) : int = int ((this.Next() >>> 32) % uint64 m)

    /// A standard normal draw (Box–Muller on two uniforms; the cosine branch only, so one draw
    /// consumes exactly two uniforms and a stream's order never depends on a cached value).
    member this.Normal() : float =
        let u1 = 1.0 - this.Uniform() // in (0, 1]: log is finite
        let u2 = this.Uniform()
        sqrt (-2.0 * log u1) * cos (2.0 * System.Math.PI * u2)

    /// The current state, so a stream can be saved and resumed bit-identically.
    member _.State = state

    new(seed: int) = SplitMix64(uint64 (int64 seed))
