//! Policy configuration and the pure parsing of its `PXCLOUD_*` values.
//!
//! The server reads the environment and flags; this module turns the raw strings into a
//! [`PolicyConfig`] and names the variable in every error.

use std::fmt;
use std::time::Duration;

/// Environment variable names understood by [`PolicyConfig::from_lookup`].
pub mod vars {
    /// Comma-separated OpenAPI tags to expose.
    pub const TOOLS: &str = "PXCLOUD_TOOLS";
    /// `read_only`, `operator` or `admin`.
    pub const PROFILE: &str = "PXCLOUD_PROFILE";
    /// Boolean, default true: false hides DELETE operations.
    pub const ALLOW_DELETE: &str = "PXCLOUD_ALLOW_DELETE";
    /// Boolean, default false: only GET and HEAD operations.
    pub const READ_ONLY: &str = "PXCLOUD_READ_ONLY";
    /// Comma-separated path fragments whose operations are hidden (replaces the defaults).
    pub const EXCLUDE_PATHS: &str = "PXCLOUD_EXCLUDE_PATHS";
    /// Comma-separated extra destructive patterns (`/fragment` or `METHOD /fragment`).
    pub const DESTRUCTIVE_PATTERNS: &str = "PXCLOUD_DESTRUCTIVE_PATTERNS";
    /// Boolean, default false: unclassified writes are treated as destructive.
    pub const STRICT: &str = "PXCLOUD_STRICT";
    /// Boolean, default false: mutating calls return the request instead of sending it.
    pub const DRY_RUN: &str = "PXCLOUD_DRY_RUN";
    /// Lifetime of confirmation handles in seconds, default 300.
    pub const CONFIRM_TTL_SECS: &str = "PXCLOUD_CONFIRM_TTL_SECS";
}

/// The default path exclusions: consoles, proxies and system internals no assistant should drive.
pub const DEFAULT_EXCLUDED_PATHS: &[&str] =
    &["/vnc/", "/terminal/", "/bmc-proxy/", "/system/", "/ws"];

/// The default lifetime of a confirmation handle.
pub const DEFAULT_CONFIRM_TTL: Duration = Duration::from_secs(300);

/// The operator profile's tags (the earlier setup wizard's).
const OPERATOR_TAGS: &[&str] = &["Dashboard", "VMs", "Nodes", "Tasks", "Monitors", "Clusters"];
/// What admin adds to operator.
const ADMIN_EXTRA_TAGS: &[&str] = &[
    "IPAM",
    "Users",
    "Groups",
    "Roles",
    "Notifications",
    "Datacenters",
    "Regions",
];

/// A named preset of tags and permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// Operator's tags plus IPAM, reads only.
    ReadOnly,
    /// Dashboard, VMs, Nodes, Tasks, Monitors, Clusters.
    Operator,
    /// Operator plus IPAM, Users, Groups, Roles, Notifications, Datacenters, Regions.
    Admin,
}

impl Profile {
    /// Every profile, in order of increasing power.
    pub const ALL: [Profile; 3] = [Profile::ReadOnly, Profile::Operator, Profile::Admin];

    /// The name used in configuration (`read_only`, `operator`, `admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::ReadOnly => "read_only",
            Profile::Operator => "operator",
            Profile::Admin => "admin",
        }
    }

    /// The tags this profile exposes (compared case-insensitively with the spec's tags).
    pub fn tags(self) -> Vec<&'static str> {
        match self {
            Profile::Operator => OPERATOR_TAGS.to_vec(),
            Profile::ReadOnly => OPERATOR_TAGS.iter().chain(&["IPAM"]).copied().collect(),
            Profile::Admin => OPERATOR_TAGS
                .iter()
                .chain(ADMIN_EXTRA_TAGS)
                .copied()
                .collect(),
        }
    }

    /// Whether the profile allows only reads.
    pub fn is_read_only(self) -> bool {
        self == Profile::ReadOnly
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An invalid configuration value; the message names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}={value:?} is invalid: expected {expected}")]
pub struct ConfigError {
    /// The variable (or flag) that carried the value.
    pub var: String,
    /// The value as given.
    pub value: String,
    /// What would have been accepted.
    pub expected: String,
}

impl ConfigError {
    fn new(var: &str, value: &str, expected: impl Into<String>) -> Self {
        ConfigError {
            var: var.to_owned(),
            value: value.to_owned(),
            expected: expected.into(),
        }
    }
}

/// Parses a boolean: `true/false`, `1/0`, `yes/no`, `on/off`, any case, surrounding blanks ignored.
///
/// ```
/// assert_eq!(policy::parse_bool("PXCLOUD_STRICT", " Yes "), Ok(true));
/// assert!(policy::parse_bool("PXCLOUD_STRICT", "maybe").unwrap_err().to_string().contains("PXCLOUD_STRICT"));
/// ```
pub fn parse_bool(var: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::new(
            var,
            value,
            "true or false (also 1/0, yes/no, on/off)",
        )),
    }
}

/// Splits a comma-separated list, trimming items and dropping empty ones.
pub fn parse_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses a profile name (case-insensitive; `-` and `_` interchangeable, `readonly` accepted).
pub fn parse_profile(var: &str, value: &str) -> Result<Profile, ConfigError> {
    let norm = value.trim().to_ascii_lowercase().replace('-', "_");
    match norm.as_str() {
        "read_only" | "readonly" => Ok(Profile::ReadOnly),
        "operator" => Ok(Profile::Operator),
        "admin" => Ok(Profile::Admin),
        _ => Err(ConfigError::new(
            var,
            value,
            "one of read_only, operator, admin",
        )),
    }
}

/// Parses a whole number of seconds, at least 1.
pub fn parse_secs(var: &str, value: &str) -> Result<Duration, ConfigError> {
    match value.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(Duration::from_secs(n)),
        _ => Err(ConfigError::new(
            var,
            value,
            "a whole number of seconds, at least 1",
        )),
    }
}

/// Parses a list of destructive patterns: `/fragment` or `METHOD /fragment`.
pub fn parse_patterns(var: &str, value: &str) -> Result<Vec<Pattern>, ConfigError> {
    parse_list(value)
        .iter()
        .map(|item| {
            Pattern::parse(item).ok_or_else(|| ConfigError::new(var, item, Pattern::SYNTAX))
        })
        .collect()
}

/// A configurable destructive pattern: a path fragment, optionally limited to one HTTP method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// Upper-case HTTP method, or `None` for any write.
    pub method: Option<String>,
    /// Fragment the path must contain (compared case-insensitively).
    pub fragment: String,
}

impl Pattern {
    const SYNTAX: &'static str =
        "a path fragment like /snapshot, optionally preceded by a method (POST /snapshot)";

    /// Parses `/fragment` or `METHOD /fragment`; `None` when it is neither.
    pub fn parse(text: &str) -> Option<Pattern> {
        let text = text.trim();
        let (method, fragment) = match text.split_once(char::is_whitespace) {
            Some((m, f)) => (Some(m.to_ascii_uppercase()), f.trim()),
            None => (None, text),
        };
        let method_ok = method.as_deref().is_none_or(|m| {
            matches!(
                m,
                "GET" | "PUT" | "POST" | "DELETE" | "OPTIONS" | "HEAD" | "PATCH" | "TRACE"
            )
        });
        if !method_ok || !fragment.starts_with('/') || fragment.contains(char::is_whitespace) {
            return None;
        }
        Some(Pattern {
            method,
            fragment: fragment.to_owned(),
        })
    }

    /// Whether the pattern matches an operation.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && contains_ignore_case(path, &self.fragment)
    }
}

/// ASCII case-insensitive substring test, without allocating.
pub(crate) fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let Some((first, rest)) = n.split_first() else {
        return true;
    };
    // The first byte alone rules out most places (a fragment starts with `/`).
    h.windows(n.len())
        .any(|w| w[0].eq_ignore_ascii_case(first) && w[1..].eq_ignore_ascii_case(rest))
}

/// Everything the policy needs to know, already validated.
///
/// `Default` is the earlier server's behaviour: every tag, DELETE allowed, the default path
/// exclusions, not strict, no dry run, five-minute handles.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyConfig {
    /// Tags to expose (`PXCLOUD_TOOLS`); `None` exposes every tag.
    pub tags: Option<Vec<String>>,
    /// A profile limiting tags (and, for `read_only`, methods).
    pub profile: Option<Profile>,
    /// DELETE operations visible (`PXCLOUD_ALLOW_DELETE`).
    pub allow_delete: bool,
    /// Only GET and HEAD visible (`PXCLOUD_READ_ONLY`).
    pub read_only: bool,
    /// Operations whose path contains one of these (case-insensitively) are hidden.
    pub excluded_paths: Vec<String>,
    /// Extra destructive patterns on top of the built-in rules.
    pub destructive_patterns: Vec<Pattern>,
    /// Unclassified writes need confirmation like destructive ones (`PXCLOUD_STRICT`).
    pub strict: bool,
    /// Every mutating call is a dry run (`PXCLOUD_DRY_RUN`).
    pub dry_run: bool,
    /// How long a confirmation handle stays valid.
    pub confirm_ttl: Duration,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            tags: None,
            profile: None,
            allow_delete: true,
            read_only: false,
            excluded_paths: DEFAULT_EXCLUDED_PATHS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            destructive_patterns: Vec::new(),
            strict: false,
            dry_run: false,
            confirm_ttl: DEFAULT_CONFIRM_TTL,
        }
    }
}

impl PolicyConfig {
    /// Builds the configuration from a variable lookup, e.g. `|k| std::env::var(k).ok()`.
    ///
    /// Unset or blank variables keep their defaults; the first invalid value is an error
    /// naming the variable. Reads exactly the names in [`vars`].
    ///
    /// ```
    /// let cfg = policy::PolicyConfig::from_lookup(|k| match k {
    ///     "PXCLOUD_TOOLS" => Some("VMs, Nodes".into()),
    ///     "PXCLOUD_ALLOW_DELETE" => Some("false".into()),
    ///     _ => None,
    /// })
    /// .unwrap();
    /// assert_eq!(cfg.tags, Some(vec!["VMs".to_string(), "Nodes".to_string()]));
    /// assert!(!cfg.allow_delete);
    /// ```
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<PolicyConfig, ConfigError> {
        let get = |var: &str| lookup(var).filter(|v| !v.trim().is_empty());
        let mut cfg = PolicyConfig::default();
        if let Some(v) = get(vars::TOOLS) {
            cfg.tags = Some(parse_list(&v));
        }
        if let Some(v) = get(vars::PROFILE) {
            cfg.profile = Some(parse_profile(vars::PROFILE, &v)?);
        }
        if let Some(v) = get(vars::ALLOW_DELETE) {
            cfg.allow_delete = parse_bool(vars::ALLOW_DELETE, &v)?;
        }
        if let Some(v) = get(vars::READ_ONLY) {
            cfg.read_only = parse_bool(vars::READ_ONLY, &v)?;
        }
        if let Some(v) = get(vars::EXCLUDE_PATHS) {
            cfg.excluded_paths = parse_list(&v);
        }
        if let Some(v) = get(vars::DESTRUCTIVE_PATTERNS) {
            cfg.destructive_patterns = parse_patterns(vars::DESTRUCTIVE_PATTERNS, &v)?;
        }
        if let Some(v) = get(vars::STRICT) {
            cfg.strict = parse_bool(vars::STRICT, &v)?;
        }
        if let Some(v) = get(vars::DRY_RUN) {
            cfg.dry_run = parse_bool(vars::DRY_RUN, &v)?;
        }
        if let Some(v) = get(vars::CONFIRM_TTL_SECS) {
            cfg.confirm_ttl = parse_secs(vars::CONFIRM_TTL_SECS, &v)?;
        }
        Ok(cfg)
    }
}
