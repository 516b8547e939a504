//! The pull-request side of the WinGet flow on the double: `GET /user`, `GET /repos/{o}/{r}`,
//! `POST …/forks` (202, the fork may answer 404 for a while: `fork_warmup`),
//! `POST …/merge-upstream`, `GET/POST …/pulls` (422 "A pull request already exists for
//! owner:branch.", "No commits between …"), and `GET /search/issues` with the `repo:`,
//! `is:pr`, `is:open|closed`, `in:title` qualifiers and quoted terms. Tests add repositories,
//! files behind the adapter's back, foreign PRs, and may have every new PR merged at once
//! (`auto_merge`, a moderator who approves instantly).

use super::git::{not_found, unprocessable, HubRepo, Obj};
use super::routes::Reply;
use super::{GithubDouble, State};
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub(super) struct Pull {
    pub number: u64,
    pub repo: String,
    pub title: String,
    pub body: String,
    /// `owner:branch`
    pub head: String,
    pub head_sha: String,
    pub base: String,
    pub open: bool,
    pub merged: bool,
}

fn user(s: &State, login: &str) -> Value {
    let b = s.base();
    json!({"login": login, "id": 1, "node_id": "U_1", "avatar_url": format!("{b}/avatars/{login}"), "gravatar_id": "",
        "url": format!("{b}/users/{login}"), "html_url": format!("{b}/{login}"), "type": "User", "site_admin": false})
}

fn repo_json(s: &State, full: &str) -> Value {
    let r = &s.hub.repos[full];
    let (owner, name) = full.split_once('/').unwrap();
    let b = s.base();
    let mut v = json!({"id": 7, "node_id": "R_7", "name": name, "full_name": full, "private": false,
        "owner": user(s, owner), "html_url": format!("{b}/{full}"), "url": format!("{b}/repos/{full}"),
        "fork": r.parent.is_some(), "default_branch": r.default_branch});
    if let Some(p) = &r.parent {
        v["parent"] = json!({"full_name": p, "default_branch": s.hub.repos[p].default_branch});
    }
    v
}

fn pull_json(s: &State, p: &Pull) -> Value {
    let b = s.base();
    let (head_owner, head_ref) = p.head.split_once(':').unwrap_or(("", &p.head));
    json!({"id": p.number, "number": p.number, "node_id": format!("PR_{}", p.number),
        "state": if p.open { "open" } else { "closed" }, "title": p.title, "body": p.body,
        "url": format!("{b}/repos/{}/pulls/{}", p.repo, p.number),
        "html_url": format!("{b}/{}/pull/{}", p.repo, p.number),
        "merged_at": if p.merged { json!(super::render::stamp(s.clock)) } else { Value::Null },
        "user": user(s, head_owner),
        "head": {"label": p.head, "ref": head_ref, "sha": p.head_sha, "user": user(s, head_owner)},
        "base": {"label": format!("{}:{}", p.repo.split('/').next().unwrap(), p.base), "ref": p.base}})
}

/// Routes of the hub (every repository but the releases one, `/user`, `/search/issues`).
pub(super) fn route(
    s: &mut State,
    m: &str,
    segs: &[&str],
    query: &[(String, String)],
    body: &Value,
) -> Reply {
    match (m, segs) {
        ("GET", ["user"]) => Reply::new(200, "users/get-authenticated", user(s, &s.owner.clone())),
        ("GET", ["search", "issues"]) => search(s, query),
        ("GET" | "POST" | "PATCH", ["repos", o, r, rest @ ..]) => {
            let full = format!("{o}/{r}");
            match s.hub.repos.get_mut(&full) {
                Some(repo) if repo.warming > 0 => {
                    repo.warming -= 1;
                    not_found("*")
                }
                Some(_) => repo_route(s, &full, m, rest, query, body),
                None => not_found("repos/get"),
            }
        }
        _ => not_found("*"),
    }
}

fn repo_route(
    s: &mut State,
    full: &str,
    m: &str,
    rest: &[&str],
    query: &[(String, String)],
    body: &Value,
) -> Reply {
    if let Some(r) = super::git::route(s, full, m, rest, query, body) {
        return r;
    }
    match (m, rest) {
        ("GET", []) => Reply::new(200, "repos/get", repo_json(s, full)),
        ("POST", ["forks"]) => fork(s, full, body),
        ("POST", ["merge-upstream"]) => merge_upstream(s, full, body),
        ("GET", ["pulls"]) => {
            let state = query
                .iter()
                .find(|(k, _)| k == "state")
                .map_or("open", |(_, v)| v.as_str());
            let head = query
                .iter()
                .find(|(k, _)| k == "head")
                .map(|(_, v)| v.clone());
            let items: Vec<Value> = s
                .hub
                .pulls
                .iter()
                .filter(|p| p.repo == full && head.as_ref().map_or(true, |h| *h == p.head))
                .filter(|p| state == "all" || (state == "open") == p.open)
                .rev()
                .map(|p| pull_json(s, p))
                .collect();
            Reply::new(200, "pulls/list", Value::Array(items))
        }
        ("POST", ["pulls"]) => create_pull(s, full, body),
        _ => not_found("*"),
    }
}

fn fork(s: &mut State, upstream: &str, body: &Value) -> Reply {
    let owner = body["organization"]
        .as_str()
        .map_or(s.owner.clone(), String::from);
    let name = body["name"]
        .as_str()
        .unwrap_or(upstream.split('/').nth(1).unwrap());
    let full = format!("{owner}/{name}");
    if !s.hub.repos.contains_key(&full) {
        let up = s.hub.repos[upstream].clone();
        let mut refs = up.refs.clone();
        if body["default_branch_only"].as_bool().unwrap_or(false) {
            refs.retain(|k, _| *k == up.default_branch);
        }
        let warming = s.hub.fork_warmup;
        s.hub.repos.insert(
            full.clone(),
            HubRepo {
                default_branch: up.default_branch,
                refs,
                parent: Some(upstream.into()),
                warming,
            },
        );
    }
    Reply::new(202, "repos/create-fork", repo_json(s, &full))
}

fn merge_upstream(s: &mut State, full: &str, body: &Value) -> Reply {
    let op = "repos/merge-upstream";
    let branch = body["branch"].as_str().unwrap_or("").to_string();
    let Some(parent) = s.hub.repos[full].parent.clone() else {
        return unprocessable(op, "This repository is not a fork");
    };
    let (Some(ours), Some(theirs)) = (s.hub.head(full, &branch), s.hub.head(&parent, &branch))
    else {
        return unprocessable(op, "Branch not found");
    };
    let base_branch = format!("{}:{branch}", parent.split('/').next().unwrap());
    if ours == theirs || s.hub.ancestor(&theirs, &ours) {
        return Reply::new(
            200,
            op,
            json!({"message": "This branch is not behind the upstream", "merge_type": "none", "base_branch": base_branch}),
        );
    }
    if !s.hub.ancestor(&ours, &theirs) {
        return Reply::new(
            409,
            op,
            json!({"message": "There are merge conflicts", "documentation_url": super::DOCS}),
        );
    }
    s.hub
        .repos
        .get_mut(full)
        .unwrap()
        .refs
        .insert(branch, theirs);
    Reply::new(
        200,
        op,
        json!({"message": "Successfully fetched and fast-forwarded from upstream", "merge_type": "fast-forward", "base_branch": base_branch}),
    )
}

/// GitHub's 422 with a `custom` error (`errors[].message` says why).
fn custom(op: &'static str, message: &str) -> Reply {
    Reply::new(
        422,
        op,
        json!({"message": "Validation Failed", "documentation_url": super::DOCS,
            "errors": [{"resource": "PullRequest", "code": "custom", "message": message}]}),
    )
}

fn create_pull(s: &mut State, full: &str, body: &Value) -> Reply {
    let op = "pulls/create";
    let (title, head, base) = (
        body["title"].as_str().unwrap_or(""),
        body["head"].as_str().unwrap_or(""),
        body["base"].as_str().unwrap_or(""),
    );
    let invalid = |field: &str| {
        Reply::new(
            422,
            op,
            json!({"message": "Validation Failed", "documentation_url": super::DOCS,
        "errors": [{"resource": "PullRequest", "field": field, "code": "invalid"}]}),
        )
    };
    let Some((head_owner, head_ref)) = head.split_once(':') else {
        return invalid("head");
    };
    let head_repo = format!("{head_owner}/{}", full.split('/').nth(1).unwrap());
    let (Some(head_sha), Some(base_sha)) =
        (s.hub.head(&head_repo, head_ref), s.hub.head(full, base))
    else {
        return invalid(if s.hub.head(full, base).is_none() {
            "base"
        } else {
            "head"
        });
    };
    let open_already = s
        .hub
        .pulls
        .iter()
        .any(|p| p.repo == full && p.head == head && p.open);
    if open_already {
        return custom(op, &format!("A pull request already exists for {head}."));
    }
    if s.hub.ancestor(&head_sha, &base_sha) {
        return custom(op, &format!("No commits between {base} and {head_ref}"));
    }
    let number = s.hub.pulls.len() as u64 + 1;
    let pull = Pull {
        number,
        repo: full.into(),
        title: title.into(),
        body: body["body"].as_str().unwrap_or("").into(),
        head: head.into(),
        head_sha,
        base: base.into(),
        open: true,
        merged: false,
    };
    s.hub.pulls.push(pull);
    if s.hub.auto_merge {
        merge(s, number);
    }
    let p = s.hub.pulls[number as usize - 1].clone();
    Reply::new(201, op, pull_json(s, &p))
}

/// Merges PR `number`: its changes (head against its first parent) applied onto the base.
fn merge(s: &mut State, number: u64) {
    let p = s.hub.pulls[number as usize - 1].clone();
    let parent = match s.hub.objects.get(&p.head_sha) {
        Some(Obj::Commit { parents, .. }) => parents.first().cloned().unwrap_or_default(),
        _ => String::new(),
    };
    let (before, after) = (s.hub.tree_of(&parent), s.hub.tree_of(&p.head_sha));
    let mut changes: Vec<(String, Option<Vec<u8>>)> = Vec::new();
    for (path, sha) in &after {
        if before.get(path) != Some(sha) {
            changes.push((path.clone(), Some(s.hub.blob(sha))));
        }
    }
    for path in before.keys().filter(|k| !after.contains_key(*k)) {
        changes.push((path.clone(), None));
    }
    s.hub.commit(
        &p.repo,
        &p.base,
        &changes,
        &format!("Merge pull request #{number}"),
    );
    let pr = &mut s.hub.pulls[number as usize - 1];
    pr.open = false;
    pr.merged = true;
}

fn search(s: &State, query: &[(String, String)]) -> Reply {
    let q = query
        .iter()
        .find(|(k, _)| k == "q")
        .map_or("", |(_, v)| v.as_str());
    let (mut repo, mut state, mut terms) = (None, None, Vec::new());
    let mut rest = q;
    while !rest.trim().is_empty() {
        rest = rest.trim_start();
        let (tok, tail) = match rest.strip_prefix('"') {
            Some(r) => r.split_once('"').unwrap_or((r, "")),
            None => rest.split_once(' ').unwrap_or((rest, "")),
        };
        match tok.split_once(':') {
            Some(("repo", r)) if !rest.starts_with('"') => repo = Some(r.to_string()),
            Some(("is", "open")) if !rest.starts_with('"') => state = Some(true),
            Some(("is", "closed")) if !rest.starts_with('"') => state = Some(false),
            Some(("is" | "in" | "type", _)) if !rest.starts_with('"') => {}
            _ => terms.push(tok.to_lowercase()),
        }
        rest = tail;
    }
    let items: Vec<Value> = s
        .hub
        .pulls
        .iter()
        .filter(|p| {
            repo.as_ref().map_or(true, |r| *r == p.repo) && state.map_or(true, |o| o == p.open)
        })
        .filter(|p| {
            terms
                .iter()
                .all(|t| p.title.to_lowercase().contains(t.as_str()))
        })
        .map(|p| {
            // A search result is an issue: the pull's own fields (head, base, merged_at) are
            // not there; `pull_request` carries the links and `merged_at` instead.
            let mut v = pull_json(s, p);
            v["pull_request"] =
                json!({"url": v["url"], "html_url": v["html_url"], "merged_at": v["merged_at"]});
            if let Some(o) = v.as_object_mut() {
                for k in ["head", "base", "merged_at", "merged", "merge_commit_sha"] {
                    o.remove(k);
                }
            }
            v
        })
        .collect();
    Reply::new(
        200,
        "search/issues-and-pull-requests",
        json!({"total_count": items.len(), "incomplete_results": false, "items": items}),
    )
}

impl GithubDouble {
    /// Serves `full` (`owner/repo`) besides the releases repository, with one commit on
    /// `branch` (its default branch) holding a README.
    pub fn add_repo(&self, full: &str, branch: &str) {
        let mut s = self.st();
        s.hub.repos.insert(
            full.into(),
            HubRepo {
                default_branch: branch.into(),
                ..Default::default()
            },
        );
        s.hub.commit(
            full,
            branch,
            &[("README.md".into(), Some(b"# packages\n".to_vec()))],
            "initial",
        );
    }
    /// Writes (`Some`) or deletes (`None`) files on `branch` of `full` in one commit, behind
    /// the adapter's back.
    pub fn commit_files(&self, full: &str, branch: &str, files: &[(&str, Option<&[u8]>)]) {
        let files: Vec<(String, Option<Vec<u8>>)> = files
            .iter()
            .map(|(p, d)| (p.to_string(), d.map(<[u8]>::to_vec)))
            .collect();
        self.st()
            .hub
            .commit(full, branch, &files, "behind the adapter's back");
    }
    /// The files under `folder/` on `branch` of `full`: name → bytes.
    pub fn files_in(&self, full: &str, branch: &str, folder: &str) -> BTreeMap<String, Vec<u8>> {
        let s = self.st();
        let Some(head) = s.hub.head(full, branch) else {
            return BTreeMap::new();
        };
        let prefix = format!("{folder}/");
        s.hub
            .tree_of(&head)
            .iter()
            .filter_map(|(p, sha)| {
                p.strip_prefix(&prefix)
                    .filter(|n| !n.contains('/'))
                    .map(|n| (n.to_string(), s.hub.blob(sha)))
            })
            .collect()
    }
    /// Every pull request, oldest first, as GitHub renders it.
    pub fn pulls(&self) -> Vec<Value> {
        let s = self.st();
        s.hub.pulls.iter().map(|p| pull_json(&s, p)).collect()
    }
    /// Opens a PR on `full` from `head` (`owner:branch`, which need not exist), e.g. someone
    /// else's submission of the same version.
    pub fn add_pull(&self, full: &str, head: &str, title: &str) -> u64 {
        let mut s = self.st();
        let number = s.hub.pulls.len() as u64 + 1;
        s.hub.pulls.push(Pull {
            number,
            repo: full.into(),
            title: title.into(),
            body: String::new(),
            head: head.into(),
            head_sha: "0".repeat(40),
            base: "master".into(),
            open: true,
            merged: false,
        });
        number
    }
    /// Closes PR `number`, merged or not (merging applies its changes).
    pub fn close_pull(&self, number: u64, merged: bool) {
        let mut s = self.st();
        if merged {
            merge(&mut s, number);
        } else {
            s.hub.pulls[number as usize - 1].open = false;
        }
    }
    /// Every PR created from now on is merged at once.
    pub fn auto_merge(&self, on: bool) {
        self.st().hub.auto_merge = on;
    }
    /// A fork created from now on answers 404 to its first `n` requests.
    pub fn fork_warmup(&self, n: u32) {
        self.st().hub.fork_warmup = n;
    }
    /// Whether `full` exists.
    pub fn has_repo(&self, full: &str) -> bool {
        self.st().hub.repos.contains_key(full)
    }
}
