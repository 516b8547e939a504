//! pipeline.yaml as a small tree with a position on every key and value, built from
//! yaml-rust2's event parser. serde stops at the first error and forgets positions once a value
//! is deserialized; this tree keeps them so validation can report every problem with
//! file:line:col. Scalars are resolved the way serde_yaml_ng resolves them (YAML 1.2 core).

use super::diag::{Origin, Problem};
use serde_json::Value;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A value with the place it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub at: Origin,
    pub val: Val,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    /// `plain` keeps the source text of an unquoted scalar: serde_yaml_ng accepts `CGO_ENABLED: 0`
    /// for a string field, so validation may take the number back as the string `"0"`.
    Scalar {
        value: Value,
        plain: Option<String>,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` pair; the key keeps its own position for "unknown key" reports.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_at: Origin,
    pub value: Node,
}

impl Node {
    pub fn map(at: Origin) -> Node {
        Node {
            at,
            val: Val::Map(Vec::new()),
        }
    }
    /// The value under `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.val {
            Val::Map(m) => m.iter().find(|e| e.key == key),
            _ => None,
        }
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.val {
            Val::Map(m) => m.iter_mut().find(|e| e.key == key).map(|e| &mut e.value),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.val {
            Val::Scalar {
                value: Value::String(s),
                ..
            } => Some(s),
            _ => None,
        }
    }
    pub fn items(&self) -> &[Node] {
        match &self.val {
            Val::Seq(v) => v,
            _ => &[],
        }
    }
    pub fn entries(&self) -> &[Entry] {
        match &self.val {
            Val::Map(m) => m,
            _ => &[],
        }
    }
    /// Sets `key` (replacing an existing value, keeping its key position).
    pub fn set(&mut self, key: &str, key_at: Origin, value: Node) {
        if let Val::Map(m) = &mut self.val {
            match m.iter_mut().find(|e| e.key == key) {
                Some(e) => e.value = value,
                None => m.push(Entry {
                    key: key.to_string(),
                    key_at,
                    value,
                }),
            }
        }
    }
    /// The plain JSON value (positions dropped).
    pub fn to_json(&self) -> Value {
        match &self.val {
            Val::Scalar { value, .. } => value.clone(),
            Val::Seq(v) => Value::Array(v.iter().map(Node::to_json).collect()),
            Val::Map(m) => Value::Object(
                m.iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Deep merge: mappings merge key by key, anything else is replaced by `over`.
pub(crate) fn merge(base: &mut Node, over: &Node) {
    match (&mut base.val, &over.val) {
        (Val::Map(_), Val::Map(over_map)) => {
            for e in over_map {
                match base.get_mut(&e.key) {
                    Some(b) => merge(b, &e.value),
                    None => base.set(&e.key, e.key_at.clone(), e.value.clone()),
                }
            }
        }
        _ => *base = over.clone(),
    }
}

pub(crate) fn origin(m: &Marker) -> Origin {
    Origin::File {
        line: m.line(),
        col: m.col() + 1,
    }
}

/// Resolves an unquoted scalar like serde_yaml_ng: null, booleans, integers, floats, else string.
pub(crate) fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(i) = parse_int(s) {
        return Value::from(i);
    }
    if is_float(s) {
        if let Some(n) = s.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(s.to_string())
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
        .into_iter()
        .find_map(|(p, r)| body.strip_prefix(p).map(|d| (d, r)));
    let v = match radix {
        Some((digits, r)) if !digits.is_empty() => i64::from_str_radix(digits, r).ok()?,
        Some(_) => return None,
        None if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) => {
            body.parse().ok()?
        }
        None => return None,
    };
    Some(if neg { -v } else { v })
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (Rust would also take `inf`, `NaN`).
fn is_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let mant_ok = digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty());
    let exp_ok = exp.map_or(true, |e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mant_ok && exp_ok
}

fn scalar_value(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Val {
    let suffix = tag.map(|t| t.suffix.as_str());
    if style != TScalarStyle::Plain || suffix == Some("str") {
        return Val::Scalar {
            value: Value::String(text),
            plain: None,
        };
    }
    Val::Scalar {
        value: resolve_plain(&text),
        plain: Some(text),
    }
}

enum Frame {
    Seq(Origin, usize, Vec<Node>),
    Map(Origin, usize, Vec<Entry>, Option<(Option<String>, Origin)>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Node>,
    problems: Vec<Problem>,
    documents: usize,
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let at = origin(&mark);
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents == 2 {
                    let p = Problem::new(&at, "only one YAML document is allowed");
                    self.problems
                        .push(p.hint("remove the second `---` and what follows"));
                }
            }
            Event::Scalar(text, style, aid, tag) => {
                let val = scalar_value(text, style, tag.as_ref());
                self.push(Node { at, val }, aid);
            }
            Event::Alias(aid) => match self.anchors.get(&aid).cloned() {
                Some(n) => self.push(Node { at, ..n }, 0),
                None => self.problems.push(Problem::new(&at, "unknown alias")),
            },
            Event::SequenceStart(aid, _) => self.stack.push(Frame::Seq(at, aid, Vec::new())),
            Event::MappingStart(aid, _) => {
                self.stack.push(Frame::Map(at, aid, Vec::new(), None));
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            _ => {}
        }
    }
}

impl Builder {
    fn close(&mut self) {
        let (node, aid) = match self.stack.pop() {
            Some(Frame::Seq(at, aid, items)) => (
                Node {
                    at,
                    val: Val::Seq(items),
                },
                aid,
            ),
            Some(Frame::Map(at, aid, entries, _)) => (
                Node {
                    at,
                    val: Val::Map(entries),
                },
                aid,
            ),
            None => return,
        };
        self.push(node, aid);
    }

    fn push(&mut self, node: Node, aid: usize) {
        if aid > 0 {
            self.anchors.insert(aid, node.clone());
        }
        match self.stack.last_mut() {
            None if self.documents <= 1 => self.root = Some(node),
            None => {}
            Some(Frame::Seq(_, _, items)) => items.push(node),
            Some(Frame::Map(map_at, _, entries, pending)) => match pending.take() {
                None => {
                    // A block mapping's start event comes after its first key was scanned
                    // (at the `:`); the first key is where the user sees the mapping begin.
                    if entries.is_empty() && node.at < *map_at {
                        *map_at = node.at.clone();
                    }
                    *pending = Some((key_text(&node, &mut self.problems), node.at));
                }
                Some((None, _)) => {}
                Some((Some(key), key_at)) => {
                    let mut node = node;
                    if is_implicit_null(&node) {
                        // `key:` with nothing after it: the event is marked at the next token.
                        node.at = key_at.clone();
                    }
                    add_entry(entries, key, key_at, node, &mut self.problems);
                }
            },
        }
    }
}

fn is_implicit_null(node: &Node) -> bool {
    matches!(&node.val, Val::Scalar { plain: Some(t), .. } if t.is_empty())
}

fn key_text(node: &Node, problems: &mut Vec<Problem>) -> Option<String> {
    match &node.val {
        Val::Scalar { plain: Some(t), .. } => Some(t.clone()),
        Val::Scalar {
            value: Value::String(s),
            ..
        } => Some(s.clone()),
        _ => {
            problems.push(Problem::new(&node.at, "keys must be plain strings"));
            None
        }
    }
}

fn add_entry(entries: &mut Vec<Entry>, key: String, at: Origin, v: Node, p: &mut Vec<Problem>) {
    if let Some(first) = entries.iter().find(|e| e.key == key) {
        let hint = match first.key_at {
            Origin::File { line, .. } => format!("`{key}` is first set on line {line}"),
            _ => "remove one of them".to_string(),
        };
        p.push(Problem::new(&at, format!("duplicate key `{key}`")).hint(hint));
        return;
    }
    entries.push(Entry {
        key,
        key_at: at,
        value: v,
    });
}

/// Parses the text into a tree. A syntax error stops parsing (YAML cannot be resynchronised
/// reliably), so it is the only problem reported besides structural ones found before it.
pub(crate) fn parse(text: &str) -> Result<Option<Node>, Vec<Problem>> {
    let mut b = Builder::default();
    let result = Parser::new_from_str(text).load(&mut b, true);
    if let Err(e) = result {
        let msg = format!("YAML syntax error: {}", e.info());
        b.problems.push(Problem::new(&origin(e.marker()), msg));
    }
    if b.problems.is_empty() {
        Ok(b.root)
    } else {
        Err(b.problems)
    }
}

#[cfg(test)]
mod tests {
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
}
