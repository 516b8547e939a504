//! The schema walker against hand-made schemas: keywords the pipeline schema does not use yet
//! but platform section schemas may (`oneOf`, `const`, bounds, boolean schemas, ...).

use crate::config::diag::{Origin, Problem};
use crate::config::tree::parse;
use crate::config::walk::Walker;
use serde_json::{json, Value};

fn show(p: &Problem) -> String {
    let pos = match p.at {
        Origin::File { line, col } => format!("{line}:{col}"),
        _ => "-".into(),
    };
    match &p.hint {
        Some(h) => format!("{pos} {} [{h}]", p.message),
        None => format!("{pos} {}", p.message),
    }
}

/// Walks `yaml` against `schema` (which is also the `$ref` root) at path `x`.
fn check_with(schema: Value, yaml: &str, partial: bool) -> (Value, Vec<String>) {
    let mut node = parse(yaml).unwrap().unwrap();
    let mut w = Walker::new(&schema, partial);
    w.walk(&schema, &mut node, "x");
    (node.to_json(), w.problems.iter().map(show).collect())
}

fn check(schema: Value, yaml: &str) -> (Value, Vec<String>) {
    check_with(schema, yaml, false)
}

#[test]
fn type_lists_with_null() {
    let s = json!({"type": ["integer", "null"]});
    assert!(check(s.clone(), "~").1.is_empty());
    assert!(check(s.clone(), "42").1.is_empty());
    assert_eq!(
        check(s.clone(), "'4'").1,
        ["1:1 `x`: expected an integer, found a string"]
    );
    assert_eq!(
        check(s, "1.5").1,
        ["1:1 `x`: expected an integer, found a number (`1.5`)"]
    );
}

#[test]
fn plain_scalars_become_strings_where_strings_are_expected() {
    let s = json!({"type": "object", "additionalProperties": {"type": "string"}});
    let (v, p) = check(s, "{a: 0, b: true, c: 1.50, d: '7'}");
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(v, json!({"a": "0", "b": "true", "c": "1.50", "d": "7"}));
    // Null is not silently turned into the string "null".
    let (_, p) = check(json!({"type": "string"}), "~");
    assert_eq!(
        p,
        ["1:1 `x`: expected a string, found an empty value [give it a value or remove the key]"]
    );
}

#[test]
fn alternatives_prefer_an_exact_match_over_coercion() {
    let s = json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
    assert_eq!(check(s.clone(), "3").0, json!(3));
    assert_eq!(check(s, "yes").0, json!("yes"));
    let s = json!({"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]});
    let (v, p) = check(s.clone(), "[a, 1]");
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(v, json!(["a", "1"]));
    assert_eq!(
        check(s, "{a: 1}").1,
        ["1:1 `x`: expected a string or a list of strings, found a mapping"]
    );
}

#[test]
fn alternatives_report_the_details_of_the_one_that_fits_the_shape() {
    let s = json!({
        "anyOf": [{"$ref": "#/$defs/S"}, {"type": "null"}],
        "$defs": {"S": {
            "type": "object",
            "properties": {"alpha": {"type": "integer"}},
            "required": ["alpha"],
            "additionalProperties": false
        }}
    });
    let (_, p) = check(s.clone(), "alpha: 1");
    assert!(p.is_empty());
    let (_, p) = check(s.clone(), "alpa: 1\n");
    assert_eq!(
        p,
        [
            "1:1 unknown key `alpa` in `x` [did you mean `alpha`?]",
            "1:1 missing required key `alpha` in `x` [add `alpha:` (an integer)]",
        ]
    );
    // A partial walk (profile overrides) does not ask for required keys.
    assert!(check_with(s, "{}", true).1.is_empty());
}

#[test]
fn const_enum_and_bounds() {
    assert_eq!(
        check(json!({"const": "v1"}), "v2").1,
        ["1:1 `x`: expected `v1`, found `v2`"]
    );
    let s = json!({"enum": [1, 2, "three"]});
    assert!(check(s.clone(), "2").1.is_empty());
    assert_eq!(
        check(s, "4").1,
        ["1:1 `x`: unknown value `4`; expected one of `1`, `2`, `three`"]
    );
    let s = json!({"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "integer", "minimum": 0, "maximum": 10}});
    assert_eq!(
        check(s.clone(), "[]").1,
        ["1:1 `x`: needs at least 1 item(s), found 0"]
    );
    assert_eq!(
        check(s, "[-1, 11, 3]").1,
        [
            "1:1 `x`: allows at most 2 item(s), found 3",
            "1:2 `x[0]`: must be at least 0",
            "1:6 `x[1]`: must be at most 10",
        ]
    );
    let s = json!({"type": "string", "minLength": 2, "maxLength": 3});
    assert_eq!(
        check(s.clone(), "a").1,
        ["1:1 `x`: must be at least 2 characters long"]
    );
    assert_eq!(
        check(s, "abcd").1,
        ["1:1 `x`: must be at most 3 characters long"]
    );
}

#[test]
fn boolean_schemas_refs_and_all_of() {
    let s = json!({"type": "object", "properties": {"a": true, "b": false}});
    assert_eq!(
        check(s, "{a: [1], b: 2}").1,
        ["1:13 `x.b`: nothing is allowed here"]
    );
    let s = json!({"$ref": "#/$defs/missing"});
    assert_eq!(
        check(s, "1").1,
        ["1:1 `x`: schema error: cannot resolve `#/$defs/missing`"]
    );
    let s = json!({"allOf": [{"type": "integer"}, {"minimum": 5}]});
    assert_eq!(check(s, "3").1, ["1:1 `x`: must be at least 5"]);
}
