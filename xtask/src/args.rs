//! A tiny flag parser: `--name value`, `--name=value` and bare `--switch`, nothing positional.
//!
//! The tasks have a handful of options each; a parser dependency would cost more build time
//! than this file.

use anyhow::{Result, bail};

/// The remaining, not yet consumed arguments of one task.
#[derive(Debug)]
pub(crate) struct Args {
    items: Vec<String>,
}

impl Args {
    pub(crate) fn new(argv: &[String]) -> Self {
        // Split `--name=value` up front so both spellings are handled alike.
        let mut items = Vec::with_capacity(argv.len());
        for arg in argv {
            match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => {
                    items.push(name.to_owned());
                    items.push(value.to_owned());
                }
                _ => items.push(arg.clone()),
            }
        }
        Self { items }
    }

    /// Removes `--name` and reports whether it was there.
    pub(crate) fn switch(&mut self, name: &str) -> bool {
        let before = self.items.len();
        self.items.retain(|item| item != name);
        before != self.items.len()
    }

    /// Removes every `--name VALUE` and returns the values in order.
    pub(crate) fn values(&mut self, name: &str) -> Result<Vec<String>> {
        let mut found = Vec::new();
        let mut rest = Vec::with_capacity(self.items.len());
        let mut items = std::mem::take(&mut self.items).into_iter();
        while let Some(item) = items.next() {
            if item == name {
                match items.next() {
                    Some(value) => found.push(value),
                    None => bail!("option {name} needs a value"),
                }
            } else {
                rest.push(item);
            }
        }
        self.items = rest;
        Ok(found)
    }

    /// Removes `--name VALUE`; an error if it was given twice.
    pub(crate) fn value(&mut self, name: &str) -> Result<Option<String>> {
        let mut values = self.values(name)?;
        match values.len() {
            0 => Ok(None),
            1 => Ok(values.pop()),
            _ => bail!("option {name} given more than once"),
        }
    }

    /// Removes `--name SECS` as a number of seconds, with a default.
    pub(crate) fn seconds(&mut self, name: &str, default: u64) -> Result<std::time::Duration> {
        let secs = match self.value(name)? {
            None => default,
            Some(text) => match text.parse::<u64>() {
                Ok(secs) if secs > 0 => secs,
                _ => bail!("option {name} wants a positive number of seconds, got `{text}`"),
            },
        };
        Ok(std::time::Duration::from_secs(secs))
    }

    /// Fails on anything left over, naming it.
    pub(crate) fn finish(self) -> Result<()> {
        if let Some(first) = self.items.first() {
            bail!("unexpected argument `{first}` (see `cargo xtask help`)");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Args {
        let owned: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
        Args::new(&owned)
    }

    #[test]
    fn parses_switches_values_and_equals_form() {
        let mut a = args(&[
            "--keep-going",
            "--suite=0.1",
            "--url",
            "http://x/mcp",
            "--client",
            "a",
            "--client",
            "b",
        ]);
        assert!(a.switch("--keep-going"));
        assert!(!a.switch("--release"));
        assert_eq!(a.value("--suite").unwrap().as_deref(), Some("0.1"));
        assert_eq!(a.value("--url").unwrap().as_deref(), Some("http://x/mcp"));
        assert_eq!(a.values("--client").unwrap(), ["a", "b"]);
        a.finish().unwrap();
    }

    #[test]
    fn rejects_leftovers_missing_values_and_duplicates() {
        let a = args(&["--bogus"]);
        assert!(a.finish().unwrap_err().to_string().contains("--bogus"));
        let mut a = args(&["--url"]);
        assert!(
            a.value("--url")
                .unwrap_err()
                .to_string()
                .contains("needs a value")
        );
        let mut a = args(&["--suite", "a", "--suite", "b"]);
        assert!(a.value("--suite").is_err());
    }

    #[test]
    fn seconds_default_and_validation() {
        let cases: &[(&[&str], Option<u64>)] = &[
            (&[], Some(7)),
            (&["--timeout", "30"], Some(30)),
            (&["--timeout", "0"], None),
            (&["--timeout", "x"], None),
        ];
        for (input, expected) in cases {
            let got = args(input)
                .seconds("--timeout", 7)
                .ok()
                .map(|d| d.as_secs());
            assert_eq!(got, *expected, "input {input:?}");
        }
    }
}
