//! The Python SDK client under remote control: `e2e/driver.py` reads one JSON command per
//! line and answers each with one JSON line. This side sends commands and waits, with a
//! deadline, for the answer.

use std::fs::File;
use std::io::PipeWriter;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::proc::ChildGuard;

/// How the client reaches the server.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// Streamable HTTP at this URL.
    Url(String),
    /// The client spawns this server over stdio.
    Stdio {
        command: PathBuf,
        env: Vec<(String, String)>,
    },
}

/// A running `driver.py`; killed (with any stdio server it spawned) when dropped.
#[derive(Debug)]
pub(crate) struct Driver {
    process: ChildGuard,
    stdin: PipeWriter,
    answers: mpsc::Receiver<String>,
    timeout: Duration,
    log: PathBuf,
}

impl Driver {
    /// Starts the driver script with the venv's python; its stderr goes to `log`.
    pub(crate) fn start(python: &Path, log: &Path, timeout: Duration) -> Result<Self> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("e2e")
            .join("driver.py");
        let err = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        // Our own pipes: the guard owns the child, we keep the other ends.
        let (child_in, stdin) = std::io::pipe().context("cannot create a pipe")?;
        let (stdout, child_out) = std::io::pipe().context("cannot create a pipe")?;
        let mut command = Command::new(python);
        command
            .arg(&script)
            .stdin(Stdio::from(child_in))
            .stdout(Stdio::from(child_out))
            .stderr(err);
        let process = ChildGuard::spawn(&mut command, "the Python SDK driver")?;
        // The command holds the child's ends; drop them so EOF arrives when the child exits.
        drop(command);
        let (sender, answers) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            process,
            stdin,
            answers,
            timeout,
            log: log.to_path_buf(),
        })
    }

    /// Sends one command and returns its answer; an answer with `"ok": false` is an error
    /// carrying the client's message.
    pub(crate) fn send(&mut self, command: &Value) -> Result<Value> {
        let answer = self.exchange(command)?;
        if answer.get("ok").and_then(Value::as_bool) == Some(true) {
            Ok(answer)
        } else {
            let error = answer
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("no error text");
            bail!("the Python client reports: {error}")
        }
    }

    fn exchange(&mut self, command: &Value) -> Result<Value> {
        writeln!(self.stdin, "{command}")
            .and_then(|()| self.stdin.flush())
            .with_context(|| self.dead("cannot write to the driver"))?;
        loop {
            let line = match self.answers.recv_timeout(self.timeout) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Timeout) => bail!(
                    "{}",
                    self.dead(&format!(
                        "no answer from the Python client within {} s",
                        self.timeout.as_secs()
                    ))
                ),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    bail!("{}", self.dead("the Python client exited"))
                }
            };
            // Anything that is not one JSON object is noise from a library; skip it.
            if let Ok(value) = serde_json::from_str::<Value>(&line)
                && value.is_object()
            {
                return Ok(value);
            }
        }
    }

    fn dead(&mut self, what: &str) -> String {
        let status = match self.process.exited() {
            Ok(Some(status)) => format!(" ({status})"),
            _ => String::new(),
        };
        format!(
            "{what}{status}; last lines of {}:\n{}",
            self.log.display(),
            crate::workspace::tail(&self.log, 30)
        )
    }

    /// Connects a client; returns the handshake facts (`protocolVersion`, `handshake`, ...).
    pub(crate) fn connect(&mut self, target: &Target, mode: &str, elicit: bool) -> Result<Value> {
        let mut command = json!({"op": "connect", "mode": mode, "elicit": elicit});
        match target {
            Target::Url(url) => command["url"] = json!(url),
            Target::Stdio {
                command: program,
                env,
            } => {
                let env: serde_json::Map<String, Value> = env
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                command["stdio"] =
                    json!({"command": program.to_string_lossy(), "args": [], "env": env});
            }
        }
        self.send(&command)
    }

    /// Every tool object, all pages.
    pub(crate) fn list_tools(&mut self) -> Result<Vec<Value>> {
        let answer = self.send(&json!({"op": "list_tools"}))?;
        match answer.get("tools") {
            Some(Value::Array(tools)) => Ok(tools.clone()),
            _ => bail!("the driver's list_tools answer has no tools: {answer}"),
        }
    }

    /// Calls a tool; the user answers any question with `answer`. Returns the CallToolResult
    /// and the questions asked.
    pub(crate) fn call(&mut self, tool: &str, args: &Value, answer: &str) -> Result<Call> {
        let reply =
            self.send(&json!({"op": "call", "tool": tool, "args": args, "answer": answer}))?;
        let asked = reply
            .get("asked")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Call {
            result: reply.get("result").cloned().unwrap_or(Value::Null),
            asked,
        })
    }

    /// Closes the current client (a stdio server it spawned exits).
    pub(crate) fn close(&mut self) -> Result<()> {
        self.send(&json!({"op": "close"})).map(drop)
    }

    /// Asks the script to exit and stops it.
    pub(crate) fn quit(mut self) {
        let _ = writeln!(self.stdin, "{}", json!({"op": "quit"}));
        let _ = self.stdin.flush();
        self.process.stop();
    }
}

/// The outcome of one tool call.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The CallToolResult as JSON.
    pub(crate) result: Value,
    /// The questions the server asked the user (elicitation messages).
    pub(crate) asked: Vec<String>,
}

impl Call {
    pub(crate) fn is_error(&self) -> bool {
        self.result.get("isError").and_then(Value::as_bool) == Some(true)
    }

    /// `structuredContent`, or null.
    pub(crate) fn structured(&self) -> &Value {
        self.result.get("structuredContent").unwrap_or(&Value::Null)
    }

    /// All text content joined.
    pub(crate) fn text(&self) -> String {
        self.result
            .get("content")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }
}
