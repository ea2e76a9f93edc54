//! Reading what a conformance suite run produced: the `=== SUMMARY ===` block and the
//! "Not scored" list on stdout, and the per-scenario `checks.json` files of `-o DIR`.

use std::collections::BTreeSet;
use std::path::Path;

/// One `✓ name: N passed, M failed` line of the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scenario {
    pub(crate) name: String,
    pub(crate) passed: u32,
    pub(crate) failed: u32,
    pub(crate) ok: bool,
}

/// Everything the suite printed that decides the verdict.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) scenarios: Vec<Scenario>,
    /// Scenarios the suite ran but does not score for the requested revision.
    pub(crate) not_scored: BTreeSet<String>,
    /// The suite's own `Total: N passed, M failed` line (it counts checks, not scenarios).
    pub(crate) total_line: Option<String>,
}

impl Summary {
    /// Scenarios that count and failed.
    pub(crate) fn required_failures(&self) -> Vec<&Scenario> {
        self.scenarios
            .iter()
            .filter(|s| !s.ok && !self.not_scored.contains(&s.name))
            .collect()
    }

    /// Scenarios that count and passed.
    pub(crate) fn required_passes(&self) -> usize {
        self.scenarios
            .iter()
            .filter(|s| s.ok && !self.not_scored.contains(&s.name))
            .count()
    }

    /// Scenarios that do not count and failed (shown, never fatal).
    pub(crate) fn unscored_failures(&self) -> Vec<&Scenario> {
        self.scenarios
            .iter()
            .filter(|s| !s.ok && self.not_scored.contains(&s.name))
            .collect()
    }
}

/// Parses the suite's stdout.
pub(crate) fn parse_summary(stdout: &str) -> Summary {
    let mut summary = Summary::default();
    let mut in_summary = false;
    let mut in_not_scored = false;
    for raw in stdout.lines() {
        let line = raw.trim();
        if line == "=== SUMMARY ===" {
            in_summary = true;
            in_not_scored = false;
            continue;
        }
        if line.starts_with("Total:") {
            summary.total_line = Some(line.to_owned());
            in_summary = false;
            continue;
        }
        if line.starts_with("Not scored") {
            in_not_scored = true;
            continue;
        }
        if in_summary {
            if let Some(scenario) = parse_scenario_line(line) {
                summary.scenarios.push(scenario);
            }
        } else if in_not_scored {
            // `✗ tasks-lifecycle (extension)`
            match strip_mark(line) {
                Some((_, rest)) => {
                    let name = rest.split_whitespace().next().unwrap_or_default();
                    if !name.is_empty() {
                        summary.not_scored.insert(name.to_owned());
                    }
                }
                None if line.is_empty() => {}
                None => in_not_scored = false,
            }
        }
    }
    summary
}

/// The scenario of the last `=== Running scenario: NAME ===` line: on a timeout, the one
/// that hung.
pub(crate) fn last_started_scenario(stdout: &str) -> Option<&str> {
    stdout.lines().rev().find_map(|line| {
        line.trim()
            .strip_prefix("=== Running scenario: ")?
            .strip_suffix(" ===")
            .map(str::trim)
    })
}

/// `✓ tools-list: 3 passed, 0 failed` (a `, K warnings` tail is tolerated).
fn parse_scenario_line(line: &str) -> Option<Scenario> {
    let (ok, rest) = strip_mark(line)?;
    let (name, counts) = rest.rsplit_once(": ")?;
    let mut passed = None;
    let mut failed = None;
    for part in counts.split(',') {
        let mut words = part.split_whitespace();
        let number = words.next()?.parse::<u32>().ok()?;
        match words.next()? {
            "passed" => passed = Some(number),
            "failed" => failed = Some(number),
            _ => {}
        }
    }
    Some(Scenario {
        name: name.trim().to_owned(),
        passed: passed?,
        failed: failed?,
        ok,
    })
}

fn strip_mark(line: &str) -> Option<(bool, &str)> {
    if let Some(rest) = line.strip_prefix('✓') {
        Some((true, rest.trim_start()))
    } else {
        line.strip_prefix('✗')
            .map(|rest| (false, rest.trim_start()))
    }
}

/// One failed check read from a scenario's `checks.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckFailure {
    pub(crate) scenario: String,
    pub(crate) check: String,
    pub(crate) message: String,
}

/// Reads every `<dir>/server-<scenario>-<timestamp>/checks.json` and returns the checks
/// whose status is `FAILURE`, sorted by scenario. Unreadable files become a failure entry
/// of their own rather than vanishing.
pub(crate) fn collect_failures(dir: &Path) -> Vec<CheckFailure> {
    let mut failures = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return failures;
    };
    for entry in entries.flatten() {
        let folder = entry.file_name().to_string_lossy().into_owned();
        let scenario = scenario_of_folder(&folder).unwrap_or(&folder).to_owned();
        let path = entry.path().join("checks.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(checks) => failures.extend(failed_checks(&scenario, &checks)),
            Err(error) => failures.push(CheckFailure {
                scenario,
                check: "checks.json".to_owned(),
                message: format!("unreadable {}: {error}", path.display()),
            }),
        }
    }
    failures.sort_by(|a, b| (&a.scenario, &a.check).cmp(&(&b.scenario, &b.check)));
    failures
}

fn failed_checks(scenario: &str, checks: &serde_json::Value) -> Vec<CheckFailure> {
    let Some(list) = checks.as_array() else {
        return Vec::new();
    };
    list.iter()
        .filter(|check| check.get("status").and_then(|s| s.as_str()) == Some("FAILURE"))
        .map(|check| {
            let text = |key: &str| check.get(key).and_then(|v| v.as_str()).map(str::to_owned);
            CheckFailure {
                scenario: scenario.to_owned(),
                check: text("id")
                    .or_else(|| text("name"))
                    .unwrap_or_else(|| "?".to_owned()),
                message: text("errorMessage")
                    .or_else(|| text("description"))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// `server-tools-call-image-2026-11-26T00-54-46-502Z` → `tools-call-image`.
fn scenario_of_folder(folder: &str) -> Option<&str> {
    const STAMP: usize = "-2026-11-26T00-54-46-502Z".len();
    let rest = folder.strip_prefix("server-")?;
    let split = rest.len().checked_sub(STAMP)?;
    let (name, stamp) = (rest.get(..split)?, rest.get(split..)?);
    let looks_like_stamp =
        stamp.starts_with('-') && stamp.ends_with('Z') && stamp.get(11..12) == Some("T");
    (looks_like_stamp && !name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from a real 0.2.0-alpha.12 `--requirements 2026-07-28` run.
    const SUITE_02: &str = "\
Running requirements 2026-07-28 (50 scenarios) against http://127.0.0.1:39111/mcp

=== Running scenario: server-stateless ===
Running client scenario 'server-stateless' against server: http://127.0.0.1:39111/mcp

=== SUMMARY ===
✗ server-stateless: 25 passed, 2 failed
✓ tools-list: 3 passed, 0 failed
✓ tasks-status-notifications: 0 passed, 0 failed
✗ tasks-lifecycle: 2 passed, 7 failed
✗ json-schema-2020-12: 1 passed, 1 failed
✓ http-header-validation: 14 passed, 0 failed

Total: 45 passed, 10 failed

Not scored for 2026-07-28: 4 scenario(s) run, 2 failing. These do not affect conformance.
  ✗ tasks-lifecycle (extension)
  ✓ tasks-status-notifications (extension)
  ✗ json-schema-2020-12 (pending)
  ✓ http-header-validation (pending)
";

    /// Trimmed from a real 0.1.16 active-suite run.
    const SUITE_01: &str = "\
Running active suite (30 scenarios) against http://127.0.0.1:39111/mcp

=== SUMMARY ===
✓ server-initialize: 1 passed, 0 failed
✗ logging-set-level: 0 passed, 1 failed
✓ dns-rebinding-protection: 2 passed, 0 failed

Total: 3 passed, 1 failed
";

    fn scenario(name: &str, passed: u32, failed: u32, ok: bool) -> Scenario {
        Scenario {
            name: name.to_owned(),
            passed,
            failed,
            ok,
        }
    }

    #[test]
    fn parses_the_01_summary() {
        let summary = parse_summary(SUITE_01);
        assert_eq!(
            summary.scenarios,
            [
                scenario("server-initialize", 1, 0, true),
                scenario("logging-set-level", 0, 1, false),
                scenario("dns-rebinding-protection", 2, 0, true)
            ]
        );
        assert!(summary.not_scored.is_empty());
        assert_eq!(
            summary.total_line.as_deref(),
            Some("Total: 3 passed, 1 failed")
        );
        let failed: Vec<&str> = summary
            .required_failures()
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(failed, ["logging-set-level"]);
        assert_eq!(summary.required_passes(), 2);
    }

    #[test]
    fn unscored_failures_do_not_count() {
        let summary = parse_summary(SUITE_02);
        assert_eq!(summary.scenarios.len(), 6);
        let expected: BTreeSet<String> = [
            "tasks-lifecycle",
            "tasks-status-notifications",
            "json-schema-2020-12",
            "http-header-validation",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        assert_eq!(summary.not_scored, expected);
        let required: Vec<&str> = summary
            .required_failures()
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(required, ["server-stateless"]);
        let unscored: Vec<&str> = summary
            .unscored_failures()
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(unscored, ["tasks-lifecycle", "json-schema-2020-12"]);
        assert_eq!(summary.required_passes(), 1);
    }

    #[test]
    fn empty_or_foreign_output_has_no_scenarios() {
        for text in [
            "",
            "Error: connect ECONNREFUSED 127.0.0.1:1\n",
            "✓ outside: 1 passed, 0 failed\n",
        ] {
            let summary = parse_summary(text);
            assert!(summary.scenarios.is_empty(), "{text:?}");
            assert!(summary.total_line.is_none());
        }
    }

    #[test]
    fn the_scenario_that_hung() {
        let stdout = "=== Running scenario: ping ===\nok\n=== Running scenario: tools-call-with-progress ===\nRunning client scenario\n";
        assert_eq!(
            last_started_scenario(stdout),
            Some("tools-call-with-progress")
        );
        assert_eq!(last_started_scenario(SUITE_01), None);
    }

    #[test]
    fn scenario_lines() {
        let cases = [
            (
                "✓ ping: 1 passed, 0 failed",
                Some(scenario("ping", 1, 0, true)),
            ),
            (
                "✗ caching: 6 passed, 1 failed, 2 warnings",
                Some(scenario("caching", 6, 1, false)),
            ),
            ("✗ broken line", None),
            ("ping: 1 passed, 0 failed", None),
            ("✓ x: many passed, 0 failed", None),
        ];
        for (line, expected) in cases {
            assert_eq!(parse_scenario_line(line), expected, "{line}");
        }
    }

    #[test]
    fn folder_names() {
        let cases = [
            (
                "server-tools-call-image-2026-11-26T00-54-46-502Z",
                Some("tools-call-image"),
            ),
            ("server-ping-2026-01-02T03-04-05-006Z", Some("ping")),
            ("server-2026-01-02T03-04-05-006Z", None),
            ("client-ping-2026-01-02T03-04-05-006Z", None),
            ("server-ping", None),
        ];
        for (folder, expected) in cases {
            assert_eq!(scenario_of_folder(folder), expected, "{folder}");
        }
    }

    #[test]
    fn collects_failed_checks_from_result_folders() {
        let dir = std::env::temp_dir().join(format!("xtask-report-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let image = dir.join("server-tools-call-image-2026-11-26T00-54-46-502Z");
        let ping = dir.join("server-ping-2026-11-26T00-54-46-600Z");
        let broken = dir.join("server-caching-2026-11-26T00-54-46-700Z");
        for folder in [&image, &ping, &broken] {
            std::fs::create_dir_all(folder).unwrap();
        }
        std::fs::write(
            image.join("checks.json"),
            r#"[{"id":"tools-call-image","status":"FAILURE","errorMessage":"No image content found"},
                {"id":"wire-schema-valid","status":"SUCCESS"}]"#,
        )
        .unwrap();
        std::fs::write(
            ping.join("checks.json"),
            r#"[{"id":"ping","status":"SUCCESS"}]"#,
        )
        .unwrap();
        std::fs::write(broken.join("checks.json"), "[{").unwrap();

        let failures = collect_failures(&dir);
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert_eq!(failures[0].scenario, "caching");
        assert!(failures[0].message.starts_with("unreadable"));
        assert_eq!(
            failures[1],
            CheckFailure {
                scenario: "tools-call-image".to_owned(),
                check: "tools-call-image".to_owned(),
                message: "No image content found".to_owned()
            }
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(collect_failures(&dir).is_empty());
    }
}
