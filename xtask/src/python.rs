//! The Python venv in `.cache/venv` with the official `mcp` SDK from PyPI.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::proc::{self, Echo};
use crate::workspace;

/// The requirement installed into the venv; the stamp file records it so a change reinstalls.
pub(crate) const REQUIREMENT: &str = "mcp>=2.3,<2.4";
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);

/// The venv's python, with [`REQUIREMENT`] installed.
pub(crate) fn venv_python() -> Result<PathBuf> {
    let venv = workspace::cache_dir()?.join("venv");
    let python = venv.join("bin").join("python");
    let stamp = venv.join(".xtask-requirement");
    if python.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|old| old == REQUIREMENT) {
        return Ok(python);
    }
    if !python.is_file() {
        println!("xtask: creating Python venv {}", venv.display());
        let mut command = Command::new("python3");
        command.args(["-m", "venv"]).arg(&venv);
        let done = proc::run(
            &mut command,
            "python3 (is Python 3 installed and on PATH?)",
            INSTALL_TIMEOUT,
            Echo::Quiet,
        )?;
        if !done.success() {
            bail!(
                "creating the venv {} failed: {} (on Debian: apt-get install python3-venv)\n{}",
                venv.display(),
                done.outcome(INSTALL_TIMEOUT),
                done.tail(20)
            );
        }
    }
    println!(
        "xtask: pip install '{REQUIREMENT}' (into {})",
        venv.display()
    );
    let mut command = Command::new(&python);
    command.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--quiet",
        REQUIREMENT,
    ]);
    let done = proc::run(&mut command, "the venv's pip", INSTALL_TIMEOUT, Echo::Quiet)?;
    if !done.success() {
        bail!(
            "pip install of {REQUIREMENT} failed: {}\n{}",
            done.outcome(INSTALL_TIMEOUT),
            done.tail(20)
        );
    }
    let version = installed_mcp(&python)?;
    if !version.starts_with("2.3.") {
        bail!(
            "pip installed mcp {version} into {}, expected 2.3.x",
            venv.display()
        );
    }
    std::fs::write(&stamp, REQUIREMENT)
        .with_context(|| format!("cannot write {}", stamp.display()))?;
    Ok(python)
}

/// The `mcp` version the venv's python can import.
fn installed_mcp(python: &Path) -> Result<String> {
    let mut command = Command::new(python);
    command.args([
        "-c",
        "import mcp, importlib.metadata as m; print(m.version('mcp'))",
    ]);
    let done = proc::run(
        &mut command,
        "the venv's python",
        Duration::from_secs(60),
        Echo::Quiet,
    )?;
    if !done.success() {
        bail!(
            "the venv cannot import mcp after pip install: {}\n{}",
            done.outcome(Duration::from_secs(60)),
            done.tail(10)
        );
    }
    Ok(done.stdout.trim().to_owned())
}
