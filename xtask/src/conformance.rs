//! `cargo xtask conformance`: the official MCP conformance suites against the fixture.
//!
//! For each suite: start a fresh `conformance-server --http 127.0.0.1:PORT` (unless `--url`
//! names a running server), run the suite's CLI with Node 22 under an overall deadline,
//! read its summary and its per-check results, stop the server. A suite fails when its CLI
//! exits non-zero, times out, prints no summary, or a scored scenario fails.

mod report;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::args::Args;
use crate::fixture::{self, HttpServer};
use crate::node;
use crate::proc::{self, Echo};
use crate::text::one_line;
use crate::workspace;

use report::Summary;

/// The npm package of the suite.
const PACKAGE: &str = "@modelcontextprotocol/conformance";

/// Suite output lines kept but not echoed: per scenario, "Running client scenario …" repeats
/// the `=== Running scenario` header and "Results saved to DIR" names the folders the xtask
/// reads itself.
const QUIET_LINES: &[&str] = &["Running client scenario ", "Results saved to "];

/// One way of running the suite.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Suite {
    /// What `--suite` calls it.
    pub(crate) key: &'static str,
    /// The npm version of the suite package.
    pub(crate) version: &'static str,
    /// Extra arguments after `server --url URL`.
    args: &'static [&'static str],
    /// For people.
    label: &'static str,
}

/// The suites, in the order they run.
pub(crate) const SUITES: [Suite; 3] = [
    Suite {
        key: "0.1",
        version: "0.1.16",
        args: &[],
        label: "0.1.16 active suite (legacy era)",
    },
    Suite {
        key: "0.2-2026",
        version: "0.2.0-alpha.12",
        args: &["--requirements", "2026-07-28"],
        label: "0.2.0-alpha.12 --requirements 2026-07-28",
    },
    Suite {
        key: "0.2-2025",
        version: "0.2.0-alpha.12",
        args: &["--requirements", "2025-11-25"],
        label: "0.2.0-alpha.12 --requirements 2025-11-25",
    },
];

#[derive(Debug)]
struct Options {
    suites: Vec<Suite>,
    url: Option<String>,
    keep_going: bool,
    fixture: fixture::Source,
    timeout: Duration,
}

fn parse(argv: &[String]) -> Result<Options> {
    let mut args = Args::new(argv);
    let keep_going = args.switch("--keep-going");
    let fixture = fixture::Source::from_args(&mut args)?;
    let url = args.value("--url")?;
    let timeout = args.seconds("--timeout", 600)?;
    let wanted = args.values("--suite")?;
    args.finish()?;
    let suites = if wanted.is_empty() {
        SUITES.to_vec()
    } else {
        let mut chosen = Vec::new();
        for key in &wanted {
            match SUITES.iter().find(|suite| suite.key == key) {
                Some(suite) if chosen.iter().any(|c: &Suite| c.key == suite.key) => {}
                Some(suite) => chosen.push(*suite),
                None => {
                    let known: Vec<&str> = SUITES.iter().map(|s| s.key).collect();
                    bail!("unknown --suite `{key}` (known: {})", known.join(", "));
                }
            }
        }
        chosen
    };
    Ok(Options {
        suites,
        url,
        keep_going,
        fixture,
        timeout,
    })
}

/// The suite package's CLI entry point, installed if needed.
pub(crate) fn install_suite(version: &str) -> Result<PathBuf> {
    let prefix = workspace::cache_dir()?.join(format!("conformance-{version}"));
    let dir = node::ensure_package(&prefix, PACKAGE, version)?;
    let cli = dir.join("dist").join("index.js");
    if !cli.is_file() {
        bail!(
            "{PACKAGE}@{version} is installed but has no {}",
            cli.display()
        );
    }
    Ok(cli)
}

/// What happened to one suite.
#[derive(Debug)]
struct Outcome {
    suite: Suite,
    /// `None` when the suite could not run at all; the text says why.
    run: std::result::Result<SuiteRun, String>,
}

#[derive(Debug)]
struct SuiteRun {
    summary: Summary,
    failures: Vec<report::CheckFailure>,
    /// Problems besides failed scenarios: exit status, timeout, a dead server.
    problems: Vec<String>,
    seconds: f64,
}

impl Outcome {
    fn ok(&self) -> bool {
        self.run
            .as_ref()
            .is_ok_and(|run| run.problems.is_empty() && run.summary.required_failures().is_empty())
    }
}

/// Runs the task; `Ok(false)` means a suite failed (already reported).
pub(crate) fn run(argv: &[String]) -> Result<bool> {
    let options = parse(argv)?;
    let node = node::node22()?;
    let mut clis = Vec::new();
    for suite in &options.suites {
        clis.push(
            install_suite(suite.version)
                .with_context(|| format!("cannot install suite {}", suite.label))?,
        );
    }
    let binary = match options.url {
        Some(_) => None,
        None => Some(options.fixture.executable()?),
    };
    let target = match (&binary, &options.url) {
        (Some(binary), _) => Target::Fixture(binary),
        (None, Some(url)) => Target::Url(url),
        (None, None) => bail!("neither a fixture nor --url to test"),
    };
    let results_root = workspace::cache_dir()?.join("conformance-results");

    let mut outcomes = Vec::new();
    for (suite, cli) in options.suites.iter().zip(&clis) {
        println!("\n=== xtask: conformance suite {} ===", suite.label);
        let results = results_root.join(suite.key);
        let run = run_suite(*suite, &node, cli, target, &results, options.timeout);
        let outcome = Outcome {
            suite: *suite,
            run: run.map_err(|error| format!("{error:#}")),
        };
        print_outcome(&outcome);
        let ok = outcome.ok();
        outcomes.push(outcome);
        if !ok && !options.keep_going {
            break;
        }
    }

    let text = recap(&outcomes, &options.suites);
    let latest = workspace::cache_dir()?.join("conformance-latest.txt");
    std::fs::write(&latest, full_report(&outcomes, &text))
        .with_context(|| format!("cannot write {}", latest.display()))?;
    // The recap's `Total:` line closes the output.
    println!(
        "\nxtask: every failed check is listed in {}",
        latest.display()
    );
    print!("{text}");
    Ok(outcomes.len() == options.suites.len() && outcomes.iter().all(Outcome::ok))
}

/// What a suite runs against.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    /// A fresh fixture from this executable for each suite.
    Fixture(&'a Path),
    /// A server somebody else started.
    Url(&'a str),
}

fn run_suite(
    suite: Suite,
    node: &Path,
    cli: &Path,
    target: Target<'_>,
    results: &Path,
    timeout: Duration,
) -> Result<SuiteRun> {
    let (server, url) = match target {
        Target::Fixture(binary) => {
            let log_name = format!("conformance-server-{}", suite.key);
            let server = HttpServer::start(binary, &log_name)?;
            let url = server.url().to_owned();
            (Some(server), url)
        }
        Target::Url(url) => (None, url.to_owned()),
    };
    if results.exists() {
        std::fs::remove_dir_all(results)
            .with_context(|| format!("cannot clear {}", results.display()))?;
    }
    let mut command = Command::new(node);
    command
        .arg(cli)
        .args(["server", "--url", &url])
        .args(suite.args)
        .arg("--output-dir")
        .arg(results);
    let name = format!("conformance suite {}", suite.label);
    let done = proc::run(&mut command, &name, timeout, Echo::LiveExcept(QUIET_LINES))?;

    let summary = report::parse_summary(&done.stdout);
    let failures = report::collect_failures(results);
    let mut problems = Vec::new();
    if done.status.is_none() {
        let running = report::last_started_scenario(&done.stdout).unwrap_or("none yet");
        problems.push(format!(
            "the suite was killed after the {} s timeout (scenario running: {running})",
            timeout.as_secs()
        ));
    } else if !done.success() && summary.required_failures().is_empty() {
        problems.push(format!(
            "the suite exited with {} although no scored scenario failed",
            done.outcome(timeout)
        ));
    }
    if summary.scenarios.is_empty() {
        problems.push(format!(
            "the suite printed no scenario summary; last output:\n{}",
            done.tail(15)
        ));
    }
    if let Some(server) = server {
        problems.extend(server_problem(server));
    }
    Ok(SuiteRun {
        summary,
        failures,
        problems,
        seconds: done.elapsed.as_secs_f64(),
    })
}

/// A fixture that died during the run explains most failures; say so.
fn server_problem(mut server: HttpServer) -> Option<String> {
    let log = server.log().to_path_buf();
    match server.exited() {
        Ok(Some(status)) => Some(format!(
            "{} exited during the run ({status}); last lines of {}:\n{}",
            fixture::PACKAGE,
            log.display(),
            workspace::tail(&log, 20)
        )),
        Ok(None) => {
            server.stop();
            None
        }
        Err(error) => Some(format!("{error:#}")),
    }
}

fn print_outcome(outcome: &Outcome) {
    let label = outcome.suite.label;
    match &outcome.run {
        Err(error) => println!("xtask: suite {label} could not run: {error}"),
        Ok(run) => {
            for problem in &run.problems {
                println!("xtask: suite {label}: {problem}");
            }
            let failed = run.summary.required_failures();
            if !failed.is_empty() {
                println!("xtask: scored scenarios that failed in {label}:");
                for scenario in failed {
                    println!("  ✗ {}", scenario.name);
                    for check in run.failures.iter().filter(|f| f.scenario == scenario.name) {
                        println!("      {}: {}", check.check, one_line(&check.message));
                    }
                }
            }
        }
    }
}

/// The closing table, ending with an overall `Total:` line counting scored scenarios.
fn recap(outcomes: &[Outcome], selected: &[Suite]) -> String {
    let mut text = String::from("=== xtask: conformance summary (scored scenarios) ===\n");
    let mut passed = 0;
    let mut failed = 0;
    for suite in selected {
        let line = match outcomes.iter().find(|o| o.suite.key == suite.key) {
            None => "NOT RUN (an earlier suite failed; use --keep-going)".to_owned(),
            Some(Outcome {
                run: Err(error), ..
            }) => {
                failed += 1;
                format!("ERROR: {}", one_line(error))
            }
            Some(outcome @ Outcome { run: Ok(run), .. }) => {
                let bad = run.summary.required_failures().len();
                let good = run.summary.required_passes();
                passed += good;
                failed += bad;
                let unscored = run.summary.unscored_failures().len();
                let verdict = if outcome.ok() { "PASS" } else { "FAIL" };
                let mut line = format!("{verdict}  {good} passed, {bad} failed");
                if unscored > 0 {
                    let _ = write!(line, " ({unscored} unscored failing)");
                }
                let _ = write!(line, " in {:.1} s", run.seconds);
                if let Some(total) = &run.summary.total_line {
                    let _ = write!(line, "; suite says \"{total}\" (checks)");
                }
                if !run.problems.is_empty() {
                    failed += 1;
                    let _ = write!(line, "; {}", one_line(&run.problems.join("; ")));
                }
                line
            }
        };
        let _ = writeln!(text, "  {:<44} {line}", suite.label);
    }
    let _ = writeln!(text, "Total: {passed} passed, {failed} failed");
    text
}

/// The recap plus every failed check, for `.cache/conformance-latest.txt`.
fn full_report(outcomes: &[Outcome], recap: &str) -> String {
    let mut text = format!("{recap}\n");
    for outcome in outcomes {
        let Ok(run) = &outcome.run else { continue };
        let _ = writeln!(text, "## {}", outcome.suite.label);
        for problem in &run.problems {
            let _ = writeln!(text, "problem: {problem}");
        }
        for scenario in &run.summary.scenarios {
            let scored = !run.summary.not_scored.contains(&scenario.name);
            if scenario.ok {
                continue;
            }
            let tag = if scored { "FAIL" } else { "fail (not scored)" };
            let _ = writeln!(
                text,
                "{tag} {} ({} passed, {} failed checks)",
                scenario.name, scenario.passed, scenario.failed
            );
            for check in run.failures.iter().filter(|f| f.scenario == scenario.name) {
                let _ = writeln!(text, "    {}: {}", check.check, one_line(&check.message));
            }
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options() {
        let all = parse(&[]).unwrap();
        assert_eq!(all.suites.len(), 3);
        assert!(!all.keep_going && all.url.is_none());
        assert_eq!(all.timeout, Duration::from_secs(600));

        let one = parse(&argv(&[
            "--suite",
            "0.2-2025",
            "--suite",
            "0.2-2025",
            "--url",
            "http://127.0.0.1:9/mcp",
            "--keep-going",
        ]))
        .unwrap();
        let keys: Vec<&str> = one.suites.iter().map(|s| s.key).collect();
        assert_eq!(keys, ["0.2-2025"]);
        assert_eq!(one.url.as_deref(), Some("http://127.0.0.1:9/mcp"));
        assert!(one.keep_going);

        let error = parse(&argv(&["--suite", "0.3"])).unwrap_err().to_string();
        assert!(error.contains("0.1, 0.2-2026, 0.2-2025"), "{error}");
    }

    fn outcome(key: &str, stdout: &str, problems: Vec<String>) -> Outcome {
        let suite = *SUITES.iter().find(|s| s.key == key).unwrap();
        let summary = report::parse_summary(stdout);
        Outcome {
            suite,
            run: Ok(SuiteRun {
                summary,
                failures: Vec::new(),
                problems,
                seconds: 1.0,
            }),
        }
    }

    #[test]
    fn recap_counts_scored_scenarios_and_marks_unrun_suites() {
        let passing = "=== SUMMARY ===\n✓ ping: 1 passed, 0 failed\n✓ tools-list: 1 passed, 0 failed\nTotal: 2 passed, 0 failed\n";
        let failing = "=== SUMMARY ===\n✓ ping: 1 passed, 0 failed\n✗ caching: 1 passed, 1 failed\n✗ json: 0 passed, 1 failed\nTotal: 2 passed, 2 failed\n\nNot scored for 2026-07-28: 1 scenario(s) run, 1 failing.\n  ✗ json (pending)\n";
        let outcomes = vec![
            outcome("0.1", passing, Vec::new()),
            outcome("0.2-2026", failing, Vec::new()),
        ];
        assert!(outcomes[0].ok());
        assert!(!outcomes[1].ok());
        let text = recap(&outcomes, &SUITES);
        assert!(text.contains("PASS  2 passed, 0 failed"), "{text}");
        assert!(
            text.contains("FAIL  1 passed, 1 failed (1 unscored failing)"),
            "{text}"
        );
        assert!(text.contains("NOT RUN"), "{text}");
        assert!(text.ends_with("Total: 3 passed, 1 failed\n"), "{text}");
    }

    #[test]
    fn a_problem_fails_a_suite_without_failed_scenarios() {
        let passing = "=== SUMMARY ===\n✓ ping: 1 passed, 0 failed\nTotal: 1 passed, 0 failed\n";
        let outcome = outcome(
            "0.1",
            passing,
            vec!["conformance-server exited during the run".to_owned()],
        );
        assert!(!outcome.ok());
        let text = recap(std::slice::from_ref(&outcome), &SUITES[..1]);
        assert!(
            text.contains("FAIL") && text.contains("exited during the run"),
            "{text}"
        );
        assert!(text.ends_with("Total: 1 passed, 1 failed\n"), "{text}");
    }
}
