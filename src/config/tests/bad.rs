//! The bad-input corpus: each test feeds a broken pipeline.yaml and asserts the exact rendered
//! diagnostics, positions included.

use super::{errors, run, with, BUILD, GOOD};
use crate::config::diag::finish;
use crate::config::load::from_str;
use crate::config::validate::Context;
use std::collections::BTreeMap;
use std::path::Path;

#[test]
fn unknown_top_level_key() {
    let e = errors(&with("platfroms:\n  github: {}\n"));
    assert_eq!(
        e,
        ["pipeline.yaml:3:1: unknown key `platfroms`\n  hint: did you mean `platforms`?"]
    );
}

#[test]
fn unknown_nested_key_without_close_match_lists_keys() {
    let e = errors(&with("  zzzzzzzz: 1\n"));
    assert_eq!(
        e,
        ["pipeline.yaml:3:3: unknown key `zzzzzzzz` in `project`\n  hint: allowed keys here: `name`, `description`, `homepage`, `license`, `authors`, `repository`"]
    );
}

#[test]
fn string_where_a_list_is_expected() {
    let e = errors(&with(
        "builds:\n  - command: [make]\n    binary: b\n    targets: linux-amd64\n",
    ));
    assert_eq!(
        e,
        ["pipeline.yaml:6:14: `builds[0].targets`: expected a list of strings, found a string\n  hint: write a list, e.g. `[a, b]` or one `- item` per line"]
    );
}

#[test]
fn mapping_where_a_string_is_expected() {
    let e = errors("project:\n  name: {first: a}\n");
    assert_eq!(
        e,
        ["pipeline.yaml:2:9: `project.name`: expected a string, found a mapping"]
    );
}

#[test]
fn missing_required_keys() {
    let e = errors(&with("builds:\n  - command: [make]\n"));
    assert_eq!(
        e,
        [
            "pipeline.yaml:4:5: missing required key `binary` in `builds[0]`\n  hint: add `binary:` (a string)",
            "pipeline.yaml:4:5: missing required key `targets` in `builds[0]`\n  hint: add `targets:` (a list of strings)",
        ]
    );
    let e = errors("version: {tag_prefix: v}\n");
    assert_eq!(
        e,
        ["pipeline.yaml:1:1: missing required key `project`\n  hint: add `project:` (a mapping)"]
    );
}

#[test]
fn bad_enum_values_list_the_allowed_ones() {
    let e = errors(&with(
        "version:\n  prerelease: alow\narchives:\n  format: tar.gzz\n",
    ));
    assert_eq!(
        e,
        [
            "pipeline.yaml:4:15: `version.prerelease`: unknown value `alow`; expected one of `allow`, `deny`\n  hint: did you mean `allow`?",
            "pipeline.yaml:6:11: `archives.format`: unknown value `tar.gzz`; expected one of `auto`, `tar.gz`, `zip`\n  hint: did you mean `tar.gz`?",
        ]
    );
}

#[test]
fn bad_and_duplicate_targets() {
    let e = errors(&with(
        "builds:\n  - command: [make]\n    binary: b\n    targets: [linux-amd64, plan9-mips, linux/amd64, linux-amd46]\n",
    ));
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(e[0].starts_with("pipeline.yaml:6:28: `builds[0].targets[1]`: unknown target `plan9-mips`: write it as os-arch"), "{}", e[0]);
    assert_eq!(
        e[1],
        "pipeline.yaml:6:40: `builds[0].targets[2]`: target `linux/amd64` is listed twice in this build (as `linux-amd64` on line 6)\n  hint: remove one of them"
    );
    assert!(
        e[2].starts_with(
            "pipeline.yaml:6:53: `builds[0].targets[3]`: unknown target `linux-amd46`"
        ),
        "{}",
        e[2]
    );
    assert!(
        e[2].ends_with("hint: did you mean `linux-amd64`?"),
        "{}",
        e[2]
    );
}

#[test]
fn unknown_platform_ids_in_file_and_profiles() {
    let e = errors(&with("platforms:\n  githb: {owner: a, repo: b}\nprofiles:\n  staging:\n    platforms:\n      gthub: {}\n"));
    assert_eq!(
        e,
        [
            "pipeline.yaml:4:3: unknown platform `githb`\n  hint: did you mean `github`?",
            "pipeline.yaml:8:7: unknown platform `gthub` in profile `staging`\n  hint: did you mean `github`?",
        ]
    );
}

#[test]
fn unknown_platform_with_an_empty_registry() {
    let cx = Context {
        profile: None,
        registry: &[],
        root: None,
        adapters: false,
    };
    let p = from_str(&with("platforms:\n  github: {}\n"), &cx, &BTreeMap::new()).unwrap_err();
    let d = finish(Path::new("p.yaml"), p).to_string();
    assert_eq!(d, "p.yaml:4:3: unknown platform `github`\n  hint: no platforms are registered in this build of tagship");
}

#[test]
fn platform_sections_are_checked_against_their_schema() {
    let e = errors(&with(
        "platforms:\n  github:\n    owner: ''\n    draft: maybe\n    asets: [a]\n    assets: a\n",
    ));
    assert_eq!(
        e,
        [
            "pipeline.yaml:5:5: missing required key `repo` in `platforms.github`\n  hint: add `repo:` (a string)",
            "pipeline.yaml:5:12: `platforms.github.owner`: must not be empty",
            "pipeline.yaml:6:12: `platforms.github.draft`: expected true or false, found a string",
            "pipeline.yaml:7:5: unknown key `asets` in `platforms.github`\n  hint: did you mean `assets`?",
            "pipeline.yaml:8:13: `platforms.github.assets`: expected a list of strings, found a string\n  hint: write a list, e.g. `[a, b]` or one `- item` per line",
        ]
    );
}

#[test]
fn profile_sections_are_partial_but_typed() {
    // `owner`/`repo` may be missing in an override, but types and keys are still checked.
    let e = errors(&with(
        "profiles:\n  staging:\n    platforms:\n      github: {api_url: [x], draft: true}\n",
    ));
    assert_eq!(
        e,
        ["pipeline.yaml:6:25: `profiles.staging.platforms.github.api_url`: expected a string, found a list"]
    );
    // Selected, the merged section must be complete.
    let yaml = with("profiles:\n  staging:\n    platforms:\n      github: {repo: r}\n");
    let e = run(&yaml, Some("staging"), &[]).unwrap_err();
    assert_eq!(
        e,
        ["pipeline.yaml:6:15: missing required key `owner` in `platforms.github`\n  hint: add `owner:` (a string)"]
    );
}

#[test]
fn unknown_profile_lists_known_ones() {
    let e = run(GOOD, Some("stagin"), &[]).unwrap_err();
    assert_eq!(e, ["pipeline.yaml: unknown profile `stagin`; known profiles: `staging`\n  hint: did you mean `staging`?"]);
    let e = run(&with(""), Some("prod"), &[]).unwrap_err();
    assert!(
        e[0].starts_with("pipeline.yaml: unknown profile `prod`: the file defines no profiles"),
        "{e:?}"
    );
}

#[test]
fn empty_project_name_and_command() {
    let e = errors("project:\n  name: ' '\nbuilds:\n  - command: []\n    binary: b\n    targets: [linux-amd64]\n  - command: ['', x]\n    binary: b\n    targets: [linux-amd64]\n    id: two\n");
    assert_eq!(
        e,
        [
            "pipeline.yaml:2:9: `project.name` must not be empty\n  hint: the name is used in archive names and as the default package name",
            "pipeline.yaml:4:14: `builds[0].command` is empty\n  hint: give the program and its arguments as a list, e.g. `[cargo, build, --release]`",
            "pipeline.yaml:7:15: `builds[1].command[0]`: the program name is empty",
        ]
    );
}

#[test]
fn duplicate_build_ids() {
    let b = |id: &str| {
        format!("  - id: {id}\n    command: [make]\n    binary: b\n    targets: [linux-amd64]\n")
    };
    let e = errors(&with(&format!("builds:\n{}{}", b("cli"), b("cli"))));
    assert_eq!(
        e,
        ["pipeline.yaml:8:9: duplicate build id `cli` (first used on line 4)\n  hint: give each build a distinct `id:` (a build without one uses the project name)"]
    );
    let nameless = BUILD.trim_start_matches("builds:\n");
    let e = errors(&with(&format!("builds:\n{nameless}{nameless}")));
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("pipeline.yaml:7:5: duplicate build id `hello` (first used on line 4)"),
        "{e:?}"
    );
}

#[test]
fn archive_paths_must_stay_inside_the_project() {
    let e = errors(&with("archives:\n  name: ../{name}/x\n  files: [/etc/passwd, docs/../../secret, 'C:\\x', ok/README.md]\n"));
    let hint = "\n  hint: archive files are paths relative to the directory of pipeline.yaml";
    assert_eq!(
        e,
        [
            "pipeline.yaml:4:9: `archives.name` must be a file name, not a path (it contains a slash)\n  hint: the default is `{name}_{version}_{os}_{arch}`".to_string(),
            format!("pipeline.yaml:5:11: `archives.files[0]`: `/etc/passwd` is an absolute path{hint}"),
            format!("pipeline.yaml:5:24: `archives.files[1]`: `docs/../../secret` contains `..`, which would reach outside the project{hint}"),
            format!("pipeline.yaml:5:43: `archives.files[2]`: `C:\\x` is an absolute path{hint}"),
        ]
    );
    let e = errors(&with("archives:\n  name: a..b\n"));
    assert_eq!(e, ["pipeline.yaml:4:9: `archives.name` must not contain `..`\n  hint: the default is `{name}_{version}_{os}_{arch}`"]);
}

#[test]
fn dist_must_be_inside_the_project() {
    let hint = "\n  hint: use a directory inside the project, e.g. `dist` (the default)";
    for (dist, msg) in [
        ("/tmp/out", "`dist`: `/tmp/out` is an absolute path"),
        (
            "out/../..",
            "`dist`: `out/../..` points outside the project directory",
        ),
        ("./", "`dist`: `./` is the project directory itself"),
    ] {
        let e = errors(&with(&format!("dist: {dist}\n")));
        assert_eq!(e, [format!("pipeline.yaml:3:7: {msg}{hint}")]);
    }
    assert!(run(&with("dist: build/dist\n"), None, &[]).is_ok());
}

#[test]
fn unknown_placeholders() {
    let e = errors(&with(
        "builds:\n  - command: [make, '{nmae}']\n    binary: 'out/{target}{ext}'\n    targets: [linux-amd64]\n    env: {A: '{version}', B: '{commit}'}\narchives:\n  name: '{name}-{os}{arch}{zzz}'\n",
    ));
    assert_eq!(
        e,
        [
            "pipeline.yaml:4:21: `builds[0].command[1]`: unknown placeholder `{nmae}`\n  hint: did you mean `{name}`?",
            "pipeline.yaml:5:13: `builds[0].binary`: unknown placeholder `{ext}`\n  hint: did you mean `{exe}`?",
            "pipeline.yaml:7:30: `builds[0].env.B`: unknown placeholder `{commit}`\n  hint: available placeholders: `{name}`, `{version}`, `{tag}`, `{target}`, `{os}`, `{arch}`, `{exe}`",
            "pipeline.yaml:9:9: `archives.name`: unknown placeholder `{zzz}`\n  hint: available placeholders: `{name}`, `{version}`, `{tag}`, `{target}`, `{os}`, `{arch}`, `{exe}`",
        ]
    );
}

#[test]
fn yaml_syntax_errors_have_positions() {
    let e = errors("project:\n  name: [hello\nbuilds: []\n");
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("pipeline.yaml:3:"), "{e:?}");
    assert!(e[0].contains("YAML syntax error"), "{e:?}");
    let e = errors("project:\n  name: a\n name: b\n");
    assert!(e[0].starts_with("pipeline.yaml:3:"), "{e:?}");
}

#[test]
fn duplicate_keys_and_wrong_top_level() {
    let e = errors("project:\n  name: a\n  name: b\n");
    assert_eq!(
        e,
        ["pipeline.yaml:3:3: duplicate key `name`\n  hint: `name` is first set on line 2"]
    );
    let e = errors("- just\n- a list\n");
    assert_eq!(e, ["pipeline.yaml:1:1: expected a mapping at the top of the file (`project:`, `builds:`, ...)"]);
    let e = errors("# nothing yet\n");
    assert_eq!(e, ["pipeline.yaml: the config file is empty\n  hint: start with `project: { name: my-tool }`"]);
    let e = errors("project:\nbuilds: 3\n");
    assert_eq!(
        e,
        [
            "pipeline.yaml:1:1: `project`: expected a mapping, found an empty value\n  hint: give it a value or remove the key",
            "pipeline.yaml:2:9: `builds`: expected a list of mappings, found a number (`3`)\n  hint: write a list, e.g. `[a, b]` or one `- item` per line",
        ]
    );
}

#[test]
fn many_problems_in_one_file_are_all_reported() {
    let yaml = "projct:\n  name: x\nversion:\n  prerelease: sometimes\nbuilds:\n  - command: make\n    binary: b\n    targets: [linux-amd64, plan9]\n    extra: 1\narchives:\n  files: [/abs]\ndist: ../out\nplatforms:\n  gitlab: {}\n";
    let e = errors(yaml);
    let lines: Vec<&str> = e.iter().map(|d| d.split(": ").next().unwrap()).collect();
    assert_eq!(
        lines,
        [
            "pipeline.yaml:1:1",   // missing project
            "pipeline.yaml:1:1",   // unknown key projct
            "pipeline.yaml:4:15",  // enum
            "pipeline.yaml:6:14",  // command is a string
            "pipeline.yaml:8:28",  // bad target
            "pipeline.yaml:9:5",   // unknown key extra
            "pipeline.yaml:11:11", // absolute archive file
            "pipeline.yaml:12:7",  // dist escapes
            "pipeline.yaml:14:3",  // unknown platform
        ],
        "{e:#?}"
    );
    assert!(e[1].contains("unknown key `projct`") && e[1].contains("did you mean `project`?"));
}

#[test]
fn a_mistake_in_a_shared_section_is_reported_once_not_once_per_package() {
    let yaml = with("platforms:\n  github: { owner: [a, b], repo: r }\npackages:\n  - { name: a, dir: pa }\n  - { name: b, dir: pb }\n");
    let e = errors(&yaml);
    let owner: Vec<&String> = e.iter().filter(|d| d.contains("owner")).collect();
    assert_eq!(owner.len(), 1, "{e:#?}");
    assert!(
        owner[0].starts_with("pipeline.yaml:4:20: `platforms.github.owner`: "),
        "{e:#?}"
    );
}
