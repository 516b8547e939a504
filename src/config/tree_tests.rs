//! The positioned tree: positions, scalar resolution, duplicates, anchors and merging.

use super::*;

fn pos(n: &Node) -> (usize, usize) {
    match n.at {
        Origin::File { line, col } => (line, col),
        _ => (0, 0),
    }
}

#[test]
fn positions_are_one_based() {
    let t = parse("a:\n  b: [x, 'y']\n  c:\n    - 1\n")
        .unwrap()
        .unwrap();
    let a = t.get("a").unwrap();
    assert_eq!(a.entries()[0].key_at, Origin::File { line: 2, col: 3 });
    let b = a.get("b").unwrap();
    assert_eq!(pos(&b.items()[0]), (2, 7));
    assert_eq!(pos(&b.items()[1]), (2, 10));
    assert_eq!(pos(&a.get("c").unwrap().items()[0]), (4, 7));
}

#[test]
fn scalars_resolve_like_serde_yaml_ng() {
    let j = parse("[1, -0x1f, 1.5, 1e3, ~, true, yes, '3', 1_0, .inf, 0o17, '']")
        .unwrap()
        .unwrap()
        .to_json();
    let want =
        serde_json::json!([1, -31, 1.5, 1000.0, null, true, "yes", "3", "1_0", ".inf", 15, ""]);
    assert_eq!(j, want);
}

#[test]
fn duplicate_keys_and_syntax_errors() {
    let p = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
    assert_eq!(p[0].message, "duplicate key `a`");
    assert_eq!(p[0].at, Origin::File { line: 3, col: 1 });
    assert_eq!(p[0].hint.as_deref(), Some("`a` is first set on line 1"));
    let p = parse("a: 1\n---\nb: 2\n").unwrap_err();
    assert_eq!(p[0].message, "only one YAML document is allowed");
    assert_eq!(p[0].at, Origin::File { line: 2, col: 1 });
    let p = parse("a: [1, 2\nb: 3\n").unwrap_err();
    assert!(p[0].message.starts_with("YAML syntax error"), "{p:?}");
}

#[test]
fn anchors_merge_and_empty() {
    let t = parse("a: &x {k: 1, m: {n: 2}}\nb: *x\n").unwrap().unwrap();
    assert_eq!(
        t.get("b").unwrap().to_json(),
        serde_json::json!({"k": 1, "m": {"n": 2}})
    );
    let mut base = t.get("a").unwrap().clone();
    let over = parse("{m: {o: 3}, k: [1]}").unwrap().unwrap();
    merge(&mut base, &over);
    let want = serde_json::json!({"k": [1], "m": {"n": 2, "o": 3}});
    assert_eq!(base.to_json(), want);
    assert_eq!(parse("").unwrap(), None);
    assert_eq!(parse("# only a comment\n").unwrap(), None);
}
