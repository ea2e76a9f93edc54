//! Tool names: `prefix + operationId` cleaned up, shortened with a hash when too long, and
//! made unique with `_2`, `_3`, … in document order.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::model::Method;

/// Hard upper bound from MCP clients that cut `mcp__<server>__<tool>` at 64 characters.
pub(crate) const HARD_MAX: usize = 64;
/// Hex digits of the hash appended to shortened names.
const HASH_LEN: usize = 8;

/// `true` when `name` matches `^[A-Za-z0-9_.-]{1,64}$`.
pub fn is_valid_tool_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= HARD_MAX
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Every run of characters outside `[A-Za-z0-9]` becomes one `_`; leading and trailing `_`
/// are trimmed.
pub fn sanitize(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending = false;
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            if pending && !out.is_empty() {
                out.push('_');
            }
            pending = false;
            out.push(c);
        } else {
            pending = true;
        }
    }
    out
}

/// A readable stem for an operation without an `operationId`: method and path,
/// e.g. `get_nodes_node_qemu_vmid_status`.
pub(crate) fn from_method_path(method: Method, path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let mut raw = String::from(method.key());
    raw.push('_');
    raw.push_str(path);
    let s = sanitize(&raw);
    if s.is_empty() {
        method.key().to_owned()
    } else {
        s
    }
}

/// Assigns final names; one instance per catalog.
#[derive(Debug)]
pub(crate) struct Namer {
    prefix: String,
    max_len: usize,
    used: HashSet<String>,
}

impl Namer {
    pub(crate) fn new(prefix: &str, max_len: usize) -> Self {
        Namer {
            prefix: prefix.to_owned(),
            max_len: max_len.clamp(1, HARD_MAX),
            used: HashSet::new(),
        }
    }

    /// The unique name for a tool whose cleaned stem is `stem`.
    pub(crate) fn assign(&mut self, stem: &str) -> String {
        let full = format!("{}{}", self.prefix, stem);
        let base = self.fit(&full, "");
        if self.used.insert(base.clone()) {
            return base;
        }
        let mut n = 2u64;
        loop {
            let candidate = self.fit(&full, &format!("_{n}"));
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }

    /// `full + suffix`, shortened with a hash of `full` when longer than the limit.
    fn fit(&self, full: &str, suffix: &str) -> String {
        if full.len() + suffix.len() <= self.max_len {
            return format!("{full}{suffix}");
        }
        let digest = Sha256::digest(full.as_bytes());
        let hash: String = digest
            .iter()
            .flat_map(|b| {
                let hex = b"0123456789abcdef";
                [
                    hex[usize::from(b >> 4)] as char,
                    hex[usize::from(b & 15)] as char,
                ]
            })
            .take(HASH_LEN)
            .collect();
        let tail = format!("_{hash}{suffix}");
        let keep = self.max_len.saturating_sub(tail.len());
        // `full` is ASCII (prefix and stem are validated/sanitised), so byte slicing is safe;
        // `get` keeps it panic-free regardless.
        let head = full
            .get(..keep.min(full.len()))
            .unwrap_or("")
            .trim_end_matches('_');
        let name = format!("{head}{tail}");
        if name.len() <= self.max_len {
            name
        } else {
            // Only when max_len is tiny: keep the hash's end.
            name.get(name.len() - self.max_len..)
                .unwrap_or("x")
                .to_owned()
        }
    }
}

/// The family name of a Proxmox-style numbered parameter: `net` of `net[n]`, which stands for
/// `net0`, `net1`, …. Only that exact suffix after a plain name counts.
pub(crate) fn numbered_stem(name: &str) -> Option<&str> {
    let stem = name.strip_suffix("[n]")?;
    let plain = !stem.is_empty()
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    plain.then_some(stem)
}

/// An argument (input property) name clients accept: `^[A-Za-z0-9_.-]{1,64}$`, which some
/// clients require of top-level properties. Valid names are kept; others are rewritten
/// readably: `StartTime<` → `StartTime_lt`, `include[]` → `include`, `net[n]` → `net_n`,
/// `~action` → `action`.
pub(crate) fn arg_name(name: &str) -> String {
    if is_valid_tool_name(name) {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        match c {
            '<' => out.push_str("_lt"),
            '>' => out.push_str("_gt"),
            c if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') => out.push(c),
            _ => {
                if !out.ends_with('_') {
                    out.push('_');
                }
            }
        }
    }
    let trimmed = out.trim_matches('_');
    let mut clean: String = trimmed.chars().take(HARD_MAX).collect();
    if clean.is_empty() {
        clean.push_str("arg");
    }
    clean
}
