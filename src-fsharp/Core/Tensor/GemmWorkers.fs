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
namespace ScratchML

open System.Runtime.ExceptionServices
open System.Threading

/// One background thread that runs the jobs handed to it, one at a time.
type internal GemmWorker() =
    /// Spins of a wait before it sleeps (ManualResetEventSlim allows at most 2047).
    static let spinCount = 1000

    /// Set by the caller when a job is ready; reset by the worker when it takes the job.
    let wake = new ManualResetEventSlim(false, spinCount)
    /// Set by the worker when the job has finished (or thrown); reset by the caller before handing.
    let finished = new ManualResetEventSlim(false, spinCount)
    let mutable job: unit -> unit = ignore
    let mutable error: ExceptionDispatchInfo = null
    /// 1 while a caller owns the worker (from TryClaim to Join), else 0.
    let mutable claimed = 0

    let loop () =
        while true do
            wake.Wait()
            wake.Reset()
            try job () with e -> error <- ExceptionDispatchInfo.Capture e
            finished.Set()

    do
        let thread = Thread(loop, IsBackground = true, Name = "ScratchML GEMM worker")
        thread.Start()

    /// Take the worker for one job; false if another caller owns it.
    member _.TryClaim() = Interlocked.CompareExchange(&claimed, 1, 0) = 0

    /// Start `work` on the worker's thread (the caller must own the worker).
    member _.Start(work: unit -> unit) =
        job <- work
        error <- null
        finished.Reset()
        wake.Set() // a full fence: the worker sees `job` and `error` as written above

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
            let mine = try first (); null with e -> ExceptionDispatchInfo.Capture e
            // join every worker before rethrowing: none may still be writing into C
            let thrown = mine :: [ for w in workers -> w.Join() ] |> List.tryFind (isNull >> not)
            thrown |> Option.iter (fun e -> e.Throw())
