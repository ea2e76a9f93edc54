//! Proxmox VE's property strings, said in words.
//!
//! Proxmox writes many arguments (`net0`, `rootfs`, `scsi0`, `agent`, …) as one string of
//! comma-separated `key=value` pairs, and its API schema gives the keys as a `format` that is
//! an object instead of a format name: one member per key, with the key's own `type`,
//! `description`, `optional`, `default`, `default_key`, `enum`, `format_description`,
//! `minimum`, `maximum`, `alias` and `keyAlias`. JSON Schema's `format` is a string, so the
//! object cannot stay in a tool's schema; what it says goes into the property's description
//! instead, in the shape of Proxmox's own documentation, each key once:
//!
//! ```text
//! Comma-separated key=value pairs:
//! [model=]<e1000|virtio|…> (required): Network Card Model. …
//! bridge=<bridge>: Bridge to attach the network device to. …
//! firewall=<1|0>: Whether this interface should be protected by the firewall.
//! mtu=<integer 1..65520>: Force MTU of network device (VirtIO only). …
//! <model>=<macaddr>: model and macaddr in one pair.
//! ```
//!
//! `[model=]` is the default key (its `model=` may be left out); keys are optional unless
//! marked required (a key with a default never is). An output schema only describes results,
//! so it gets the key names alone (the matching input tool says what each means).

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::schema::Direction;

/// The words that begin the keys of a property string in a description.
const HEAD: &str = "Comma-separated key=value pairs";

/// The description of the property string whose keys `format` lists, or `None` when it lists
/// none (no member is an object).
pub(crate) fn describe(format: &Map<String, Value>, dir: Direction) -> Option<String> {
    let mut keys: Vec<(&str, &Map<String, Value>)> = Vec::new();
    // `<model>=<macaddr>`: the key is a value of `model`, the value is a `macaddr`.
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    // `volume`: another name of `file`.
    let mut aliases: Vec<(&str, &str)> = Vec::new();
    for (name, spec) in format {
        let Value::Object(spec) = spec else {
            continue;
        };
        match (text(spec, "keyAlias"), text(spec, "alias")) {
            (Some(key), Some(value)) => {
                if !pairs.contains(&(key, value)) {
                    pairs.push((key, value));
                }
            }
            (None, Some(target)) => aliases.push((name, target)),
            _ => keys.push((name, spec)),
        }
    }
    if keys.is_empty() && pairs.is_empty() && aliases.is_empty() {
        return None;
    }
    // The default key first, as Proxmox writes it (a stable sort keeps the rest in order).
    keys.sort_by_key(|(_, spec)| !flag(spec.get("default_key")));
    let mut out = String::from(HEAD);
    if dir == Direction::Output {
        let mut names: Vec<String> = keys
            .iter()
            .map(|(name, spec)| {
                if flag(spec.get("default_key")) {
                    format!("{name} (default key)")
                } else {
                    (*name).to_owned()
                }
            })
            .collect();
        names.extend(
            pairs
                .iter()
                .map(|(key, value)| format!("<{key}>=<{value}>")),
        );
        out.push_str("; keys: ");
        out.push_str(&names.join(", "));
        out.push('.');
        return Some(out);
    }
    out.push(':');
    for (name, spec) in &keys {
        out.push('\n');
        if flag(spec.get("default_key")) {
            out.push_str(&format!("[{name}=]"));
        } else {
            out.push_str(&format!("{name}="));
        }
        out.push_str(&type_text(spec));
        // A key with a default may be left out even where Proxmox does not call it optional.
        match spec.get("default").and_then(scalar) {
            Some(default) => out.push_str(&format!(" (default {default})")),
            None if !flag(spec.get("optional")) => out.push_str(" (required)"),
            None => {}
        }
        if let Some(description) = text(spec, "description") {
            let words = one_line(description);
            if !words.is_empty() {
                out.push_str(": ");
                out.push_str(&words);
            }
        }
    }
    for (key, value) in &pairs {
        out.push_str(&format!(
            "\n<{key}>=<{value}>: {key} and {value} in one pair."
        ));
    }
    for (name, target) in &aliases {
        out.push_str(&format!("\n{name}: another name for {target}."));
    }
    Some(out)
}

/// Says each key of the property strings of one tool's arguments once: a key line an earlier
/// argument already has word for word (Proxmox's `scsi_n`, `sata_n`, `ide_n` and `virtio_n`
/// share some forty) becomes its key's name in a line `file, aio, backup, …: as in ide_n.`
pub(crate) fn say_keys_once(arguments: &mut Map<String, Value>) {
    // Each key line said so far, with the argument that said it first.
    let mut said: HashMap<String, String> = HashMap::new();
    for (argument, schema) in arguments.iter_mut() {
        // A numbered argument (`net_n`) has its keys in the schema of each value.
        let numbered = schema.as_object().is_some_and(|map| {
            crate::numbered::is_numbered(map) && map.contains_key("additionalProperties")
        });
        let schema = match schema {
            Value::Object(map) if numbered => match map.get_mut("additionalProperties") {
                Some(item) => item,
                None => continue,
            },
            other => other,
        };
        let Some(Value::String(text)) = schema.get_mut("description") else {
            continue;
        };
        let Some(start) = keys_start(text) else {
            continue;
        };
        let mut kept: Vec<&str> = Vec::new();
        // Per earlier argument, in order: the names of the keys it already said.
        let mut repeated: Vec<(&str, Vec<&str>)> = Vec::new();
        for line in text[start..].split('\n') {
            let Some(name) = key_name(line) else {
                kept.push(line);
                continue;
            };
            match said.get(line) {
                Some(first) if first != argument => {
                    match repeated.iter_mut().find(|(a, _)| a == first) {
                        Some((_, names)) => names.push(name),
                        None => repeated.push((first.as_str(), vec![name])),
                    }
                }
                _ => kept.push(line),
            }
        }
        let rewritten = (!repeated.is_empty()).then(|| {
            let mut lines: Vec<String> = kept.iter().map(|line| (*line).to_owned()).collect();
            for (first, names) in &repeated {
                lines.push(format!("{}: as in {first}.", names.join(", ")));
            }
            format!("{}{}", &text[..start], lines.join("\n"))
        });
        for line in kept {
            if key_name(line).is_some() {
                said.entry(line.to_owned())
                    .or_insert_with(|| argument.clone());
            }
        }
        if let Some(rewritten) = rewritten {
            *text = rewritten;
        }
    }
}

/// Where the key lines of a description written by [`describe`] for an input begin (just
/// after the line of [`HEAD`], which begins the description or follows a line break).
fn keys_start(text: &str) -> Option<usize> {
    text.match_indices(HEAD)
        .map(|(at, _)| at)
        .find(|&at| {
            (at == 0 || text[..at].ends_with('\n')) && text[at + HEAD.len()..].starts_with(":\n")
        })
        .map(|at| at + HEAD.len() + 2)
}

/// The key a line of [`describe`] is about: `name` of `name=<…>…`, `[name=]<…>…` (the default
/// key) and `name: another name for …` (an alias), `<key>=<value>` of a pair.
fn key_name(line: &str) -> Option<&str> {
    if let Some(rest) = line.strip_prefix('[') {
        return rest.split_once("=]").map(|(name, _)| name);
    }
    if line.starts_with('<') {
        return line.split_once(": ").map(|(pair, _)| pair);
    }
    let name = &line[..line.find(['=', ':'])?];
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    plain.then_some(name)
}

/// How a value of the key is written, as Proxmox's documentation writes it (`<bridge>`,
/// `<1|0>`, `<a|b|c>`, `<integer 1..64>`); its Perl `pattern`s are left out.
fn type_text(spec: &Map<String, Value>) -> String {
    if let Some(written) = text(spec, "typetext") {
        return written.to_owned();
    }
    if let Some(shape) = text(spec, "format_description") {
        return format!("<{shape}>");
    }
    if let Some(Value::Array(values)) = spec.get("enum") {
        let values: Vec<String> = values.iter().filter_map(scalar).collect();
        if !values.is_empty() {
            return format!("<{}>", values.join("|"));
        }
    }
    let kind = text(spec, "type").unwrap_or("string");
    match kind {
        "boolean" => "<1|0>".to_owned(),
        "integer" | "number" => {
            let bound = |a: &str, b: &str| spec.get(a).or_else(|| spec.get(b)).and_then(number);
            match (bound("minimum", "min"), bound("maximum", "max")) {
                (Some(lo), Some(hi)) => format!("<{kind} {lo}..{hi}>"),
                (Some(lo), None) => format!("<{kind} {lo}..>"),
                (None, Some(hi)) => format!("<{kind} ..{hi}>"),
                (None, None) => format!("<{kind}>"),
            }
        }
        _ => {
            let name = text(spec, "format").unwrap_or(kind);
            match spec.get("maxLength").and_then(Value::as_u64) {
                Some(n) => format!("<{name}, at most {n} characters>"),
                None => format!("<{name}>"),
            }
        }
    }
}

fn text<'a>(spec: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    spec.get(key).and_then(Value::as_str)
}

/// Proxmox writes its flags as `1`/`0`; JSON booleans count too.
fn flag(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(s)) => s == "1",
        _ => false,
    }
}

fn number(value: &Value) -> Option<String> {
    value.is_number().then(|| value.to_string())
}

/// A scalar as it is written in a property string (`true` as `1`).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(one_line(s)),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_owned()),
        _ => None,
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(format: Value, dir: Direction, expected: &str) {
        let Value::Object(format) = format else {
            panic!("not an object");
        };
        assert_eq!(describe(&format, dir).as_deref(), Some(expected));
    }

    #[test]
    fn keys_are_listed_default_key_first() {
        let format = json!({
            "bridge": {"description": "Bridge to attach\nthe device to.", "format": "pve-bridge-id",
                       "format_description": "bridge", "optional": 1, "type": "string"},
            "firewall": {"description": "Use the firewall.", "optional": 1, "type": "boolean", "default": 0},
            "model": {"default_key": 1, "description": "Card model.", "enum": ["e1000", "virtio"], "type": "string"},
            "mtu": {"description": "MTU.", "minimum": 1, "maximum": 65520, "optional": 1, "type": "integer"},
            "rate": {"description": "Rate.", "minimum": 0, "optional": 1, "type": "number"},
            "lower": {"optional": 1, "type": "integer", "min": 100, "max": 999},
            "ip": {"description": "IPv4 address.", "format": "CIDRv4", "optional": 1, "type": "string"},
            "serial": {"optional": 1, "type": "string", "maxLength": 20},
            "tags": {"optional": 1, "type": "string", "typetext": "<tag>[;<tag>...]", "pattern": "(?^:x)"},
            "virtio": {"alias": "macaddr", "keyAlias": "model"},
            "e1000": {"alias": "macaddr", "keyAlias": "model"},
            "volume": {"alias": "file"}
        });
        check(
            format.clone(),
            Direction::Input,
            "Comma-separated key=value pairs:\n\
             [model=]<e1000|virtio> (required): Card model.\n\
             bridge=<bridge>: Bridge to attach the device to.\n\
             firewall=<1|0> (default 0): Use the firewall.\n\
             mtu=<integer 1..65520>: MTU.\n\
             rate=<number 0..>: Rate.\n\
             lower=<integer 100..999>\n\
             ip=<CIDRv4>: IPv4 address.\n\
             serial=<string, at most 20 characters>\n\
             tags=<tag>[;<tag>...]\n\
             <model>=<macaddr>: model and macaddr in one pair.\n\
             volume: another name for file.",
        );
        check(
            format,
            Direction::Output,
            "Comma-separated key=value pairs; keys: model (default key), bridge, firewall, mtu, \
             rate, lower, ip, serial, tags, <model>=<macaddr>.",
        );
    }

    #[test]
    fn a_format_without_keys_says_nothing() {
        let Value::Object(format) = json!({"a": 1, "b": "x"}) else {
            unreachable!()
        };
        assert_eq!(describe(&format, Direction::Input), None);
        assert_eq!(describe(&Map::new(), Direction::Output), None);
    }
}
