/// A linear head on ImageNet ResNet-18 features through the facade (ImageClassifier.Backbone.cs):
/// trained on a few shipped cats and dogs (features computed once, then read from the cache),
/// saved and loaded with its backbone, asked about a photo. Kept small: each image is a full
/// ResNet-18 pass (~1.8 GFLOP).
module ScratchML.Tests.Facade.ResNetHeadTests

open System
open System.IO
open Expecto
open ScratchML
open ScratchML.Tests

let private chelsea = Path.Combine(Fixtures.repoRoot, "data", "photos", "chelsea.png")

/// Four cats (label 0) and four dogs (label 1) of the shipped set.
let private fewCatsAndDogs () =
    let all = ImageSet.CatsDogs()
    let picks = [| 0; 1; 2; 3; 1000; 1001; 1002; 1003 |]
    let images = Array4D.init picks.Length all.Height all.Width 3 (fun i r c k -> (all.Image picks[i])[r, c, k])
    ImageSet(images, picks |> Array.map (fun i -> all.Labels[i]), all.ClassNames)

[<Tests>]
let tests =
    testList "Facade.ResNetHead" [
        test "a head on ResNet-18 features trains, caches its features, saves and loads with its backbone" {
            // the feature cache goes to $XDG_CACHE_HOME/scratchml: here the run's temporary folder
            let cache = Path.Combine(Path.GetTempPath(), $"scratchml-xdg-{Guid.NewGuid():N}")
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", cache)
            let set = fewCatsAndDogs ()
            let mutable reported = 0
            let classifier =
                ImageClassifier.TrainOnResNet18(set, epochs = 20, batchSize = 4, optimizer = Adam(0.01), seed = 0,
                                                onFeatures = Action<int, int>(fun count _ -> reported <- count))
            Expect.equal reported 8 "features of the 8 images reported"
            Expect.equal classifier.Backbone "resnet18" "backbone"
            Expect.equal (classifier.Height, classifier.Width) (224, 224) "seen at 224×224"
            Expect.equal classifier.ParameterCount (512 * 2 + 2) "a linear head"
            let cached = Directory.GetFiles(Path.Combine(cache, "scratchml"))
            Expect.equal cached.Length 1 "one cache entry"
            let fit = classifier.Evaluate set   // features read back from the cache
            Expect.equal fit.Accuracy 1.0 "8 images are separable in 512 dimensions"
            let path = Path.Combine(Path.GetTempPath(), $"scratchml-{Guid.NewGuid():N}.safetensors")
            classifier.Save path
            let loaded = ImageClassifier.Load path
            Expect.equal loaded.Backbone "resnet18" "backbone restored"
            let photo = ImageClassifier.LoadImage chelsea
            let before, after = classifier.Predict photo, loaded.Predict photo
            Expect.equal after.Probabilities before.Probabilities "the same head and backbone"
            Expect.floatClose Accuracy.veryHigh (before.Probabilities |> Seq.fold (+) 0.0) 1.0 "probabilities"
        }
    ]
