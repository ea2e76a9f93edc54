//! The earlier TypeScript server (`pxcloud-mcp` 0.1.2 from npm), run against the same
//! simulator, as the real-world naive generator for the tools/list size comparison: the
//! server this project replaces, which turns every operation into a tool with a title,
//! annotations, `_meta` and the full result envelope as its output schema.
//!
//! It is installed into `.cache/earlier-server` and run with the Node 22 of `node.rs`; its
//! tools are matched with ours by method and path.

use std::ffi::OsStr;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::mcp::StdioServer;
use super::{bytes, log_path};
use crate::{node, workspace};

/// The npm package and version of the earlier server.
pub(crate) const PACKAGE: &str = "pxcloud-mcp";
pub(crate) const VERSION: &str = "0.1.2";

/// Our operation tools against the earlier server's, for the operations both expose.
#[derive(Debug, Clone, Default)]
pub(crate) struct Earlier {
    /// Operations both servers expose.
    pub(crate) ops: usize,
    /// Operation tools the earlier server lists.
    pub(crate) its_tools: usize,
    pub(crate) ours_bytes: usize,
    pub(crate) its_bytes: usize,
}

/// Installs (once) and runs the earlier server against the simulator at `url`, lists its
/// tools and compares them with `ours`.
pub(crate) fn compare(url: &str, user: &str, pass: &str, ours: &[Value]) -> Result<Earlier> {
    let prefix = workspace::cache_dir()?.join("earlier-server");
    let package = node::ensure_package(&prefix, PACKAGE, VERSION)?;
    let entry = package.join("dist").join("index.js");
    if !entry.is_file() {
        bail!("{} is missing from the npm package", entry.display());
    }
    let node = node::node22()?;
    let env = [
        ("PXCLOUD_URL", url),
        ("PXCLOUD_USER", user),
        ("PXCLOUD_PASS", pass),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let mut server = StdioServer::spawn_program(
        &node,
        &[OsStr::new(&entry)],
        &env,
        &log_path("bench-earlier-server")?,
        "pxcloud-mcp 0.1.2 (node)",
    )?;
    server
        .initialize()
        .context("the earlier server did not initialize")?;
    let theirs = server.list_tools()?;
    server.stop();
    Ok(matched(ours, &theirs))
}

/// `METHOD path` of a tool, from its `_meta` (both servers put method and path there).
fn operation(tool: &Value) -> Option<(String, String)> {
    let method = tool
        .pointer("/_meta/method")?
        .as_str()?
        .to_ascii_uppercase();
    let path = tool.pointer("/_meta/path")?.as_str()?.to_owned();
    Some((method, path))
}

fn matched(ours: &[Value], theirs: &[Value]) -> Earlier {
    let theirs_by_op: std::collections::HashMap<(String, String), &Value> = theirs
        .iter()
        .filter_map(|t| Some((operation(t)?, t)))
        .collect();
    let mut a = Vec::new();
    let mut b = Vec::new();
    for tool in ours {
        if let Some(their) = operation(tool).and_then(|op| theirs_by_op.get(&op)) {
            a.push(tool.clone());
            b.push((*their).clone());
        }
    }
    Earlier {
        ops: a.len(),
        its_tools: theirs_by_op.len(),
        ours_bytes: bytes(&a),
        its_bytes: bytes(&b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tools_are_matched_by_method_and_path() {
        let ours = [
            json!({"name": "a", "_meta": {"method": "GET", "path": "/x"}}),
            json!({"name": "only_ours", "_meta": {"method": "DELETE", "path": "/x"}}),
            json!({"name": "workflow"}),
        ];
        let theirs = [
            json!({"name": "their_a", "_meta": {"method": "get", "path": "/x"}}),
            json!({"name": "only_theirs", "_meta": {"method": "post", "path": "/y"}}),
        ];
        let e = matched(&ours, &theirs);
        assert_eq!(e.ops, 1);
        assert_eq!(e.its_tools, 2);
        assert_eq!(e.ours_bytes, bytes(&[ours[0].clone()]));
        assert_eq!(e.its_bytes, bytes(&[theirs[0].clone()]));
    }
}
