/// The shipped mailing-list set: size, classes, the fixed split, no list footers left; and the
/// stratified split on small label arrays.
module ScratchML.Tests.NN.Text.TextDatasetTests

open Expecto
open ScratchML.NN

let private perClass (d: TextDataset) = Array.init d.ClassNames.Length (fun c -> d.Labels |> Array.filter ((=) c) |> Array.length)

[<Tests>]
let tests =
    testList "NN.Text.TextDataset" [
        test "the shipped set: 2,652 messages in six lists" {
            let d = MailingLists.all ()
            Expect.equal d.Count 2652 "messages"
            Expect.equal d.ClassNames [| "exmh"; "fork"; "ilug"; "razor-users"; "rpm-list"; "spamassassin" |] "lists"
            Expect.equal (perClass d) [| 229; 1051; 541; 213; 397; 221 |] "per list"
            Expect.equal (Array.distinct d.Ids).Length d.Count "ids are unique"
        }
        test "the fixed split: 20% of each list, disjoint, complete" {
            let d = MailingLists.all ()
            let train, test = MailingLists.split ()
            Expect.equal (train.Count, test.Count) (2122, 530) "sizes"
            Expect.equal (perClass test) [| 46; 210; 108; 43; 79; 44 |] "round(0.2·n) per list"
            Expect.equal (Array.append train.Ids test.Ids |> Array.sort) (Array.sort d.Ids) "every message once"
        }
        test "no list footer or advert is left in any message" {
            let d = MailingLists.all ()
            for marker in [ "xent.com/mailman/listinfo/fork"; "linux.ie/mailman/listinfo/ilug"; "listinfo/rpm-list"
                            "listinfo/razor-users"; "listinfo/spamassassin-"; "listinfo/exmh-"
                            "Irish Linux Users' Group"; "sf.net email is sponsored"; "List maintainer: listmaster" ] do
                let hits = d.Texts |> Array.filter (fun t -> t.Contains(marker: string)) |> Array.length
                Expect.equal hits 0 $"messages containing '{marker}'"
        }
        test "stratifiedSplit: same seed same split, rounding per class, sorted rows" {
            let labels = [| 0; 1; 0; 1; 1; 0; 0; 2; 2; 1 |]
            let train, test = TextDataset.stratifiedSplit 0.5 9UL labels
            Expect.equal (TextDataset.stratifiedSplit 0.5 9UL labels) (train, test) "deterministic"
            Expect.equal (test |> Array.map (fun i -> labels[i]) |> Array.countBy id |> Array.sort) [| 0, 2; 1, 2; 2, 1 |] "half of each class"
            Expect.equal (Array.sort (Array.append train test)) [| 0 .. 9 |] "a partition"
            Expect.equal test (Array.sort test) "sorted"
            Expect.notEqual (snd (TextDataset.stratifiedSplit 0.5 10UL labels)) test "another seed, another split"
        }
    ]
