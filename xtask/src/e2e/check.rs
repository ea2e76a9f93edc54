//! Checks against the simulator's request log: what reached PXCloud during one step,
//! reduced to method, decoded path, query, status and fault, compared exactly.

use std::fmt;

use pxcloud_sim::LoggedRequest;
use serde_json::Value;

/// One request that reached the simulator.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hit {
    pub(crate) method: String,
    /// Percent-decoded path.
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) status: u16,
    pub(crate) fault: Option<String>,
    pub(crate) body: Option<Value>,
}

impl From<&LoggedRequest> for Hit {
    fn from(entry: &LoggedRequest) -> Self {
        Hit {
            method: entry.method.clone(),
            path: decode(&entry.path),
            query: entry.query.as_deref().map(decode),
            status: entry.status,
            fault: entry.fault.clone(),
            body: entry.body.clone(),
        }
    }
}

impl fmt::Display for Hit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if let Some(query) = &self.query {
            write!(f, "?{query}")?;
        }
        write!(f, " -> {}", self.status)?;
        if let Some(fault) = &self.fault {
            write!(f, " (injected {fault})")?;
        }
        Ok(())
    }
}

/// `method path -> status`, the shape of one expected request.
pub(crate) type Expected<'a> = (&'a str, &'a str, u16);

/// The log must hold exactly these requests, in this order.
pub(crate) fn exactly(hits: &[Hit], expected: &[Expected<'_>]) -> Result<(), String> {
    let matches = hits.len() == expected.len()
        && hits
            .iter()
            .zip(expected)
            .all(|(hit, (method, path, status))| {
                hit.method == *method && hit.path == *path && hit.status == *status
            });
    if matches {
        return Ok(());
    }
    let want: Vec<String> = expected
        .iter()
        .map(|(m, p, s)| format!("{m} {p} -> {s}"))
        .collect();
    Err(format!(
        "the simulator saw {} request(s) [{}], expected {} [{}]",
        hits.len(),
        list(hits),
        expected.len(),
        want.join("; ")
    ))
}

/// Every request must be a `method` on `path` or below it, answered 200; returns how many.
pub(crate) fn only_under(hits: &[Hit], method: &str, path: &str) -> Result<usize, String> {
    let below = format!("{path}/");
    let stray: Vec<&Hit> = hits
        .iter()
        .filter(|h| {
            h.method != method || h.status != 200 || !(h.path == path || h.path.starts_with(&below))
        })
        .collect();
    if hits.is_empty() {
        return Err(format!("no {method} {path} reached the simulator"));
    }
    if let Some(first) = stray.first() {
        return Err(format!(
            "unexpected request {first} among {} (only {method} {path}[/…] -> 200 expected)",
            hits.len()
        ));
    }
    Ok(hits.len())
}

/// The query of the request must contain `key=value` as one of its pairs.
pub(crate) fn query_has(hit: &Hit, key: &str, value: &str) -> Result<(), String> {
    let pair = format!("{key}={value}");
    let found = hit
        .query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|p| p == pair));
    if found {
        Ok(())
    } else {
        Err(format!("{hit} lacks the query parameter {pair}"))
    }
}

/// The JSON body of the request must have `key` equal to `value`.
pub(crate) fn body_has(hit: &Hit, key: &str, value: &Value) -> Result<(), String> {
    match hit.body.as_ref().and_then(|b| b.get(key)) {
        Some(found) if found == value => Ok(()),
        found => Err(format!(
            "{hit}: body field {key} is {}, expected {value}",
            found.map_or_else(|| "missing".to_owned(), Value::to_string)
        )),
    }
}

/// The hits on one line each, for messages.
pub(crate) fn list(hits: &[Hit]) -> String {
    hits.iter()
        .map(Hit::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Percent-decoding (`%3A` → `:`); invalid escapes are kept as they are.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes.get(i).copied().unwrap_or_default();
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (byte, hex) {
            (b'%', Some(value)) => {
                out.push(value);
                i += 3;
            }
            _ => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn hit(method: &str, path: &str, status: u16) -> Hit {
        Hit {
            method: method.to_owned(),
            path: path.to_owned(),
            query: None,
            status,
            fault: None,
            body: None,
        }
    }

    #[test]
    fn decoding() {
        let cases = [
            (
                "/api/vms/cluster1%3Apve1%3A100",
                "/api/vms/cluster1:pve1:100",
            ),
            ("/plain", "/plain"),
            ("/bad%zz%4", "/bad%zz%4"),
            ("a%20b", "a b"),
        ];
        for (input, expected) in cases {
            assert_eq!(decode(input), expected, "{input}");
        }
    }

    #[test]
    fn exact_lists() {
        let hits = vec![
            hit("GET", "/api/vms/x", 401),
            hit("POST", "/api/auth/login", 200),
            hit("GET", "/api/vms/x", 200),
        ];
        let want = [
            ("GET", "/api/vms/x", 401),
            ("POST", "/api/auth/login", 200),
            ("GET", "/api/vms/x", 200),
        ];
        assert_eq!(exactly(&hits, &want), Ok(()));
        assert!(exactly(&hits, &want[..2]).is_err(), "one too many");
        assert!(exactly(&hits[..2], &want).is_err(), "one too few");
        let wrong = [
            ("GET", "/api/vms/x", 401),
            ("POST", "/api/auth/login", 200),
            ("GET", "/api/vms/x", 503),
        ];
        let error = exactly(&hits, &wrong).unwrap_err();
        assert!(error.contains("saw 3 request(s)"), "{error}");
        assert_eq!(exactly(&[], &[]), Ok(()));
        assert!(exactly(&[], &want[..1]).unwrap_err().contains("saw 0"));
    }

    #[test]
    fn only_under_a_path() {
        let tasks = vec![
            hit("GET", "/api/tasks/T1", 200),
            hit("GET", "/api/tasks/T1/log", 200),
        ];
        assert_eq!(only_under(&tasks, "GET", "/api/tasks/T1"), Ok(2));
        assert!(only_under(&[], "GET", "/api/tasks/T1").is_err());
        let stray = vec![
            hit("GET", "/api/tasks/T1", 200),
            hit("POST", "/api/vms", 200),
        ];
        assert!(only_under(&stray, "GET", "/api/tasks/T1").is_err());
        let sibling = vec![hit("GET", "/api/tasks/T10", 200)];
        assert!(only_under(&sibling, "GET", "/api/tasks/T1").is_err());
        let failed = vec![hit("GET", "/api/tasks/T1", 503)];
        assert!(only_under(&failed, "GET", "/api/tasks/T1").is_err());
    }

    #[test]
    fn query_and_body() {
        let mut h = hit("GET", "/api/nodes", 200);
        h.query = Some("min_cpu_percent=85&page=1".to_owned());
        assert_eq!(query_has(&h, "min_cpu_percent", "85"), Ok(()));
        assert!(query_has(&h, "min_cpu_percent", "8").is_err());
        assert!(query_has(&hit("GET", "/", 200), "a", "b").is_err());
        h.body = Some(json!({"target_node": "pve2"}));
        assert_eq!(body_has(&h, "target_node", &json!("pve2")), Ok(()));
        assert!(body_has(&h, "target_node", &json!("pve3")).is_err());
        assert!(
            body_has(&h, "online", &json!(true))
                .unwrap_err()
                .contains("missing")
        );
    }

    #[test]
    fn display() {
        let mut h = hit("GET", "/api/vms", 503);
        h.query = Some("status=running".to_owned());
        h.fault = Some("fail_next".to_owned());
        assert_eq!(
            h.to_string(),
            "GET /api/vms?status=running -> 503 (injected fail_next)"
        );
    }
}
