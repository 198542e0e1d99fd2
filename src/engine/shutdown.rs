//! SIGTERM and SIGINT ask the engine to stop cleanly (segments closed, cameras given back):
//! the handler only sets a flag the engine's loop reads.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_signal: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    STOP.store(true, Ordering::SeqCst);
}

/// Routes SIGTERM and SIGINT to the stop flag.
pub fn install_stop_signals() -> std::io::Result<()> {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: `on_signal` is an `extern "C"` function that only stores into an atomic,
        // which is async-signal-safe; `signal` installs it for a standard signal number.
        let previous =
            unsafe { libc::signal(signal, on_signal as *const () as libc::sighandler_t) };
        if previous == libc::SIG_ERR {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The flag a signal sets.
pub fn stop_requested() -> &'static AtomicBool {
    &STOP
}
