/// The C# facade speaks .NET only: no type from FSharp.Core anywhere in its public surface
/// (types, base types, interfaces, members, parameters, return types, generic arguments).
module ScratchML.Tests.Facade.SurfaceTests

open System
open System.Reflection
open Expecto

let facade = typeof<ScratchML.Expression>.Assembly
let fsharpCore = typeof<list<int>>.Assembly

/// Every type a signature mentions, unwrapping arrays, by-refs, pointers and generic arguments.
let rec mentioned (t: Type) : Type seq =
    seq {
        yield t
        if t.HasElementType then yield! mentioned (t.GetElementType())
        if t.IsGenericType then
            for a in t.GetGenericArguments() do yield! mentioned a
    }

/// "Type.Member(param): FSharpType" for each public place an F# type shows up.
let offenders () =
    [ for t in facade.GetExportedTypes() do
        let check (where: string) (ty: Type) =
            [ for m in mentioned ty do
                if m.Assembly = fsharpCore then yield $"{t.FullName}.{where}: {m.FullName}" ]
        if not (isNull t.BaseType) then yield! check "(base)" t.BaseType
        for i in t.GetInterfaces() do yield! check "(interface)" i
        let flags = BindingFlags.Public ||| BindingFlags.Instance ||| BindingFlags.Static ||| BindingFlags.DeclaredOnly
        for m in t.GetMembers flags do
            match m with
            | :? MethodBase as mb ->
                for p in mb.GetParameters() do yield! check $"{mb.Name}({p.Name})" p.ParameterType
                match mb with
                | :? MethodInfo as mi -> yield! check $"{mi.Name}(return)" mi.ReturnType
                | _ -> ()
            | :? PropertyInfo as p -> yield! check p.Name p.PropertyType
            | :? FieldInfo as f -> yield! check f.Name f.FieldType
            | :? EventInfo as e -> yield! check e.Name e.EventHandlerType
            | _ -> () ]

[<Tests>]
let tests =
    testList "Facade.Surface" [
        test "no FSharp.Core type in the public surface" {
            let bad = offenders ()
            Expect.isEmpty bad (String.Join("\n", bad))
        }
        test "the scan sees the facade's types" {
            let names = facade.GetExportedTypes() |> Array.map (fun t -> t.Name)
            Expect.contains names "Expression" "Expression is public"
            for lime in [ "TabularExplainer"; "TextExplainer"; "ImageExplainer"; "Explanation"; "FeatureWeight"
                          "ImageClassifier"; "ImageSet"; "ImageSplit"; "ImagePrediction" ] do
                Expect.contains names lime $"{lime} is public (and scanned)"
            for text in [ "TextClassifier"; "TextClassifierOptions"; "TextSet"; "MailingLists"; "NaiveBayesClassifier"; "PoolOverTime" ] do
                Expect.contains names text $"{text} is public (and scanned)"
        }
        test "the scan would catch an FSharpList parameter" {
            Expect.isTrue (mentioned typeof<Collections.Generic.List<list<int>>> |> Seq.exists (fun m -> m.Assembly = fsharpCore)) "nested generic argument"
        }
    ]
