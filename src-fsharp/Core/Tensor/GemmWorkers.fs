/// Persistent helper threads for splitting one GEMM over several cores.
/// Layer: Tensor (no dependencies). Read next: Gemm.fs (`split` hands chunks of C to these).
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
/// the split product slower than no split, so the work is not cut in fixed halves: C is cut into
/// a few chunks that the caller and the worker claim one at a time (`share`), and a caller that
/// finds no chunk left takes back a job its worker has not started yet: a job is pending →
/// running (worker) or pending → taken back (caller), decided by one compare-and-swap. A late
/// worker thus costs the caller nothing, and a worker descheduled mid-chunk holds up only that
/// one chunk, the others being done by the caller meanwhile (with fixed halves it held up half
/// the product: in a loaded harness, 256³ calls waited 10–20 ms for a worker that had started
/// its half and then lost its core).
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

    /// Spin until `isDone ()` or `ticks` have passed; true if done.
    static let spinUntil (isDone: unit -> bool) (ticks: int64) =
        let until = Stopwatch.GetTimestamp() + ticks
        while not (isDone ()) && Stopwatch.GetTimestamp() < until do
            Thread.SpinWait 20
        isDone ()

    let loop () =
        let mutable ranLast = false
        while true do
            // Stay awake for a moment after a job: the next product's hand-off then costs a
            // memory read instead of a futex wake (tens of microseconds in a VM). Not after a
            // job taken back: the worker came too late, so its core is contended; sleep at once.
            if ranLast then
                spinUntil (fun () -> Volatile.Read(&state) = Pending) spinTicks |> ignore
            wake.Wait()
            wake.Reset()
            ranLast <- Interlocked.CompareExchange(&state, Running, Pending) = Pending
            if ranLast then
                try job () with e -> error <- ExceptionDispatchInfo.Capture e
                finished.Set()
            else // the caller took the job back: nothing to do but become free again
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

    /// True if the job had not started and now never will (the worker releases itself when it
    /// wakes). False if the worker is running it or has run it.
    member _.TryTakeBack() = Interlocked.CompareExchange(&state, TakenBack, Pending) = Pending

    /// Wait for the job and release the worker; the job's exception if it threw, else null.
    member _.Join() : ExceptionDispatchInfo =
        // The job is running and about as long as a chunk: spin for it a while rather than
        // sleep at once, since a futex wake-up would add tens of microseconds to every product.
        if not (spinUntil (fun () -> finished.IsSet) spinTicks) then finished.Wait()
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

    /// Run `work first i` once for every chunk i = 0 … count−1 on up to `threads` threads: the
    /// caller and threads−1 claimed workers each take the next unclaimed chunk (one atomic
    /// increment) until none is left; `first` is true on a thread's first chunk. Dynamic sharing
    /// means a worker that starts late, or is descheduled, just does fewer chunks, while the
    /// caller never waits for a chunk nobody has started: once the caller runs out of chunks, a
    /// worker that has not begun is taken back (it has nothing left to do), and one that has is
    /// joined: it holds at most one chunk, in progress. Returns when every chunk has ended,
    /// rethrowing the first exception, if any.
    let share (threads: int) (count: int) (work: bool -> int -> unit) =
        let next = ref -1 // the last chunk claimed
        let drain () =
            let mutable first = true
            let mutable i = Interlocked.Increment &next.contents
            while i < count do
                work first i
                first <- false
                i <- Interlocked.Increment &next.contents
        let attempt () =
            try drain (); null with e -> ExceptionDispatchInfo.Capture e
        if threads <= 1 || count <= 1 then
            drain ()
        else
            let workers =
                [ for _ in 2 .. min threads count ->
                    let w = claim ()
                    w.Start drain // the worker captures what its job throws; Join returns it
                    w ]
            let mine = attempt ()
            // every chunk is claimed now: a worker not yet started has nothing to do
            let theirs = workers |> List.map (fun w -> if w.TryTakeBack() then null else w.Join())
            mine :: theirs |> List.tryFind (isNull >> not) |> Option.iter (fun e -> e.Throw())
