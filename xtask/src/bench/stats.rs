//! Numbers from samples and from `/proc`: percentiles, CPU time and peak RSS of a process.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};

/// The `p`-th percentile (0–100, nearest rank) of `samples`; zero when empty.
pub(crate) fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    sorted.get(index).copied().unwrap_or_default()
}

/// User plus system CPU time of `pid` so far (`/proc/<pid>/stat` fields 14 and 15).
pub(crate) fn cpu_time(pid: u32) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("cannot read /proc/{pid}/stat"))?;
    let ticks = cpu_ticks(&stat).with_context(|| format!("cannot parse /proc/{pid}/stat"))?;
    Ok(Duration::from_secs_f64(
        ticks as f64 / clock_ticks()? as f64,
    ))
}

/// utime + stime from a stat line; fields counted after the `)` closing the command name.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ")" field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// `getconf CLK_TCK` (100 on Linux almost everywhere).
fn clock_ticks() -> Result<u64> {
    let output = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .context("cannot run getconf CLK_TCK")?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .context("getconf CLK_TCK printed no number")
}

/// Peak resident set size of `pid` in KiB (`VmHWM` in `/proc/<pid>/status`).
pub(crate) fn peak_rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    vm_hwm(&status).with_context(|| format!("/proc/{pid}/status has no VmHWM"))
}

fn vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

/// A duration in the unit that reads best: µs below 10 ms, else ms.
pub(crate) fn human(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 10_000.0 {
        format!("{micros:.0} µs")
    } else {
        format!("{:.1} ms", micros / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let samples: Vec<Duration> = (1..=100).rev().map(Duration::from_micros).collect();
        let cases = [(50.0, 50), (99.0, 99), (100.0, 100), (0.0, 1), (1.0, 1)];
        for (p, expected) in cases {
            assert_eq!(
                percentile(&samples, p),
                Duration::from_micros(expected),
                "p{p}"
            );
        }
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
        assert_eq!(
            percentile(&[Duration::from_millis(3)], 99.0),
            Duration::from_millis(3)
        );
    }

    #[test]
    fn proc_fields() {
        let stat = "4242 (pxcloud mcp) S 1 4242 4242 0 -1 4194560 900 0 0 0 1234 56 0 0 20 0 3 0";
        assert_eq!(cpu_ticks(stat), Some(1290));
        assert_eq!(cpu_ticks("garbage"), None);
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t    8123 kB\nVmRSS:\t 7000 kB\n";
        assert_eq!(vm_hwm(status), Some(8123));
        assert_eq!(vm_hwm("Name: x\n"), None);
        // Our own process is readable.
        assert!(peak_rss_kib(std::process::id()).unwrap() > 0);
        assert!(cpu_time(std::process::id()).is_ok());
    }

    #[test]
    fn human_units() {
        assert_eq!(human(Duration::from_micros(85)), "85 µs");
        assert_eq!(human(Duration::from_micros(12_345)), "12.3 ms");
    }
}
