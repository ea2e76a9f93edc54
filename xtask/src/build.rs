//! `cargo build` of a workspace binary, returning the executable's path: release for the
//! end-to-end run and the benchmarks (they measure what users install), dev or release for
//! the conformance fixture.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::{proc, workspace};

/// Builds `--release -p <package>` and returns the path of its binary `bin`.
pub(crate) fn release_binary(package: &str, bin: &str) -> Result<PathBuf> {
    binary(package, bin, true)
}

/// Builds `-p <package> --bin <bin>` (with `--release` if asked) and returns the path of the
/// executable cargo reports.
pub(crate) fn binary(package: &str, bin: &str, release: bool) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace::root()).args([
        "build",
        "-p",
        package,
        "--bin",
        bin,
        "--message-format=json-render-diagnostics",
    ]);
    let profile = if release { " --release" } else { "" };
    if release {
        command.arg("--release");
    }
    println!("xtask: cargo build{profile} -p {package} --bin {bin}");
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run `{}`", proc::describe(&command)))?;
    if !output.status.success() {
        bail!(
            "`cargo build{profile} -p {package}` failed ({}); see the compiler output above",
            output.status
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    executable(&stdout, bin).with_context(|| {
        format!("`cargo build{profile} -p {package}` succeeded but reported no `{bin}` executable")
    })
}

/// The executable of target `bin` among cargo's JSON messages.
fn executable(messages: &str, bin: &str) -> Option<PathBuf> {
    messages
        .lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m.get("reason").and_then(|r| r.as_str()) == Some("compiler-artifact"))
        .filter(|m| m.pointer("/target/name").and_then(|n| n.as_str()) == Some(bin))
        .find_map(|m| {
            m.get("executable")
                .and_then(|e| e.as_str())
                .map(PathBuf::from)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_named_executable() {
        let messages = [
            r#"{"reason":"compiler-artifact","target":{"name":"pxcloud_mcp"},"executable":null}"#,
            "noise",
            r#"{"reason":"compiler-artifact","target":{"name":"pxcloud-mcp"},"executable":"/t/release/pxcloud-mcp"}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        assert_eq!(
            executable(&messages, "pxcloud-mcp"),
            Some(PathBuf::from("/t/release/pxcloud-mcp"))
        );
        assert_eq!(executable(&messages, "pxcloud-sim"), None);
    }
}
