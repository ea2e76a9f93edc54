//! Stage two of configuration: every raw value validated, every error naming its setting.

use policy::Profile;
use pxcloud_mcp::cli::RawOptions;
use pxcloud_mcp::config::{AuthSetting, Config, Purpose, TlsSetting, ToolMode, Transport};

fn with_creds() -> RawOptions {
    RawOptions {
        user: Some("admin".into()),
        pass: Some("s3cret-pass".into()),
        ..RawOptions::default()
    }
}

/// Applies `set` to options with credentials and expects an error naming `env`.
fn check_err(set: impl FnOnce(&mut RawOptions), env: &str, fragment: &str) {
    let mut raw = with_creds();
    set(&mut raw);
    let error =
        Config::from_raw(&raw, Purpose::Connect).expect_err("configuration should be rejected");
    let text = error.to_string();
    assert_eq!(error.setting.env, env, "wrong setting blamed: {text}");
    assert!(
        text.starts_with(env),
        "message must start with the variable: {text}"
    );
    assert!(
        text.contains(fragment),
        "{text:?} should contain {fragment:?}"
    );
    assert!(!text.contains("s3cret-pass"), "password leaked: {text}");
}

#[test]
fn defaults_match_the_earlier_server_except_tls() {
    let config = Config::from_raw(&with_creds(), Purpose::Connect).expect("valid");
    assert_eq!(config.url, "https://localhost:8443");
    assert_eq!(
        config.tls,
        TlsSetting::Verify,
        "verification is on by default"
    );
    assert!(config.policy.allow_delete);
    assert!(!config.policy.read_only);
    assert_eq!(config.policy.tags, None);
    assert_eq!(
        config.policy.excluded_paths,
        ["/vnc/", "/terminal/", "/bmc-proxy/", "/system/", "/ws"]
    );
    assert_eq!(config.tool_mode, ToolMode::Full);
    assert_eq!(config.tool_prefix, "pxcloud_");
    assert_eq!(config.max_result_bytes, 32 * 1024);
    assert_eq!(config.transport, Transport::Stdio);
    assert!(
        matches!(config.auth, Some(AuthSetting::Password { ref username, .. }) if username == "admin")
    );
}

#[test]
fn bad_values_name_their_variable() {
    check_err(
        |r| r.allow_delete = Some("maybe".into()),
        "PXCLOUD_ALLOW_DELETE",
        "expected true or false",
    );
    check_err(
        |r| r.tls_verify = Some("nope".into()),
        "PXCLOUD_TLS_VERIFY",
        "\"nope\"",
    );
    check_err(
        |r| r.read_only = Some("2".into()),
        "PXCLOUD_READ_ONLY",
        "expected true or false",
    );
    check_err(
        |r| r.url = Some("pxcloud.local:8443".into()),
        "PXCLOUD_URL",
        "",
    );
    check_err(
        |r| r.url = Some("ftp://pxcloud.local".into()),
        "PXCLOUD_URL",
        "not supported",
    );
    check_err(
        |r| r.url = Some("pxcloud.local".into()),
        "PXCLOUD_URL",
        "https://pxcloud.local",
    );
    check_err(
        |r| r.profile = Some("root".into()),
        "PXCLOUD_PROFILE",
        "one of read_only, operator, admin",
    );
    check_err(
        |r| r.tool_mode = Some("lazy".into()),
        "PXCLOUD_TOOL_MODE",
        "full or dynamic",
    );
    check_err(
        |r| r.tool_prefix = Some("px cloud".into()),
        "PXCLOUD_TOOL_PREFIX",
        "not a valid prefix",
    );
    check_err(
        |r| r.spec_refresh_secs = Some("-1".into()),
        "PXCLOUD_SPEC_REFRESH_SECS",
        "whole number",
    );
    check_err(
        |r| r.max_result_bytes = Some("10".into()),
        "PXCLOUD_MAX_RESULT_BYTES",
        "too small",
    );
    check_err(
        |r| r.timeout_secs = Some("0".into()),
        "PXCLOUD_TIMEOUT_SECS",
        "1 to 3600",
    );
    check_err(
        |r| r.tls_fingerprint = Some("AB:CD".into()),
        "PXCLOUD_TLS_FINGERPRINT",
        "64 hex digits",
    );
    check_err(
        |r| r.secret = Some("short".into()),
        "PXCLOUD_SECRET",
        "at least 16",
    );
    check_err(
        |r| r.log_level = Some("loud".into()),
        "PXCLOUD_LOG_LEVEL",
        "unknown level",
    );
    check_err(
        |r| r.http = Some("localhost".into()),
        "PXCLOUD_HTTP",
        "IP:PORT",
    );
    check_err(
        |r| r.http = Some("0.0.0.0:8765".into()),
        "PXCLOUD_HTTP_TOKEN",
        "other machines",
    );
    check_err(
        |r| {
            r.tls_verify = Some("false".into());
            r.ca_file = Some("ca.pem".into());
        },
        "PXCLOUD_TLS_VERIFY",
        "contradicts",
    );
    check_err(
        |r| {
            r.ca_file = Some("ca.pem".into());
            r.tls_fingerprint = Some("a".repeat(64));
        },
        "PXCLOUD_TLS_FINGERPRINT",
        "not both",
    );
    check_err(
        |r| {
            r.url = Some("http://10.0.0.5:8080".into());
            r.tls_verify = Some("false".into());
        },
        "PXCLOUD_URL",
        "plain http://",
    );
}

#[test]
fn credentials_are_required_only_to_connect() {
    check_err(|r| r.pass = None, "PXCLOUD_PASS", "password is missing");
    check_err(|r| r.user = None, "PXCLOUD_USER", "user name is missing");
    check_err(
        |r| {
            r.user = None;
            r.pass = None;
        },
        "PXCLOUD_USER",
        "PXCLOUD_TOKEN",
    );
    let none = RawOptions::default();
    assert!(
        Config::from_raw(&none, Purpose::Offline)
            .expect("offline needs no login")
            .auth
            .is_none()
    );
    let demo = RawOptions {
        demo: true,
        ..RawOptions::default()
    };
    assert!(
        Config::from_raw(&demo, Purpose::Connect).is_ok(),
        "the demo brings its own PXCloud"
    );
}

#[test]
fn a_token_wins_over_user_and_password() {
    let raw = RawOptions {
        token: Some("eyJ.token".into()),
        ..with_creds()
    };
    let config = Config::from_raw(&raw, Purpose::Connect).expect("valid");
    assert!(matches!(config.auth, Some(AuthSetting::Token(_))));
    assert!(
        !format!("{config:?}").contains("eyJ.token"),
        "Debug must mask the token"
    );
    assert!(
        !format!("{config:?}").contains("s3cret-pass"),
        "Debug must mask the password"
    );
}

#[test]
fn values_are_parsed_the_way_people_write_them() {
    let raw = RawOptions {
        url: Some(" https://pxcloud.example:8443/ ".into()),
        tools: Some(" VMs, Nodes,,Tasks ".into()),
        allow_delete: Some("FALSE".into()),
        read_only: Some("yes".into()),
        profile: Some("read-only".into()),
        tls_fingerprint: Some("ab:".repeat(31) + "cd"),
        tool_mode: Some("Dynamic".into()),
        tool_prefix: Some(String::new()),
        spec_refresh_secs: Some("300".into()),
        http: Some("127.0.0.1:8765".into()),
        ..with_creds()
    };
    let config = Config::from_raw(&raw, Purpose::Connect).expect("valid");
    assert_eq!(config.url, "https://pxcloud.example:8443");
    assert_eq!(
        config.policy.tags.as_deref(),
        Some(&["VMs".to_owned(), "Nodes".into(), "Tasks".into()][..])
    );
    assert!(!config.policy.allow_delete);
    assert!(config.policy.read_only);
    assert_eq!(config.policy.profile, Some(Profile::ReadOnly));
    assert_eq!(config.tls, TlsSetting::Fingerprint("AB".repeat(31) + "CD"));
    assert_eq!(config.tool_mode, ToolMode::Dynamic);
    assert_eq!(config.tool_prefix, "");
    assert_eq!(
        config.spec_refresh,
        Some(std::time::Duration::from_secs(300))
    );
    assert!(matches!(config.transport, Transport::Http { addr, .. } if addr.port() == 8765));
}
