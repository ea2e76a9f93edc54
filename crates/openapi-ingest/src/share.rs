//! A schema written more than once inside one tool's input schema is written once, under the
//! tool's `$defs`, and referenced with `{"$ref": "#/$defs/<name>"}` everywhere it occurred.
//!
//! Conversion inlines small referenced schemas where they are used, which is what a model reads
//! best; but a document that uses one sizeable schema in several places of one operation
//! (OpenAI's message and tool shapes, Stripe's address and metadata objects) then repeats the
//! same JSON several times in one tool. Only identical subschemas are shared, so validation is
//! unchanged: in JSON Schema 2020-12 a `$ref` applies the referenced schema in place.
//!
//! What is shared and what is not:
//! - only schemas of at least [`MIN_BYTES`] of compact JSON, and only when sharing makes the
//!   whole schema smaller (the `$ref`s and the `$defs` entry cost bytes too);
//! - never the root, and never a top-level property (an argument): clients and the server read
//!   those directly, and a model sees each argument's type at a glance;
//! - a schema equal to an existing `$defs` entry is replaced by a reference to it, even once.
//!
//! Names are those of the document's component when the schema is one (as converted), else
//! the name of the property it first sits under.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use serde_json::{Map, Value};

use crate::keywords::{SCHEMA_LISTS, SCHEMA_MAPS, SCHEMA_SLOTS};

/// Smallest schema (compact JSON bytes) worth a `$defs` entry: below this, the indirection
/// costs a model more attention than the bytes it saves.
const MIN_BYTES: usize = 100;

#[cfg(test)]
thread_local! {
    /// Turns sharing off on this thread, for comparing with and without.
    static UNSHARED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Identity of a subschema: a hash of its content and its compact JSON length. Equal schemas
/// have equal keys; equal keys are confirmed with `==` before anything is shared.
type Key = (u64, usize);

/// A cheap identity of a schema from its top level only (member names, scalar values, sizes
/// of the rest), for finding the document component a shared schema came from: candidates
/// with the same shallow key are compared with `==`.
pub(crate) fn shallow_key(schema: &Value) -> u64 {
    let mut h = FastHasher::default();
    match schema {
        Value::Object(map) => {
            for (k, v) in map {
                k.hash(&mut h);
                match v {
                    Value::Array(items) => (4u8, items.len()).hash(&mut h),
                    Value::Object(members) => (5u8, members.len()).hash(&mut h),
                    scalar => hash_value(scalar, &mut h),
                }
            }
        }
        other => hash_value(other, &mut h),
    }
    h.finish()
}

/// Where a subschema sits, which decides whether it may become a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// The input schema itself.
    Root,
    /// A top-level property: an argument.
    Argument,
    /// An entry of the root's `$defs`.
    Def,
    /// Anywhere else.
    Inner,
}

/// One subschema met by the pre-order walk.
#[derive(Debug, Clone, Copy)]
struct Node {
    key: Key,
    place: Place,
    /// Index of the first node after this one's subtree.
    end: usize,
}

/// The occurrences of one key where a reference may go.
#[derive(Debug)]
struct Group {
    /// Node indices of all of them.
    at: Vec<usize>,
    /// Node index of an existing `$defs` entry with this key, if any.
    def: Option<usize>,
}

/// What becomes of the occurrences [`plan`] marked with it.
#[derive(Debug)]
struct Decision {
    /// The `$defs` entry they refer to.
    name: String,
    /// A new entry (made from the first occurrence met), or one the schema came with.
    new: bool,
}

/// Node marks: no decision.
const NONE: u32 = u32::MAX;

/// Rewrites `root` (an input schema object) so that repeated subschemas are written once
/// under `$defs`. `name_of` names a shared schema after the document's component with the same
/// content, if there is one. Never makes the schema larger.
pub(crate) fn share_repeats(
    root: &mut Map<String, Value>,
    name_of: &mut dyn FnMut(&Value) -> Option<String>,
) {
    #[cfg(test)]
    if UNSHARED.with(std::cell::Cell::get) {
        return;
    }
    let whole = Value::Object(std::mem::take(root));
    let mut nodes = Vec::new();
    let mut found = Vec::new();
    let (_, before) = scan(&whole, Place::Root, "", &mut nodes, &mut found);
    let had_defs = whole.get("$defs").is_some();
    let (decisions, marks) = plan(&nodes, &found, &whole, name_of);
    drop(found);
    if let Value::Object(map) = whole {
        *root = map;
    }
    if decisions.is_empty() {
        return;
    }

    // How many marked nodes come before each node: a subtree without any is not walked.
    let mut marked_before = Vec::with_capacity(nodes.len() + 1);
    let mut n = 0;
    for mark in &marks {
        marked_before.push(n);
        n += usize::from(*mark != NONE);
    }
    marked_before.push(n);
    let mut state = Rewrite {
        nodes: &nodes,
        marks: &marks,
        marked_before: &marked_before,
        next: 1, // the root's own node is not visited
        decisions: &decisions,
        uses: vec![0; decisions.len()],
        body_len: vec![None; decisions.len()],
        saved: 0,
        bodies: Vec::new(),
    };
    state.walk_children(root);
    let Rewrite {
        bodies,
        uses,
        body_len,
        saved,
        ..
    } = state;
    let new_names: Vec<String> = bodies.iter().map(|(n, _)| n.clone()).collect();
    let mut defs = match root.remove("$defs") {
        Some(Value::Object(d)) => d,
        _ => Map::new(),
    };
    defs.extend(bodies);
    defs.sort_keys();
    root.insert("$defs".into(), Value::Object(defs));

    // The size now: less what the references saved, plus the new entries (name, colon,
    // comma and the schema) and a new `$defs` member (one comma too many when `$defs` is
    // new: an upper bound).
    let mut after = before + if had_defs { 0 } else { r#","$defs":{}"#.len() };
    let mut all_pay = true;
    for (i, d) in decisions.iter().enumerate() {
        if let Some(len) = body_len[i] {
            after += d.name.len() + r#""":,"#.len() + len;
            all_pay &= pays(uses[i], len, &d.name);
        }
    }
    after = after.saturating_sub(saved);
    #[cfg(test)]
    assert!(
        (0..=1).contains(&(after - map_len(root))),
        "size accounting: {after} for {}",
        map_len(root)
    );
    if !all_pay {
        // The plan weighed each entry at its full size; one whose own parts became
        // references may be too small now for the uses it has. Rare: those go back.
        inline_unprofitable(root, &new_names);
        after = map_len(root);
    }

    // Every entry left pays for itself and every reference to an existing entry is shorter
    // than the copy it replaced, so the schema is smaller, unless a new `$defs` member ate
    // the saving; then everything goes back in place, which restores the input exactly.
    if !had_defs && after >= before {
        let back: HashMap<String, Value> = match root.remove("$defs") {
            Some(Value::Object(defs)) => defs.into_iter().collect(),
            _ => HashMap::new(),
        };
        inline(root, &back, 0);
    }
}

/// Decides which keys are shared, largest schemas first (a schema inside a larger one that
/// is shared loses the occurrences inside the copies that become references), and marks the
/// nodes to replace: only those equal to the first, which becomes the entry.
fn plan(
    nodes: &[Node],
    found: &[(&Value, &str)],
    whole: &Value,
    name_of: &mut dyn FnMut(&Value) -> Option<String>,
) -> (Vec<Decision>, Vec<u32>) {
    let mut groups: HashMap<Key, Group, Fast> = HashMap::default();
    for (i, node) in nodes.iter().enumerate() {
        if node.key.1 < MIN_BYTES || !matches!(node.place, Place::Inner | Place::Def) {
            continue;
        }
        let group = groups.entry(node.key).or_insert(Group {
            at: Vec::new(),
            def: None,
        });
        if node.place == Place::Inner {
            group.at.push(i);
        } else {
            group.def.get_or_insert(i);
        }
    }
    let mut order: Vec<(usize, usize, Key)> = groups
        .iter()
        .filter(|(_, g)| g.at.len() >= 2 || (!g.at.is_empty() && g.def.is_some()))
        .map(|(key, g)| (key.1, g.at[0], *key))
        .collect();
    if order.is_empty() {
        return (Vec::new(), Vec::new());
    }
    // Largest first, then in document order.
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));

    let mut taken: HashSet<String> = match whole.get("$defs") {
        Some(Value::Object(defs)) => defs.keys().cloned().collect(),
        _ => HashSet::new(),
    };
    let mut decisions = Vec::new();
    let mut marks = vec![NONE; nodes.len()];
    // Nodes inside a copy that becomes a reference: they go away with it.
    let mut dead = vec![false; nodes.len()];
    for (bytes, _, key) in order {
        let Some(group) = groups.get(&key) else {
            continue;
        };
        let mut live = group.at.iter().copied().filter(|&i| !dead[i]);
        let Some(first) = live.next() else {
            continue;
        };
        let (schema, label) = found[first];
        let equal: Vec<usize> = std::iter::once(first)
            .chain(live.filter(|&i| found[i].0 == schema))
            .collect();
        let decision = match group.def {
            Some(d) if found[d].0 == schema => Decision {
                name: found[d].1.to_owned(),
                new: false,
            },
            _ if equal.len() >= 2 => {
                let base = name_of(schema).unwrap_or_else(|| sanitize(label));
                let name = free(&mut taken, &base);
                if !pays(equal.len(), bytes, &name) {
                    taken.remove(&name);
                    continue;
                }
                Decision { name, new: true }
            }
            _ => continue,
        };
        // Every copy becomes a reference but the first, which becomes a new entry; the
        // schemas inside the others go away with them.
        let index = decisions.len() as u32;
        for (n, &i) in equal.iter().enumerate() {
            marks[i] = index;
            if n > 0 || !decision.new {
                dead[i + 1..nodes[i].end].fill(true);
            }
        }
        decisions.push(decision);
    }
    (decisions, marks)
}

/// `base`, or `base_2`, `base_3`, … whichever no `$defs` entry of this tool uses yet.
fn free(taken: &mut HashSet<String>, base: &str) -> String {
    let mut name = base.to_owned();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

/// Pre-order walk over the schema positions of `value`: pushes one [`Node`] per subschema
/// object (before its children), with the schema and the name of the property it sits under
/// (for `$defs` entries: the entry's name) to `found`, and returns `value`'s key.
fn scan<'v>(
    value: &'v Value,
    place: Place,
    label: &'v str,
    nodes: &mut Vec<Node>,
    found: &mut Vec<(&'v Value, &'v str)>,
) -> Key {
    let Value::Object(map) = value else {
        return (data_hash(value), compact_len(value));
    };
    let at = nodes.len();
    nodes.push(Node {
        key: (0, 0),
        place,
        end: at + 1,
    });
    found.push((value, label));
    let mut h = FastHasher::default();
    1u8.hash(&mut h);
    let mut len = 2 + map.len().saturating_sub(1);
    for (k, v) in map {
        k.hash(&mut h);
        len += string_len(k) + 1;
        let kw = k.as_str();
        let (vh, vl) = match v {
            Value::Object(members) if SCHEMA_MAPS.contains(&kw) => {
                let inner = match (place, kw) {
                    (Place::Root, "properties") => Place::Argument,
                    (Place::Root, "$defs") => Place::Def,
                    _ => Place::Inner,
                };
                let mut mh = FastHasher::default();
                let mut ml = 2 + members.len().saturating_sub(1);
                for (name, member) in members {
                    let (ch, cl) = scan(member, inner, name, nodes, found);
                    name.hash(&mut mh);
                    ch.hash(&mut mh);
                    ml += string_len(name) + 1 + cl;
                }
                (mh.finish(), ml)
            }
            Value::Array(items) if SCHEMA_LISTS.contains(&kw) => {
                let mut lh = FastHasher::default();
                let mut ll = 2 + items.len().saturating_sub(1);
                for item in items {
                    let (ch, cl) = scan(item, Place::Inner, label, nodes, found);
                    ch.hash(&mut lh);
                    ll += cl;
                }
                (lh.finish(), ll)
            }
            _ if SCHEMA_SLOTS.contains(&kw) => scan(v, Place::Inner, label, nodes, found),
            _ => (data_hash(v), compact_len(v)),
        };
        vh.hash(&mut h);
        len += vl;
    }
    let key = (h.finish(), len);
    nodes[at].key = key;
    nodes[at].end = nodes.len();
    key
}

/// The rewrite pass: walks the same positions in the same order as [`scan`], replacing the
/// marked nodes by references.
struct Rewrite<'a> {
    nodes: &'a [Node],
    marks: &'a [u32],
    /// Number of marked nodes before each node.
    marked_before: &'a [usize],
    next: usize,
    decisions: &'a [Decision],
    /// References written, per decision.
    uses: Vec<usize>,
    /// Compact length of each new entry once made (its own shared parts already references).
    body_len: Vec<Option<usize>>,
    /// Bytes the references saved outside the new entries (those inside an entry make
    /// its `body_len`).
    saved: usize,
    /// New `$defs` entries, in the order they were made.
    bodies: Vec<(String, Value)>,
}

impl Rewrite<'_> {
    /// Visits the subschemas of `map` in [`scan`] order.
    fn walk_children(&mut self, map: &mut Map<String, Value>) {
        for_each_subschema_mut(map, &mut |sub| self.visit(sub));
    }

    /// One subschema: replaced by a reference when marked, walked into when something inside
    /// is marked.
    fn visit(&mut self, value: &mut Value) {
        let Value::Object(_) = value else {
            return;
        };
        let at = self.next;
        let Some(&node) = self.nodes.get(at) else {
            return;
        };
        self.next += 1;
        let mark = self.marks.get(at).copied().unwrap_or(NONE) as usize;
        if let Some(d) = self.decisions.get(mark) {
            if d.new && self.body_len[mark].is_none() {
                // The first copy becomes the entry, its own repeated parts shared too; what
                // that saves is the entry's, not the place's (which only gets the reference).
                let saved = self.saved;
                self.walk_inside(value, node);
                self.body_len[mark] = Some(node.key.1.saturating_sub(self.saved - saved));
                self.saved = saved;
                let body = std::mem::replace(value, reference(&d.name));
                self.bodies.push((d.name.clone(), body));
            } else {
                *value = reference(&d.name);
            }
            self.uses[mark] += 1;
            self.saved += node.key.1 - reference_len(&d.name);
        } else {
            self.walk_inside(value, node);
        }
        self.next = node.end;
    }

    fn walk_inside(&mut self, value: &mut Value, node: Node) {
        let inside = self.marked_before[node.end] - self.marked_before[self.next];
        if inside > 0
            && let Value::Object(map) = value
        {
            self.walk_children(map);
        }
    }
}

/// Length of `{"$ref":"#/$defs/<name>"}` (names need no escaping).
fn reference_len(name: &str) -> usize {
    name.len() + r##"{"$ref":"#/$defs/"}"##.len()
}

/// `true` when `count` uses of a `bytes`-long schema cost less as references to an entry
/// called `name` than written out each time.
fn pays(count: usize, bytes: usize, name: &str) -> bool {
    let entry = name.len() + r#""":,"#.len();
    count.saturating_sub(1) * bytes > count * reference_len(name) + entry
}

/// New entries used too seldom to pay for themselves are written back in place: the walk
/// counted the uses inside a shared schema once per copy, and an entry whose copies all became
/// references to a larger entry is left with one use. Outermost first, counting again after
/// each round, since writing an entry back multiplies the uses of those inside it.
fn inline_unprofitable(root: &mut Map<String, Value>, names: &[String]) {
    let mut names: Vec<&String> = names.iter().collect();
    loop {
        let Some(Value::Object(defs)) = root.get("$defs") else {
            return;
        };
        let mut uses: HashMap<String, usize> = HashMap::new();
        count_refs(root, &mut uses, 0);
        let unprofitable: Vec<&String> = names
            .iter()
            .copied()
            .filter(|name| {
                let count = uses.get(*name).copied().unwrap_or(0);
                defs.get(*name)
                    .is_some_and(|body| !pays(count, compact_len(body), name))
            })
            .collect();
        if unprofitable.is_empty() {
            return;
        }
        // Those not used inside another unprofitable entry go back this round.
        let mut inner: HashMap<String, usize> = HashMap::new();
        for name in &unprofitable {
            if let Some(Value::Object(body)) = defs.get(*name) {
                count_refs(body, &mut inner, 0);
            }
        }
        let back: HashMap<String, Value> = unprofitable
            .iter()
            .filter(|name| !inner.contains_key(**name))
            .filter_map(|name| Some(((*name).clone(), defs.get(*name)?.clone())))
            .collect();
        if back.is_empty() {
            // Not possible (an entry is a part of the schema, so they cannot use each other
            // in a circle), but never loop.
            return;
        }
        if let Some(Value::Object(defs)) = root.get_mut("$defs") {
            defs.retain(|name, _| !back.contains_key(name));
        }
        inline(root, &back, 0);
        names.retain(|name| !back.contains_key(*name));
        if root
            .get("$defs")
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        {
            root.remove("$defs");
        }
    }
}

/// Counts the `$defs` references of every subschema of `map`.
fn count_refs(map: &Map<String, Value>, uses: &mut HashMap<String, usize>, depth: usize) {
    if depth > MAX_WALK {
        return;
    }
    if let Some(name) = map
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        *uses.entry(name.to_owned()).or_default() += 1;
    }
    for_each_subschema(map, &mut |sub| {
        if let Value::Object(m) = sub {
            count_refs(m, uses, depth + 1);
        }
    });
}

/// Replaces every reference to an entry of `back` by the entry itself (whose own references
/// are replaced in turn).
fn inline(map: &mut Map<String, Value>, back: &HashMap<String, Value>, depth: usize) {
    if depth > MAX_WALK {
        return;
    }
    for_each_subschema_mut(map, &mut |sub| {
        let target = sub
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
            .filter(|_| sub.as_object().is_some_and(|m| m.len() == 1))
            .and_then(|name| back.get(name));
        if let Some(body) = target {
            *sub = body.clone();
        }
        if let Value::Object(m) = sub {
            inline(m, back, depth + 1);
        }
    });
}

/// Nesting followed by the helper walks; converted schemas are cut at 64 levels, shared
/// entries put back in place nest no deeper than where they came from.
const MAX_WALK: usize = 256;

fn for_each_subschema(map: &Map<String, Value>, f: &mut dyn FnMut(&Value)) {
    for (k, v) in map {
        let kw = k.as_str();
        match v {
            Value::Object(members) if SCHEMA_MAPS.contains(&kw) => {
                members.values().for_each(&mut *f)
            }
            Value::Array(items) if SCHEMA_LISTS.contains(&kw) => items.iter().for_each(&mut *f),
            _ if SCHEMA_SLOTS.contains(&kw) => f(v),
            _ => {}
        }
    }
}

fn for_each_subschema_mut(map: &mut Map<String, Value>, f: &mut dyn FnMut(&mut Value)) {
    for (k, v) in map.iter_mut() {
        let kw = k.as_str();
        match v {
            Value::Object(members) if SCHEMA_MAPS.contains(&kw) => {
                members.values_mut().for_each(&mut *f)
            }
            Value::Array(items) if SCHEMA_LISTS.contains(&kw) => items.iter_mut().for_each(&mut *f),
            _ if SCHEMA_SLOTS.contains(&kw) => f(v),
            _ => {}
        }
    }
}

fn reference(name: &str) -> Value {
    let mut map = Map::new();
    map.insert("$ref".into(), Value::from(format!("#/$defs/{name}")));
    Value::Object(map)
}

/// A `$defs` name from a property name: `[A-Za-z0-9_.-]`, never empty.
fn sanitize(label: &str) -> String {
    let name: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if name.is_empty() {
        "schema".to_owned()
    } else {
        name
    }
}

/// A quick non-cryptographic hasher (the rustc "Fx" scheme): keys only group candidates,
/// every match is confirmed with `==`, so collisions cost nothing but a missed share.
#[derive(Debug, Default, Clone, Copy)]
struct FastHasher(u64);

/// The [`std::hash::BuildHasher`] of [`FastHasher`].
type Fast = std::hash::BuildHasherDefault<FastHasher>;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Hash of a data value (`enum`, `default`, …, or any keyword that holds no schema).
fn data_hash(value: &Value) -> u64 {
    let mut h = FastHasher::default();
    hash_value(value, &mut h);
    h.finish()
}

fn hash_value(value: &Value, h: &mut FastHasher) {
    match value {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => {
            2u8.hash(h);
            if let Some(i) = n.as_i64() {
                (0u8, i).hash(h);
            } else if let Some(u) = n.as_u64() {
                (1u8, u).hash(h);
            } else {
                (2u8, n.as_f64().map(f64::to_bits)).hash(h);
            }
        }
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(items) => {
            (4u8, items.len()).hash(h);
            items.iter().for_each(|v| hash_value(v, h));
        }
        Value::Object(map) => {
            (5u8, map.len()).hash(h);
            for (k, v) in map {
                k.hash(h);
                hash_value(v, h);
            }
        }
    }
}

/// Length of `value` as compact JSON (as `Value::to_string` writes it).
fn compact_len(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => {
                i.unsigned_abs()
                    .checked_ilog10()
                    .map_or(1, |d| d as usize + 1)
                    + usize::from(i < 0)
            }
            (None, Some(u)) => u.checked_ilog10().map_or(1, |d| d as usize + 1),
            _ => n.to_string().len(),
        },
        Value::String(s) => string_len(s),
        Value::Array(items) => {
            2 + items.len().saturating_sub(1) + items.iter().map(compact_len).sum::<usize>()
        }
        Value::Object(map) => map_len(map),
    }
}

/// Length of `map` as compact JSON.
fn map_len(map: &Map<String, Value>) -> usize {
    2 + map.len().saturating_sub(1)
        + map
            .iter()
            .map(|(k, v)| string_len(k) + 1 + compact_len(v))
            .sum::<usize>()
}

/// Length of `s` as a JSON string literal, quotes included (serde_json's escaping).
fn string_len(s: &str) -> usize {
    let plain = |b: &u8| *b >= 0x20 && *b != b'"' && *b != b'\\';
    if s.as_bytes().iter().all(plain) {
        return 2 + s.len();
    }
    let escapes: usize = s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            0..0x20 => 5,
            _ => 0,
        })
        .sum();
    2 + s.len() + escapes
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{Catalog, IngestOptions};

    /// `true` when `a` (shared) says exactly what `b` (not shared) says: equal but for
    /// references in `a` to `$defs` entries that equal the schema `b` has in their place.
    fn same(a: &Value, b: &Value, defs: &Map<String, Value>, depth: usize) -> bool {
        let target = |v: &Value| -> Option<String> {
            let map = v.as_object().filter(|m| m.len() == 1)?;
            Some(
                map.get("$ref")?
                    .as_str()?
                    .strip_prefix("#/$defs/")?
                    .to_owned(),
            )
        };
        if depth > 512 {
            return false;
        }
        if let Some(name) = target(a) {
            if target(b).as_ref() == Some(&name) {
                return true;
            }
            return defs
                .get(&name)
                .is_some_and(|body| same(body, b, defs, depth + 1));
        }
        let (Value::Object(ma), Value::Object(mb)) = (a, b) else {
            return a == b;
        };
        if ma.len() != mb.len() {
            return false;
        }
        ma.iter().all(|(k, va)| {
            let Some(vb) = mb.get(k) else {
                return false;
            };
            let kw = k.as_str();
            match (va, vb) {
                (Value::Object(x), Value::Object(y)) if SCHEMA_MAPS.contains(&kw) => {
                    x.len() == y.len()
                        && x.iter()
                            .all(|(n, s)| y.get(n).is_some_and(|t| same(s, t, defs, depth + 1)))
                }
                (Value::Array(x), Value::Array(y)) if SCHEMA_LISTS.contains(&kw) => {
                    x.len() == y.len() && x.iter().zip(y).all(|(s, t)| same(s, t, defs, depth + 1))
                }
                _ if SCHEMA_SLOTS.contains(&kw) => same(va, vb, defs, depth + 1),
                _ => va == vb,
            }
        })
    }

    /// The input schemas of a whole document with and without sharing: every difference is a
    /// reference to a `$defs` entry equal to what it replaced, the entries the schema had are
    /// unchanged in meaning, and no schema got larger.
    #[test]
    fn sharing_only_replaces_equal_schemas_in_the_corpus() {
        let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs");
        for file in [
            "openai.json",
            "stripe-2020-08-27.json",
            "vmware-vsphere-vcenter-swagger2.json",
            "github-rest-v3-2021.json",
            "kubernetes-1.35-core-v1.json",
        ] {
            let bytes = std::fs::read(format!("{specs}/{file}")).expect(file);
            let shared = Catalog::from_slice(&bytes, &IngestOptions::default()).expect(file);
            UNSHARED.with(|u| u.set(true));
            let plain = Catalog::from_slice(&bytes, &IngestOptions::default()).expect(file);
            UNSHARED.with(|u| u.set(false));
            let mut changed = 0;
            for (a, b) in shared.tools().iter().zip(plain.tools()) {
                assert_eq!(a.name(), b.name());
                let (sa, sb) = (a.input_schema(), b.input_schema());
                if sa == sb {
                    continue;
                }
                changed += 1;
                let name = a.name();
                assert!(
                    sa.to_string().len() < sb.to_string().len(),
                    "{file} {name}: larger"
                );
                let empty = Map::new();
                let defs = sa.get("$defs").and_then(Value::as_object).unwrap_or(&empty);
                let (mut ra, mut rb) = (sa.clone(), sb.clone());
                let old = rb.as_object_mut().and_then(|m| m.remove("$defs"));
                ra.as_object_mut().and_then(|m| m.remove("$defs"));
                assert!(
                    same(&ra, &rb, defs, 0),
                    "{file} {name}: not the same schema"
                );
                for (def, body) in old.as_ref().and_then(Value::as_object).unwrap_or(&empty) {
                    let kept = defs.get(def).expect("an entry the schema had is kept");
                    assert!(
                        same(kept, body, defs, 0),
                        "{file} {name}: $defs/{def} changed"
                    );
                }
            }
            if matches!(file, "openai.json" | "stripe-2020-08-27.json") {
                assert!(changed > 10, "{file}: only {changed} tools share anything");
            }
        }
    }

    fn shared(schema: Value) -> Value {
        let Value::Object(mut map) = schema else {
            panic!("an object");
        };
        share_repeats(&mut map, &mut |_| None);
        Value::Object(map)
    }

    fn big_enum() -> Value {
        let names: Vec<String> = (0..20).map(|i| format!("category_{i}")).collect();
        json!({"type": "string", "enum": names, "maxLength": 5000})
    }

    #[test]
    fn lengths_are_those_of_compact_json() {
        for v in [
            json!({"a": [1, 2.5, -3, null, true, false], "b\"\n\u{1}": {"c": "ä€😀"}}),
            json!([]),
            json!({}),
            big_enum(),
        ] {
            assert_eq!(compact_len(&v), v.to_string().len(), "{v}");
            let (mut nodes, mut found) = (Vec::new(), Vec::new());
            let key = scan(&v, Place::Root, "", &mut nodes, &mut found);
            assert_eq!(key.1, v.to_string().len(), "{v}");
        }
    }

    #[test]
    fn a_repeated_subschema_is_written_once() {
        let schema = json!({
            "type": "object",
            "properties": {"controls": {"type": "object", "properties": {
                "allowed": {"type": "array", "items": big_enum()},
                "blocked": {"type": "array", "items": big_enum(), "maxItems": 3},
                "same": {"type": "array", "items": big_enum(), "maxItems": 3},
            }}},
            "additionalProperties": false
        });
        let out = shared(schema.clone());
        let controls = &out["properties"]["controls"]["properties"];
        // The largest repeat is shared whole; what repeats inside it only once more stays.
        assert_eq!(controls["blocked"], json!({"$ref": "#/$defs/blocked"}));
        assert_eq!(controls["same"], json!({"$ref": "#/$defs/blocked"}));
        assert_eq!(
            controls["allowed"]["items"],
            json!({"$ref": "#/$defs/allowed"})
        );
        assert_eq!(out["$defs"]["allowed"], big_enum());
        assert_eq!(
            out["$defs"]["blocked"],
            json!({"type": "array", "items": {"$ref": "#/$defs/allowed"}, "maxItems": 3})
        );
        assert!(out.to_string().len() < schema.to_string().len());
    }
}
