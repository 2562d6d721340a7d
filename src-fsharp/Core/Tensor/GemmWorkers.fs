/// Persistent helper threads for splitting one GEMM over several cores.
/// Layer: Tensor (no dependencies). Read next: Gemm.fs (`split` hands blocks of C to these).
///
/// Why not `Task.Run`: a product of 256³ takes ~0.3 ms on one core, so the hand-off to a second
/// core must cost a few microseconds, not tens. A thread-pool task may land on any pool thread
/// (each then needs its own packing buffers), waits behind unrelated work items, and the pool
/// thread it wakes may have gone to sleep. A worker here is one dedicated background thread that
/// runs one job at a time: the caller claims an idle worker, hands it a job, does its own share,
/// then waits for the worker's. Both hand-offs are `ManualResetEventSlim`s, which spin briefly
/// before sleeping, so back-to-back products (a benchmark loop, a training step) find the worker
/// awake, while an idle library costs no CPU.
///
/// On a busy machine the worker may not get a core for milliseconds. Waiting for it would make
/// the split product slower than no split, so a caller that has finished its own share takes
/// back any job its worker has not started yet and runs it itself: a job is pending → running
/// (worker) or pending → taken back (caller), decided by one compare-and-swap.
namespace ScratchML

open System.Diagnostics
open System.Runtime.ExceptionServices
open System.Threading

/// One background thread that runs the jobs handed to it, one at a time.
type internal GemmWorker() =
    /// Spins of a wait before it sleeps (ManualResetEventSlim allows at most 2047).
    static let spinCount = 1000
    /// How long a worker stays awake after a job: 200 µs, in Stopwatch ticks. Measured here
    /// (2 threads, best of 200 calls, loaded machine): 256³ float32 reached 157 GFLOP/s with no
    /// such wait and 183–189 with 200–1000 µs; longer waits only burn a shared core.
    static let spinTicks = 200L * Stopwatch.Frequency / 1_000_000L

    /// Set by the caller when a job is ready; reset by the worker when it takes the job.
    let wake = new ManualResetEventSlim(false, spinCount)
    /// Set by the worker when the job has finished (or thrown); reset by the caller before handing.
    let finished = new ManualResetEventSlim(false, spinCount)
    let mutable job: unit -> unit = ignore
    let mutable error: ExceptionDispatchInfo = null
    /// 1 while a caller owns the worker (from TryClaim until the job is joined or, if taken
    /// back, until the worker has woken and seen it), else 0.
    let mutable claimed = 0
    /// The handed job's state: Pending, Running (the worker took it) or TakenBack (the caller).
    let mutable state = 0

    [<Literal>]
    static let Pending = 1
    [<Literal>]
    static let Running = 2
    [<Literal>]
    static let TakenBack = 3

    let loop () =
        while true do
            // Stay awake for a moment after a job: the next product's hand-off then costs a
            // memory read instead of a futex wake (tens of microseconds in a VM).
            let awakeUntil = Stopwatch.GetTimestamp() + spinTicks
            while Volatile.Read(&state) <> Pending && Stopwatch.GetTimestamp() < awakeUntil do
                Thread.SpinWait 20
            wake.Wait()
            wake.Reset()
            if Interlocked.CompareExchange(&state, Running, Pending) = Pending then
                try job () with e -> error <- ExceptionDispatchInfo.Capture e
                finished.Set()
            else // the caller ran the job itself: nothing to do but become free again
                job <- ignore
                Volatile.Write(&claimed, 0)

    do
        let thread = Thread(loop, IsBackground = true, Name = "ScratchML GEMM worker")
        thread.Start()

    /// Take the worker for one job; false if another caller owns it.
    member _.TryClaim() = Interlocked.CompareExchange(&claimed, 1, 0) = 0

    /// Start `work` on the worker's thread (the caller must own the worker).
    member _.Start(work: unit -> unit) =
        job <- work
        error <- null
        state <- Pending
        finished.Reset()
        wake.Set() // a full fence: the worker sees `job`, `error` and `state` as written above

    /// True if the job had not started and now never will: the caller must run it itself
    /// (the worker releases itself when it wakes). False if the worker is running it.
    member _.TryTakeBack() = Interlocked.CompareExchange(&state, TakenBack, Pending) = Pending

    /// Wait for the job and release the worker; the job's exception if it threw, else null.
    member _.Join() : ExceptionDispatchInfo =
        finished.Wait()
        let thrown = error
        job <- ignore
        Volatile.Write(&claimed, 0)
        thrown

/// The pool of workers: grows to the number of blocks ever run at once, then stays that size.
module internal GemmWorkers =
    let private pool = ResizeArray<GemmWorker>()

    /// An idle worker, claimed for the caller (a new one if every worker is busy).
    let claim () : GemmWorker =
        lock pool (fun () ->
            match pool |> Seq.tryFind (fun w -> w.TryClaim()) with
            | Some worker -> worker
            | None ->
                let worker = GemmWorker()
                worker.TryClaim() |> ignore
                pool.Add worker
                worker)

    /// Run every job, the first on the calling thread and the others on claimed workers;
    /// return when all have finished (rethrowing the first exception, if any).
    let runAll (jobs: (unit -> unit) list) =
        match jobs with
        | [] -> ()
        | [ only ] -> only ()
        | first :: others ->
            let workers = others |> List.map (fun work -> let w = claim () in w.Start work; w)
            let attempt (work: unit -> unit) =
                try work (); null with e -> ExceptionDispatchInfo.Capture e
            let mine = attempt first
            // a job no worker has started yet is run here; a started one is joined. Every job
            // ends before rethrowing: none may still be writing into C after we return.
            let theirs =
                List.zip workers others
                |> List.map (fun (w, work) -> if w.TryTakeBack() then attempt work else w.Join())
            mine :: theirs |> List.tryFind (isNull >> not) |> Option.iter (fun e -> e.Throw())
