//! The user stories of one run (one transport, one handshake mode), each checked against
//! what the simulator received. Prints the transcript as it goes.

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow, bail};
use pxcloud_sim::Sim;
use serde_json::{Value, json};

use super::check::{self, Hit};
use super::driver::{Call, Driver, Target};
use crate::text::one_line;

/// The VM of the stories.
pub(crate) const VM: &str = "cluster1:pve1:100";
const TARGET_NODE: &str = "pve2";
const TARGET_STORAGE: &str = "local-ssd";
/// A VM the user refuses to delete.
const KEEP_VM: &str = "cluster1:pve2:201";
const MODERN: &str = "2026-07-28";

/// The operations the stories use, found in tools/list by their HTTP binding (`_meta`).
const OPERATIONS: [(&str, &str, &str); 6] = [
    ("list_vms", "GET", "/api/vms"),
    ("get_vm", "GET", "/api/vms/{id}"),
    ("delete_vm", "DELETE", "/api/vms/{id}"),
    ("migrate_vm", "POST", "/api/vms/{id}/migrate"),
    ("console_share", "POST", "/api/vms/{id}/console-share"),
    ("list_nodes", "GET", "/api/nodes"),
];
/// The workflow tool has no HTTP binding; its name is part of the server's interface.
const WAIT_TASK: &str = "pxcloud_wait_task";

/// One step's verdict.
#[derive(Debug, Clone)]
pub(crate) struct StepResult {
    pub(crate) name: String,
    pub(crate) error: Option<String>,
}

/// Runs the stories of one run; the returned list has one entry per step.
pub(crate) fn run(driver: &mut Driver, sim: &Sim, target: &Target, mode: &str) -> Vec<StepResult> {
    let mut story = Story {
        driver,
        sim,
        results: Vec::new(),
        tools: BTreeMap::new(),
        task_id: None,
        migrated_id: None,
    };
    story.unapproved(target, mode);
    story.approved(target, mode);
    story.results
}

/// One step of the stories.
type Step<'a> = fn(&mut Story<'a>) -> Result<()>;

struct Story<'a> {
    driver: &'a mut Driver,
    sim: &'a Sim,
    results: Vec<StepResult>,
    /// Operation key (see [`OPERATIONS`]) → tool name.
    tools: BTreeMap<&'static str, String>,
    task_id: Option<String>,
    migrated_id: Option<String>,
}

impl Story<'_> {
    fn record(&mut self, name: &str, outcome: Result<()>) {
        let error = match outcome {
            Ok(()) => {
                println!("    PASS");
                None
            }
            Err(error) => {
                let text = format!("{error:#}");
                println!("    FAIL: {text}");
                Some(text)
            }
        };
        self.results.push(StepResult {
            name: name.to_owned(),
            error,
        });
    }

    /// What reached the simulator since the last call, then forgets it.
    fn hits(&self) -> Vec<Hit> {
        let log = self.sim.log();
        let hits: Vec<Hit> = log.entries().iter().map(Hit::from).collect();
        log.clear();
        if hits.is_empty() {
            println!("    sim: (nothing reached PXCloud)");
        }
        for hit in &hits {
            println!("    sim: {hit}");
        }
        hits
    }

    fn tool(&self, key: &str) -> Result<String> {
        self.tools
            .get(key)
            .cloned()
            .ok_or_else(|| anyhow!("tools/list has no tool for the {key} operation"))
    }

    fn call(&mut self, tool: &str, args: &Value, answer: &str) -> Result<Call> {
        println!("    -> {tool} {args}");
        let call = self.driver.call(tool, args, answer)?;
        for question in &call.asked {
            println!("    ? server asks the user: {}", one_line(question));
            println!("    ! user answers: {answer}");
        }
        let summary = call
            .structured()
            .get("summary")
            .and_then(Value::as_str)
            .map_or_else(|| first_line(&call.text()), str::to_owned);
        let verdict = if call.is_error() { "error" } else { "ok" };
        println!("    <- {verdict}: {}", one_line(&summary));
        Ok(call)
    }

    fn connect(&mut self, target: &Target, mode: &str, elicit: bool) -> Result<()> {
        let facts = self.driver.connect(target, mode, elicit)?;
        let version = facts
            .get("protocolVersion")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let handshake = facts
            .get("handshake")
            .and_then(Value::as_str)
            .unwrap_or("?");
        println!(
            "    connected: {handshake} -> protocol {version} (elicitation {})",
            if elicit { "declared" } else { "not declared" }
        );
        match mode {
            "auto" if handshake != "server/discover" || version != MODERN => {
                bail!(
                    "auto mode should negotiate {MODERN} through server/discover, got {handshake} -> {version}"
                )
            }
            "legacy" if handshake != "initialize" || version == MODERN => {
                bail!(
                    "legacy mode should use initialize and a pre-2026 version, got {handshake} -> {version}"
                )
            }
            _ => {}
        }
        // Start-up traffic (login, spec) is not part of any story.
        self.sim.log().clear();
        Ok(())
    }

    /// A client that cannot ask its user: the destructive call is refused, nothing sent.
    fn unapproved(&mut self, target: &Target, mode: &str) {
        println!("  client without elicitation");
        let outcome = self.connect(target, mode, false);
        let connected = outcome.is_ok();
        self.record("connect (no elicitation)", outcome);
        if !connected {
            return;
        }
        println!(
            "  user: \"Migrate VM {VM} to node {TARGET_NODE} with storage {TARGET_STORAGE}\" (no way to ask for approval)"
        );
        let outcome = (|| {
            let tools = self.driver.list_tools()?;
            let migrate = find(&tools, "POST", "/api/vms/{id}/migrate")?;
            self.sim.log().clear();
            let call = self.call(&migrate, &migrate_args(), "decline")?;
            let hits = self.hits();
            if !call.is_error() || !call.text().contains("confirmation_required") {
                bail!(
                    "expected a confirmation_required refusal, got: {}",
                    first_line(&call.text())
                );
            }
            check::exactly(&hits, &[]).map_err(anyhow::Error::msg)
        })();
        self.record("migrate refused without approval", outcome);
        if let Err(error) = self.driver.close() {
            self.record("close", Err(error));
        }
    }

    fn approved(&mut self, target: &Target, mode: &str) {
        println!("  client with elicitation (the user approves or declines)");
        let outcome = self.connect(target, mode, true);
        let connected = outcome.is_ok();
        self.record("connect (elicitation)", outcome);
        if !connected {
            return;
        }
        let steps: [(&str, Step<'_>); 9] = [
            ("tools/list", Self::list_tools),
            ("list running VMs", Self::running_vms),
            ("console share link", Self::console_share),
            ("migrate approved through elicitation", Self::migrate),
            ("wait for the migration task", Self::wait_task),
            ("nodes with high CPU", Self::busy_nodes),
            ("token revoked mid-session", Self::revoked_token),
            ("burst of 503s retried", Self::burst_503),
            ("declined destructive call not sent", Self::declined),
        ];
        for (name, step) in steps {
            let outcome = step(self);
            self.record(name, outcome);
        }
        if let Err(error) = self.driver.close() {
            self.record("close", Err(error));
        }
    }

    fn list_tools(&mut self) -> Result<()> {
        println!("  (the client lists the tools)");
        let tools = self.driver.list_tools()?;
        println!("    <- {} tools", tools.len());
        for (key, method, path) in OPERATIONS {
            self.tools.insert(key, find(&tools, method, path)?);
        }
        if !tools
            .iter()
            .any(|t| t.get("name").and_then(Value::as_str) == Some(WAIT_TASK))
        {
            bail!("tools/list lacks {WAIT_TASK}");
        }
        check::exactly(&self.hits(), &[]).map_err(anyhow::Error::msg)
    }

    fn running_vms(&mut self) -> Result<()> {
        println!("  user: \"List all running VMs\"");
        let tool = self.tool("list_vms")?;
        let call = self.call(&tool, &json!({"status": "running"}), "decline")?;
        let hits = self.hits();
        ok(&call)?;
        let items = items(&call)?;
        let names: Vec<String> = items
            .iter()
            .map(|vm| format!("{} ({})", text(vm, "name"), text(vm, "id")))
            .collect();
        println!("    running: {}", names.join(", "));
        if items.is_empty() || items.iter().any(|vm| text(vm, "status") != "running") {
            bail!(
                "expected only running VMs, got {} item(s): {names:?}",
                items.len()
            );
        }
        check::exactly(&hits, &[("GET", "/api/vms", 200)]).map_err(anyhow::Error::msg)?;
        first(&hits)
            .and_then(|h| check::query_has(h, "status", "running").map_err(anyhow::Error::msg))
    }

    fn console_share(&mut self) -> Result<()> {
        println!("  user: \"Create a console share link for VM {VM}\" (view only, one hour)");
        let tool = self.tool("console_share")?;
        let args = json!({"id": VM, "access_mode": "view_only", "expires_in_seconds": 3600});
        let call = self.call(&tool, &args, "accept")?;
        let hits = self.hits();
        ok(&call)?;
        let data = &call.structured()["data"];
        let url = text(data, "url");
        println!("    link: {url}");
        if !url.starts_with("https://") || text(data, "access_mode") != "view_only" {
            bail!("expected a view-only https link, got {data}");
        }
        let lifetime = data["expires_at"]
            .as_i64()
            .zip(data["created_at"].as_i64())
            .map(|(e, c)| e - c);
        if lifetime != Some(3600) {
            bail!("the link should live 3600 s, lives {lifetime:?}");
        }
        let path = format!("/api/vms/{VM}/console-share");
        check::exactly(&hits, &[("POST", &path, 200)]).map_err(anyhow::Error::msg)?;
        let hit = first(&hits)?;
        check::body_has(hit, "access_mode", &json!("view_only")).map_err(anyhow::Error::msg)?;
        check::body_has(hit, "expires_in_seconds", &json!(3600)).map_err(anyhow::Error::msg)
    }

    fn migrate(&mut self) -> Result<()> {
        println!("  user: \"Migrate VM {VM} to node {TARGET_NODE} with storage {TARGET_STORAGE}\"");
        let tool = self.tool("migrate_vm")?;
        let call = self.call(&tool, &migrate_args(), "accept")?;
        let hits = self.hits();
        match call.asked.as_slice() {
            [question] if question.contains(TARGET_NODE) && question.contains("/migrate") => {}
            asked => bail!(
                "expected one approval question naming {TARGET_NODE} and /migrate, got {asked:?}"
            ),
        }
        ok(&call)?;
        let task = text(&call.structured()["data"], "task_id").to_owned();
        if task.is_empty() {
            bail!("the result carries no task_id: {}", call.structured());
        }
        println!("    task: {task}");
        self.task_id = Some(task);
        let path = format!("/api/vms/{VM}/migrate");
        check::exactly(&hits, &[("POST", &path, 200)]).map_err(anyhow::Error::msg)?;
        let hit = first(&hits)?;
        check::body_has(hit, "target_node", &json!(TARGET_NODE)).map_err(anyhow::Error::msg)?;
        check::body_has(hit, "target_storage", &json!(TARGET_STORAGE)).map_err(anyhow::Error::msg)
    }

    fn wait_task(&mut self) -> Result<()> {
        println!("  (the assistant follows the migration task)");
        let task = self
            .task_id
            .clone()
            .context("no task id: the migration step failed")?;
        let call = self.call(
            WAIT_TASK,
            &json!({"task_id": task, "timeout_secs": 60}),
            "decline",
        )?;
        let hits = self.hits();
        ok(&call)?;
        let polls = check::only_under(&hits, "GET", &format!("/api/tasks/{task}"))
            .map_err(anyhow::Error::msg)?;
        let data = &call.structured()["data"];
        let (status, exit) = (text(data, "status"), text(data, "exitstatus"));
        println!("    {polls} task poll(s); final status {status}, exit status {exit}");
        if status != "ok" || exit != "OK" {
            bail!("the migration task did not end well: status {status:?}, exit status {exit:?}");
        }
        // The VM now lives on the target node (its id names the node).
        let moved = VM.replace(":pve1:", &format!(":{TARGET_NODE}:"));
        let tool = self.tool("get_vm")?;
        let vm = self.call(&tool, &json!({"id": moved}), "decline")?;
        let hits = self.hits();
        ok(&vm)?;
        let node = text(&vm.structured()["data"], "node");
        if node != TARGET_NODE {
            bail!("after the task the VM is on {node:?}, expected {TARGET_NODE}");
        }
        check::exactly(&hits, &[("GET", &format!("/api/vms/{moved}"), 200)])
            .map_err(anyhow::Error::msg)?;
        self.migrated_id = Some(moved);
        Ok(())
    }

    fn busy_nodes(&mut self) -> Result<()> {
        println!("  user: \"Show me nodes with high CPU usage\"");
        let tool = self.tool("list_nodes")?;
        let call = self.call(&tool, &json!({"min_cpu_percent": 85}), "decline")?;
        let hits = self.hits();
        ok(&call)?;
        let nodes = items(&call)?;
        let shown: Vec<String> = nodes
            .iter()
            .map(|n| format!("{} {}%", text(n, "name"), n["usage"]["cpu_percent"]))
            .collect();
        println!("    busy: {}", shown.join(", "));
        let busy = |n: &Value| {
            n["usage"]["cpu_percent"]
                .as_f64()
                .is_some_and(|c| c >= 85.0)
        };
        if nodes.is_empty() || !nodes.iter().all(busy) {
            bail!("expected only nodes at 85 % CPU or more, got {shown:?}");
        }
        check::exactly(&hits, &[("GET", "/api/nodes", 200)]).map_err(anyhow::Error::msg)?;
        first(&hits)
            .and_then(|h| check::query_has(h, "min_cpu_percent", "85").map_err(anyhow::Error::msg))
    }

    fn revoked_token(&mut self) -> Result<()> {
        println!("  (PXCloud revokes every token mid-session)");
        self.sim.faults().revoke_all_tokens();
        let id = self
            .migrated_id
            .clone()
            .unwrap_or_else(|| KEEP_VM.to_owned());
        let tool = self.tool("get_vm")?;
        let call = self.call(&tool, &json!({"id": id}), "decline")?;
        let hits = self.hits();
        ok(&call)?;
        let path = format!("/api/vms/{id}");
        check::exactly(
            &hits,
            &[
                ("GET", &path, 401),
                ("POST", "/api/auth/login", 200),
                ("GET", &path, 200),
            ],
        )
        .map_err(anyhow::Error::msg)
    }

    fn burst_503(&mut self) -> Result<()> {
        println!("  (PXCloud answers the next two requests with 503)");
        self.sim.faults().fail_next(2, 503);
        let tool = self.tool("list_vms")?;
        let call = self.call(&tool, &json!({"status": "running"}), "decline");
        self.sim.faults().reset();
        let call = call?;
        let hits = self.hits();
        ok(&call)?;
        check::exactly(
            &hits,
            &[
                ("GET", "/api/vms", 503),
                ("GET", "/api/vms", 503),
                ("GET", "/api/vms", 200),
            ],
        )
        .map_err(anyhow::Error::msg)
    }

    fn declined(&mut self) -> Result<()> {
        println!("  user: \"Delete VM {KEEP_VM}\" ... and then declines");
        let tool = self.tool("delete_vm")?;
        let call = self.call(&tool, &json!({"id": KEEP_VM}), "decline")?;
        let hits = self.hits();
        if call.asked.len() != 1 {
            bail!("expected one approval question, got {:?}", call.asked);
        }
        if call.structured().get("ok") == Some(&json!(true)) {
            bail!("a declined call reports success: {}", call.structured());
        }
        check::exactly(&hits, &[]).map_err(anyhow::Error::msg)?;
        // Still there.
        let get = self.tool("get_vm")?;
        let vm = self.call(&get, &json!({"id": KEEP_VM}), "decline")?;
        let hits = self.hits();
        ok(&vm)?;
        check::exactly(&hits, &[("GET", &format!("/api/vms/{KEEP_VM}"), 200)])
            .map_err(anyhow::Error::msg)
    }
}

fn migrate_args() -> Value {
    json!({"id": VM, "target_node": TARGET_NODE, "target_storage": TARGET_STORAGE, "online": true})
}

/// The name of the tool bound to `method path` (its `_meta`).
fn find(tools: &[Value], method: &str, path: &str) -> Result<String> {
    tools
        .iter()
        .find(|t| {
            t.pointer("/_meta/method").and_then(Value::as_str) == Some(method)
                && t.pointer("/_meta/path").and_then(Value::as_str) == Some(path)
        })
        .and_then(|t| t.get("name").and_then(Value::as_str))
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("tools/list has no tool for {method} {path}"))
}

fn ok(call: &Call) -> Result<()> {
    if call.is_error() || call.structured().get("ok") != Some(&json!(true)) {
        bail!("the call failed: {}", first_line(&call.text()));
    }
    Ok(())
}

fn items(call: &Call) -> Result<Vec<Value>> {
    match call.structured().pointer("/data/items") {
        Some(Value::Array(items)) => Ok(items.clone()),
        _ => bail!("the result has no data.items: {}", call.structured()),
    }
}

fn first(hits: &[Hit]) -> Result<&Hit> {
    hits.first().context("no request reached the simulator")
}

fn text<'v>(value: &'v Value, key: &str) -> &'v str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tools_by_binding() {
        let tools = vec![
            json!({"name": "pxcloud_list_vms", "_meta": {"method": "GET", "path": "/api/vms"}}),
            json!({"name": "pxcloud_create_vm", "_meta": {"method": "POST", "path": "/api/vms"}}),
            json!({"name": "pxcloud_wait_task"}),
        ];
        assert_eq!(
            find(&tools, "POST", "/api/vms").unwrap(),
            "pxcloud_create_vm"
        );
        assert_eq!(find(&tools, "GET", "/api/vms").unwrap(), "pxcloud_list_vms");
        assert!(find(&tools, "DELETE", "/api/vms").is_err());
    }
}
