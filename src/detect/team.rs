//! A team of threads for one detector's passes: the calling thread and its helpers share the
//! tasks of each parallel step of a pass (the bands of a 1×1 convolution, the planes of a
//! depthwise one), and between steps the helpers wait by spinning a short while instead of
//! sleeping at once. A pass is about a hundred such steps of 20–200 µs; a helper that sleeps
//! between them takes tens of microseconds to wake (a futex and an interrupt, more under a
//! hypervisor), which cost a quarter of the second thread's gain (measured: `cargo bench
//! --bench detect`, ARCHITECTURE.md M15). Outside a team (tests, the plate reader) the same
//! steps run on rayon's pool.

use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a helper keeps looking for the next step before it sleeps: longer than the gaps
/// inside a pass, far shorter than the gap between passes (a search every 40 ms at the most).
const SPIN: Duration = Duration::from_micros(250);

/// The most tasks one step may have (the state word's field); larger steps are split into
/// several.
const MAX_TASKS: usize = (1 << 20) - 1;

/// A step's work: task index, participant index (0 the caller, then the helpers).
type Work<'a> = dyn Fn(usize, usize) + Sync + 'a;

/// The state word: generation (24 bits) · task count (20) · next task to take (20). Taking a
/// task is one compare-and-swap of the whole word, so that a helper late from an earlier step
/// can never take a task of the next one with the earlier step's count.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct State {
    generation: u64,
    count: usize,
    next: usize,
}

impl State {
    fn pack(self) -> u64 {
        ((self.generation & 0xff_ffff) << 40) | ((self.count as u64) << 20) | self.next as u64
    }

    fn unpack(word: u64) -> Self {
        State {
            generation: word >> 40,
            count: ((word >> 20) & 0xf_ffff) as usize,
            next: (word & 0xf_ffff) as usize,
        }
    }
}

struct Shared {
    state: AtomicU64,
    /// The current step's work, erased to 'static: valid while a task of the current
    /// generation is being done (the caller waits for every one before it returns).
    work: UnsafeCell<Option<*const Work<'static>>>,
    done: AtomicUsize,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    stop: AtomicBool,
    sleeping: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

// SAFETY: `work` is written by the caller only while no task is being done (before a step is
// published, after all its tasks are counted done) and read by helpers only after taking a
// task of that step (the compare-and-swap orders the read after the write).
unsafe impl Sync for Shared {}
// SAFETY: as above; the pointer it holds is only dereferenced under that protocol.
unsafe impl Send for Shared {}

impl Shared {
    /// Takes the next task of `generation`, if any is left.
    fn take(&self, generation: u64) -> Option<usize> {
        let mut word = self.state.load(Ordering::Acquire);
        loop {
            let state = State::unpack(word);
            if state.generation != generation || state.next >= state.count {
                return None;
            }
            let taken = State {
                next: state.next + 1,
                ..state
            };
            match self.state.compare_exchange_weak(
                word,
                taken.pack(),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(state.next),
                Err(now) => word = now,
            }
        }
    }

    /// Does tasks of `generation` until none is left.
    fn work_on(&self, generation: u64, participant: usize) {
        while let Some(task) = self.take(generation) {
            // SAFETY: a task of the current generation is taken, so `work` holds this step's
            // work and the caller waits for this task before it changes or drops it.
            let work = unsafe { (*self.work.get()).map(|w| &*w) };
            if let Some(work) = work
                && let Err(payload) = catch_unwind(AssertUnwindSafe(|| work(task, participant)))
            {
                let mut slot = self.panic.lock().unwrap_or_else(|e| e.into_inner());
                slot.get_or_insert(payload);
            }
            self.done.fetch_add(1, Ordering::Release);
        }
    }
}

/// The calling thread and `threads − 1` helpers that share each step of a pass run inside
/// [`Team::run`].
pub struct Team {
    shared: Arc<Shared>,
    helpers: Vec<JoinHandle<()>>,
    /// Guards against two threads running passes on one team at once.
    busy: Mutex<()>,
}

thread_local! {
    /// The team whose pass this thread is running, while it runs it and is between steps.
    static CURRENT: Cell<Option<*const Team>> = const { Cell::new(None) };
}

impl Team {
    /// A team of `threads` (at least 1: the caller alone; 0 means one per core).
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let shared = Arc::new(Shared {
            state: AtomicU64::new(0),
            work: UnsafeCell::new(None),
            done: AtomicUsize::new(0),
            panic: Mutex::new(None),
            stop: AtomicBool::new(false),
            sleeping: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        });
        let mut helpers = Vec::with_capacity(threads - 1);
        for participant in 1..threads {
            let mine = Arc::clone(&shared);
            let helper = std::thread::Builder::new()
                .name(format!("detect-cpu-{participant}"))
                .spawn(move || help(&mine, participant));
            match helper {
                Ok(handle) => helpers.push(handle),
                Err(e) => {
                    stop(&shared, helpers);
                    return Err(e);
                }
            }
        }
        Ok(Team {
            shared,
            helpers,
            busy: Mutex::new(()),
        })
    }

    /// The caller and the helpers.
    pub fn threads(&self) -> usize {
        self.helpers.len() + 1
    }

    /// `work(task, participant)` for every task below `count`, in steps of at most
    /// [`MAX_TASKS`].
    fn share(&self, count: usize, work: &Work<'_>) {
        for first in (0..count).step_by(MAX_TASKS) {
            let tasks = MAX_TASKS.min(count - first);
            self.step(tasks, &|task, participant| work(first + task, participant));
        }
    }

    /// Runs `pass` on this thread with the team sharing its parallel steps.
    pub fn run<R>(&self, pass: impl FnOnce() -> R) -> R {
        let _busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        let previous = CURRENT.with(|c| c.replace(Some(self as *const Team)));
        let result = catch_unwind(AssertUnwindSafe(pass));
        CURRENT.with(|c| c.set(previous));
        result.unwrap_or_else(|payload| resume_unwind(payload))
    }

    /// One step: `work(task, participant)` for every task below `count`, shared by the team,
    /// each participant numbered below [`Team::threads`]. Returns once every task is done; a
    /// panic in a task is raised here after the others are done.
    fn step(&self, count: usize, work: &Work<'_>) {
        let shared = &*self.shared;
        // SAFETY: no task is being done (the previous step's were all counted done), so no
        // helper reads `work`; the erased lifetime is not outlived (this call waits for every
        // task below before returning).
        unsafe {
            let erased: *const Work<'static> = std::mem::transmute(work as *const Work<'_>);
            *shared.work.get() = Some(erased);
        }
        shared.done.store(0, Ordering::Relaxed);
        let generation = State::unpack(shared.state.load(Ordering::Relaxed)).generation + 1;
        let generation = generation & 0xff_ffff;
        shared.state.store(
            State {
                generation,
                count,
                next: 0,
            }
            .pack(),
            Ordering::SeqCst,
        );
        if shared.sleeping.load(Ordering::SeqCst) > 0 {
            let _lock = shared.lock.lock().unwrap_or_else(|e| e.into_inner());
            shared.wake.notify_all();
        }
        // The caller is participant 0; it leaves the team while it works so that a step
        // asked for from inside a task runs on rayon instead of waiting for itself.
        let previous = CURRENT.with(|c| c.replace(None));
        shared.work_on(generation, 0);
        CURRENT.with(|c| c.set(previous));
        while shared.done.load(Ordering::Acquire) < count {
            std::hint::spin_loop();
        }
        // SAFETY: every task is done: nothing reads `work` until the next step.
        unsafe { *shared.work.get() = None };
        let payload = shared
            .panic
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(payload) = payload {
            resume_unwind(payload);
        }
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        stop(&self.shared, std::mem::take(&mut self.helpers));
    }
}

fn stop(shared: &Shared, helpers: Vec<JoinHandle<()>>) {
    shared.stop.store(true, Ordering::SeqCst);
    {
        let _lock = shared.lock.lock().unwrap_or_else(|e| e.into_inner());
        shared.wake.notify_all();
    }
    for helper in helpers {
        let _ = helper.join();
    }
}

/// A helper's life: wait for a step (spinning, then sleeping), share it, again.
fn help(shared: &Shared, participant: usize) {
    // The generation the team was made with (not the one found when this thread starts: a
    // step may have been published before then).
    let mut seen = 0;
    loop {
        let mut since = Instant::now();
        let mut spins = 0u32;
        let generation = loop {
            if shared.stop.load(Ordering::Relaxed) {
                return;
            }
            let now = State::unpack(shared.state.load(Ordering::Acquire)).generation;
            if now != seen {
                break now;
            }
            spins += 1;
            if !spins.is_multiple_of(64) {
                std::hint::spin_loop();
                continue;
            }
            if since.elapsed() < SPIN {
                continue;
            }
            let lock = shared.lock.lock().unwrap_or_else(|e| e.into_inner());
            shared.sleeping.fetch_add(1, Ordering::SeqCst);
            let now = State::unpack(shared.state.load(Ordering::SeqCst)).generation;
            if now == seen && !shared.stop.load(Ordering::SeqCst) {
                drop(shared.wake.wait(lock).unwrap_or_else(|e| e.into_inner()));
            } else {
                drop(lock);
            }
            shared.sleeping.fetch_sub(1, Ordering::SeqCst);
            since = Instant::now();
        };
        seen = generation;
        shared.work_on(generation, participant);
    }
}

/// `f` of the team running a pass on this thread, if any.
fn with_current<R>(f: impl FnOnce(Option<&Team>) -> R) -> R {
    let team = CURRENT.with(Cell::get);
    // SAFETY: set by `Team::run` on this thread for the duration of the pass, which outlasts
    // this call.
    f(team.map(|team| unsafe { &*team }))
}

/// The threads a step is shared by here: the team's inside [`Team::run`], else rayon's.
pub fn current_threads() -> usize {
    with_current(|team| team.map_or_else(rayon::current_num_threads, Team::threads))
}

/// `work(task)` for every task below `count`, on the team running this pass or on rayon's
/// pool.
pub fn for_each(count: usize, work: impl Fn(usize) + Sync) {
    with_current(|team| match team {
        Some(team) => team.share(count, &|task, _| work(task)),
        None => {
            use rayon::prelude::*;
            (0..count).into_par_iter().for_each(&work);
        }
    });
}

/// As [`for_each`], each participating thread with its own `init()` value (a scratch buffer)
/// passed to its tasks.
pub fn for_each_init<T: Send>(
    count: usize,
    init: impl Fn() -> T + Sync,
    work: impl Fn(&mut T, usize) + Sync,
) {
    with_current(|team| match team {
        Some(team) => {
            let slots: Vec<Mutex<Option<T>>> =
                (0..team.threads()).map(|_| Mutex::new(None)).collect();
            team.share(count, &|task, participant| {
                // Each participant locks only its own slot: never contended.
                let mut slot = slots[participant].lock().unwrap_or_else(|e| e.into_inner());
                work(slot.get_or_insert_with(&init), task);
            });
        }
        None => {
            use rayon::prelude::*;
            (0..count)
                .into_par_iter()
                .for_each_init(&init, |value, task| work(value, task));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[test]
    fn the_state_word_keeps_its_fields() {
        let state = State {
            generation: 0xab_cdef,
            count: MAX_TASKS,
            next: 12345,
        };
        assert_eq!(State::unpack(state.pack()), state);
    }

    #[test]
    fn every_task_of_every_step_is_done_once_on_the_team() {
        let team = Team::new(3).expect("team");
        assert_eq!(team.threads(), 3);
        team.run(|| {
            assert_eq!(current_threads(), 3);
            for count in [0usize, 1, 2, 3, 7, 64, 1000] {
                let hits: Vec<AtomicU32> = (0..count).map(|_| AtomicU32::new(0)).collect();
                for_each(count, |task| {
                    hits[task].fetch_add(1, Ordering::Relaxed);
                });
                assert!(
                    hits.iter().all(|h| h.load(Ordering::Relaxed) == 1),
                    "{count}"
                );
            }
        });
    }

    #[test]
    fn steps_after_the_helpers_fell_asleep_still_run_on_them() {
        let team = Team::new(2).expect("team");
        for round in 0..3 {
            let helper_did = AtomicU32::new(0);
            team.run(|| {
                // Two tasks: whichever the caller takes, it waits inside it (up to a
                // deadline) until the helper has done the other.
                for_each(2, |_| {
                    if std::thread::current().name() == Some("detect-cpu-1") {
                        helper_did.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                    let deadline = Instant::now() + Duration::from_secs(10);
                    while helper_did.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
                        std::hint::spin_loop();
                    }
                });
            });
            // (The helper may take both when it is faster than the caller.)
            assert!(helper_did.load(Ordering::SeqCst) >= 1, "round {round}");
            // Wait until the helper sleeps (polling with a deadline), then run again.
            let deadline = Instant::now() + Duration::from_secs(10);
            while team.shared.sleeping.load(Ordering::SeqCst) == 0 {
                assert!(Instant::now() < deadline, "the helper never went to sleep");
                std::thread::yield_now();
            }
        }
    }

    #[test]
    fn each_thread_keeps_its_own_scratch() {
        let team = Team::new(2).expect("team");
        let made = AtomicU32::new(0);
        let sums: Vec<AtomicU32> = (0..100).map(|_| AtomicU32::new(0)).collect();
        team.run(|| {
            for_each_init(
                100,
                || {
                    made.fetch_add(1, Ordering::Relaxed);
                    Vec::<u32>::new()
                },
                |scratch, task| {
                    scratch.clear();
                    scratch.extend(0..task as u32);
                    sums[task].store(scratch.iter().sum(), Ordering::Relaxed);
                },
            );
        });
        assert!(made.load(Ordering::Relaxed) <= 2);
        for (task, sum) in sums.iter().enumerate() {
            assert_eq!(sum.load(Ordering::Relaxed), (0..task as u32).sum::<u32>());
        }
    }

    #[test]
    fn a_panicking_task_is_raised_to_the_caller_after_the_others_and_the_team_goes_on() {
        let team = Team::new(2).expect("team");
        let finished = AtomicU32::new(0);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            team.run(|| {
                for_each(50, |task| {
                    if task == 17 {
                        panic!("task 17 fails");
                    }
                    finished.fetch_add(1, Ordering::Relaxed);
                })
            })
        }));
        let payload = outcome.expect_err("the panic reaches the caller");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"task 17 fails"));
        assert_eq!(finished.load(Ordering::Relaxed), 49);
        let after = AtomicU32::new(0);
        team.run(|| {
            for_each(10, |_| {
                after.fetch_add(1, Ordering::Relaxed);
            })
        });
        assert_eq!(after.load(Ordering::Relaxed), 10);
    }

    #[test]
    fn a_step_inside_a_task_and_a_step_outside_a_team_run_on_rayon() {
        let team = Team::new(2).expect("team");
        let inner = AtomicU32::new(0);
        team.run(|| {
            for_each(4, |_| {
                for_each(5, |_| {
                    inner.fetch_add(1, Ordering::Relaxed);
                });
            })
        });
        assert_eq!(inner.load(Ordering::Relaxed), 20);
        let outside = AtomicU32::new(0);
        for_each(7, |_| {
            outside.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(outside.load(Ordering::Relaxed), 7);
        assert_eq!(current_threads(), rayon::current_num_threads());
    }
}
