//! Each configured platform's own checks, run at load time so they report like the schema's:
//! with pipeline.yaml's file:line:col (issue 10: "a message names the file and the line").
//! An adapter's factory validates what a schema cannot say (docker's image reference, its
//! `chunk_above` size, the strings it writes into the image config; chocolatey's package id)
//! and names the setting at the start of its message (`platforms.docker.chunk_above: …`);
//! that setting is looked up in the positioned tree (for `packages:`, in each package's
//! merged sections).

use super::diag::Problem;
use super::model::Pipeline;
use super::tree::Node;
use crate::platform::Factory;

/// One problem per platform whose adapter cannot be built from its section: the top-level
/// sections, or with `packages:` each package's merged ones (built for a project named as
/// the package, as the per-package selection builds them).
pub(crate) fn check(effective: &Node, pipeline: &Pipeline, registry: &[&Factory]) -> Vec<Problem> {
    if pipeline.packages.is_empty() {
        let Some(sections) = effective.get("platforms") else {
            return Vec::new();
        };
        return built(sections, &pipeline.platforms, &pipeline.project, registry);
    }
    let nodes = effective
        .get("packages")
        .map(Node::items)
        .unwrap_or_default();
    let mut out = Vec::new();
    for (pkg, node) in pipeline.packages.iter().zip(nodes) {
        let (Some(platforms), Some(sections)) = (&pkg.platforms, node.get("platforms")) else {
            continue;
        };
        let mut project = pipeline.project.clone();
        project.name = pkg.name.clone();
        out.extend(built(sections, platforms, &project, registry));
    }
    out
}

fn built(
    sections: &Node,
    typed: &std::collections::BTreeMap<String, serde_json::Value>,
    project: &crate::plan::Project,
    registry: &[&Factory],
) -> Vec<Problem> {
    registry
        .iter()
        .filter_map(|f| {
            let section = typed.get(f.id)?;
            let e = (f.build)(section, project).err()?;
            let node = locate(sections, f.id, e.message());
            let p = Problem::new(&node.at, e.message());
            Some(p.hint_opt(e.hint().map(String::from)))
        })
        .collect()
}

/// The node of the setting a message starts with (`platforms.<id>.a.b: …`), else the
/// deepest part of it that exists, else the platform's section.
fn locate<'a>(platforms: &'a Node, id: &str, message: &str) -> &'a Node {
    let Some(mut node) = platforms.get(id) else {
        return platforms;
    };
    let setting = message.split([':', ' ']).next().unwrap_or_default();
    let Some(rest) = setting.strip_prefix(&format!("platforms.{id}.")) else {
        return node;
    };
    for key in rest.split('.') {
        match node.get(key) {
            Some(n) => node = n,
            None => break,
        }
    }
    node
}
