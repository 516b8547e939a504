//! Bad input for chocolatey is exit 2 before anything is sent (issue 9, "For both"): an
//! invalid id, a version Chocolatey cannot represent, no windows build, a missing API key.
//! The feed URL points at a port nothing listens on: any request would make the run fail
//! differently (unreachable), never exit 2 with the named problem.

mod support;

#[path = "conformance/mod.rs"]
mod common;

use common::Server;
use std::collections::BTreeMap;

struct Dead {
    extra: &'static str,
    targets: &'static [&'static str],
}

impl Server for Dead {
    fn section(&self) -> String {
        format!(
            "  chocolatey:\n    mode: embed\n    feed_url: \"http://127.0.0.1:9/api/v2/\"\n{}",
            self.extra
        )
    }
    fn env(&self) -> Vec<(String, String)> {
        vec![("CHOCOLATEY_API_KEY".into(), "choco-key-not-used-77".into())]
    }
    fn credential(&self) -> &'static str {
        "CHOCOLATEY_API_KEY"
    }
    fn targets(&self) -> &'static [&'static str] {
        self.targets
    }
    fn prepare(&self, project: &std::path::Path) {
        std::fs::write(project.join("LICENSE"), "MIT\n").unwrap();
    }
    fn mutations(&self) -> Vec<String> {
        Vec::new()
    }
    fn files(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }
    fn delete_one(&self) -> String {
        unimplemented!()
    }
}

const WIN: &[&str] = &["windows-amd64"];

fn refused(server: Dead, tag: &str, unset_key: bool, says: &str) {
    let mut p = common::project(&server);
    if unset_key {
        p.unset("CHOCOLATEY_API_KEY");
    }
    let run = p.run(&["release", tag]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(says),
        "expected `{says}` in:\n{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("127.0.0.1:9"),
        "a request was attempted:\n{}",
        run.stderr
    );
}

#[test]
fn chocolatey_invalid_id_is_exit_2() {
    let d = Dead {
        extra: "    id: My_Tool\n",
        targets: WIN,
    };
    refused(d, "v1.0.0", false, "platforms.chocolatey.id");
}

#[test]
fn chocolatey_unrepresentable_version_is_exit_2() {
    let d = Dead {
        extra: "",
        targets: WIN,
    };
    refused(d, "v1.0.0-1", false, "cannot be a Chocolatey version");
}

#[test]
fn chocolatey_without_a_windows_build_is_exit_2() {
    let d = Dead {
        extra: "",
        targets: &[],
    };
    refused(d, "v1.0.0", false, "no windows-amd64 build");
}

#[test]
fn chocolatey_missing_api_key_is_exit_2() {
    let d = Dead {
        extra: "",
        targets: WIN,
    };
    refused(d, "v1.0.0", true, "CHOCOLATEY_API_KEY");
}
