//! exec: a script-based check and publish over a directory standing in for a registry. The
//! check compares every artifact with the published copy (0 = all there, 10 = some missing,
//! 3 = other bytes); the publish copies only what is missing, never overwrites, and logs
//! every write, which is how mutations are counted. HTTP faults do not apply; the report
//! lists the whole version as sent (exec's publish gets it all), so only the write log says
//! which file was re-sent.

use crate::common::{dir_files, named, Fixture, Server, Traits, V};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const CHECK: &str = r#"set -u
reg="$REG/$TAGSHIP_VERSION"
missing=0
for f in $TAGSHIP_ARTIFACTS; do
  n=$(basename "$f")
  if [ ! -f "$reg/$n" ]; then missing=1
  elif ! cmp -s "$f" "$reg/$n"; then echo "conflict: $n differs from the published file" >&2; exit 3
  fi
done
[ "$missing" = 0 ] && exit 0 || exit 10
"#;

const PUBLISH: &str = r#"set -eu
[ -n "${EXEC_REGISTRY_TOKEN:-}" ] || { echo "EXEC_REGISTRY_TOKEN is not set" >&2; exit 4; }
reg="$REG/$TAGSHIP_VERSION"
mkdir -p "$reg"
for f in $TAGSHIP_ARTIFACTS; do
  n=$(basename "$f")
  if [ -f "$reg/$n" ]; then
    cmp -s "$f" "$reg/$n" || { echo "refusing to overwrite $n" >&2; exit 3; }
    continue
  fi
  cp "$f" "$reg/$n.tmp" && mv "$reg/$n.tmp" "$reg/$n"
  echo "write $n" >> "$REG/writes.log"
done
"#;

pub struct Exec;

impl Fixture for Exec {
    fn traits(&self) -> Traits {
        Traits {
            http: false,
            per_file_report: false,
            conflict_kind: false,
        }
    }
    fn start(&self, dir: &Path) -> Box<dyn Server> {
        let reg = dir.join("exec-registry");
        std::fs::create_dir_all(&reg).unwrap();
        std::fs::write(dir.join("check.sh"), CHECK).unwrap();
        std::fs::write(dir.join("publish.sh"), PUBLISH).unwrap();
        Box::new(Running {
            reg,
            scripts: dir.to_path_buf(),
        })
    }
}

struct Running {
    reg: PathBuf,
    scripts: PathBuf,
}

impl Server for Running {
    fn section(&self) -> String {
        let s = self.scripts.display();
        format!(
            "  exec:\n    check: [sh, \"{s}/check.sh\"]\n    publish: [sh, \"{s}/publish.sh\"]\n    env: {{REG: \"{}\"}}\n    credentials: [EXEC_REGISTRY_TOKEN]\n",
            self.reg.display()
        )
    }
    fn env(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn credential(&self) -> &'static str {
        "EXEC_REGISTRY_TOKEN"
    }
    fn mutations(&self) -> Vec<String> {
        std::fs::read_to_string(self.reg.join("writes.log"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }
    fn files(&self) -> BTreeMap<String, String> {
        dir_files(&self.reg.join(V))
    }
    fn delete_one(&self) -> String {
        let name = named(self.files(), &["linux_arm64", ".tar.gz"]);
        std::fs::remove_file(self.reg.join(V).join(&name)).unwrap();
        name
    }
}
