//! A small JSON Schema walker over the positioned tree: it checks a node against the schema
//! schemars derives from the model (or a platform's section schema) and records *every*
//! problem with the node's position, where serde would stop at the first.
//! Supported: `$ref` (JSON pointers into the root), `type` (one or a list, `null` included),
//! `properties`, `additionalProperties`, `required`, `items`, `enum`, `const`, `oneOf`/`anyOf`/
//! `allOf`, `minLength`/`maxLength`, `minItems`/`maxItems`, `minimum`/`maximum`, and tagship's
//! own `format`s (see `format`). Not supported: `pattern`, `patternProperties`, `if`/`then`
//! (they are accepted, not checked).

use super::diag::{quoted_list, suggest, Origin, Problem};
use super::tree::{Node, Val};
use serde_json::{Map, Value};

/// Problems that get a "did you mean" hint; the rest are reported without one.
const HINTED: usize = 500;

pub(crate) struct Walker<'a> {
    /// The document `$ref`s point into.
    root: &'a Value,
    /// Skip `required`: a profile section is a partial override.
    pub partial: bool,
    /// Take an unquoted `3` / `true` as the string `"3"` / `"true"` where a string is expected,
    /// as serde_yaml_ng does.
    coerce: bool,
    pub problems: Vec<Problem>,
}

/// `a.b`, `a[0]`; the root is the empty path.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn at_path(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("`{path}`: ")
    }
}

/// What a node is, for "found ..." messages.
pub(crate) fn found(node: &Node) -> String {
    match &node.val {
        Val::Seq(_) => "a list".into(),
        Val::Map(_) => "a mapping".into(),
        Val::Scalar { value, .. } => match value {
            Value::Null => "an empty value".into(),
            Value::Bool(b) => format!("a boolean (`{b}`)"),
            Value::Number(n) => format!("a number (`{n}`)"),
            Value::String(_) => "a string".into(),
            _ => "a value".into(),
        },
    }
}

fn type_matches(t: &str, node: &Node) -> bool {
    match (&node.val, t) {
        (Val::Seq(_), "array") | (Val::Map(_), "object") => true,
        (Val::Scalar { value, .. }, t) => match (value, t) {
            (Value::Null, "null") | (Value::Bool(_), "boolean") => true,
            (Value::String(_), "string") | (Value::Number(_), "number") => true,
            (Value::Number(n), "integer") => n.is_i64() || n.is_u64(),
            _ => false,
        },
        _ => false,
    }
}

fn types(schema: &Value) -> Option<Vec<&str>> {
    match schema.get("type")? {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(a) => Some(a.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

impl<'a> Walker<'a> {
    pub fn new(root: &'a Value, partial: bool) -> Walker<'a> {
        Walker {
            root,
            partial,
            coerce: true,
            problems: Vec::new(),
        }
    }

    fn push(&mut self, at: &Origin, msg: String, hint: Option<String>) {
        self.problems.push(Problem::new(at, msg).hint_opt(hint));
    }

    fn resolve(&self, r: &str) -> Option<&'a Value> {
        self.root.pointer(r.strip_prefix('#')?)
    }

    /// Checks `node` against `schema`, coercing plain scalars to strings where allowed.
    pub fn walk(&mut self, schema: &Value, node: &mut Node, path: &str) {
        let obj = match schema {
            Value::Object(o) => o,
            Value::Bool(false) => {
                let msg = format!("{}nothing is allowed here", at_path(path));
                return self.push(&node.at.clone(), msg, None);
            }
            _ => return,
        };
        if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
            match self.resolve(r) {
                Some(target) => self.walk(target, node, path),
                None => {
                    let msg = format!("{}schema error: cannot resolve `{r}`", at_path(path));
                    return self.push(&node.at.clone(), msg, None);
                }
            }
        }
        if !self.check_type(schema, node, path) || !self.check_values(obj, node, path) {
            return;
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(alts)) = obj.get(key) {
                self.alternatives(alts, node, path);
            }
        }
        if let Some(Value::Array(all)) = obj.get("allOf") {
            all.iter().for_each(|s| self.walk(s, node, path));
        }
        match node.val {
            Val::Map(_) => self.object(obj, node, path),
            Val::Seq(_) => self.array(obj, node, path),
            Val::Scalar { .. } => self.bounds(obj, node, path),
        }
    }

    fn check_type(&mut self, schema: &Value, node: &mut Node, path: &str) -> bool {
        let Some(ts) = types(schema) else { return true };
        if ts.iter().any(|t| type_matches(t, node)) {
            return true;
        }
        if self.coerce && ts.contains(&"string") {
            if let Val::Scalar {
                value,
                plain: Some(raw),
            } = &mut node.val
            {
                if value.is_boolean() || value.is_number() {
                    *value = Value::String(raw.clone());
                    return true;
                }
            }
        }
        let expected = self.describe(schema, false, 0);
        let msg = format!(
            "{}expected {expected}, found {}",
            at_path(path),
            found(node)
        );
        let hint = match (&node.val, ts.contains(&"array")) {
            (Val::Scalar { .. }, true) => {
                Some("write a list, e.g. `[a, b]` or one `- item` per line")
            }
            (
                Val::Scalar {
                    value: Value::Null, ..
                },
                false,
            ) => Some("give it a value or remove the key"),
            _ => None,
        };
        self.push(&node.at.clone(), msg, hint.map(String::from));
        false
    }

    fn check_values(&mut self, obj: &Map<String, Value>, node: &Node, path: &str) -> bool {
        let json = node.to_json();
        if let Some(Value::Array(allowed)) = obj.get("enum") {
            if !allowed.contains(&json) {
                let names: Vec<String> = allowed.iter().map(show).collect();
                let refs = names.iter().map(String::as_str);
                let hint = suggest(&show(&json), refs.clone(), "allowed values");
                let msg = format!("{}unknown value `{}`", at_path(path), show(&json));
                let msg = format!("{msg}; expected one of {}", quoted_list(refs));
                self.push(&node.at, msg, hint.filter(|h| h.starts_with("did")));
                return false;
            }
        }
        if let Some(c) = obj.get("const") {
            if *c != json {
                let msg = format!(
                    "{}expected `{}`, found `{}`",
                    at_path(path),
                    show(c),
                    show(&json)
                );
                self.push(&node.at, msg, None);
                return false;
            }
        }
        true
    }

    fn alternatives(&mut self, alts: &[Value], node: &mut Node, path: &str) {
        let mut failures: Vec<Vec<Problem>> = Vec::new();
        for coerce in [false, true] {
            if coerce && !self.coerce {
                break;
            }
            for alt in alts {
                let mut trial = Walker {
                    coerce,
                    problems: Vec::new(),
                    ..*self
                };
                let mut n = node.clone();
                trial.walk(alt, &mut n, path);
                if trial.problems.is_empty() {
                    *node = n;
                    return;
                }
                if !coerce && self.shape_matches(alt, node) {
                    failures.push(trial.problems);
                }
            }
        }
        // The alternative meant for this kind of node, with the fewest problems, explains best.
        if let Some(best) = failures.into_iter().min_by_key(Vec::len) {
            self.problems.extend(best);
            return;
        }
        let expected: Vec<String> = alts.iter().map(|a| self.describe(a, false, 0)).collect();
        let msg = format!(
            "{}expected {}, found {}",
            at_path(path),
            expected.join(" or "),
            found(node)
        );
        self.push(&node.at.clone(), msg, None);
    }

    /// Whether the alternative is meant for this kind of node (so its detailed problems are
    /// the useful ones to show).
    fn shape_matches(&self, alt: &Value, node: &Node) -> bool {
        let alt = match alt.get("$ref").and_then(Value::as_str) {
            Some(r) => self.resolve(r).unwrap_or(alt),
            None => alt,
        };
        match types(alt) {
            Some(ts) => ts.iter().any(|t| type_matches(t, node)),
            None => alt.get("properties").is_none() || matches!(node.val, Val::Map(_)),
        }
    }

    fn object(&mut self, obj: &Map<String, Value>, node: &mut Node, path: &str) {
        let props = obj.get("properties").and_then(Value::as_object);
        let extra = obj.get("additionalProperties");
        let at = node.at.clone();
        let Val::Map(entries) = &mut node.val else {
            return;
        };
        for e in entries.iter_mut() {
            let sub = join(path, &e.key);
            if let Some(s) = props.and_then(|p| p.get(&e.key)) {
                self.walk(s, &mut e.value, &sub);
            } else if let Some(Value::Bool(false)) = extra {
                let msg = match path {
                    "" => format!("unknown key `{}`", e.key),
                    p => format!("unknown key `{}` in `{p}`", e.key),
                };
                let keys = props.into_iter().flat_map(|p| p.keys().map(String::as_str));
                // Past the first few hundred problems nobody reads the hints, and a hostile
                // file with 250k unknown keys must not pay an edit distance per key.
                let hint = (self.problems.len() < HINTED)
                    .then(|| suggest(&e.key, keys, "allowed keys here"))
                    .flatten();
                self.push(&e.key_at, msg, hint);
            } else if let Some(s @ Value::Object(_)) = extra {
                self.walk(s, &mut e.value, &sub);
            }
        }
        if self.partial {
            return;
        }
        let required = obj.get("required").and_then(Value::as_array);
        for r in required.into_iter().flatten().filter_map(Value::as_str) {
            if entries.iter().any(|e| e.key == r) {
                continue;
            }
            let msg = match path {
                "" => format!("missing required key `{r}`"),
                p => format!("missing required key `{r}` in `{p}`"),
            };
            let what = props
                .and_then(|p| p.get(r))
                .map(|s| self.describe(s, false, 0));
            let hint = what.map(|w| format!("add `{r}:` ({w})"));
            self.push(&at, msg, hint);
        }
    }

    fn array(&mut self, obj: &Map<String, Value>, node: &mut Node, path: &str) {
        let at = node.at.clone();
        let Val::Seq(items) = &mut node.val else {
            return;
        };
        let len = items.len() as u64;
        let limit = |k: &str| obj.get(k).and_then(Value::as_u64);
        if let Some(min) = limit("minItems").filter(|m| len < *m) {
            let msg = format!("{}needs at least {min} item(s), found {len}", at_path(path));
            self.push(&at, msg, None);
        }
        if let Some(max) = limit("maxItems").filter(|m| len > *m) {
            let msg = format!("{}allows at most {max} item(s), found {len}", at_path(path));
            self.push(&at, msg, None);
        }
        if let Some(schema) = obj.get("items") {
            for (i, item) in items.iter_mut().enumerate() {
                self.walk(schema, item, &format!("{path}[{i}]"));
            }
        }
    }

    fn bounds(&mut self, obj: &Map<String, Value>, node: &Node, path: &str) {
        let Val::Scalar { value, .. } = &node.val else {
            return;
        };
        let num = |k: &str| obj.get(k).and_then(Value::as_f64);
        if let (Value::String(s), Some(f)) = (value, obj.get("format").and_then(Value::as_str)) {
            if let Some((why, hint)) = super::format::check(f, s) {
                let msg = format!("{}{why}", at_path(path));
                self.problems.push(Problem::new(&node.at, msg).hint(hint));
            }
        }
        let mut fail = |what: String| {
            let msg = format!("{}{what}", at_path(path));
            self.problems.push(Problem::new(&node.at, msg));
        };
        if let Value::String(s) = value {
            let len = s.chars().count() as f64;
            match (num("minLength"), num("maxLength")) {
                (Some(m), _) if len < m && m <= 1.0 => fail("must not be empty".into()),
                (Some(m), _) if len < m => fail(format!("must be at least {m} characters long")),
                (_, Some(m)) if len > m => fail(format!("must be at most {m} characters long")),
                _ => {}
            }
        }
        if let Some(n) = value.as_f64() {
            match (num("minimum"), num("maximum")) {
                (Some(m), _) if n < m => fail(format!("must be at least {m}")),
                (_, Some(m)) if n > m => fail(format!("must be at most {m}")),
                _ => {}
            }
        }
    }

    /// "a string", "a list of strings", "one of `a`, `b`" — for "expected ..." messages.
    fn describe(&self, schema: &Value, plural: bool, depth: usize) -> String {
        let Some(obj) = schema.as_object().filter(|_| depth < 8) else {
            return if plural { "values" } else { "a value" }.into();
        };
        if let Some(t) = obj
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| self.resolve(r))
        {
            return self.describe(t, plural, depth + 1);
        }
        if let Some(Value::Array(e)) = obj.get("enum") {
            return format!(
                "one of {}",
                quoted_list(
                    e.iter()
                        .map(show)
                        .collect::<Vec<_>>()
                        .iter()
                        .map(String::as_str)
                )
            );
        }
        if let Some(c) = obj.get("const") {
            return format!("`{}`", show(c));
        }
        if let Some(Value::Array(alts)) = obj.get("anyOf").or_else(|| obj.get("oneOf")) {
            let parts: Vec<String> = alts
                .iter()
                .map(|a| self.describe(a, plural, depth + 1))
                .collect();
            return parts.join(" or ");
        }
        let ts = types(schema).unwrap_or_else(|| {
            let is_obj = obj.contains_key("properties");
            if is_obj {
                vec!["object"]
            } else {
                vec![]
            }
        });
        let named: Vec<&str> = ts.iter().copied().filter(|t| *t != "null").collect();
        let named = if named.is_empty() { ts } else { named };
        if named.is_empty() {
            return if plural { "values" } else { "a value" }.into();
        }
        let parts: Vec<String> = named
            .iter()
            .map(|t| self.describe_type(t, obj, plural, depth))
            .collect();
        parts.join(" or ")
    }

    fn describe_type(
        &self,
        t: &str,
        obj: &Map<String, Value>,
        plural: bool,
        depth: usize,
    ) -> String {
        let (one, many) = match t {
            "string" => ("a string", "strings"),
            "boolean" => ("true or false", "booleans"),
            "integer" => ("an integer", "integers"),
            "number" => ("a number", "numbers"),
            "object" => ("a mapping", "mappings"),
            "null" => ("nothing", "nothing"),
            "array" => {
                let what = match obj.get("items") {
                    Some(items) => format!(" of {}", self.describe(items, true, depth + 1)),
                    None => String::new(),
                };
                return format!("{}{what}", if plural { "lists" } else { "a list" });
            }
            _ => ("a value", "values"),
        };
        if plural { many } else { one }.into()
    }
}

/// A JSON value as the user would write it in YAML.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}
