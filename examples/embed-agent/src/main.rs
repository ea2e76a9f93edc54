//! Run with: `cargo run -p embed-agent`
//!
//! The pxcloud-mcp crates inside another Rust agent, without MCP: start a PXCloud (here the
//! simulator), ingest its OpenAPI document, list the tools the policy exposes, and call one
//! through pxcloud-client — a read straight away, a destructive one only with an approval.

use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context as _;
use openapi_ingest::{Catalog, IngestOptions};
use policy::{CallContext, Guard, MemoryNonceStore, Nonce, PolicyConfig, SigningKey, Verdict};
use pxcloud_client::{ApiRequest, Auth, Client, ClientConfig, Secret, TlsTrust};
use serde_json::{Map, Value, json};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // 1. A PXCloud to talk to: the simulator over HTTPS, trusted by its fingerprint.
    let sim = pxcloud_sim::Sim::start(pxcloud_sim::SimConfig {
        tls: true,
        ..Default::default()
    })
    .await?;
    let mut config = ClientConfig::new(
        sim.url(),
        Auth::Password {
            username: pxcloud_sim::ADMIN_USER.into(),
            password: Secret::new(pxcloud_sim::ADMIN_PASSWORD),
        },
    );
    config.tls = TlsTrust::Fingerprint(sim.fingerprint_sha256().context("fingerprint")?);
    let client = Client::new(config)?;
    client.login().await?;

    // 2. The catalog, and what the policy lets this agent see (operator profile, no deletes).
    let catalog = Catalog::from_value(&client.fetch_spec().await?, &IngestOptions::default())?;
    let mut policy = PolicyConfig::default();
    policy.profile = Some(policy::Profile::Operator);
    policy.allow_delete = false;
    let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>())
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let guard = Guard::new(policy, key, Arc::new(MemoryNonceStore::new()));
    let visible = guard.visible_tools(&catalog);
    println!(
        "{} of {} operations visible to this agent, e.g.:",
        visible.len(),
        catalog.len()
    );
    for tool in visible.iter().take(5) {
        println!(
            "  {:<32} {} {}",
            tool.name(),
            tool.method().as_str(),
            tool.path()
        );
    }

    // 3. A read: allowed at once.
    let get_vm = guard
        .lookup(&catalog, "pxcloud_get_vm")
        .map_err(|d| anyhow::anyhow!("{d}"))?;
    let args = object(json!({"id": "cluster1:pve1:100"}));
    let now = SystemTime::now();
    let ctx = CallContext {
        can_elicit: false,
        now,
    };
    if let Verdict::Allow { args, .. } = guard.check(get_vm, &args, &ctx) {
        let vm = send(&client, get_vm, args.as_map()).await?;
        println!(
            "\nVM {}: {} on {}",
            vm["data"]["id"], vm["data"]["status"], vm["data"]["node"]
        );
    }

    // 4. A destructive call: refused until approved, then allowed exactly once.
    let migrate = guard
        .lookup(&catalog, "pxcloud_migrate_vm")
        .map_err(|d| anyhow::anyhow!("{d}"))?;
    let args = object(json!({"id": "cluster1:pve1:100", "target_node": "pve2", "online": true}));
    let verdict = guard.check(migrate, &args, &ctx);
    println!("\nmigrate without approval: {}", verdict.label());
    // Your agent asks its human here; on yes it mints an approval bound to these arguments.
    let handle = guard
        .approve(migrate, &args, now, Nonce(rand::random()))
        .map_err(|d| anyhow::anyhow!("{d}"))?;
    let mut approved = args.clone();
    approved.insert("confirmed".into(), json!(true));
    approved.insert("confirmation".into(), json!(handle));
    if let Verdict::Allow { args, .. } = guard.check(migrate, &approved, &ctx) {
        let task = send(&client, migrate, args.as_map()).await?;
        println!(
            "migrate with approval: started task {}",
            task["data"]["task_id"]
        );
    }
    println!(
        "the same approval again: {}",
        guard.check(migrate, &approved, &ctx).label()
    );
    Ok(())
}

fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// Validated arguments → the tool's exact HTTP request → PXCloud.
async fn send(
    client: &Client,
    tool: &openapi_ingest::Tool,
    args: &Map<String, Value>,
) -> anyhow::Result<Value> {
    let req = tool.request(args)?;
    let mut api = ApiRequest::new(
        http::Method::from_bytes(req.method.as_str().as_bytes())?,
        req.path_and_query(),
    );
    if let Some(body) = &req.body {
        api = api.with_json(body);
    }
    Ok(client.send(api).await?.error_for_status()?.json()?)
}
