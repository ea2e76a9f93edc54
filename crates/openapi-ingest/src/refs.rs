//! JSON pointers and local `$ref` resolution (fragments, and `$id`/`$anchor` in 3.1).
//! Nothing is ever fetched: a reference that leaves the document is reported, not followed.

use std::collections::HashMap;

use serde_json::Value;

/// Deepest level the `$id` index walk descends to.
const MAX_INDEX_DEPTH: usize = 96;

/// Appends one escaped reference token to a JSON pointer.
pub(crate) fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// `pointer` extended by one token, as a new string.
pub(crate) fn child(pointer: &str, token: &str) -> String {
    let mut p = String::with_capacity(pointer.len() + token.len() + 1);
    p.push_str(pointer);
    push_token(&mut p, token);
    p
}

/// Looks a JSON pointer (without the leading `#`) up in `root`.
pub(crate) fn lookup<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        return Some(root);
    }
    let rest = pointer.strip_prefix('/')?;
    let mut cur = root;
    for raw in rest.split('/') {
        let token = unescape(raw);
        cur = match cur {
            Value::Object(map) => map.get(token.as_str())?,
            Value::Array(items) => {
                if token.len() > 1 && token.starts_with('0') {
                    return None;
                }
                items.get(token.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
    }
    Some(cur)
}

fn unescape(raw: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    decoded.replace("~1", "/").replace("~0", "~")
}

/// Where a `$ref` leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A JSON pointer into this document (canonical form, no `#`).
    Local(String),
    /// A reference to another document; never fetched.
    External,
    /// A local reference that leads nowhere.
    Dangling,
}

/// Resolves `$ref` strings against one document.
#[derive(Debug)]
pub(crate) struct Resolver<'a> {
    root: &'a Value,
    /// `$id` (and `$id#anchor`, `#anchor`) to the JSON pointer of the schema carrying it.
    ids: HashMap<String, String>,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(root: &'a Value, index_ids: bool) -> Self {
        let mut ids = HashMap::new();
        if index_ids {
            let mut pointer = String::new();
            index(root, &mut pointer, "", &mut ids, 0);
        }
        Resolver { root, ids }
    }

    /// The value at a canonical pointer.
    pub(crate) fn get(&self, pointer: &str) -> Option<&'a Value> {
        lookup(self.root, pointer)
    }

    /// Resolves a `$ref` string to a canonical local pointer.
    pub(crate) fn target(&self, reference: &str) -> Target {
        if let Some(fragment) = reference.strip_prefix('#') {
            return self.fragment("", fragment);
        }
        let (base, fragment) = match reference.split_once('#') {
            Some((b, f)) => (b, f),
            None => (reference, ""),
        };
        if self.ids.contains_key(base) {
            return self.fragment(base, fragment);
        }
        Target::External
    }

    fn fragment(&self, base: &str, fragment: &str) -> Target {
        let base_pointer = if base.is_empty() {
            String::new()
        } else {
            match self.ids.get(base) {
                Some(p) => p.clone(),
                None => return Target::External,
            }
        };
        let pointer = if fragment.is_empty() {
            base_pointer
        } else if fragment.starts_with('/') {
            // Normalise percent-escapes so one place has one canonical pointer.
            let mut canon = base_pointer;
            for raw in fragment.trim_start_matches('/').split('/') {
                push_token(&mut canon, &unescape(raw));
            }
            canon
        } else {
            match self.ids.get(&format!("{base}#{fragment}")) {
                Some(p) => p.clone(),
                None => return Target::Dangling,
            }
        };
        if lookup(self.root, &pointer).is_some() {
            Target::Local(pointer)
        } else {
            Target::Dangling
        }
    }
}

/// Collects `$id` and `$anchor` members of schema-like objects, bounded in depth.
fn index(
    value: &Value,
    pointer: &mut String,
    base: &str,
    ids: &mut HashMap<String, String>,
    depth: usize,
) {
    if depth > MAX_INDEX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            let mut own_base = base.to_owned();
            if let Some(Value::String(id)) = map.get("$id") {
                ids.entry(id.clone()).or_insert_with(|| pointer.clone());
                own_base = id.clone();
            }
            if let Some(Value::String(anchor)) = map.get("$anchor") {
                ids.entry(format!("{own_base}#{anchor}"))
                    .or_insert_with(|| pointer.clone());
            }
            for (key, child_value) in map {
                if matches!(child_value, Value::Object(_) | Value::Array(_)) {
                    let len = pointer.len();
                    push_token(pointer, key);
                    index(child_value, pointer, &own_base, ids, depth + 1);
                    pointer.truncate(len);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if matches!(item, Value::Object(_) | Value::Array(_)) {
                    let len = pointer.len();
                    push_token(pointer, &i.to_string());
                    index(item, pointer, base, ids, depth + 1);
                    pointer.truncate(len);
                }
            }
        }
        _ => {}
    }
}
