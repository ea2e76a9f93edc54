//! Judging one client run: the client script prints one JSON line describing what it saw;
//! this decides whether that is what the fixture must produce.

use serde_json::Value;

/// What the xtask expects of the server.
#[derive(Debug, Clone)]
pub(crate) struct Expectation {
    /// A tool that must be listed and is then called with no arguments.
    pub(crate) tool: String,
    /// The exact text the call must return as a `text` content item.
    pub(crate) text: String,
}

/// The verdict on one run, with the facts worth showing in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) pass: bool,
    pub(crate) sdk_version: String,
    pub(crate) handshake: String,
    pub(crate) protocol_version: String,
    pub(crate) tool_count: Option<usize>,
    /// Why it failed, or a note worth reading on a pass.
    pub(crate) detail: String,
}

/// Finds the client's report: the last stdout line that is a JSON object.
pub(crate) fn find_report(stdout: &str) -> Option<Value> {
    stdout
        .lines()
        .rev()
        .filter(|line| line.trim_start().starts_with('{'))
        .find_map(|line| {
            serde_json::from_str::<Value>(line)
                .ok()
                .filter(Value::is_object)
        })
}

/// Judges a client's report. `default_handshake` names the handshake a client that does
/// not report one always uses (the TypeScript SDK 1.x only speaks `initialize`).
pub(crate) fn judge(report: &Value, expect: &Expectation, default_handshake: &str) -> Verdict {
    let text = |key: &str| report.get(key).and_then(Value::as_str).map(str::to_owned);
    let tools: Option<Vec<&str>> = report
        .get("tools")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect());
    let mut verdict = Verdict {
        pass: false,
        sdk_version: text("sdkVersion").unwrap_or_else(|| "?".to_owned()),
        // A client that never got a version never finished a handshake either.
        handshake: text("handshake").unwrap_or_else(|| {
            let connected = report.get("protocolVersion").is_some();
            if connected { default_handshake } else { "-" }.to_owned()
        }),
        protocol_version: text("protocolVersion").unwrap_or_else(|| "-".to_owned()),
        tool_count: tools.as_ref().map(Vec::len),
        detail: String::new(),
    };
    if report.get("ok").and_then(Value::as_bool) != Some(true) {
        let step = text("step").unwrap_or_else(|| "?".to_owned());
        let error = text("error").unwrap_or_else(|| "no error text".to_owned());
        verdict.detail = format!("failed at {step}: {error}");
        return verdict;
    }
    match &tools {
        None => {
            verdict.detail = "the report has no tool list".to_owned();
            return verdict;
        }
        Some(names) if !names.contains(&expect.tool.as_str()) => {
            verdict.detail = format!(
                "tools/list lacks {} (has {})",
                expect.tool,
                names.join(", ")
            );
            return verdict;
        }
        Some(_) => {}
    }
    match check_call_result(report.get("callResult"), expect) {
        Err(problem) => verdict.detail = format!("tools/call {}: {problem}", expect.tool),
        Ok(()) => {
            verdict.pass = true;
            verdict.detail = format!("{} returned the expected text", expect.tool);
        }
    }
    verdict
}

fn check_call_result(result: Option<&Value>, expect: &Expectation) -> Result<(), String> {
    let result = result.ok_or("no result in the report")?;
    if result.get("isError").and_then(Value::as_bool) == Some(true) {
        return Err(format!("isError is true: {}", compact(result)));
    }
    let content = result
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("no content array: {}", compact(result)))?;
    let texts: Vec<&str> = content
        .iter()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|item| item.get("text").and_then(Value::as_str))
        .collect();
    if texts.contains(&expect.text.as_str()) {
        Ok(())
    } else if texts.is_empty() {
        Err(format!("no text content: {}", compact(result)))
    } else {
        Err(format!("text {texts:?}, expected {:?}", expect.text))
    }
}

/// A JSON value on one line, cut to a readable length.
fn compact(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const TEXT: &str = "This is a simple text response for testing.";

    fn expect() -> Expectation {
        Expectation {
            tool: "test_simple_text".to_owned(),
            text: TEXT.to_owned(),
        }
    }

    fn good() -> Value {
        json!({
            "client": "python", "sdkVersion": "2.3.0", "ok": true, "step": "done",
            "protocolVersion": "2026-07-28", "handshake": "server/discover",
            "tools": ["test_image_content", "test_simple_text"],
            "callResult": {"content": [{"type": "text", "text": TEXT}], "isError": false}
        })
    }

    fn with(mut base: Value, pointer: &str, value: Value) -> Value {
        match base.pointer_mut(pointer) {
            Some(slot) => *slot = value,
            None => panic!("no {pointer} in the base report"),
        }
        base
    }

    #[test]
    fn verdicts() {
        // (report, pass, a piece of the detail)
        let cases = vec![
            (good(), true, "returned the expected text"),
            (with(good(), "/ok", json!(false)), false, "failed at done"),
            (
                json!({"ok": false, "step": "initialize", "error": "ConnectError: refused"}),
                false,
                "failed at initialize: ConnectError: refused",
            ),
            (
                with(good(), "/tools", json!(["other"])),
                false,
                "tools/list lacks test_simple_text (has other)",
            ),
            (
                with(good(), "/callResult/isError", json!(true)),
                false,
                "isError is true",
            ),
            (
                with(
                    good(),
                    "/callResult/content",
                    json!([{"type": "text", "text": "nope"}]),
                ),
                false,
                "expected",
            ),
            (
                with(
                    good(),
                    "/callResult/content",
                    json!([{"type": "image", "data": "", "mimeType": "image/png"}]),
                ),
                false,
                "no text content",
            ),
            (
                with(good(), "/callResult", json!({})),
                false,
                "no content array",
            ),
            (
                with(
                    good(),
                    "/callResult/content",
                    json!([{"type": "image", "data": ""}, {"type": "text", "text": TEXT}]),
                ),
                true,
                "expected text",
            ),
        ];
        for (report, pass, detail) in cases {
            let verdict = judge(&report, &expect(), "initialize");
            assert_eq!(verdict.pass, pass, "{report}: {verdict:?}");
            assert!(verdict.detail.contains(detail), "{report}: {verdict:?}");
        }
    }

    #[test]
    fn facts_for_the_table() {
        let verdict = judge(&good(), &expect(), "initialize");
        assert_eq!(verdict.handshake, "server/discover");
        assert_eq!(verdict.protocol_version, "2026-07-28");
        assert_eq!(verdict.sdk_version, "2.3.0");
        assert_eq!(verdict.tool_count, Some(2));

        let mut ts = good();
        if let Some(map) = ts.as_object_mut() {
            map.remove("handshake");
        }
        assert_eq!(judge(&ts, &expect(), "initialize").handshake, "initialize");
        let refused = json!({"ok": false, "step": "initialize", "error": "fetch failed"});
        assert_eq!(judge(&refused, &expect(), "initialize").handshake, "-");
    }

    #[test]
    fn finds_the_last_json_line() {
        let stdout = "warning: noise\n{\"ok\": false}\n{not json\n{\"ok\": true}\n   \n";
        assert_eq!(find_report(stdout), Some(json!({"ok": true})));
        assert_eq!(find_report("no json here\n[1,2]\n"), None);
    }
}
