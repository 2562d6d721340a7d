/// Vocabularies: reserved ids, order by count then word, limits, encoding with front padding,
/// JSON round trip.
module ScratchML.Tests.NN.Text.VocabularyTests

open Expecto
open ScratchML
open ScratchML.NN

let private corpus = [ [| "b"; "a"; "c"; "a" |]; [| "c"; "b"; "d"; "a" |]; [| "e" |] ] // a 3, b 2, c 2, d 1, e 1

[<Tests>]
let tests =
    testList "NN.Text.Vocabulary" [
        test "reserved ids first, then by count, ties in ordinal order" {
            Expect.equal (Vocabulary.build 100 1 corpus).Words [| "<pad>"; "<unk>"; "a"; "b"; "c"; "d"; "e" |] "all"
            Expect.equal (Vocabulary.build 4 1 corpus).Words [| "<pad>"; "<unk>"; "a"; "b" |] "top 2"
            Expect.equal (Vocabulary.build 100 2 corpus).Words [| "<pad>"; "<unk>"; "a"; "b"; "c" |] "min count 2"
        }
        test "unknown words get id 1; short texts are padded in front, long ones cut" {
            let v = Vocabulary.build 100 2 corpus
            let ids = Vocabulary.ids (Vocabulary.index v) [| "c"; "zzz"; "a" |]
            Expect.equal ids [| 4; Vocabulary.Unknown; 2 |] "ids"
            Expect.equal (Vocabulary.pad 5 ids) [| 0; 0; 4; 1; 2 |] "front padding"
            Expect.equal (Vocabulary.pad 2 ids) [| 4; 1 |] "first T kept"
        }
        test "encode: tokenise, look up, pad; [n; T] in the dtype" {
            let v = Vocabulary.build 100 1 corpus
            let t = Vocabulary.encode v DType.Float32 3 [| "A, b!"; "e d c a b" |]
            Expect.equal t.Shape [| 2; 3 |] "shape"
            Expect.equal t.DType DType.Float32 "dtype"
            Expect.equal (Tensor.toArray t) [| 0.0; 2.0; 3.0; 6.0; 5.0; 4.0 |] "ids"
        }
        test "JSON round trip; a list without the reserved ids is refused" {
            let v = Vocabulary.build 100 1 corpus
            Expect.equal (Vocabulary.ofJson (Vocabulary.toJson v)) v "round trip"
            Expect.throwsT<System.FormatException> (fun () -> Vocabulary.ofJson """["a","b"]""" |> ignore) "no reserved ids"
        }
    ]
