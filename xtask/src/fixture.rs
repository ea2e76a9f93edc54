//! The `conformance-server` fixture: build it, start it on a free loopback port with
//! `--http`, or hand its path to a client that spawns it over stdio.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::args::Args;
use crate::proc::{self, ChildGuard};
use crate::workspace;

/// The fixture's cargo package and binary name.
pub(crate) const PACKAGE: &str = "conformance-server";
/// How long a freshly started fixture may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the fixture executable comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// `cargo build --workspace --bin conformance-server` (see `build`), in release mode if
    /// asked.
    Build { release: bool },
    /// An executable somebody built already (`--fixture-bin PATH`).
    Prebuilt(PathBuf),
}

impl Source {
    /// Reads `--release` and `--fixture-bin PATH`.
    pub(crate) fn from_args(args: &mut Args) -> Result<Self> {
        let release = args.switch("--release");
        match args.value("--fixture-bin")? {
            Some(_) if release => bail!("--fixture-bin and --release exclude each other"),
            Some(path) => Ok(Self::Prebuilt(PathBuf::from(path))),
            None => Ok(Self::Build { release }),
        }
    }

    /// The executable, built if needed.
    pub(crate) fn executable(&self) -> Result<PathBuf> {
        match self {
            Self::Build { release } => build(*release),
            Self::Prebuilt(path) if path.is_file() => Ok(path.clone()),
            Self::Prebuilt(path) => bail!("--fixture-bin {} is not a file", path.display()),
        }
    }
}

/// Builds the fixture with cargo and returns the path of its executable.
///
/// The dev profile is the default because CI has built the workspace in dev already (its
/// dependencies with `cargo test --workspace`'s features, which add only tokio's `test-util`
/// and zerocopy's `derive` to the workspace features this build uses, see `build`).
fn build(release: bool) -> Result<PathBuf> {
    crate::build::binary(PACKAGE, PACKAGE, release)
}

/// A fixture serving Streamable HTTP on loopback; killed when dropped.
#[derive(Debug)]
pub(crate) struct HttpServer {
    process: ChildGuard,
    url: String,
    log: PathBuf,
}

impl HttpServer {
    /// Starts `binary --http 127.0.0.1:PORT` on a free port and waits until it accepts
    /// connections. Its stdout and stderr go to `.cache/logs/<log_name>.log`.
    pub(crate) fn start(binary: &Path, log_name: &str) -> Result<Self> {
        let port = proc::free_port()?;
        let address = format!("127.0.0.1:{port}");
        let log = workspace::log_dir()?.join(format!("{log_name}.log"));
        let out = File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
        let err = out
            .try_clone()
            .with_context(|| format!("cannot reopen {}", log.display()))?;
        let mut command = Command::new(binary);
        command
            .args(["--http", &address])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let mut process = ChildGuard::spawn(&mut command, PACKAGE)?;
        proc::wait_for_port(&mut process, port, START_TIMEOUT, &log)?;
        let url = format!("http://{address}/mcp");
        println!(
            "xtask: {PACKAGE} (pid {}) serves {url}; log {}",
            process.id(),
            log.display()
        );
        Ok(Self { process, url, log })
    }

    /// `http://127.0.0.1:PORT/mcp`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The exit status if the server has died.
    pub(crate) fn exited(&mut self) -> Result<Option<std::process::ExitStatus>> {
        self.process.exited()
    }

    /// Stops the server with SIGTERM (SIGKILL if it lingers) and says how that went: a
    /// fixture that ignores SIGTERM is worth a warning, not a failure.
    pub(crate) fn stop(self) {
        let pid = self.process.id();
        match self.process.stop() {
            Some(status) => println!("xtask: {PACKAGE} (pid {pid}) stopped on SIGTERM: {status}"),
            None => println!(
                "xtask: warning: {PACKAGE} (pid {pid}) did not exit on SIGTERM within the grace period and was killed"
            ),
        }
    }

    /// Where the server's output goes.
    pub(crate) fn log(&self) -> &Path {
        &self.log
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_from_args() {
        let parse = |list: &[&str]| {
            let owned: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
            Source::from_args(&mut Args::new(&owned)).map_err(|e| e.to_string())
        };
        assert_eq!(parse(&[]), Ok(Source::Build { release: false }));
        assert_eq!(parse(&["--release"]), Ok(Source::Build { release: true }));
        assert_eq!(
            parse(&["--fixture-bin", "/x/cs"]),
            Ok(Source::Prebuilt(PathBuf::from("/x/cs")))
        );
        assert!(parse(&["--fixture-bin", "/x/cs", "--release"]).is_err());
        let missing = Source::Prebuilt(PathBuf::from("/nonexistent/conformance-server"));
        assert!(
            missing
                .executable()
                .unwrap_err()
                .to_string()
                .contains("is not a file")
        );
    }
}
