//! Repositories besides the releases repository, for the WinGet flow (winget-pkgs and forks):
//! a git object store with real object ids (sha1 of `blob N\0…`, and of the double's own
//! tree/commit encodings), refs per repository, and the REST Git Data and contents endpoints
//! as GitHub answers them (REST 2022-11-28): `GET/POST git/refs`, `PATCH git/refs/heads/…`
//! (422 "Reference already exists", "Update is not a fast forward"), `POST git/blobs`,
//! `git/trees` (entries with `sha: null` delete), `git/commits`, `GET contents/{path}`
//! (a directory lists its entries, a file comes base64-encoded). Trees are kept flat (full
//! path → blob) — enough for the API, which never shows nesting to these callers.

use super::routes::Reply;
use super::{State, DOCS};
use base64::Engine;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use std::collections::{BTreeMap, HashMap};

#[derive(Clone)]
pub(super) enum Obj {
    Blob(Vec<u8>),
    Tree(BTreeMap<String, String>),
    Commit {
        tree: String,
        parents: Vec<String>,
        message: String,
    },
}

#[derive(Clone, Default)]
pub(super) struct HubRepo {
    pub default_branch: String,
    pub refs: BTreeMap<String, String>,
    /// `owner/repo` this one is a fork of.
    pub parent: Option<String>,
    /// Answers 404 to this many more requests (a fork GitHub is still creating).
    pub warming: u32,
}

/// Everything the hub holds.
#[derive(Default)]
pub(super) struct Hub {
    pub objects: HashMap<String, Obj>,
    pub repos: BTreeMap<String, HubRepo>,
    pub pulls: Vec<super::pulls::Pull>,
    pub auto_merge: bool,
    pub fork_warmup: u32,
}

fn sha_of(kind: &str, data: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(format!("{kind} {}\0", data.len()).as_bytes());
    h.update(data);
    hex::encode(h.finalize())
}

impl Hub {
    pub fn put(&mut self, o: Obj) -> String {
        let sha = match &o {
            Obj::Blob(b) => sha_of("blob", b),
            Obj::Tree(t) => sha_of("tree", format!("{t:?}").as_bytes()),
            Obj::Commit {
                tree,
                parents,
                message,
            } => sha_of("commit", format!("{tree} {parents:?} {message}").as_bytes()),
        };
        self.objects.insert(sha.clone(), o);
        sha
    }
    pub fn tree_of(&self, commit: &str) -> BTreeMap<String, String> {
        let Some(Obj::Commit { tree, .. }) = self.objects.get(commit) else {
            return BTreeMap::new();
        };
        match self.objects.get(tree) {
            Some(Obj::Tree(t)) => t.clone(),
            _ => BTreeMap::new(),
        }
    }
    pub fn blob(&self, sha: &str) -> Vec<u8> {
        match self.objects.get(sha) {
            Some(Obj::Blob(b)) => b.clone(),
            _ => Vec::new(),
        }
    }
    pub fn head(&self, repo: &str, branch: &str) -> Option<String> {
        self.repos.get(repo)?.refs.get(branch).cloned()
    }
    /// Commits `files` (path → Some(bytes) to write, None to delete) on `repo`'s `branch`.
    pub fn commit(
        &mut self,
        repo: &str,
        branch: &str,
        files: &[(String, Option<Vec<u8>>)],
        message: &str,
    ) -> String {
        let parent = self.head(repo, branch);
        let mut tree = parent
            .as_deref()
            .map(|p| self.tree_of(p))
            .unwrap_or_default();
        for (path, data) in files {
            match data {
                Some(d) => {
                    let b = self.put(Obj::Blob(d.clone()));
                    tree.insert(path.clone(), b);
                }
                None => {
                    tree.remove(path);
                }
            }
        }
        let tree = self.put(Obj::Tree(tree));
        let sha = self.put(Obj::Commit {
            tree,
            parents: parent.into_iter().collect(),
            message: message.into(),
        });
        let r = self.repos.entry(repo.into()).or_default();
        r.refs.insert(branch.into(), sha.clone());
        sha
    }
    /// Is `old` reachable from `new` through parents?
    pub fn ancestor(&self, old: &str, new: &str) -> bool {
        let mut todo = vec![new.to_string()];
        while let Some(c) = todo.pop() {
            if c == old {
                return true;
            }
            if let Some(Obj::Commit { parents, .. }) = self.objects.get(&c) {
                todo.extend(parents.iter().cloned());
            }
        }
        false
    }
}

pub(super) fn not_found(op: &'static str) -> Reply {
    Reply::new(
        404,
        op,
        json!({"message": "Not Found", "documentation_url": DOCS, "status": "404"}),
    )
}

pub(super) fn unprocessable(op: &'static str, message: &str) -> Reply {
    Reply::new(
        422,
        op,
        json!({"message": message, "documentation_url": DOCS, "status": "422"}),
    )
}

fn ref_json(s: &State, repo: &str, branch: &str, sha: &str) -> Value {
    let b = s.base();
    json!({"ref": format!("refs/heads/{branch}"), "node_id": format!("REF_{sha}"),
        "url": format!("{b}/repos/{repo}/git/refs/heads/{branch}"),
        "object": {"type": "commit", "sha": sha, "url": format!("{b}/repos/{repo}/git/commits/{sha}")}})
}

fn commit_json(s: &State, repo: &str, sha: &str) -> Option<Value> {
    let Obj::Commit {
        tree,
        parents,
        message,
    } = s.hub.objects.get(sha)?
    else {
        return None;
    };
    let b = s.base();
    let who = json!({"name": "tagship", "email": "tagship@example.com", "date": super::render::stamp(s.clock)});
    Some(
        json!({"sha": sha, "node_id": format!("C_{sha}"), "url": format!("{b}/repos/{repo}/git/commits/{sha}"),
        "html_url": format!("{b}/{repo}/commit/{sha}"), "message": message, "author": who, "committer": who,
        "tree": {"sha": tree, "url": format!("{b}/repos/{repo}/git/trees/{tree}")},
        "parents": parents.iter().map(|p| json!({"sha": p, "url": format!("{b}/repos/{repo}/git/commits/{p}"), "html_url": format!("{b}/{repo}/commit/{p}")})).collect::<Vec<_>>(),
        "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null}}),
    )
}

/// Git Data and contents routes of `repo` (`owner/name`); `None` when the path is not one.
pub(super) fn route(
    s: &mut State,
    repo: &str,
    m: &str,
    rest: &[&str],
    query: &[(String, String)],
    body: &Value,
) -> Option<Reply> {
    Some(match (m, rest) {
        ("GET", ["git", "ref", "heads", branch @ ..]) => {
            let op = "git/get-ref";
            match s.hub.head(repo, &branch.join("/")) {
                Some(sha) => Reply::new(200, op, ref_json(s, repo, &branch.join("/"), &sha)),
                None => not_found(op),
            }
        }
        ("POST", ["git", "refs"]) => create_ref(s, repo, body),
        ("PATCH", ["git", "refs", "heads", branch @ ..]) => {
            update_ref(s, repo, &branch.join("/"), body)
        }
        ("GET", ["git", "commits", sha]) => match commit_json(s, repo, sha) {
            Some(c) => Reply::new(200, "git/get-commit", c),
            None => not_found("git/get-commit"),
        },
        ("POST", ["git", "blobs"]) => {
            let content = body["content"].as_str().unwrap_or("");
            let data = match body["encoding"].as_str() {
                Some("base64") => base64::engine::general_purpose::STANDARD
                    .decode(content)
                    .unwrap_or_default(),
                _ => content.as_bytes().to_vec(),
            };
            let sha = s.hub.put(Obj::Blob(data));
            let url = format!("{}/repos/{repo}/git/blobs/{sha}", s.base());
            Reply::new(201, "git/create-blob", json!({"sha": sha, "url": url}))
        }
        ("POST", ["git", "trees"]) => create_tree(s, repo, body),
        ("POST", ["git", "commits"]) => create_commit(s, repo, body),
        ("GET", ["contents", path @ ..]) => contents(s, repo, &path.join("/"), query),
        _ => return None,
    })
}

fn create_ref(s: &mut State, repo: &str, body: &Value) -> Reply {
    let op = "git/create-ref";
    let (Some(r), Some(sha)) = (body["ref"].as_str(), body["sha"].as_str()) else {
        return unprocessable(op, "Invalid request.\n\n\"ref\", \"sha\" weren't supplied.");
    };
    let Some(branch) = r.strip_prefix("refs/heads/") else {
        return unprocessable(
            op,
            "Reference name must start with 'refs/' and have at least two slashes.",
        );
    };
    if !matches!(s.hub.objects.get(sha), Some(Obj::Commit { .. })) {
        return unprocessable(op, "Object does not exist");
    }
    if s.hub.head(repo, branch).is_some() {
        return unprocessable(op, "Reference already exists");
    }
    let entry = s.hub.repos.get_mut(repo).expect("routed repos exist");
    entry.refs.insert(branch.into(), sha.into());
    Reply::new(201, op, ref_json(s, repo, branch, sha))
}

fn update_ref(s: &mut State, repo: &str, branch: &str, body: &Value) -> Reply {
    let op = "git/update-ref";
    let Some(sha) = body["sha"].as_str() else {
        return unprocessable(op, "Invalid request.\n\n\"sha\" wasn't supplied.");
    };
    let Some(old) = s.hub.head(repo, branch) else {
        return unprocessable(op, "Reference does not exist");
    };
    if !matches!(s.hub.objects.get(sha), Some(Obj::Commit { .. })) {
        return unprocessable(op, "Object does not exist");
    }
    if !body["force"].as_bool().unwrap_or(false) && !s.hub.ancestor(&old, sha) {
        return unprocessable(op, "Update is not a fast forward");
    }
    let entry = s.hub.repos.get_mut(repo).expect("routed repos exist");
    entry.refs.insert(branch.into(), sha.into());
    Reply::new(200, op, ref_json(s, repo, branch, sha))
}

fn create_tree(s: &mut State, repo: &str, body: &Value) -> Reply {
    let op = "git/create-tree";
    let mut tree = match body["base_tree"].as_str() {
        None => BTreeMap::new(),
        Some(t) => match s.hub.objects.get(t) {
            Some(Obj::Tree(t)) => t.clone(),
            _ => return unprocessable(op, "base_tree is not a valid tree oid"),
        },
    };
    for e in body["tree"].as_array().cloned().unwrap_or_default() {
        let Some(path) = e["path"].as_str() else {
            return unprocessable(op, "Invalid tree info");
        };
        match (&e["sha"], e["content"].as_str()) {
            (Value::Null, Some(c)) => {
                let b = s.hub.put(Obj::Blob(c.as_bytes().to_vec()));
                tree.insert(path.into(), b);
            }
            (Value::Null, None) => {
                tree.remove(path);
            }
            (Value::String(sha), _) if matches!(s.hub.objects.get(sha), Some(Obj::Blob(_))) => {
                tree.insert(path.into(), sha.clone());
            }
            _ => return unprocessable(op, "Invalid tree info"),
        }
    }
    let entries: Vec<Value> = tree
        .iter()
        .map(|(p, b)| json!({"path": p, "mode": "100644", "type": "blob", "sha": b, "size": s.hub.blob(b).len(), "url": format!("{}/repos/{repo}/git/blobs/{b}", s.base())}))
        .collect();
    let sha = s.hub.put(Obj::Tree(tree));
    let url = format!("{}/repos/{repo}/git/trees/{sha}", s.base());
    Reply::new(
        201,
        op,
        json!({"sha": sha, "url": url, "tree": entries, "truncated": false}),
    )
}

fn create_commit(s: &mut State, repo: &str, body: &Value) -> Reply {
    let op = "git/create-commit";
    let tree = body["tree"].as_str().unwrap_or("").to_string();
    if !matches!(s.hub.objects.get(&tree), Some(Obj::Tree(_))) {
        return unprocessable(op, "Tree SHA does not exist");
    }
    let parents: Vec<String> = body["parents"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.as_str().map(String::from))
        .collect();
    if parents
        .iter()
        .any(|p| !matches!(s.hub.objects.get(p), Some(Obj::Commit { .. })))
    {
        return unprocessable(op, "Parent SHA does not exist or is not a commit object");
    }
    let message = body["message"].as_str().unwrap_or("").to_string();
    let sha = s.hub.put(Obj::Commit {
        tree,
        parents,
        message,
    });
    Reply::new(201, op, commit_json(s, repo, &sha).expect("just stored"))
}

fn contents(s: &State, repo: &str, path: &str, query: &[(String, String)]) -> Reply {
    let op = "repos/get-content";
    let r = &s.hub.repos[repo];
    let branch = query
        .iter()
        .find(|(k, _)| k == "ref")
        .map_or(r.default_branch.as_str(), |(_, v)| v.as_str());
    let Some(head) = s.hub.head(repo, branch) else {
        return not_found(op);
    };
    let tree = s.hub.tree_of(&head);
    let b = s.base();
    let entry = |p: &str, kind: &str, sha: &str, size: usize| {
        let name = p.rsplit('/').next().unwrap_or(p);
        json!({"type": kind, "name": name, "path": p, "sha": sha, "size": size,
            "url": format!("{b}/repos/{repo}/contents/{p}?ref={branch}"),
            "git_url": format!("{b}/repos/{repo}/git/blobs/{sha}"),
            "html_url": format!("{b}/{repo}/blob/{branch}/{p}"),
            "download_url": format!("{b}/raw/{repo}/{branch}/{p}"),
            "_links": {"self": format!("{b}/repos/{repo}/contents/{p}"), "git": null, "html": null}})
    };
    if let Some(sha) = tree.get(path) {
        let data = s.hub.blob(sha);
        let mut v = entry(path, "file", sha, data.len());
        v["encoding"] = json!("base64");
        v["content"] = json!(base64::engine::general_purpose::STANDARD.encode(&data));
        return Reply::new(200, op, v);
    }
    let prefix = format!("{}/", path.trim_end_matches('/'));
    let mut items: BTreeMap<String, Value> = BTreeMap::new();
    for (p, sha) in tree.iter().filter(|(p, _)| p.starts_with(&prefix)) {
        let rest = &p[prefix.len()..];
        match rest.split_once('/') {
            None => items.insert(p.clone(), entry(p, "file", sha, s.hub.blob(sha).len())),
            Some((dir, _)) => {
                let d = format!("{prefix}{dir}");
                items.insert(d.clone(), entry(&d, "dir", &"0".repeat(40), 0))
            }
        };
    }
    if items.is_empty() {
        return not_found(op);
    }
    Reply::new(200, op, Value::Array(items.into_values().collect()))
}
