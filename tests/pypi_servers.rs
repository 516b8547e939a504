//! The pypi adapter against real local indexes (scripts/servers/pypiserver.sh, devpi.sh, and
//! the fault proxy in front of pypiserver): dry run → publish → pip install from the index
//! and run the program → re-check is a no-op → a deleted file is re-uploaded alone → other
//! bytes under the same name are a conflict → a wrong token is an Auth error naming the
//! variable → injected 503s are retried and leave exactly one copy.

#[path = "pypi_support/mod.rs"]
mod pypi_support;

use pypi_support::*;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use tagship::plan::Artifact;
use tagship::platform::{Cx, Live, Platform};
use tagship::ErrorKind;

const VERSION: &str = "2.1.0-rc.2";
const PEP440: &str = "2.1.0rc2";

struct Bins {
    amd64: PathBuf,
    arm64: PathBuf,
}

fn bins(dir: &Path) -> Bins {
    Bins {
        amd64: go_binary(dir, "shipdemo", VERSION, "amd64"),
        arm64: go_binary(dir, "shipdemo", VERSION, "arm64"),
    }
}

fn adapter(cfg: serde_json::Value, cx: &Cx) -> Box<dyn Platform> {
    (tagship::platforms::pypi::FACTORY.build)(&cfg, &cx.release.project).unwrap()
}

/// A context + adapter + packaged wheels for one scenario.
async fn setup(
    root: &Path,
    b: &Bins,
    cfg: &serde_json::Value,
    dry: bool,
    token: &str,
) -> (Cx, tagship::guard::Ledger, Box<dyn Platform>, Vec<Artifact>) {
    let r = release(
        root,
        "shipdemo",
        VERSION,
        &[("linux-amd64", &b.amd64), ("linux-arm64", &b.arm64)],
    );
    let (cx, ledger) = cx("pypi", r, dry, &[("PYPI_TOKEN", token)]);
    let p = adapter(cfg.clone(), &cx);
    let pkgs = p.package(&cx).await.unwrap();
    assert_eq!(pkgs.len(), 2);
    (cx, ledger, p, pkgs)
}

fn names(p: &[Artifact]) -> Vec<String> {
    p.iter().map(|a| a.name.clone()).collect()
}

async fn install_and_run(tmp: &Path, simple: &str) {
    let venv = fresh_venv(tmp);
    pip_install(
        &venv,
        &["--index-url", simple, &format!("shipdemo=={PEP440}")],
    );
    let out = run(Command::new(venv.join("bin/shipdemo")).arg("--version"));
    assert_eq!(out.trim(), format!("shipdemo {VERSION}"));
}

/// Same file name, other bytes: the binary with a byte appended (still a valid ELF).
async fn conflict_case(root: &Path, b: &Bins, cfg: &serde_json::Value, token: &str) {
    let odd = root.join("odd");
    std::fs::create_dir_all(&odd).unwrap();
    let amd = odd.join("shipdemo");
    let mut data = std::fs::read(&b.amd64).unwrap();
    data.extend_from_slice(b"\0tampered");
    std::fs::write(&amd, data).unwrap();
    let other = Bins {
        amd64: amd,
        arm64: b.arm64.clone(),
    };
    let (cx, ledger, p, pkgs) = setup(&root.join("conflict"), &other, cfg, false, token).await;
    let c = p.check(&cx, &pkgs).await.unwrap();
    let Live::Conflict { conflicts } = &c.live else {
        panic!("expected a conflict: {c:?}")
    };
    assert!(conflicts[0].contains(&pkgs[0].name), "{c:?}");
    // Publishing anyway is refused by the server and reported as a conflict, not overwritten.
    let e = p.publish(&cx, &Live::Absent, &pkgs[..1]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict, "{e:?}");
    assert!(e.message().contains(&pkgs[0].name), "{e:?}");
    assert_eq!(ledger.mutating_sent(), 1);
}

/// One scenario's context, ledger, adapter and packaged wheels (what `setup` returns).
type Run = (Cx, tagship::guard::Ledger, Box<dyn Platform>, Vec<Artifact>);

/// The pypiserver story's fixed parts.
struct World {
    tmp: tempfile::TempDir,
    b: Bins,
    srv: Server,
    pkgdir: PathBuf,
    token: String,
    cfg: serde_json::Value,
}

impl World {
    async fn setup(&self, dir: &str, cfg: &serde_json::Value, dry: bool, token: &str) -> Run {
        setup(&self.tmp.path().join(dir), &self.b, cfg, dry, token).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_pypiserver_story() {
    venv_tool("pypi-server");
    let tmp = tempfile::tempdir().unwrap();
    let b = bins(tmp.path());
    let srv = Server::start("pypiserver.sh", &tmp.path().join("srv"), &[]);
    let pkgdir = PathBuf::from(srv.s("packages"));
    let token = srv.s("password");
    let cfg = json!({
        "repository_url": srv.s("upload_url"),
        "index_url": srv.s("url"),
        "check_via": "simple",
        "simple_url": srv.s("simple_url"),
        "username": srv.s("user"),
    });
    let w = World {
        tmp,
        b,
        srv,
        pkgdir,
        token,
        cfg,
    };
    dry_run_uploads_nothing(&w).await;
    let real = published_installed_and_rerun(&w).await;
    lost_wheel_is_sent_again_alone(&w, &real).await;
    conflict_case(w.tmp.path(), &w.b, &w.cfg, &w.token).await;
    wrong_token_is_an_auth_error(&w, &real.3[1].name).await;
    let (_proxy, control, faults) = two_503s_are_retried_to_one_copy(&w).await;
    dropped_connection_is_unknown_then_repaired(&w, &control, &faults).await;
}

/// Dry run: absent, every upload predicted and listed, nothing sent.
async fn dry_run_uploads_nothing(w: &World) {
    let pkgdir = &w.pkgdir;
    let (cx, ledger, p, pkgs) = w.setup("dry", &w.cfg, true, &w.token).await;
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Absent);
    let pubd = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(pubd.uploaded, names(&pkgs));
    assert_eq!(ledger.mutating_sent(), 0);
    let w = ledger.withheld_for("pypi");
    assert_eq!(w.len(), 2, "{w:?}");
    for (w, a) in w.iter().zip(&pkgs) {
        assert_eq!(w.method, "POST");
        assert!(w.body.as_deref().unwrap().contains(&a.name), "{w:?}");
    }
    assert_eq!(std::fs::read_dir(pkgdir).unwrap().count(), 0);
}

/// Real publish, verify, then pip installs it from the index and it runs; a re-run is
/// present with nothing to upload.
async fn published_installed_and_rerun(w: &World) -> Run {
    let (cx, ledger, p, pkgs) = w.setup("real", &w.cfg, false, &w.token).await;
    let live = p.check(&cx, &pkgs).await.unwrap().live;
    assert_eq!(live, Live::Absent);
    let pubd = p.publish(&cx, &live, &pkgs).await.unwrap();
    assert_eq!(pubd.uploaded, names(&pkgs));
    assert_eq!(ledger.mutating_sent(), 2);
    // pypiserver ignores the digest field, so prove the stored bytes are ours.
    for a in &pkgs {
        let (sha, _) = tagship::platforms::wheel::hash_file(&w.pkgdir.join(&a.name)).unwrap();
        assert_eq!(sha, a.sha256);
    }
    install_and_run(&w.tmp.path().join("pip"), &w.srv.s("simple_url")).await;

    // Re-run: present, nothing to upload.
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Present);
    assert_eq!(ledger.mutating_sent(), 2);
    (cx, ledger, p, pkgs)
}

/// One wheel lost on the server: partial, and exactly that one is uploaded again.
async fn lost_wheel_is_sent_again_alone(w: &World, (cx, ledger, p, pkgs): &Run) {
    std::fs::remove_file(w.pkgdir.join(&pkgs[1].name)).unwrap();
    let live = p.check(cx, pkgs).await.unwrap().live;
    assert_eq!(
        live,
        Live::Partial {
            present: vec![pkgs[0].name.clone()],
            missing: vec![pkgs[1].name.clone()]
        }
    );
    let pubd = p.publish(cx, &live, pkgs).await.unwrap();
    assert_eq!(pubd.uploaded, vec![pkgs[1].name.clone()]);
    assert_eq!(ledger.mutating_sent(), 3);
    assert_eq!(p.check(cx, pkgs).await.unwrap(), Live::Present);

    // A duplicate upload of identical bytes (409 from pypiserver) is fine, not a failure.
    let pubd = p.publish(cx, &Live::Absent, &pkgs[..1]).await.unwrap();
    assert!(pubd.uploaded.is_empty(), "{pubd:?}");
}

/// A wrong token: an Auth error whose hint names the variable and the URL.
async fn wrong_token_is_an_auth_error(w: &World, second_wheel: &str) {
    std::fs::remove_file(w.pkgdir.join(second_wheel)).unwrap();
    let (cx, _, p, pkgs) = w.setup("badtoken", &w.cfg, false, "wrong-token-123").await;
    let e = p.publish(&cx, &Live::Absent, &pkgs[1..]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    let hint = e.hint().unwrap();
    assert!(hint.contains("PYPI_TOKEN was rejected by"), "{hint}");
    assert!(hint.contains(&w.srv.s("upload_url")), "{hint}");
}

/// 503, 503 on the upload: retried, succeeds, one copy on the server. Returns the fault
/// proxy (kept running), its control URL and the scenario publishing through it.
async fn two_503s_are_retried_to_one_copy(w: &World) -> (Server, String, Run) {
    let proxy = Server::start(
        "fault_proxy.sh",
        &w.tmp.path().join("proxy"),
        &[&w.srv.s("url")],
    );
    let control = proxy.s("control");
    http_json("POST", &format!("{control}reset"), Some(&json!({})));
    http_json(
        "POST",
        &format!("{control}faults"),
        Some(&json!({"match": {"method": "POST"}, "responses": [503, 503]})),
    );
    let mut pcfg = w.cfg.clone();
    pcfg["repository_url"] = json!(proxy.s("url"));
    let (cx, ledger, p, pkgs) = w.setup("faults", &pcfg, false, &w.token).await;
    let live = p.check(&cx, &pkgs).await.unwrap().live;
    assert_eq!(
        live,
        Live::Partial {
            present: vec![pkgs[0].name.clone()],
            missing: vec![pkgs[1].name.clone()]
        }
    );
    let pubd = p.publish(&cx, &live, &pkgs).await.unwrap();
    assert_eq!(pubd.uploaded, vec![pkgs[1].name.clone()]);
    assert_eq!(ledger.mutating_sent(), 3, "two 503s and one success");
    let log = http_json("GET", &format!("{control}log"), None);
    let posts: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["method"] == "POST")
        .collect();
    assert_eq!(posts.len(), 3, "{log}");
    assert_eq!(
        posts.iter().filter(|e| e["forwarded"] == true).count(),
        1,
        "{log}"
    );
    let copies = std::fs::read_dir(&w.pkgdir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy() == pkgs[1].name)
        .count();
    assert_eq!(copies, 1);
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Present);
    (proxy, control, (cx, ledger, p, pkgs))
}

/// The connection drops after the upload was sent: the outcome is unknown, never retried
/// blindly; a re-check shows what is missing and the next publish sends only that.
async fn dropped_connection_is_unknown_then_repaired(w: &World, control: &str, run: &Run) {
    let (cx, _, p, pkgs) = run;
    std::fs::remove_file(w.pkgdir.join(&pkgs[0].name)).unwrap();
    http_json(
        "POST",
        &format!("{control}faults"),
        Some(&json!({"match": {"method": "POST"}, "responses": ["reset"]})),
    );
    let e = p.publish(cx, &Live::Absent, &pkgs[..1]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutcomeUnknown, "{e:?}");
    let live = p.check(cx, pkgs).await.unwrap().live;
    assert_eq!(
        live,
        Live::Partial {
            present: vec![pkgs[1].name.clone()],
            missing: vec![pkgs[0].name.clone()]
        }
    );
    let pubd = p.publish(cx, &live, pkgs).await.unwrap();
    assert_eq!(pubd.uploaded, vec![pkgs[0].name.clone()]);
    assert_eq!(p.check(cx, pkgs).await.unwrap(), Live::Present);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_devpi_story() {
    venv_tool("devpi-server");
    let tmp = tempfile::tempdir().unwrap();
    let b = bins(tmp.path());
    let srv = Server::start("devpi.sh", &tmp.path().join("srv"), &[]);
    let token = srv.s("password");
    // check_via json on a non-warehouse index: the JSON 404 is confirmed via the simple API
    // (devpi serves PEP 691 JSON there).
    let cfg = json!({
        "repository_url": srv.s("upload_url"),
        "index_url": srv.s("upload_url"),
        "simple_url": srv.s("simple_url"),
        "username": srv.s("user"),
    });

    let (cx, ledger, p, pkgs) = setup(&tmp.path().join("dry"), &b, &cfg, true, &token).await;
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Absent);
    let pubd = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(pubd.uploaded.len(), 2);
    assert_eq!(ledger.mutating_sent(), 0);
    assert_eq!(ledger.withheld_for("pypi").len(), 2);

    let (cx, ledger, p, pkgs) = setup(&tmp.path().join("real"), &b, &cfg, false, &token).await;
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Absent);
    let pubd = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(pubd.uploaded, names(&pkgs));
    assert_eq!(ledger.mutating_sent(), 2);
    install_and_run(&tmp.path().join("pip"), &srv.s("simple_url")).await;
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Present);
    // devpi answers an identical re-upload with 200: still fine, one copy.
    let again = p.publish(&cx, &Live::Absent, &pkgs[..1]).await.unwrap();
    assert_eq!(again.uploaded.len(), 1);
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Present);

    // The same with check_via: simple (PEP 691 JSON first).
    let mut scfg = cfg.clone();
    scfg["check_via"] = json!("simple");
    let (cx2, _, p2, pkgs2) = setup(&tmp.path().join("simple"), &b, &scfg, false, &token).await;
    assert_eq!(p2.check(&cx2, &pkgs2).await.unwrap(), Live::Present);

    conflict_case(tmp.path(), &b, &cfg, &token).await;

    let (cx, _, p, pkgs) =
        setup(&tmp.path().join("bad"), &b, &cfg, false, "not-the-password").await;
    let e = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert!(e.hint().unwrap().contains("PYPI_TOKEN"), "{e:?}");
}
