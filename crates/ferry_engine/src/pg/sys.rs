//! The few libc calls the cluster code needs and std does not offer safely.
//!
//! The workspace denies `unsafe_code`; this module is the one place in `pg` that allows
//! it, so every `unsafe` block is here, small, and wrapped in a safe function:
//! - who we are and who the `postgres` OS user is (`geteuid`, `getpwnam_r`): initdb and
//!   postgres refuse to run as root, so as root we run them as that user;
//! - free space on a file system (`statvfs`), to choose where throwaway clusters go;
//! - whether a process is alive and signalling it (`kill`): stopping a server means sending
//!   the postmaster a signal (see <https://www.postgresql.org/docs/current/server-shutdown.html>);
//! - setting up a server child between fork and exec (`pre_exec`): a new session so a
//!   detached server survives ferry and the terminal's Ctrl-C, `PR_SET_PDEATHSIG` so an
//!   attached test server dies with the thread that spawned it, and marking inherited file
//!   descriptors close-on-exec so the server holds none of ours.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString};
use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// The effective user id of this process.
pub(crate) fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// An entry of the user database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Passwd {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// Looks `name` up in the user database (`/etc/passwd`, NSS); `None` when there is no such user.
pub(crate) fn user_by_name(name: &str) -> Option<Passwd> {
    let c_name = CString::new(name).ok()?;
    let mut buf_len = 1024usize;
    loop {
        let mut buf = vec![0 as libc::c_char; buf_len];
        // SAFETY: an all-zero passwd is a valid value (null pointers and zero ids); getpwnam_r fills it in.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the duration of the call and `buf` is `buf_len` long.
        let rc = unsafe {
            libc::getpwnam_r(
                c_name.as_ptr(),
                &mut pwd,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE && buf_len < 1 << 20 {
            buf_len *= 4;
            continue;
        }
        if rc != 0 || result.is_null() {
            return None;
        }
        // SAFETY: on success pw_name points to a NUL-terminated string inside `buf`, still alive here.
        let name = unsafe { CStr::from_ptr(pwd.pw_name) }
            .to_string_lossy()
            .into_owned();
        return Some(Passwd {
            name,
            uid: pwd.pw_uid,
            gid: pwd.pw_gid,
        });
    }
}

/// The bytes an unprivileged user may still write to the file system holding `path`.
pub(crate) fn available_bytes(path: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: an all-zero statvfs is a valid value; statvfs fills it in.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is NUL-terminated and `st` is a valid, writable statvfs.
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(st.f_bavail as u64 * st.f_frsize as u64)
}

/// Whether a process with this pid exists (a zombie counts; reap your own children first).
pub(crate) fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Sends `signal` to `pid`.
pub(crate) fn send_signal(pid: i32, signal: i32) -> io::Result<()> {
    if pid <= 0 {
        return Err(io::Error::from_raw_os_error(libc::ESRCH));
    }
    // SAFETY: kill has no memory-safety preconditions; a positive pid names one process.
    if unsafe { libc::kill(pid, signal) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// How a server child is set up between fork and exec.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ChildSetup {
    /// `setsid()`: its own session, so neither the terminal's signals nor ferry's exit reach it.
    pub new_session: bool,
    /// `prctl(PR_SET_PDEATHSIG, signal)` (Linux): the kernel sends `signal` to the child
    /// when the *thread* that spawned it exits, so spawn it from a thread that lives as long
    /// as the process. Ignored on other systems.
    pub parent_death_signal: Option<i32>,
}

/// Installs `setup` on `cmd`. std runs `pre_exec` hooks after it has switched uid/gid, which
/// matters: a change of credentials clears the parent-death signal.
pub(crate) fn configure_child(cmd: &mut Command, setup: ChildSetup) {
    let parent_pid = std::process::id();
    let hook = move || -> io::Result<()> {
        // Only async-signal-safe calls below: we are between fork and exec.
        if setup.new_session {
            // SAFETY: setsid has no preconditions; it fails only if we already lead a group.
            unsafe { libc::setsid() };
        }
        #[cfg(target_os = "linux")]
        {
            if let Some(signal) = setup.parent_death_signal {
                // SAFETY: PR_SET_PDEATHSIG takes a signal number; no pointers involved.
                if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong) } != 0 {
                    return Err(io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect; then nobody would signal us.
                // SAFETY: getppid has no preconditions.
                if unsafe { libc::getppid() } as u32 != parent_pid {
                    return Err(io::Error::from_raw_os_error(libc::ESRCH));
                }
            }
            // Mark every inherited descriptor above stderr close-on-exec (fds a parent such as
            // cargo passed down without CLOEXEC): a long-lived server must not keep them open.
            // CLOSE_RANGE_CLOEXEC = 4 (Linux 5.11); on older kernels this fails and is ignored.
            // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only changes descriptor flags.
            unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 4u32) };
        }
        let _ = parent_pid;
        Ok(())
    };
    // SAFETY: the hook only makes async-signal-safe calls and allocates nothing.
    unsafe { cmd.pre_exec(hook) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_exists_in_the_user_database() {
        let root = user_by_name("root").expect("root user");
        assert_eq!(root.uid, 0);
        assert!(user_by_name("no-such-user-ferry-test").is_none());
    }

    #[test]
    fn free_space_is_known() {
        assert!(available_bytes(std::path::Path::new("/")).is_some());
        assert!(available_bytes(std::path::Path::new("/no/such/dir")).is_none());
    }

    #[test]
    fn this_process_is_alive() {
        assert!(process_alive(std::process::id() as i32));
        assert!(!process_alive(0));
    }
}
