//! `tagship status` renderers (issue 12), pure functions of the status: the table, Markdown,
//! the SVG badges (parsed as XML by Python's parser) and the HTML dashboard, which headless
//! Chromium (scripts/setup.d/60-chromium.sh) loads: the test reads the rows back from the DOM
//! it serializes and keeps a screenshot in target/tmp/.

use std::path::Path;
use std::process::Command;
use tagship::status::{self, Answer, Judge, Observed, Presence};

fn v(s: &str) -> semver::Version {
    semver::Version::parse(s).unwrap()
}

fn sample() -> status::Status {
    let ok = |id: &str, newest: &str, url: &str| Observed {
        id: id.into(),
        answer: Ok(Answer {
            newest: Some(v(newest)),
            published_at: Some("2026-11-28T10:00:00Z".into()),
            presence: None,
            url: Some(url.into()),
        }),
    };
    let obs = vec![
        ok(
            "github",
            "1.1.19",
            "https://github.com/acme/demo/releases/tag/v1.1.19",
        ),
        ok("npm", "1.1.17", "https://www.npmjs.com/package/@acme/demo"),
        Observed {
            id: "pypi".into(),
            answer: Err("HTTP 503 from https://pypi.org/pypi/demo/json".into()),
        },
        Observed {
            id: "chocolatey".into(),
            answer: Ok(Answer {
                newest: Some(v("1.1.18")),
                presence: Some(Presence::Pending),
                ..Default::default()
            }),
        },
    ];
    status::assess(
        &Judge {
            project: "demo <&>".into(),
            version: None,
            tag_age_secs: Some(3600),
            stale_after_hours: 24,
            checked_at: "2026-11-28T12:00:00Z".into(),
        },
        &obs,
    )
}

#[test]
fn table_markdown_and_json_are_snapshot_tested() {
    let s = sample();
    assert_eq!(s.exit_code, 1);
    insta::assert_snapshot!("status_table", status::terminal_table(&s));
    insta::assert_snapshot!("status_markdown", status::markdown(&s));
    insta::assert_json_snapshot!("status_json", s);
}

#[test]
fn badges_are_valid_svg() {
    let s = sample();
    let mut svgs: Vec<String> = s.platforms.iter().map(status::badge).collect();
    svgs.push(status::overall_badge(&s));
    insta::assert_snapshot!("status_badge_npm", svgs[1]);
    for svg in &svgs {
        let out = Command::new("python3")
            .args([
                "-c",
                "import sys,xml.etree.ElementTree as E\nr=E.fromstring(sys.argv[1])\nassert r.tag=='{http://www.w3.org/2000/svg}svg', r.tag\nprint(r.find('{http://www.w3.org/2000/svg}title').text)",
                svg,
            ])
            .output()
            .expect("python3");
        assert!(out.status.success(), "{svg}\n{out:?}");
    }
    assert!(svgs[1].contains("1.1.17 behind"), "{}", svgs[1]);
    assert!(svgs[4].contains("drift: npm, pypi"), "{}", svgs[4]);
}

fn chromium(args: &[&str]) -> String {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .args(args)
        .output()
        .expect("chromium is not installed: run scripts/setup.d/60-chromium.sh");
    assert!(out.status.success(), "chromium {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_dashboard_renders_in_headless_chromium_with_the_right_rows() {
    let s = sample();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("status-dashboard");
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("index.html");
    std::fs::write(&page, status::dashboard(&s)).unwrap();
    let url = format!("file://{}", page.display());
    let dom = chromium(&["--dump-dom", &url]);
    let rows: Vec<(String, String)> = dom
        .split("<tr class=\"")
        .skip(1)
        .map(|r| {
            let class = r.split('"').next().unwrap().to_string();
            let id = r
                .split("data-platform=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            (id.to_string(), class)
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("github", "ok"),
        ("npm", "bad"),
        ("pypi", "bad"),
        ("chocolatey", "pending"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(rows, want, "{dom}");
    assert!(
        dom.contains("<title>demo &lt;&amp;&gt; release status</title>"),
        "{dom}"
    );
    assert!(dom.contains("data-exit-code=\"1\""), "{dom}");
    assert!(
        !dom.contains("http://") || !dom.contains("<script src"),
        "no external assets"
    );
    let shot = dir.join("dashboard.png");
    let _ = std::fs::remove_file(&shot);
    chromium(&[
        &format!("--screenshot={}", shot.display()),
        "--window-size=1024,600",
        &url,
    ]);
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 2000,
        "{} bytes",
        png.len()
    );
}
