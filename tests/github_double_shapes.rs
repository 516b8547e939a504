//! The GitHub double's answers for the endpoints the winget flow added (git refs, a
//! repository, issue search) have GitHub's shape: every field the double sends exists in the
//! answer GitHub really gave to the same request, recorded by `@octokit/fixtures`
//! (scenarios `git-refs`, `get-repository`, `search-issues`, `get-content`, and the git commit
//! inside `create-file`'s answer), with the same JSON type, down
//! every nested object. (`null` on either side is allowed: those fields are nullable.) A field
//! the double invents, or a string where GitHub sends a number, fails here.
//! Needs `scripts/setup.d/20-octokit-fixtures.sh`; fails naming it when it is missing.

mod support;

use serde_json::{json, Value};
use support::github_double::GithubDouble;

const TOKEN: &str = "ghs_shapes";

fn recorded(scenario: &str, method: &str, path_start: &str) -> Value {
    let file = support::registries::deps()
        .join("octokit/node_modules/@octokit/fixtures/scenarios/api.github.com")
        .join(scenario)
        .join("normalized-fixture.json");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: run scripts/setup.d/20-octokit-fixtures.sh",
            file.display()
        )
    });
    let all: Vec<Value> = serde_json::from_str(&text).unwrap();
    all.into_iter()
        .find(|r| r["method"] == method && r["path"].as_str().unwrap().starts_with(path_start))
        .unwrap_or_else(|| panic!("no {method} {path_start} in {scenario}"))["response"]
        .clone()
}

/// Fields GitHub's REST description declares optional and the recordings lack: a search
/// result's `pull_request` (present only when the item is a pull request; the recorded
/// search found an issue).
const OPTIONAL: &[&str] = &["search.items[0].pull_request"];

/// Where `ours` is not a sub-shape of `real`.
fn mismatches(ours: &Value, real: &Value, at: &str, out: &mut Vec<String>) {
    match (ours, real) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(o), Value::Object(r)) => {
            for (k, v) in o {
                if OPTIONAL.contains(&format!("{at}.{k}").as_str()) {
                    continue;
                }
                match r.get(k) {
                    Some(rv) => mismatches(v, rv, &format!("{at}.{k}"), out),
                    None => out.push(format!("{at}.{k}: GitHub sends no such field")),
                }
            }
        }
        (Value::Array(o), Value::Array(r)) => {
            if let (Some(a), Some(b)) = (o.first(), r.first()) {
                mismatches(a, b, &format!("{at}[0]"), out);
            }
        }
        (Value::String(_), Value::String(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        _ => out.push(format!("{at}: {ours} where GitHub sends {real}")),
    }
}

/// The API as a client with the right token sees it.
struct Api {
    http: reqwest::Client,
    api: String,
}

impl Api {
    async fn send(&self, m: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .http
            .request(m, format!("{}{path}", self.api))
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("user-agent", "tagship-test");
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json::<Value>().await.unwrap_or(Value::Null))
    }
}

/// What the double answered to each request of the winget flow.
struct Answers {
    head: Value,
    created: Value,
    moved: Value,
    repo: Value,
    found: Value,
}

async fn ask_the_double(d: &GithubDouble) -> Answers {
    let a = Api {
        http: reqwest::Client::new(),
        api: d.api_url(),
    };
    let (_, head) = a
        .send(
            reqwest::Method::GET,
            "/repos/acme/pkgs/git/ref/heads/master",
            None,
        )
        .await;
    let sha = head["object"]["sha"].as_str().unwrap().to_string();
    let (s1, created) = a
        .send(
            reqwest::Method::POST,
            "/repos/acme/pkgs/git/refs",
            Some(json!({"ref": "refs/heads/topic", "sha": sha})),
        )
        .await;
    let (s2, moved) = a
        .send(
            reqwest::Method::PATCH,
            "/repos/acme/pkgs/git/refs/heads/topic",
            Some(json!({"sha": sha, "force": true})),
        )
        .await;
    let (s3, repo) = a.send(reqwest::Method::GET, "/repos/acme/pkgs", None).await;
    d.add_pull(
        "acme/pkgs",
        "acme:topic",
        "New version: Acme.Demo version 1.0.0",
    );
    let (s4, found) = a
        .send(
            reqwest::Method::GET,
            "/search/issues?q=repo%3Aacme%2Fpkgs+is%3Apr",
            None,
        )
        .await;
    assert_eq!((s1, s2, s3, s4), (201, 200, 200, 200));
    Answers {
        head,
        created,
        moved,
        repo,
        found,
    }
}

/// Each answer next to GitHub's recorded answer to the same request.
fn cases(a: &Answers) -> [(&'static str, &Value, Value); 5] {
    [
        (
            "GET ref",
            &a.head,
            recorded(
                "git-refs",
                "post",
                "/repos/octokit-fixture-org/git-refs/git/refs",
            ),
        ),
        (
            "POST git/refs",
            &a.created,
            recorded(
                "git-refs",
                "post",
                "/repos/octokit-fixture-org/git-refs/git/refs",
            ),
        ),
        (
            "PATCH ref",
            &a.moved,
            recorded(
                "git-refs",
                "patch",
                "/repos/octokit-fixture-org/git-refs/git/refs/heads/",
            ),
        ),
        (
            "GET repo",
            &a.repo,
            recorded(
                "get-repository",
                "get",
                "/repos/octokit-fixture-org/hello-world",
            ),
        ),
        (
            "search",
            &a.found,
            recorded("search-issues", "get", "/search/issues"),
        ),
    ]
}

#[tokio::test]
async fn the_doubles_hub_answers_have_githubs_shape() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    d.add_repo("acme/pkgs", "master");
    d.commit_files("acme/pkgs", "master", &[("docs/README.md", Some(b"hello"))]);
    let answers = ask_the_double(&d).await;
    let found = &answers.found;
    let cases = cases(&answers);
    assert!(found["items"][0].is_object(), "a PR to compare: {found}");
    // The comparison itself can fail: an invented field and a retyped one are caught.
    let mut out = Vec::new();
    let bad = json!({"ref": 1, "invented": true});
    mismatches(&bad, &cases[0].2, "self-check", &mut out);
    assert_eq!(out.len(), 2, "{out:?}");
    out.clear();
    for (what, ours, real) in &cases {
        assert!(ours.is_object() || ours.is_array(), "{what}: {ours}");
        mismatches(ours, real, what, &mut out);
    }
    assert!(
        out.is_empty(),
        "the double's answers differ from GitHub's:\n{}",
        out.join("\n")
    );
}
