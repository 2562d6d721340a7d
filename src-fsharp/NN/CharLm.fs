/// A character-level language model: Embedding → LSTM → Dense at every step, trained with
/// truncated backpropagation through time, scored in bits per character, sampled with a
/// temperature. Layer: NN, after Checkpoint.fs. Read next: the C# facade (CharLanguageModel.cs).
///
/// Batching (as char-rnn does): the text's ids are cut into B contiguous streams, and batch k
/// holds chunk k (T characters) of every stream; the target of each character is the next one.
/// The LSTM's last states h_T, c_T of chunk k are the initial states h0, c0 of chunk k + 1: the
/// model sees an unbroken text, but the gradient stops at chunk boundaries (h0, c0 are inputs of
/// the compiled graph, not expressions of the previous chunk). Loss: the mean cross-entropy of
/// all B·T next-character predictions, CE = −Σ log p(next char) / (B·T); bits/char = CE / ln 2.
namespace ScratchML.NN

open System
open System.Collections.Generic
open ScratchML

/// Sizes and training settings of a character-level LM.
type CharLmOptions =
    { /// Embedding width E.
      Embedding: int
      /// LSTM hidden size H.
      Hidden: int
      /// Stacked LSTM layers.
      Layers: int
      /// Characters per chunk T (the truncation length of BPTT).
      Steps: int
      /// Parallel streams B (rows of a batch).
      BatchSize: int
      /// Adam's learning rate (betas 0.9, 0.999, eps 1e-8).
      LearningRate: float
      /// Clip the global gradient norm to this (0: no clipping).
      ClipNorm: float
      /// Training batches (chunks); the streams wrap around (states reset) when they run out.
      Batches: int
      /// Seed of the initial weights.
      Seed: int }

    /// A small model that trains in a few minutes on the speeches: E 32, H 256, 1 layer,
    /// T 64, B 32, lr 2e-3, clip 5, 2000 batches (4.1M characters, 1.4 passes over the speeches).
    static member Defaults =
        { Embedding = 32; Hidden = 256; Layers = 1; Steps = 64; BatchSize = 32; LearningRate = 2e-3
          ClipNorm = 5.0; Batches = 2000; Seed = 0 }

/// A trained (or fresh) character LM: its vocabulary and its model (Embedding(V, E) →
/// LSTM(E, H, layers) → Dense(H, V)), with compiled programs cached per use and shape.
type CharLm(vocabulary: CharVocabulary, model: Model) =
    let programs = Dictionary<string * int * int, Compiled>()
    let embedding, recurrent, spec, dense =
        match model.Network.Layers with
        | [ e; r; d ] ->
            match e.Spec, r.Spec, d.Spec with
            | LayerSpec.Embedding (v, _), LayerSpec.Recurrent (s, _), LayerSpec.Dense (_, o)
                when s.Kind = CellKind.Lstm && v = vocabulary.Size && o = vocabulary.Size -> e, r, s, d
            | _ -> invalidArg "model" "a char LM is Embedding(V, E) → LSTM → Dense(H, V) with V = vocabulary size"
        | _ -> invalidArg "model" "a char LM has three layers: embedding, LSTM, dense"

    /// The characters the model knows.
    member _.Vocabulary = vocabulary
    /// The network and its parameter values.
    member _.Model = model
    /// The LSTM stack's sizes.
    member _.Spec = spec

    /// Graph for ids x [T; B] (time-major) from states h0, c0 [layers; B; H]:
    /// logits [T·B; V] (row t·B + b predicts the character after x[t, b]), h_T, c_T.
    member _.Graph(batch: int, steps: int) =
        let x = Expr.var "x" [| steps; batch |]
        let h0 = Expr.var "h0" [| spec.NumLayers; batch; spec.HiddenSize |]
        let c0 = Expr.var "c0" [| spec.NumLayers; batch; spec.HiddenSize |]
        // the layer's own variables under their PyTorch names ("weight_ih_l0", …)
        let variables =
            recurrent.Parameters |> List.map (fun p -> p.Name.Substring(recurrent.Name.Length + 1), p.Var) |> Map
        // time-first, so the output [T; B; H] is contiguous and reshapes to [T·B; H] without a copy
        let run = Recurrent.run { spec with BatchFirst = false } variables (embedding.Forward Mode.Eval x) (Some h0) (Some c0) None
        let flat = Expr.reshape [| steps * batch; spec.HiddenSize |] run.Output
        dense.Forward Mode.Eval flat, run.HN, run.CN.Value

    /// The compiled program `kind` ("train": [loss; h_T; c_T; ∂loss/∂p…], "loss": [loss; h_T; c_T],
    /// "logits": [logits; h_T; c_T]) for a batch and chunk length, built once.
    member this.Program(kind: string, batch: int, steps: int) : Compiled =
        let key = kind, batch, steps
        match programs.TryGetValue key with
        | true, p -> p
        | _ ->
            let logits, hn, cn = this.Graph(batch, steps)
            let y = Expr.var "y" [| steps * batch; 1 |]
            let loss = Losses.crossEntropyIndices Reduction.Mean logits y
            let outputs =
                match kind with
                | "train" ->
                    let grads = Grad.grad loss [ for p in model.Network.Parameters -> p.Var ]
                    loss :: hn :: cn :: (grads |> List.map Simplify.run)
                | "loss" -> [ loss; hn; cn ]
                | _ -> [ logits; hn; cn ]
            let p = Compile.program outputs
            programs[key] <- p
            p

/// Training, scoring, sampling, saving.
[<RequireQualifiedAccess>]
module CharLm =
    /// The metadata key holding the vocabulary (its characters in id order) in a model file.
    [<Literal>]
    let VocabularyKey = "scratchml.charlm.vocabulary"

    /// A fresh model for a vocabulary: Embedding(V, E) → LSTM(E, H, layers) (every step) →
    /// Dense(H, V), PyTorch's initialisation from the options' seed.
    let create (options: CharLmOptions) (vocabulary: CharVocabulary) =
        if options.Embedding < 1 || options.Hidden < 1 || options.Layers < 1 then
            invalidArg "options" "embedding, hidden and layers must be positive"
        let spec = { Recurrent.spec CellKind.Lstm options.Embedding options.Hidden with NumLayers = options.Layers }
        let network =
            Sequential.ofSpecs
                [ LayerSpec.Embedding (vocabulary.Size, options.Embedding)
                  LayerSpec.Recurrent (spec, Readout.Sequence)
                  LayerSpec.Dense (options.Hidden, vocabulary.Size) ]
        CharLm(vocabulary, Model.create network [| options.Steps |] DType.Float32 InitScheme.PyTorch options.Seed)

    /// Zero states [layers; B; H].
    let private zeroState (lm: CharLm) batch =
        Tensor.zeros DType.Float32 [| lm.Spec.NumLayers; batch; lm.Spec.HiddenSize |]

    /// The B streams of `ids` as chunks: chunk k gives x [T; B] and its targets y [T·B; 1]
    /// (x[t, b] = ids[b·S + k·T + t], target = the id after it; S = (n − 1)/B stream length).
    let private chunker (ids: int[]) (batch: int) (steps: int) =
        let streamLength = (ids.Length - 1) / batch
        let chunks = streamLength / steps
        if chunks < 1 then invalidArg "text" $"need at least {batch * steps + 1} characters, got {ids.Length}"
        let chunk k =
            let x = Array.zeroCreate<float32> (steps * batch)
            let y = Array.zeroCreate<float32> (steps * batch)
            for t in 0 .. steps - 1 do
                for b in 0 .. batch - 1 do
                    let i = b * streamLength + k * steps + t
                    x[t * batch + b] <- float32 ids[i]
                    y[t * batch + b] <- float32 ids[i + 1]
            Tensor.ofArray32 [| steps; batch |] x, Tensor.ofArray32 [| steps * batch; 1 |] y
        chunks, chunk

    /// Train on `text` for options.Batches chunks (Adam, clipped gradients), calling
    /// onBatch(done, total, loss) after each. Returns each batch's mean cross-entropy (nats).
    let fit (options: CharLmOptions) (lm: CharLm) (text: string) (onBatch: int -> int -> float -> unit) : float[] =
        let ids = lm.Vocabulary.Encode text
        let batch, steps = options.BatchSize, options.Steps
        let chunks, chunk = chunker ids batch steps
        let program = lm.Program("train", batch, steps)
        let parameters = Array.ofList lm.Model.Values
        let adam = Optimizer.Adam { AdamOptions.Defaults with LearningRate = options.LearningRate }
        let states = Optimizer.init adam parameters
        let named = lm.Model.Named
        let losses = Array.zeroCreate options.Batches
        let mutable h, c = zeroState lm batch, zeroState lm batch
        for n in 0 .. options.Batches - 1 do
            let k = n % chunks
            if k = 0 then h <- zeroState lm batch; c <- zeroState lm batch   // the streams restart
            let x, y = chunk k
            match program.Run(Map ([ "x", x; "y", y; "h0", h; "c0", c ] @ named)) with
            | loss :: hn :: cn :: grads ->
                let grads = Array.ofList grads
                let grads = if options.ClipNorm > 0.0 then fst (GradientClipping.byGlobalNorm options.ClipNorm grads) else grads
                Optimizer.step adam states parameters grads
                h <- hn
                c <- cn
                losses[n] <- Tensor.item loss
                onBatch (n + 1) options.Batches losses[n]
            | _ -> failwith "the training program returns the loss, the states and the gradients"
        losses

    /// Bits per character on `text`: streams of it (up to B = 16 streams, T = 64, states
    /// carried), every character after the first predicted once (the tail that does not fill a
    /// chunk is left out): Σ −log₂ p(next char) / count.
    let bitsPerChar (lm: CharLm) (text: string) =
        let ids = lm.Vocabulary.Encode text
        if ids.Length < 2 then invalidArg "text" "need at least two characters"
        let batch = max 1 (min 16 ((ids.Length - 1) / 64))
        let steps = min 64 ((ids.Length - 1) / batch)
        let chunks, chunk = chunker ids batch steps
        // a compiled program writes into buffers it owns, so callers on several threads take
        // turns on the model (as Model.predict does)
        lock lm (fun () ->
            let program = lm.Program("loss", batch, steps)
            let mutable h, c = zeroState lm batch, zeroState lm batch
            let mutable total = 0.0
            for k in 0 .. chunks - 1 do
                let x, y = chunk k
                match program.Run(Map ([ "x", x; "y", y; "h0", h; "c0", c ] @ lm.Model.Named)) with
                | loss :: hn :: cn :: _ ->
                    total <- total + Tensor.item loss
                    h <- hn
                    c <- cn
                | _ -> failwith "the loss program returns the loss and the states"
            total / float chunks / log 2.0)

    /// Index drawn from softmax(z / temperature) with u uniform in [0, 1) (inverse CDF);
    /// temperature 0 takes the argmax (greedy).
    let pick (logits: float[]) (temperature: float) (u: float) =
        if temperature <= 0.0 then Array.findIndex ((=) (Array.max logits)) logits
        else
            let m = Array.max logits
            let weights = logits |> Array.map (fun z -> exp ((z - m) / temperature))
            let mutable target = u * Array.sum weights
            let mutable k = 0
            while k < weights.Length - 1 && target >= weights[k] do
                target <- target - weights[k]
                k <- k + 1
            k

    /// `length` characters continuing `prompt`: the prompt is read one character at a time
    /// (from zero states), then each next character is drawn from softmax(logits / temperature)
    /// with a SplitMix64 stream seeded by `seed` and fed back. Returns the continuation only.
    let sample (lm: CharLm) (prompt: string) (length: int) (temperature: float) (seed: int) =
        if String.IsNullOrEmpty prompt then invalidArg "prompt" "the prompt must hold at least one character"
        if length < 0 then invalidArg "length" $"must be ≥ 0, got {length}"
        if temperature < 0.0 || Double.IsNaN temperature then invalidArg "temperature" $"must be ≥ 0, got {temperature}"
        lock lm (fun () -> // one program, its own buffers: callers take turns (see bitsPerChar)
        let program = lm.Program("logits", 1, 1)
        let rng = SplitMix64(uint64 seed)
        let mutable h, c = zeroState lm 1, zeroState lm 1
        let step (id: int) =
            let x = Tensor.ofArray32 [| 1; 1 |] [| float32 id |]
            match program.Run(Map ([ "x", x; "h0", h; "c0", c ] @ lm.Model.Named)) with
            | logits :: hn :: cn :: _ ->
                h <- hn
                c <- cn
                Tensor.toArray logits
            | _ -> failwith "the logits program returns the logits and the states"
        let mutable logits = [||]
        for id in lm.Vocabulary.Encode prompt do logits <- step id
        let generated = Array.zeroCreate length
        for i in 0 .. length - 1 do
            generated[i] <- pick logits temperature (rng.Uniform())
            if i < length - 1 then logits <- step generated[i]
        lm.Vocabulary.Decode generated)

    /// Save the parameters, the architecture and the vocabulary to a safetensors file.
    let save (path: string) (lm: CharLm) =
        let metadata = Map [ Checkpoint.ArchitectureKey, Checkpoint.architecture lm.Model; VocabularyKey, string lm.Vocabulary ]
        SafeTensors.save path metadata lm.Model.Named

    /// Load a model saved by `save` (a file without a vocabulary is an error naming the file).
    let load (path: string) : CharLm =
        let model = Checkpoint.load path
        match (SafeTensors.load path).Metadata.TryFind VocabularyKey with
        | Some chars ->
            try CharLm(CharVocabulary.ofString chars, model)
            with :? ArgumentException as e -> raise (SafeTensorsError(path, e.Message))
        | None -> raise (SafeTensorsError(path, "no vocabulary: not a character language model file"))
