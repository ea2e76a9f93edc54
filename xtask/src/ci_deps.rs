//! `cargo xtask ci-deps`: install everything `conformance` and `interop` need, up front.
//!
//! Useful as its own CI step so that network trouble shows up as an install failure with
//! a clear message, not as a failing suite. Every install is skipped when already present.

use std::collections::BTreeSet;

use anyhow::{Context, Result};

use crate::args::Args;
use crate::{conformance, interop, node, python};

/// Runs the task.
pub(crate) fn run(argv: &[String]) -> Result<bool> {
    Args::new(argv).finish()?;
    let node = node::node22()?;
    println!("xtask: Node 22 at {}", node.display());
    let versions: BTreeSet<&str> = conformance::SUITES
        .iter()
        .map(|suite| suite.version)
        .collect();
    for version in versions {
        let cli = conformance::install_suite(version)
            .with_context(|| format!("cannot install the conformance suite {version}"))?;
        println!("xtask: conformance {version} at {}", cli.display());
    }
    let script = interop::install_ts_client()?;
    println!("xtask: TypeScript SDK client at {}", script.display());
    let python = python::venv_python()?;
    println!(
        "xtask: Python SDK ({}) in {}",
        python::REQUIREMENT,
        python.display()
    );
    Ok(true)
}
