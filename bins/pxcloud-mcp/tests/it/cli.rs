//! The binary's command line: help text, exit codes, and where errors go.

use std::process::Command;

use clap::CommandFactory;
use pxcloud_mcp::cli::Cli;

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pxcloud-mcp"));
    // A clean environment, so a developer's PXCLOUD_* settings cannot change the outcome.
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

#[test]
fn clap_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn help_lists_every_variable_with_its_default() {
    let out = bin()
        .arg("--help")
        .output()
        .expect("run pxcloud-mcp --help");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "PXCLOUD_URL",
        "PXCLOUD_USER",
        "PXCLOUD_PASS",
        "PXCLOUD_TOKEN",
        "PXCLOUD_TLS_VERIFY",
        "PXCLOUD_CA_FILE",
        "PXCLOUD_TLS_FINGERPRINT",
        "PXCLOUD_TOOLS",
        "PXCLOUD_ALLOW_DELETE",
        "PXCLOUD_READ_ONLY",
        "PXCLOUD_PROFILE",
        "PXCLOUD_STRICT",
        "PXCLOUD_DRY_RUN",
        "PXCLOUD_AUDIT_LOG",
        "PXCLOUD_TOOL_MODE",
        "PXCLOUD_SPEC_REFRESH_SECS",
        "PXCLOUD_MAX_RESULT_BYTES",
        "PXCLOUD_HTTP",
    ] {
        assert!(help.contains(var), "--help does not mention {var}");
    }
    for default in [
        "[default: https://localhost:8443]",
        "[default: true]",
        "[default: 32768]",
    ] {
        assert!(help.contains(default), "--help does not show {default}");
    }
}

#[test]
fn invalid_configuration_exits_2_naming_the_variable() {
    let out = bin()
        .env("PXCLOUD_USER", "admin")
        .env("PXCLOUD_PASS", "hunter2-password")
        .env("PXCLOUD_ALLOW_DELETE", "sometimes")
        .output()
        .expect("run pxcloud-mcp");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "stdout is reserved for MCP messages");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PXCLOUD_ALLOW_DELETE"), "{stderr}");
    assert!(
        !stderr.contains("hunter2-password"),
        "password leaked: {stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.contains("error")).count(),
        1,
        "one message: {stderr}"
    );
}

#[test]
fn missing_credentials_exit_2() {
    let out = bin().output().expect("run pxcloud-mcp");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("PXCLOUD_USER") && stderr.contains("PXCLOUD_TOKEN"),
        "{stderr}"
    );
}

#[test]
fn configuration_reference_documents_every_variable_and_flag() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/configuration.md"
    ))
    .expect("docs/configuration.md");
    let command = Cli::command();
    for arg in command.get_arguments() {
        if let Some(long) = arg.get_long().filter(|l| !matches!(*l, "help" | "version")) {
            assert!(
                doc.contains(&format!("`--{long}`")),
                "docs/configuration.md lacks --{long}"
            );
        }
        if let Some(env) = arg.get_env() {
            let env = env.to_string_lossy();
            assert!(
                doc.contains(&format!("`{env}`")),
                "docs/configuration.md lacks {env}"
            );
        }
    }
}

#[test]
fn tools_json_prints_the_tools_list_objects_offline() {
    let spec = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../specs/oai-petstore-3.0.json"
    );
    let out = bin()
        .args(["tools", "--spec-file", spec, "--json"])
        .output()
        .expect("run tools");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tools: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON array");
    let names: Vec<&str> = tools
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for name in [
        "pxcloud_listPets",
        "pxcloud_createPets",
        "pxcloud_showPetById",
        "pxcloud_wait_task",
    ] {
        assert!(names.contains(&name), "{name} missing: {names:?}");
    }
    let show = tools
        .as_array()
        .expect("array")
        .iter()
        .find(|t| t["name"] == "pxcloud_showPetById")
        .expect("tool");
    assert_eq!(
        show["inputSchema"]["required"],
        serde_json::json!(["petId"])
    );
    assert_eq!(show["annotations"]["readOnlyHint"], true);
    assert_eq!(show["_meta"]["path"], "/pets/{petId}");

    let table = bin()
        .args(["tools", "--spec-file", spec, "--tool-prefix", "pet_"])
        .output()
        .expect("run tools");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("pet_listPets") && text.contains("GET") && text.contains("/pets"),
        "{text}"
    );

    let missing = bin()
        .args(["tools", "--spec-file", "/nonexistent.json"])
        .output()
        .expect("run tools");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent.json"));
}
