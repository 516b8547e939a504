//! The OS keyring for real: Debian's GNOME Keyring daemon serves the Secret Service API on a
//! private D-Bus session bus started by the test (its own config, socket and HOME in a temp
//! dir; no service activation, so nothing else answers). A credential stored with
//! `secret-tool` (libsecret, the client a user would use) under service `tagship`, user
//! `GITHUB_TOKEN` is found by the real `tagship` binary when the environment has none: the
//! GitHub double, which accepts only that exact token as `Bearer`, sees it, and the release
//! publishes. The secret never shows in output, even with `-v`, nor in dist/. Controls: with
//! the keyring switched off the run is refused naming both ways, and an environment variable
//! wins over the keyring.
//!
//! Needs `scripts/setup.d/40-keyring.sh`; fails naming it when a program is missing.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use support::cli::{assert_never_shows, quick_pipeline, Project, Run};
use support::github_double::GithubDouble;

const SETUP: &str = "scripts/setup.d/40-keyring.sh";

/// A private session bus with an unlocked GNOME Keyring on it; both killed (by pid) on drop.
struct SecretService {
    address: String,
    bus: Child,
    keyring: Child,
    // Last: removed after both processes are gone.
    tmp: tempfile::TempDir,
}

impl Drop for SecretService {
    fn drop(&mut self) {
        for c in [&mut self.keyring, &mut self.bus] {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn require(program: &str) {
    assert!(
        tagship::exec::resolve_program(program, None).is_ok(),
        "`{program}` is missing: run {SETUP} (scripts/setup.sh runs every setup step)"
    );
}

/// A session bus that listens only on a socket in `dir` and activates no services.
fn bus_config(dir: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        dir.join("bus").display()
    )
}

impl SecretService {
    fn start() -> SecretService {
        for p in ["dbus-daemon", "gnome-keyring-daemon", "secret-tool"] {
            require(p);
        }
        let tmp = tempfile::tempdir().unwrap();
        let conf = tmp.path().join("bus.conf");
        std::fs::write(&conf, bus_config(tmp.path())).unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--nopidfile", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("dbus-daemon: {e} (run {SETUP})"));
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_string();
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon printed {address:?}"
        );
        let (home, run) = (tmp.path().join("home"), tmp.path().join("run"));
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&run).unwrap();
        // `--unlock` reads the login keyring's password from stdin (a fresh HOME: it creates
        // the keyring with it), then serves org.freedesktop.secrets in the foreground.
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("HOME", &home)
            .env("XDG_RUNTIME_DIR", &run)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("gnome-keyring-daemon: {e} (run {SETUP})"));
        let mut stdin = keyring.stdin.take().unwrap();
        stdin.write_all(b"test-login-password").unwrap();
        drop(stdin);
        SecretService {
            address,
            bus,
            keyring,
            tmp,
        }
    }

    fn secret_tool(&self) -> Command {
        let mut c = Command::new("secret-tool");
        c.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", self.tmp.path().join("home"));
        c
    }

    /// Stores `secret` as `secret-tool store service tagship username VAR` does for a user.
    /// The daemon takes a moment to own its bus name: retried for up to ~10 s.
    fn store(&self, var: &str, secret: &str) {
        let mut last = String::new();
        for _ in 0..100 {
            let mut child = self
                .secret_tool()
                .args(["store", "--label=tagship test", "service", "tagship"])
                .args(["username", var])
                .stdin(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(secret.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            if out.status.success() {
                return;
            }
            last = String::from_utf8_lossy(&out.stderr).into_owned();
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("secret-tool store never succeeded: {last}");
    }
}

/// A github-only project on the private bus. The harness puts the canary in GITHUB_TOKEN
/// and switches the keyring off (TAGSHIP_NO_KEYRING): callers unset what they need.
fn project(d: &GithubDouble, ss: &SecretService) -> Project {
    let mut p = Project::new(&quick_pipeline(&format!(
        "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{}\"\n",
        d.api_url()
    )));
    p.env("DBUS_SESSION_BUS_ADDRESS", &ss.address);
    p
}

fn run(p: &Project, args: &[&str]) -> Run {
    tokio::task::block_in_place(|| p.run(args))
}

#[tokio::test(flavor = "multi_thread")]
async fn server_keyring_credential_is_the_bearer_token_and_never_shows() {
    let ss = SecretService::start();
    let secret = format!("ks-{}-{:016x}", std::process::id(), fastrand::u64(..));
    ss.store("GITHUB_TOKEN", &secret);
    // The double accepts exactly this token: any other (or none) is a 401.
    let d = GithubDouble::start("acme", "demo", &secret).await;
    let mut p = project(&d, &ss);
    p.unset("GITHUB_TOKEN").unset("TAGSHIP_NO_KEYRING");

    let r = run(&p, &["-v", "release", "v1.2.3"]);
    assert_never_shows(&r, &p.dist(), &secret);
    r.assert_code(0);
    let gh = &r.report(&p.dist())["platforms"][0];
    assert_eq!(gh["id"], "github");
    assert_eq!(gh["outcome"], "published", "{gh:#}");
    assert!(d.mutating_count() >= 3, "{:?}", d.requests());
    assert!(
        r.stderr.contains("POST"),
        "-v traces the requests it sent with the keyring token:\n{}",
        r.stderr
    );

    // Control: the same run without the keyring is refused, naming both ways.
    let mut off = project(&d, &ss);
    off.unset("GITHUB_TOKEN");
    let before = d.requests().len();
    let r = run(&off, &["release", "v1.2.4"]);
    r.assert_code(2);
    assert!(r.stderr.contains("GITHUB_TOKEN"), "{}", r.stderr);
    assert!(r.stderr.contains("keyring"), "{}", r.stderr);
    assert_eq!(d.requests().len(), before, "refused before any request");

    // The environment wins over the keyring: its (wrong) token reaches the double.
    let mut env = project(&d, &ss);
    env.unset("TAGSHIP_NO_KEYRING")
        .env("GITHUB_TOKEN", "from-the-environment-not-the-keyring");
    let r = run(&env, &["release", "v1.2.5"]);
    assert_never_shows(&r, &env.dist(), &secret);
    assert_ne!(r.code, 0, "a wrong env token must fail:\n{}", r.stderr);
    assert!(d.release("v1.2.5").is_none(), "nothing published with it");
}

impl SecretService {
    /// What `secret-tool lookup service tagship username VAR` finds (None: no entry).
    fn lookup(&self, var: &str) -> Option<String> {
        let out = self
            .secret_tool()
            .args(["lookup", "service", "tagship", "username", var])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// `tagship login github` with the token on stdin (as `< token.txt` gives it).
fn login(p: &Project, ss: &SecretService, token: &str, verb: &str) -> Run {
    let file = ss.tmp.path().join("token.txt");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let bin = std::env::var("TAGSHIP_TEST_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_tagship").to_string());
    let mut cmd = Command::new(bin);
    cmd.args([verb, "github"])
        .stdin(std::fs::File::open(&file).unwrap());
    tokio::task::block_in_place(|| p.output(cmd, p.path(), &[verb, "github"]))
}

/// Issue 13, acceptance 5: `login` stores a credential that the next run uses, `check` shows
/// its source (never the value), and `logout` removes it.
#[tokio::test(flavor = "multi_thread")]
async fn server_login_stores_the_token_the_next_run_uses_and_logout_removes_it() {
    let ss = SecretService::start();
    let secret = format!("lg-{}-{:016x}", std::process::id(), fastrand::u64(..));
    let d = GithubDouble::start("acme", "demo", &secret).await;
    let mut p = project(&d, &ss);
    p.unset("GITHUB_TOKEN").unset("TAGSHIP_NO_KEYRING");

    // The daemon takes a moment to own its bus name: the first login may find no service.
    let mut r = login(&p, &ss, &secret, "login");
    for _ in 0..50 {
        if r.code == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        r = login(&p, &ss, &secret, "login");
    }
    r.assert_code(0);
    assert_never_shows(&r, &p.dist(), &secret);
    assert!(r.stderr.contains("stored GITHUB_TOKEN"), "{}", r.stderr);
    // Exactly the token, without the line break that ended it, where a user's tools find it.
    assert_eq!(ss.lookup("GITHUB_TOKEN").as_deref(), Some(secret.as_str()));

    let r = run(&p, &["check", "--json"]);
    assert_never_shows(&r, &p.dist(), &secret);
    r.assert_code(0);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["credentials"][0]["name"], "GITHUB_TOKEN", "{j:#}");
    assert_eq!(j["credentials"][0]["source"], "keyring", "{j:#}");
    assert!(r
        .stderr
        .contains("OS keyring (service `tagship`, user `GITHUB_TOKEN`)"));

    let r = run(&p, &["release", "v1.2.3"]);
    assert_never_shows(&r, &p.dist(), &secret);
    r.assert_code(0);
    assert_eq!(r.report(&p.dist())["platforms"][0]["outcome"], "published");

    let r = login(&p, &ss, "", "logout");
    r.assert_code(0);
    assert!(r.stderr.contains("removed GITHUB_TOKEN"), "{}", r.stderr);
    assert_eq!(ss.lookup("GITHUB_TOKEN"), None, "logout left the entry");
    let r = run(&p, &["check"]);
    r.assert_code(2);
    assert!(
        r.stderr.contains("missing credential GITHUB_TOKEN"),
        "{}",
        r.stderr
    );
}
