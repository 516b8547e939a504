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

/// Deep merge: mappings merge key by key, anything else is replaced by `over`. Keys are found
/// through an index, so merging two large mappings stays linear.
pub(crate) fn merge(base: &mut Node, over: &Node) {
    match (&mut base.val, &over.val) {
        (Val::Map(base_map), Val::Map(over_map)) => {
            let mut index: HashMap<String, usize> = base_map
                .iter()
                .enumerate()
                .map(|(i, e)| (e.key.clone(), i))
                .collect();
            for e in over_map {
                match index.get(&e.key) {
                    Some(i) => merge(&mut base_map[*i].value, &e.value),
                    None => {
                        index.insert(e.key.clone(), base_map.len());
                        base_map.push(e.clone());
                    }
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

/// Limits that keep a hostile file from exhausting memory or time. A real pipeline.yaml has
/// a few hundred values; a 250k-key mapping (500k values) still loads.
pub(crate) const MAX_NODES: usize = 1_000_000;
/// Values produced by expanding aliases (`*name`): the "billion laughs" guard.
pub(crate) const MAX_ALIAS_NODES: usize = 10_000;
/// Nesting of lists and mappings (validation and drop recurse over it).
pub(crate) const MAX_DEPTH: usize = 64;

enum Frame {
    Seq(Origin, usize, usize, Vec<Node>),
    Map(Box<MapFrame>),
}

struct MapFrame {
    at: Origin,
    anchor: usize,
    /// `nodes` when the mapping started, to size it for aliases.
    first: usize,
    entries: Vec<Entry>,
    pending: Option<(Option<String>, Origin)>,
    /// Key → index in `entries`: duplicate detection in O(1), so a huge mapping stays linear.
    index: HashMap<String, usize>,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    /// Anchored nodes with their size in values.
    anchors: HashMap<usize, (Node, usize)>,
    problems: Vec<Problem>,
    documents: usize,
    nodes: usize,
    aliased: usize,
    /// Set when a limit is hit: the rest of the stream is ignored.
    stopped: bool,
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
            Event::Scalar(text, style, aid, tag) if self.count(1, &at) => {
                let val = scalar_value(text, style, tag.as_ref());
                self.push(Node { at, val }, aid, 1);
            }
            Event::Alias(aid) => self.alias(aid, at),
            Event::SequenceStart(aid, _) if self.count(1, &at) && self.nest(&at) => {
                let n = self.nodes;
                self.stack.push(Frame::Seq(at, aid, n, Vec::new()));
            }
            Event::MappingStart(aid, _) if self.count(1, &at) && self.nest(&at) => {
                self.stack.push(Frame::Map(Box::new(MapFrame {
                    at,
                    anchor: aid,
                    first: self.nodes,
                    entries: Vec::new(),
                    pending: None,
                    index: HashMap::new(),
                })));
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            _ => {}
        }
    }
}

impl Builder {
    /// Counts `n` more values; false (and stop) past the limit.
    fn count(&mut self, n: usize, at: &Origin) -> bool {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            let msg = format!("the config file has more than {MAX_NODES} values (the limit)");
            self.stop(Problem::new(at, msg).hint("pipeline.yaml should be a few hundred lines"));
            return false;
        }
        true
    }

    fn nest(&mut self, at: &Origin) -> bool {
        if self.stack.len() >= MAX_DEPTH {
            let msg =
                format!("lists and mappings are nested deeper than {MAX_DEPTH} levels (the limit)");
            self.stop(Problem::new(at, msg));
            return false;
        }
        true
    }

    fn stop(&mut self, p: Problem) {
        self.problems.push(p);
        self.stopped = true;
    }

    fn alias(&mut self, aid: usize, at: Origin) {
        let Some((node, size)) = self.anchors.get(&aid) else {
            return self.problems.push(Problem::new(&at, "unknown alias"));
        };
        let size = *size;
        self.aliased += size;
        if self.aliased > MAX_ALIAS_NODES {
            let msg = format!(
                "YAML aliases expand to more than {MAX_ALIAS_NODES} values (the limit for `*alias` expansion)"
            );
            let hint = "write the values out, or use fewer nested aliases";
            return self.stop(Problem::new(&at, msg).hint(hint));
        }
        let node = Node { at, ..node.clone() };
        if self.count(size, &node.at.clone()) {
            self.push(node, 0, size);
        }
    }

    fn close(&mut self) {
        let (node, aid, first) = match self.stack.pop() {
            Some(Frame::Seq(at, aid, first, items)) => (
                Node {
                    at,
                    val: Val::Seq(items),
                },
                aid,
                first,
            ),
            Some(Frame::Map(m)) => (
                Node {
                    at: m.at,
                    val: Val::Map(m.entries),
                },
                m.anchor,
                m.first,
            ),
            None => return,
        };
        let size = self.nodes - first + 1;
        self.push(node, aid, size);
    }

    fn push(&mut self, node: Node, aid: usize, size: usize) {
        if aid > 0 {
            self.anchors.insert(aid, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None if self.documents <= 1 => self.root = Some(node),
            None => {}
            Some(Frame::Seq(_, _, _, items)) => items.push(node),
            Some(Frame::Map(m)) => match m.pending.take() {
                None => {
                    // A block mapping's start event comes after its first key was scanned
                    // (at the `:`); the first key is where the user sees the mapping begin.
                    if m.entries.is_empty() && node.at < m.at {
                        m.at = node.at.clone();
                    }
                    m.pending = Some((key_text(&node, &mut self.problems), node.at));
                }
                Some((None, _)) => {}
                Some((Some(key), key_at)) => {
                    let mut node = node;
                    if is_implicit_null(&node) {
                        // `key:` with nothing after it: the event is marked at the next token.
                        node.at = key_at.clone();
                    }
                    add_entry(m, key, key_at, node, &mut self.problems);
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

fn add_entry(m: &mut MapFrame, key: String, at: Origin, v: Node, p: &mut Vec<Problem>) {
    if let Some(first) = m.index.get(&key).map(|i| &m.entries[*i]) {
        let hint = match first.key_at {
            Origin::File { line, .. } => format!("`{key}` is first set on line {line}"),
            _ => "remove one of them".to_string(),
        };
        p.push(Problem::new(&at, format!("duplicate key `{key}`")).hint(hint));
        return;
    }
    m.index.insert(key.clone(), m.entries.len());
    m.entries.push(Entry {
        key,
        key_at: at,
        value: v,
    });
}

/// Parses the text into a tree. A syntax error stops parsing (YAML cannot be resynchronised
/// reliably), so it is the only problem reported besides structural ones found before it.
/// Parsing also stops at the first limit exceeded (values, alias expansion, nesting).
pub(crate) fn parse(text: &str) -> Result<Option<Node>, Vec<Problem>> {
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    while !b.stopped {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break,
            Ok((ev, mark)) => b.on_event(ev, mark),
            Err(e) => {
                let msg = format!("YAML syntax error: {}", e.info());
                let at = match tab_indent(text, e.marker().line()) {
                    Some(at) if e.info().contains("tab") => at,
                    _ => origin(e.marker()),
                };
                let p = Problem::new(&at, msg);
                b.problems.push(if e.info().contains("tab") {
                    p.hint("indent with spaces: YAML does not allow tabs for indentation")
                } else {
                    p
                });
                break;
            }
        }
    }
    if b.problems.is_empty() {
        Ok(b.root)
    } else {
        Err(b.problems)
    }
}

/// The first tab in the leading whitespace of a line, from `line` (1-based) on: the scanner
/// reports a tab error where the previous token ended, often the line before the tab.
fn tab_indent(text: &str, line: usize) -> Option<Origin> {
    text.lines()
        .enumerate()
        .skip(line.saturating_sub(1))
        .find_map(|(i, l)| {
            let lead = &l[..l.len() - l.trim_start_matches([' ', '\t']).len()];
            lead.find('\t').map(|c| Origin::File {
                line: i + 1,
                col: c + 1,
            })
        })
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
