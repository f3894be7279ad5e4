//! The one libc call the harness needs that std has no safe form of: `atexit`.
//!
//! The shared test server lives in a `static`, whose drop never runs, so it is torn down
//! from an exit hook instead; the workspace denies `unsafe_code`, and this module is the
//! only place in the crate that allows it.
#![allow(unsafe_code)]

/// Runs `hook` when the process exits normally (`exit`, or returning from `main`, which is
/// how the libtest harness ends). Not on a crash or SIGKILL: then the next test run's
/// start-up removes what was left. Returns false if the hook could not be registered.
pub(crate) fn at_exit(hook: extern "C" fn()) -> bool {
    // SAFETY: `hook` is a plain function with the C ABI, valid for the whole process life.
    unsafe { libc::atexit(hook) == 0 }
}
