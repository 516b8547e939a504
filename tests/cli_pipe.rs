//! A reader that goes away (`tagship status | head`, `tagship schema | head -1`): tagship
//! ends quietly by SIGPIPE, as other Unix tools do, not with "internal error" (a panic on the
//! next print) and not by aborting inside the panic hook when stderr is gone too.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

fn tagship() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tagship"));
    c.env("TAGSHIP_NO_KEYRING", "1");
    c
}

#[test]
fn a_closed_stdout_ends_the_run_by_sigpipe_without_a_panic() {
    let mut child = tagship()
        .args(["schema"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before the first byte
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let st = child.wait().unwrap();
    assert_eq!(st.signal(), Some(libc_sigpipe()), "{st:?}: {err}");
    assert!(!err.contains("internal error"), "{err}");
}

#[test]
fn closed_stdout_and_stderr_end_by_sigpipe_not_by_abort() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pipeline.yaml"), "project: [").unwrap();
    let mut child = tagship()
        .args(["check"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    let st = child.wait().unwrap();
    assert_eq!(
        st.signal(),
        Some(libc_sigpipe()),
        "{st:?} (134 is an abort)"
    );
}

/// SIGPIPE's number on Linux.
fn libc_sigpipe() -> i32 {
    13
}
