//! `cargo build` of workspace binaries, returning the executables' paths: release for the
//! end-to-end run, the link order and the benchmarks (they measure what users install), dev or
//! release for the conformance fixture and `list-size`.
//!
//! Every build selects the whole workspace (`--workspace`) and narrows the targets with
//! `--bin`. Cargo unifies the features of shared dependencies over the packages a command
//! selects, so `-p pxcloud-sim` alone, `-p xtask` alone and `-p pxcloud-mcp` each built their
//! own tokio, hyper, serde_json, axum… (serde_json's `float_roundtrip`, serde's `alloc` and
//! syn's `visit-mut` differ, and a different syn means every proc macro and everything built
//! with one, tokio included). With one selection for every task, a binary built for `bench` is
//! the one `e2e` and `link-order` find fresh, and `bench` builds its three release binaries
//! in a single invocation. (`--workspace` resolves the same features as `-p pxcloud-mcp`,
//! which depends on every other library; `cargo build --bin NAME` at the root does too.)
//!
//! The nested cargo runs without the variables `cargo run` gave this xtask about itself
//! (`CARGO_PKG_NAME=xtask`, `CARGO_MANIFEST_DIR`…): ring's build script declares
//! `rerun-if-env-changed` on those, and cargo compares them with its own environment, so
//! every build from xtask after one from a shell (and the other way round) rebuilt ring,
//! rustls, tokio-rustls, hyper-rustls and every workspace crate above them.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};

use crate::{proc, workspace};

/// Builds `--release --bin <bin>` of `package` and returns the path of the executable.
pub(crate) fn release_binary(package: &str, bin: &str) -> Result<PathBuf> {
    binary(package, bin, true)
}

/// Builds `--bin <bin>` of `package` (with `--release` if asked) and returns the path of the
/// executable cargo reports.
pub(crate) fn binary(package: &str, bin: &str, release: bool) -> Result<PathBuf> {
    let [path] = binaries([(package, bin)], release)?;
    Ok(path)
}

/// Builds every `(package, bin)` of `wanted` in one cargo invocation (release if asked) and
/// returns their executables in the same order.
pub(crate) fn binaries<const N: usize>(
    wanted: [(&str, &str); N],
    release: bool,
) -> Result<[PathBuf; N]> {
    let args = build_args(&wanted, release);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace::root()).args(&args);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(set_by_cargo_run) {
            command.env_remove(name);
        }
    }
    let shown = format!("cargo {}", args[..args.len() - 1].join(" "));
    println!("xtask: {shown}");
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run `{}`", proc::describe(&command)))?;
    if !output.status.success() {
        bail!(
            "`{shown}` failed ({}); see the compiler output above",
            output.status
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut paths = Vec::with_capacity(N);
    for (package, bin) in wanted {
        paths.push(executable(&stdout, package, bin).with_context(|| {
            format!("`{shown}` succeeded but reported no `{bin}` executable of package {package}")
        })?);
    }
    paths
        .try_into()
        .map_err(|_| anyhow!("`{shown}`: not one executable per binary asked for"))
}

/// `cargo` arguments for `wanted`: the whole workspace's features, only the named binaries.
fn build_args(wanted: &[(&str, &str)], release: bool) -> Vec<String> {
    let mut args = vec!["build".to_owned(), "--workspace".to_owned()];
    if release {
        args.push("--release".to_owned());
    }
    for (_, bin) in wanted {
        args.push("--bin".to_owned());
        args.push((*bin).to_owned());
    }
    args.push("--message-format=json-render-diagnostics".to_owned());
    args
}

/// Whether `cargo run` sets the environment variable `name` for the program it runs (the
/// package's own description; `CARGO`, the path of cargo itself, is kept).
fn set_by_cargo_run(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || matches!(
            name,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_MANIFEST_LINKS"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_TARGET_TMPDIR"
                | "CARGO_RUSTC_CURRENT_DIR"
                | "OUT_DIR"
        )
}

/// The executable of target `bin` of `package` among cargo's JSON messages.
fn executable(messages: &str, package: &str, bin: &str) -> Option<PathBuf> {
    messages
        .lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m.get("reason").and_then(|r| r.as_str()) == Some("compiler-artifact"))
        .filter(|m| m.pointer("/target/name").and_then(|n| n.as_str()) == Some(bin))
        .filter(|m| {
            m.get("package_id")
                .and_then(|p| p.as_str())
                .is_some_and(|id| names_package(id, package))
        })
        .find_map(|m| {
            m.get("executable")
                .and_then(|e| e.as_str())
                .map(PathBuf::from)
        })
}

/// Whether cargo's package id `id` (`path+file:///w/bins/pxcloud-mcp#0.1.0`, or
/// `path+file:///w/x#name@0.1.0` when the directory is not named after the package) is
/// `package`'s.
fn names_package(id: &str, package: &str) -> bool {
    let (source, fragment) = id.rsplit_once('#').unwrap_or((id, ""));
    match fragment.split_once('@') {
        Some((name, _)) => name == package,
        None => source.trim_end_matches('/').rsplit('/').next() == Some(package),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_named_executable() {
        let messages = [
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/bins/pxcloud-mcp#0.1.0","target":{"name":"pxcloud_mcp"},"executable":null}"#,
            "noise",
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/bins/pxcloud-mcp#0.1.0","target":{"name":"pxcloud-mcp"},"executable":"/t/release/pxcloud-mcp"}"#,
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/crates/sim#pxcloud-sim@0.1.0","target":{"name":"pxcloud-sim"},"executable":"/t/release/pxcloud-sim"}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        assert_eq!(
            executable(&messages, "pxcloud-mcp", "pxcloud-mcp"),
            Some(PathBuf::from("/t/release/pxcloud-mcp"))
        );
        assert_eq!(
            executable(&messages, "pxcloud-sim", "pxcloud-sim"),
            Some(PathBuf::from("/t/release/pxcloud-sim"))
        );
        assert_eq!(executable(&messages, "other", "pxcloud-mcp"), None);
        assert_eq!(executable(&messages, "xtask", "xtask"), None);
    }

    #[test]
    fn the_nested_cargo_does_not_see_what_cargo_run_said_about_xtask() {
        for name in [
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_MANIFEST_DIR",
            "CARGO_CRATE_NAME",
            "OUT_DIR",
        ] {
            assert!(set_by_cargo_run(name), "{name}");
        }
        for name in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_INCREMENTAL",
            "CARGO_TERM_COLOR",
            "RUSTFLAGS",
            "PATH",
        ] {
            assert!(!set_by_cargo_run(name), "{name}");
        }
    }

    #[test]
    fn one_selection_for_every_build() {
        assert_eq!(
            build_args(&[("xtask", "xtask"), ("pxcloud-sim", "pxcloud-sim")], true),
            [
                "build",
                "--workspace",
                "--release",
                "--bin",
                "xtask",
                "--bin",
                "pxcloud-sim",
                "--message-format=json-render-diagnostics"
            ]
        );
        assert_eq!(
            build_args(&[("conformance-server", "conformance-server")], false),
            [
                "build",
                "--workspace",
                "--bin",
                "conformance-server",
                "--message-format=json-render-diagnostics"
            ]
        );
    }
}
