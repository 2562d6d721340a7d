/// SplitMix64 check values from ../shared/bench/WORKLOADS.md.
module ScratchML.Tests.Core.SplitMix64Tests

open Expecto
open ScratchML

[<Tests>]
let tests =
    testList "Tensor.SplitMix64" [
        test "seed 42 next()" {
            let r = SplitMix64 42UL
            let xs = [ r.Next(); r.Next(); r.Next() ]
            Expect.equal xs [ 0xBDD732262FEB6E95UL; 0x28EFE333B266F103UL; 0x47526757130F9F52UL ] "next()"
        }
        test "seed 42 symmetric(1/sqrt 784): the first W1 weights" {
            let r = SplitMix64 42UL
            let xs = [ for _ in 1..3 -> float (r.Symmetric(1.0 / sqrt 784.0)) ]
            // WORKLOADS.md prints them to 7 significant digits
            for x, e in List.zip xs [ 0.01725463; -0.02429212; -0.01581421 ] do
                Expect.floatClose { absolute = 5e-9; relative = 0.0 } x e "symmetric"
        }
        test "seed 7 below(5000): W3's first tokens" {
            let r = SplitMix64 7UL
            Expect.equal [ for _ in 1..5 -> r.Below 5000 ] [ 1020; 175; 2664; 1544; 3142 ] "below"
        }
        test "seed 11 below(1000): W5's first words" {
            let r = SplitMix64 11UL
            Expect.equal [ for _ in 1..5 -> r.Below 1000 ] [ 325; 746; 992; 761; 602 ] "below"
        }
    ]
