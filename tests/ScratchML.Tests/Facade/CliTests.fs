/// The `scratchml` command line, run as a user runs it: stdout, stderr and exit codes.
/// Bad input must give exactly one line on stderr and exit code 2, never a stack trace.
module ScratchML.Tests.Facade.CliTests

open System.Diagnostics
open System.IO
open Expecto
open ScratchML.Tests

/// Run the built CLI with arguments; (exit code, stdout, stderr).
let scratchml (args: string list) =
    let dll = Path.Combine(Fixtures.repoRoot, "src-csharp", "ScratchML.Cli", "bin", "Release", "net10.0", "ScratchML.Cli.dll")
    let info = ProcessStartInfo("dotnet", RedirectStandardOutput = true, RedirectStandardError = true)
    info.ArgumentList.Add dll
    for a in args do info.ArgumentList.Add a
    use p = Process.Start info
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEnd()
    p.WaitForExit()
    p.ExitCode, out.Result, err

let lastLine (s: string) = s.TrimEnd().Split('\n') |> Array.last

/// A user error: exit 2 and exactly one non-empty line on stderr containing `fragment`.
let rejects (args: string list) (fragment: string) =
    let code, _, err = scratchml args
    Expect.equal code 2 $"exit code of {args}"
    let lines = err.TrimEnd().Split('\n')
    Expect.equal lines.Length 1 $"one stderr line, got:\n{err}"
    Expect.stringContains lines[0] fragment "message"

[<Tests>]
let tests =
    testList "Facade.Cli" [
        testList "diff prints the simplified derivative last, in the parser's syntax" [
            for expr, expected in
                [ "x^x", "x^x*(log(x) + 1)"
                  "tanh(x)", "1 - tanh(x)^2"
                  "1/(1+exp(-x))", "exp(-x)/(1 + exp(-x))^2"
                  "log(x^2+1)", "2*x/(x^2 + 1)"
                  "sin(x)*cos(x)", "cos(x)^2 - sin(x)^2" ] ->
                test expr {
                    let code, out, err = scratchml [ "diff"; expr; "--wrt"; "x" ]
                    Expect.equal code 0 err
                    Expect.equal (lastLine out) expected "derivative"
                    // the printed derivative parses back
                    let code2, _, err2 = scratchml [ "eval"; lastLine out; "x=1.5" ]
                    Expect.equal code2 0 err2
                }
        ]
        test "diff --steps shows the raw chain rule and the rules fired" {
            let code, out, _ = scratchml [ "diff"; "tanh(w*x+b)"; "--wrt"; "w"; "--steps" ]
            Expect.equal code 0 "exit"
            Expect.stringContains out "raw d/dw" "raw"
            Expect.stringContains out "rules fired" "rules"
        }
        test "diff --latex prints LaTeX" {
            let code, out, _ = scratchml [ "diff"; "tanh(x)"; "--wrt"; "x"; "--latex" ]
            Expect.equal code 0 "exit"
            Expect.stringContains (lastLine out) "\\tanh" "latex"
        }
        test "eval prints the value" {
            let code, out, _ = scratchml [ "eval"; "x^2 + y"; "x=3"; "y=0.5" ]
            Expect.equal code 0 "exit"
            Expect.equal (lastLine out) "9.5" "value"
        }
        test "a parse error gives the position and exit 2" { rejects [ "diff"; "x*(y+1"; "--wrt"; "x" ] "position 7" }
        test "an unknown function is named" { rejects [ "eval"; "foo(x)"; "x=1" ] "foo" }
        test "an unbound variable is named" { rejects [ "eval"; "x + y"; "x=1" ] "'y'" }
        test "a malformed binding is named" { rejects [ "eval"; "x"; "x=abc" ] "x=abc" }
        test "a missing option is reported" { rejects [ "diff"; "x^2" ] "--wrt" }
        test "an unknown command is reported" { rejects [ "frobnicate" ] "frobnicate" }
        test "an unknown workload is reported" { rejects [ "bench"; "w99" ] "w99" }
        testList "explain tabular" [
            let temp () = Directory.CreateTempSubdirectory("scratchml-cli").FullName
            test "built-in breast-cancer data: a table of bars and an HTML report" {
                let report = Path.Combine(temp (), "bc.html")
                let code, out, err = scratchml [ "explain"; "tabular"; "--row"; "3"; "--features"; "4"; "--samples"; "1000"; "--out"; report ]
                Expect.equal code 0 err
                Expect.stringContains out "LIME weights for class" "table title"
                Expect.stringContains out "█" "bars"
                Expect.isTrue (File.Exists report) "report written"
                Expect.stringContains (File.ReadAllText report) "<svg" "the report has its bar chart"
            }
            test "a CSV with a named target" {
                let dir = temp ()
                let csv = Path.Combine(dir, "toy.csv")
                let rows = [ for i in 0 .. 39 -> let x = float (i % 10) / 10.0 in let level = (if x > 0.45 then "high" else "low") in $"{x},{1.0 - x * x},{level}" ]
                File.WriteAllLines(csv, "x,noise,level" :: rows)
                let code, out, err = scratchml [ "explain"; "tabular"; "--csv"; csv; "--target"; "level"; "--row"; "9"; "--features"; "2"; "--samples"; "500"; "--out"; Path.Combine(dir, "r.html") ]
                Expect.equal code 0 err
                Expect.stringContains out "toy.csv" "names the source"
            }
            test "a bad CSV line gives one stderr line naming the file and line" {
                let csv = Path.Combine(temp (), "bad.csv")
                File.WriteAllLines(csv, [ "a,b,y"; "1,2,0"; "3,oops,1"; "5,6,0" ])
                rejects [ "explain"; "tabular"; "--csv"; csv; "--target"; "y" ] "bad.csv, line 3"
            }
            test "a missing target column is named" {
                let csv = Path.Combine(temp (), "t.csv")
                File.WriteAllLines(csv, [ "a,b,y"; "1,2,0"; "3,4,1" ])
                rejects [ "explain"; "tabular"; "--csv"; csv; "--target"; "label" ] "no column 'label'"
            }
            test "--csv without --target is refused" { rejects [ "explain"; "tabular"; "--csv"; "x.csv" ] "--target" }
            test "a missing CSV file is named" { rejects [ "explain"; "tabular"; "--csv"; "nowhere.csv"; "--target"; "y" ] "nowhere.csv" }
            test "too many features are refused" { rejects [ "explain"; "tabular"; "--features"; "31" ] "--features 31" }
            test "a row out of range is refused" { rejects [ "explain"; "tabular"; "--row"; "569" ] "--row 569" }
        ]
        test "--help works" {
            let code, out, _ = scratchml [ "--help" ]
            Expect.equal code 0 "exit"
            Expect.stringContains out "diff" "lists diff"
        }
        test "train mnist --model cnn saves a CNN that evaluate, predict and explain mnist read" {
            let folder = Path.Combine(Path.GetTempPath(), "scratchml-cli-" + System.Guid.NewGuid().ToString("N"))
            try
                let model = Path.Combine(folder, "cnn.safetensors")
                let code, out, err =
                    scratchml [ "train"; "mnist"; "--model"; "cnn"; "--channels"; "4,8"; "--hidden"; "16"
                                "--limit"; "300"; "--epochs"; "1"; "--out"; model ]
                Expect.equal code 0 err
                Expect.stringContains out "Conv2d(1 → 4, 5×5)" "prints the network"
                Expect.stringContains out "per epoch" "reports the time per epoch"
                let code, out, err = scratchml [ "evaluate"; "--model"; model ]
                Expect.equal code 0 err
                Expect.stringContains out "test accuracy" "evaluates"
                let code, out, err = scratchml [ "predict"; "--model"; model; "--index"; "7" ]
                Expect.equal code 0 err
                Expect.stringContains out "test digit 7" "predicts"
                let report = Path.Combine(folder, "r.html")
                let code, _, err = scratchml [ "explain"; "mnist"; "--model"; model; "--samples"; "50"; "--out"; report ]
                Expect.equal code 0 err
                Expect.isTrue (File.Exists report) "writes the report"
            finally
                if Directory.Exists folder then Directory.Delete(folder, true)
        }
        test "train mnist --model refuses an unknown kind" {
            rejects [ "train"; "mnist"; "--model"; "rnn"; "--limit"; "10" ] "--model"
        }
        test "train mnist --plot writes the curve as a PNG" {
            let folder = Path.Combine(Path.GetTempPath(), "scratchml-cli-" + System.Guid.NewGuid().ToString("N"))
            try
                let png = Path.Combine(folder, "loss.png")
                let code, out, err =
                    scratchml [ "train"; "mnist"; "--limit"; "300"; "--epochs"; "2"; "--hidden"; "16"
                                "--out"; Path.Combine(folder, "m.safetensors"); "--plot"; png ]
                Expect.equal code 0 err
                Expect.stringContains out "plotted" "says where"
                let bytes = File.ReadAllBytes png
                Expect.sequenceEqual bytes[0..3] [| 0x89uy; 0x50uy; 0x4Euy; 0x47uy |] "PNG signature"
                Expect.isFalse (File.Exists(png + ".tmp")) "no temp file left"
            finally
                if Directory.Exists folder then Directory.Delete(folder, true)
        }
    ]
