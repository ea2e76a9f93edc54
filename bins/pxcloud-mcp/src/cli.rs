//! Raw command-line and environment input, exactly as the user wrote it.
//!
//! Every setting is a flag and an environment variable (the earlier TypeScript server's
//! `PXCLOUD_*` names are kept). Values stay strings here; [`crate::config`] validates them so
//! that an error can name the variable and the flag together.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// pxcloud-mcp: an MCP server that lets AI assistants operate PXCloud.
///
/// With no arguments it reads the environment and serves MCP on stdio, so
/// `"command": "pxcloud-mcp"` in an MCP client's configuration is all it takes.
/// Every option below can also be set through the environment variable shown with it; an
/// empty variable counts as unset (except PXCLOUD_URL, which must not be empty, and
/// PXCLOUD_TOOL_PREFIX, where empty means no prefix).
#[derive(Debug, Parser)]
#[command(name = "pxcloud-mcp", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Options shared by every subcommand.
    #[command(flatten)]
    pub opts: RawOptions,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP on stdio, or on Streamable HTTP with --http (the default command).
    Serve,
    /// Show the tools that would be exposed, as a table or as tools/list JSON.
    Tools(ToolsArgs),
    /// Check configuration, reachability, TLS, login and the spec, with a fix for each failure.
    Check,
}

/// Options of `tools`.
#[derive(Debug, Default, Args)]
pub struct ToolsArgs {
    /// Print the JSON array of tool objects exactly as tools/list returns them.
    #[arg(long)]
    pub json: bool,

    /// Read the OpenAPI document from this file instead of PXCloud (works offline).
    #[arg(long, value_name = "FILE")]
    pub spec_file: Option<PathBuf>,
}

/// Settings shared by every subcommand; raw strings, validated by [`crate::config`].
#[derive(Debug, Default, Args)]
pub struct RawOptions {
    /// Start the embedded PXCloud simulator and serve against it (no PXCloud needed).
    #[arg(long, global = true)]
    pub demo: bool,

    /// PXCloud base URL [default: https://localhost:8443].
    #[arg(long, global = true, env = "PXCLOUD_URL", value_name = "URL")]
    pub url: Option<String>,

    /// PXCloud user name (with --pass; or use --token).
    #[arg(long, global = true, env = "PXCLOUD_USER", value_name = "NAME")]
    pub user: Option<String>,

    /// PXCloud password. Prefer the environment variable: flags are visible to other users.
    #[arg(
        long,
        global = true,
        env = "PXCLOUD_PASS",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub pass: Option<String>,

    /// A pre-issued PXCloud token (JWT) instead of user name and password.
    #[arg(
        long,
        global = true,
        env = "PXCLOUD_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,

    /// Verify PXCloud's TLS certificate [default: true]. false is allowed but warned about;
    /// prefer --ca-file or --tls-fingerprint for a self-signed PXCloud.
    #[arg(long, global = true, env = "PXCLOUD_TLS_VERIFY", value_name = "BOOL")]
    pub tls_verify: Option<String>,

    /// PEM file with the CA (or self-signed) certificate PXCloud presents.
    #[arg(
        long,
        global = true,
        env = "PXCLOUD_CA_FILE",
        value_name = "FILE",
        value_parser = any_path()
    )]
    pub ca_file: Option<PathBuf>,

    /// Pin PXCloud's certificate by its SHA-256 fingerprint (hex, colons optional).
    #[arg(
        long,
        global = true,
        env = "PXCLOUD_TLS_FINGERPRINT",
        value_name = "SHA256"
    )]
    pub tls_fingerprint: Option<String>,

    /// Comma-separated OpenAPI tags to expose, e.g. VMs,Nodes,Tasks [default: all].
    #[arg(long, global = true, env = "PXCLOUD_TOOLS", value_name = "TAGS")]
    pub tools: Option<String>,

    /// Expose DELETE operations [default: true].
    #[arg(long, global = true, env = "PXCLOUD_ALLOW_DELETE", value_name = "BOOL")]
    pub allow_delete: Option<String>,

    /// Expose only read operations (GET/HEAD) [default: false].
    #[arg(long, global = true, env = "PXCLOUD_READ_ONLY", value_name = "BOOL")]
    pub read_only: Option<String>,

    /// Tool profile: read_only, operator or admin [default: none, every tag].
    #[arg(long, global = true, env = "PXCLOUD_PROFILE", value_name = "PROFILE")]
    pub profile: Option<String>,

    /// Treat writes that no rule classifies as destructive [default: false].
    #[arg(long, global = true, env = "PXCLOUD_STRICT", value_name = "BOOL")]
    pub strict: Option<String>,

    /// Never send a mutating request; return the request that would be sent [default: false].
    #[arg(long, global = true, env = "PXCLOUD_DRY_RUN", value_name = "BOOL")]
    pub dry_run: Option<String>,

    /// How long a confirmation handle stays valid, in seconds [default: 300].
    #[arg(
        long,
        global = true,
        env = "PXCLOUD_CONFIRM_TTL_SECS",
        value_name = "SECS"
    )]
    pub confirm_ttl_secs: Option<String>,

    /// Append an audit record (JSON line) for every non-read-only call to this file.
    #[arg(
        long,
        global = true,
        env = "PXCLOUD_AUDIT_LOG",
        value_name = "FILE",
        value_parser = any_path()
    )]
    pub audit_log: Option<PathBuf>,

    /// Path fragments whose operations are never exposed, comma-separated
    /// [default: /vnc/,/terminal/,/bmc-proxy/,/system/,/ws].
    #[arg(
        long,
        global = true,
        env = "PXCLOUD_EXCLUDE_PATHS",
        value_name = "LIST"
    )]
    pub exclude_paths: Option<String>,

    /// Extra path fragments that mark an operation destructive, comma-separated
    /// (added to /power, /rollback, /migrate, /delete).
    #[arg(
        long,
        global = true,
        env = "PXCLOUD_DESTRUCTIVE_PATTERNS",
        value_name = "LIST"
    )]
    pub destructive_patterns: Option<String>,

    /// full: one tool per operation; dynamic: three tools (search, describe, invoke) for
    /// clients that cap the number of tools [default: full].
    #[arg(long, global = true, env = "PXCLOUD_TOOL_MODE", value_name = "MODE")]
    pub tool_mode: Option<String>,

    /// Prefix of every generated tool name; may be empty [default: pxcloud_].
    #[arg(
        long,
        global = true,
        env = "PXCLOUD_TOOL_PREFIX",
        value_name = "PREFIX"
    )]
    pub tool_prefix: Option<String>,

    /// Re-fetch the OpenAPI document every N seconds and tell clients when tools change
    /// [default: 0, never].
    #[arg(
        long,
        global = true,
        env = "PXCLOUD_SPEC_REFRESH_SECS",
        value_name = "SECS"
    )]
    pub spec_refresh_secs: Option<String>,

    /// Cut tool results longer than this many bytes of text, at a clean boundary [default: 32768].
    #[arg(
        long,
        global = true,
        env = "PXCLOUD_MAX_RESULT_BYTES",
        value_name = "BYTES"
    )]
    pub max_result_bytes: Option<String>,

    /// Overall deadline for one PXCloud call, retries included [default: 30].
    #[arg(long, global = true, env = "PXCLOUD_TIMEOUT_SECS", value_name = "SECS")]
    pub timeout_secs: Option<String>,

    /// Secret key for confirmation handles; set the same value on every replica behind a load
    /// balancer [default: random per process].
    #[arg(
        long,
        global = true,
        env = "PXCLOUD_SECRET",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub secret: Option<String>,

    /// Serve Streamable HTTP on this address (e.g. 127.0.0.1:8765) instead of stdio.
    #[arg(long, global = true, env = "PXCLOUD_HTTP", value_name = "ADDR")]
    pub http: Option<String>,

    /// Bearer token HTTP clients must send; required when --http binds a non-loopback address.
    #[arg(
        long,
        global = true,
        env = "PXCLOUD_HTTP_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub http_token: Option<String>,

    /// Extra allowed Origin values for browser-based HTTP clients, comma-separated.
    #[arg(
        long,
        global = true,
        env = "PXCLOUD_HTTP_ALLOWED_ORIGINS",
        value_name = "ORIGINS"
    )]
    pub http_allowed_origins: Option<String>,

    /// At start-up, retry with backoff (up to about five minutes) while PXCloud is unreachable,
    /// slow or failing, instead of failing at once; refused credentials stop at once either way.
    #[arg(long, global = true)]
    pub wait: bool,

    /// Log level on stderr: error, warn, info, debug or trace (RUST_LOG wins when set)
    /// [default: info].
    #[arg(long, global = true, env = "PXCLOUD_LOG_LEVEL", value_name = "LEVEL")]
    pub log_level: Option<String>,
}

/// Any path, the empty one included. clap's own path parser refuses an empty value with an
/// error naming the flag (`a value is required for '--audit-log <FILE>'`) even when the value
/// came from an empty environment variable; [`crate::config`] takes it as unset instead.
fn any_path() -> impl clap::builder::TypedValueParser<Value = PathBuf> {
    use clap::builder::TypedValueParser as _;
    clap::builder::OsStringValueParser::new().map(PathBuf::from)
}
