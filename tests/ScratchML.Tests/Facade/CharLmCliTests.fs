/// `scratchml train charlm` and `scratchml sample` as a user runs them: bad input is one stderr
/// line and exit 2. (Training itself is tested in NN/CharLmTests.fs; a real run takes minutes.)
module ScratchML.Tests.Facade.CharLmCliTests

open Expecto
open ScratchML.Tests.Facade.CliTests

[<Tests>]
let tests =
    testList "Facade.CharLmCli" [
        test "sample without --prompt" { rejects [ "sample" ] "--prompt" }
        test "sample with a missing model file" {
            rejects [ "sample"; "--prompt"; "We"; "--model"; "no/such/charlm.safetensors" ] "no model file"
        }
        test "train charlm with a zero hidden size" { rejects [ "train"; "charlm"; "--hidden"; "0" ] "must be positive" }
        test "train charlm with a missing speeches file" { rejects [ "train"; "charlm"; "--data"; "no/such.txt.gz" ] "no speeches file" }
        test "train without a task" { rejects [ "train" ] "" }
    ]
