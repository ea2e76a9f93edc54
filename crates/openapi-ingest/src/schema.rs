//! OpenAPI schema objects (Swagger 2.0, OpenAPI 3.0 and 3.1 dialects) to self-contained
//! JSON Schema 2020-12.
//!
//! Every keyword is copied through a whitelist that checks its value's shape, so the result is
//! always valid against the 2020-12 meta-schema. Local `$ref`s are inlined; a reference is
//! written as `{"$ref": "#/$defs/<name>"}` instead when it is part of a cycle, when the target
//! is large, or when inlining would nest too deeply, so conversion always terminates and the
//! stack stays bounded. Nesting deeper than [`MAX_LOCAL_DEPTH`] inside one schema is cut to
//! `{}` (a documented depth cut, reported as a warning).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use serde_json::{Map, Value, json};

use crate::keywords::{SCHEMA_LISTS, SCHEMA_MAPS, SCHEMA_SLOTS};
use crate::model::{SpecFamily, WarningKind};
use crate::numbered;
use crate::property_string;
use crate::refs::{self, Resolver, Target};
use crate::share;
use crate::warnings::Warnings;

/// Nesting depth inside one schema (component or inline) after which the rest is cut to `{}`.
pub(crate) const MAX_LOCAL_DEPTH: usize = 64;
/// Converter depth after which references stop being inlined and go to `$defs`.
const INLINE_DEPTH: usize = 48;
/// A schema inlines referenced schemas until it holds this many schema nodes; further
/// references go to `$defs` instead of being copied.
const INLINE_LIMIT: usize = 500;
/// The same for output schemas, which only describe results and cost a model tokens.
const OUTPUT_INLINE_LIMIT: usize = 250;
/// `$defs` of one input schema stop growing at this many schema nodes (the rest become `{}`).
const INPUT_DEFS_BUDGET: usize = 10_000;
/// `$defs` of one output schema stop growing at this many schema nodes (the rest become `{}`):
/// output schemas only describe results, and a model pays for every token of them.
const OUTPUT_DEFS_BUDGET: usize = 500;

/// Which way data flows through a schema: `readOnly` members are left out of inputs,
/// `writeOnly` members out of outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Direction {
    Input,
    Output,
}

/// A converted schema and the `$defs` entries (source pointers) it refers to.
#[derive(Debug, Clone)]
pub(crate) struct Converted {
    pub(crate) schema: Value,
    pub(crate) defs: BTreeSet<String>,
    size: usize,
}

impl Converted {
    /// A schema built by hand (not read from the document).
    pub(crate) fn new(schema: Value, defs: BTreeSet<String>) -> Self {
        Converted {
            schema,
            defs,
            size: 1,
        }
    }
}

/// Converts schemas of one document, sharing work between tools.
#[derive(Debug)]
pub(crate) struct Converter<'a> {
    resolver: &'a Resolver<'a>,
    family: SpecFamily,
    memo: HashMap<(Direction, String), Rc<Converted>>,
    in_progress: HashSet<(Direction, String)>,
    def_names: HashMap<String, String>,
    used_def_names: HashSet<String>,
    depth: usize,
    local_depth: usize,
    collectors: Vec<BTreeSet<String>>,
    /// Resolved `$ref` strings.
    targets: HashMap<String, Target>,
    /// Whether each `pattern` seen so far is a regex the validator accepts.
    patterns: HashMap<String, bool>,
    /// The same for `patternProperties` names, which the validator compiles by another route.
    pattern_names: HashMap<String, bool>,
    /// Nodes inlined so far into each schema being converted (parallel to `collectors`).
    inlined: Vec<usize>,
    /// Converted input components by [`share::shallow_key`], to name a shared schema after
    /// the component it is ([`Converter::component_name`]).
    by_key: HashMap<u64, Vec<String>>,
}

const ANNOTATIONS: [&str; 7] = [
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
];

const TYPES: [&str; 7] = [
    "string", "number", "integer", "boolean", "object", "array", "null",
];

impl<'a> Converter<'a> {
    pub(crate) fn new(resolver: &'a Resolver<'a>, family: SpecFamily) -> Self {
        Converter {
            resolver,
            family,
            memo: HashMap::new(),
            in_progress: HashSet::new(),
            def_names: HashMap::new(),
            used_def_names: HashSet::new(),
            depth: 0,
            local_depth: 0,
            collectors: Vec::new(),
            inlined: Vec::new(),
            targets: HashMap::new(),
            patterns: HashMap::new(),
            pattern_names: HashMap::new(),
            by_key: HashMap::new(),
        }
    }

    /// Converts a schema found at `pointer` into a standalone schema with its `$defs` pointers.
    pub(crate) fn convert_root(
        &mut self,
        schema: &Value,
        pointer: &str,
        dir: Direction,
        warnings: &mut Warnings,
    ) -> Converted {
        self.collectors.push(BTreeSet::new());
        self.inlined.push(0);
        let saved_local = self.local_depth;
        self.local_depth = 0;
        let mut ptr = pointer.to_owned();
        let (schema, size) = self.convert(schema, &mut ptr, dir, warnings);
        self.local_depth = saved_local;
        let defs = self.collectors.pop().unwrap_or_default();
        self.inlined.pop();
        Converted { schema, defs, size }
    }

    /// The `$defs` object for a set of referenced pointers, including everything they refer to.
    pub(crate) fn defs_for(
        &mut self,
        roots: &BTreeSet<String>,
        dir: Direction,
        warnings: &mut Warnings,
    ) -> Map<String, Value> {
        let mut done: BTreeSet<String> = BTreeSet::new();
        let mut todo: Vec<String> = roots.iter().rev().cloned().collect();
        let mut entries: Vec<(String, Value)> = Vec::new();
        let budget = match dir {
            Direction::Input => INPUT_DEFS_BUDGET,
            Direction::Output => OUTPUT_DEFS_BUDGET,
        };
        let mut spent = 0;
        while let Some(pointer) = todo.pop() {
            if !done.insert(pointer.clone()) {
                continue;
            }
            let converted = self.component(&pointer, dir, warnings);
            if spent + converted.size > budget {
                warnings.push(
                    &pointer,
                    WarningKind::SizeLimit,
                    "schema left out of a tool's $defs (size limit); it accepts any value there",
                );
                let cut = json!({"description": "Schema omitted (size limit)."});
                entries.push((self.def_name(&pointer), cut));
                continue;
            }
            spent += converted.size;
            for d in converted.defs.iter().rev() {
                if !done.contains(d) {
                    todo.push(d.clone());
                }
            }
            entries.push((self.def_name(&pointer), converted.schema.clone()));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut defs: Map<String, Value> = entries.into_iter().collect();
        break_alias_cycles(&mut defs);
        defs
    }

    /// The `$defs` name given to the schema at `pointer` (stable for the whole document).
    fn def_name(&mut self, pointer: &str) -> String {
        if let Some(name) = self.def_names.get(pointer) {
            return name.clone();
        }
        let last = pointer.rsplit('/').next().unwrap_or("");
        let last = last.replace("~1", "/").replace("~0", "~");
        let mut base: String = last
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .take(80)
            .collect();
        if base.is_empty() {
            base.push_str("schema");
        }
        let mut name = base.clone();
        let mut n = 2;
        while self.used_def_names.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.used_def_names.insert(name.clone());
        self.def_names.insert(pointer.to_owned(), name.clone());
        name
    }

    /// The converted schema at `pointer`, converted once per direction.
    fn component(
        &mut self,
        pointer: &str,
        dir: Direction,
        warnings: &mut Warnings,
    ) -> Rc<Converted> {
        let key = (dir, pointer.to_owned());
        if let Some(done) = self.memo.get(&key) {
            return Rc::clone(done);
        }
        let Some(source) = self.resolver.get(pointer) else {
            return Rc::new(Converted {
                schema: json!({}),
                defs: BTreeSet::new(),
                size: 1,
            });
        };
        self.in_progress.insert(key.clone());
        let converted = self.convert_root(source, pointer, dir, warnings);
        self.in_progress.remove(&key);
        if dir == Direction::Input {
            self.by_key
                .entry(share::shallow_key(&converted.schema))
                .or_default()
                .push(pointer.to_owned());
        }
        let rc = Rc::new(converted);
        self.memo.insert(key, Rc::clone(&rc));
        rc
    }

    /// The `$defs` name of the input component converted to exactly `schema`, if any.
    pub(crate) fn component_name(&mut self, schema: &Value) -> Option<String> {
        let pointer = self
            .by_key
            .get(&share::shallow_key(schema))?
            .iter()
            .find(|p| {
                self.memo
                    .get(&(Direction::Input, (*p).clone()))
                    .is_some_and(|c| c.schema == *schema)
            })?
            .clone();
        Some(self.def_name(&pointer))
    }

    fn note_def(&mut self, pointer: &str) -> Value {
        let name = self.def_name(pointer);
        if let Some(c) = self.collectors.last_mut() {
            c.insert(pointer.to_owned());
        }
        json!({ "$ref": format!("#/$defs/{name}") })
    }

    /// A reference to the schema at `pointer`: inlined when small and acyclic, else `$defs`.
    fn reference(
        &mut self,
        pointer: &str,
        dir: Direction,
        warnings: &mut Warnings,
    ) -> (Value, usize) {
        let key = (dir, pointer.to_owned());
        if self.in_progress.contains(&key) || self.depth >= INLINE_DEPTH {
            return (self.note_def(pointer), 1);
        }
        let converted = self.component(pointer, dir, warnings);
        let used = self.inlined.last().copied().unwrap_or(0);
        let limit = match dir {
            Direction::Input => INLINE_LIMIT,
            Direction::Output => OUTPUT_INLINE_LIMIT,
        };
        if used + converted.size > limit {
            return (self.note_def(pointer), 1);
        }
        if let Some(u) = self.inlined.last_mut() {
            *u += converted.size;
        }
        if let Some(c) = self.collectors.last_mut() {
            c.extend(converted.defs.iter().cloned());
        }
        (converted.schema.clone(), converted.size)
    }

    /// Converts one schema value; returns it with its size in schema nodes.
    pub(crate) fn convert(
        &mut self,
        value: &Value,
        ptr: &mut String,
        dir: Direction,
        warnings: &mut Warnings,
    ) -> (Value, usize) {
        if self.local_depth >= MAX_LOCAL_DEPTH {
            warnings.push(
                ptr,
                WarningKind::DepthLimit,
                format!("schema nested deeper than {MAX_LOCAL_DEPTH} levels was cut to {{}}"),
            );
            return (json!({}), 1);
        }
        match value {
            Value::Bool(b) => (Value::Bool(*b), 1),
            Value::Object(map) => {
                self.depth += 1;
                self.local_depth += 1;
                let out = self.convert_object(map, ptr, dir, warnings);
                self.depth -= 1;
                self.local_depth -= 1;
                out
            }
            _ => {
                warnings.push(
                    ptr,
                    WarningKind::InvalidKeyword,
                    "a schema must be an object",
                );
                (json!({}), 1)
            }
        }
    }

    fn sub(
        &mut self,
        value: &Value,
        ptr: &mut String,
        token: &str,
        dir: Direction,
        warnings: &mut Warnings,
    ) -> (Value, usize) {
        let len = ptr.len();
        refs::push_token(ptr, token);
        let out = self.convert(value, ptr, dir, warnings);
        ptr.truncate(len);
        out
    }

    fn convert_ref(
        &mut self,
        reference: &str,
        ptr: &str,
        dir: Direction,
        warnings: &mut Warnings,
    ) -> (Value, usize) {
        let target = match self.targets.get(reference) {
            Some(t) => t.clone(),
            None => {
                let t = self.resolver.target(reference);
                self.targets.insert(reference.to_owned(), t.clone());
                t
            }
        };
        match target {
            Target::Local(pointer) => self.reference(&pointer, dir, warnings),
            Target::External => {
                warnings.push(
                    ptr,
                    WarningKind::ExternalRef,
                    format!("reference {reference:?} leaves the document and was not fetched"),
                );
                (json!({}), 1)
            }
            Target::Dangling => {
                warnings.push(
                    ptr,
                    WarningKind::DanglingRef,
                    format!("reference {reference:?} points at nothing"),
                );
                (json!({}), 1)
            }
        }
    }

    fn convert_object(
        &mut self,
        map: &Map<String, Value>,
        ptr: &mut String,
        dir: Direction,
        warnings: &mut Warnings,
    ) -> (Value, usize) {
        if let Some(Value::String(reference)) = map.get("$ref") {
            let (target, size) = self.convert_ref(reference, ptr, dir, warnings);
            if map.len() == 1 {
                return (target, size);
            }
            let rest: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| k.as_str() != "$ref")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let (siblings, sib_size) = self.convert_object(&rest, ptr, dir, warnings);
            return (merge_ref_siblings(target, siblings), size + sib_size);
        }

        let mut out = Map::new();
        let mut size = 1;
        let mut nullable = false;
        let mut dropped: Vec<String> = Vec::new();
        let mut property_string: Option<String> = None;
        for (key, value) in map {
            let k = key.as_str();
            match k {
                "type" => {
                    if let Some(t) = self.sanitize_type(value, ptr, warnings) {
                        out.insert("type".into(), t);
                    }
                }
                "nullable" | "x-nullable" => nullable |= value == &Value::Bool(true),
                "enum" => match value {
                    Value::Array(_) => {
                        out.insert(k.into(), value.clone());
                    }
                    _ => invalid(warnings, ptr, k, "an array"),
                },
                "const" | "default" => {
                    out.insert(k.into(), value.clone());
                }
                "example" if !map.contains_key("examples") => {
                    out.insert("examples".into(), Value::Array(vec![value.clone()]));
                }
                "examples" if value.is_array() => {
                    out.insert(k.into(), value.clone());
                }
                "multipleOf" => match value.as_f64() {
                    Some(n) if n > 0.0 => {
                        out.insert(k.into(), value.clone());
                    }
                    _ => invalid(warnings, ptr, k, "a number above zero"),
                },
                "maximum" | "minimum" => {
                    if value.is_number() {
                        out.insert(k.into(), value.clone());
                    } else {
                        invalid(warnings, ptr, k, "a number");
                    }
                }
                "exclusiveMaximum" | "exclusiveMinimum" => match value {
                    Value::Number(_) => {
                        out.insert(k.into(), value.clone());
                    }
                    Value::Bool(_) => {} // 3.0 form, rewritten below.
                    _ => invalid(warnings, ptr, k, "a number or a boolean"),
                },
                "maxLength" | "minLength" | "maxItems" | "minItems" | "maxProperties"
                | "minProperties" | "minContains" | "maxContains" => match non_negative(value) {
                    Some(n) => {
                        out.insert(k.into(), Value::from(n));
                    }
                    None => invalid(warnings, ptr, k, "a non-negative integer"),
                },
                "pattern" => match value {
                    Value::String(p) if self.regex_ok(p, RegexUse::Pattern) => {
                        out.insert(k.into(), value.clone());
                    }
                    Value::String(_) => invalid(
                        warnings,
                        ptr,
                        k,
                        "a regular expression the validator understands (ECMA 262)",
                    ),
                    _ => invalid(warnings, ptr, k, "a string"),
                },
                // OpenAPI's widths of numbers are not JSON Schema formats: no validator checks
                // them and a model gains nothing from them on every integer.
                "format"
                    if matches!(value.as_str(), Some("int32" | "int64" | "float" | "double")) => {}
                // Proxmox's property strings: the keys go into the description (below).
                "format" if value.is_object() => {
                    property_string = value
                        .as_object()
                        .and_then(|keys| property_string::describe(keys, dir));
                    if property_string.is_none() {
                        invalid(warnings, ptr, k, "a string");
                    }
                }
                // Notes for the document's authors, not for a model.
                "$comment" if !value.is_string() => invalid(warnings, ptr, k, "a string"),
                "$comment" => {}
                "format" | "title" | "description" | "contentMediaType" | "contentEncoding" => {
                    if value.is_string() {
                        out.insert(k.into(), value.clone());
                    } else {
                        invalid(warnings, ptr, k, "a string");
                    }
                }
                "uniqueItems" | "deprecated" | "readOnly" | "writeOnly" => {
                    if value.is_boolean() {
                        out.insert(k.into(), value.clone());
                    } else {
                        invalid(warnings, ptr, k, "a boolean");
                    }
                }
                "required" => match value {
                    Value::Array(items) => {
                        let mut seen = BTreeSet::new();
                        let names: Vec<Value> = items
                            .iter()
                            .filter_map(Value::as_str)
                            .filter(|s| seen.insert(*s))
                            .map(Value::from)
                            .collect();
                        if !names.is_empty() {
                            out.insert(k.into(), Value::Array(names));
                        }
                    }
                    _ => invalid(warnings, ptr, k, "an array of property names"),
                },
                "dependentRequired" => {
                    if let Value::Object(members) = value {
                        let clean: Map<String, Value> = members
                            .iter()
                            .filter_map(|(name, v)| {
                                let list = v.as_array()?;
                                let mut seen = BTreeSet::new();
                                let names: Vec<Value> = list
                                    .iter()
                                    .filter_map(Value::as_str)
                                    .filter(|s| seen.insert(*s))
                                    .map(Value::from)
                                    .collect();
                                Some((name.clone(), Value::Array(names)))
                            })
                            .collect();
                        out.insert(k.into(), Value::Object(clean));
                    }
                }
                "$recursiveRef" | "$dynamicRef" => warnings.push(
                    ptr,
                    WarningKind::Unsupported,
                    format!("{k} is not supported; the schema accepts any value there"),
                ),
                // The keywords that hold subschemas, as `keywords.rs` lists them. The document's
                // own `$defs` are reached through references, never converted in place.
                "$defs" => {}
                // Draft 4's tuple form of `items` is 2020-12's `prefixItems`.
                "items" if value.is_array() => {
                    let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
                    let (list, n) = self.schema_list(items, ptr, k, dir, warnings);
                    size += n;
                    out.insert("prefixItems".into(), Value::Array(list));
                }
                _ if SCHEMA_MAPS.contains(&k) => {
                    let Value::Object(members) = value else {
                        invalid(warnings, ptr, k, "an object of schemas");
                        continue;
                    };
                    let len = ptr.len();
                    refs::push_token(ptr, k);
                    let mut converted = Map::new();
                    for (name, member) in members {
                        if k == "patternProperties" && !self.regex_ok(name, RegexUse::PropertyName)
                        {
                            invalid(
                                warnings,
                                ptr,
                                k,
                                "keyed by regular expressions the validator understands",
                            );
                            continue;
                        }
                        let (schema, n) = self.sub(member, ptr, name, dir, warnings);
                        if k == "properties" && hidden(&schema, dir) {
                            dropped.push(name.clone());
                            continue;
                        }
                        size += n;
                        converted.insert(name.clone(), schema);
                    }
                    ptr.truncate(len);
                    out.insert(k.into(), Value::Object(converted));
                }
                _ if SCHEMA_SLOTS.contains(&k) => {
                    let (schema, n) = self.sub(value, ptr, k, dir, warnings);
                    size += n;
                    out.insert(k.into(), schema);
                }
                _ if SCHEMA_LISTS.contains(&k) => match value {
                    Value::Array(items) if !items.is_empty() => {
                        let (list, n) = self.schema_list(items, ptr, k, dir, warnings);
                        size += n;
                        out.insert(k.into(), Value::Array(list));
                    }
                    _ => invalid(warnings, ptr, k, "a non-empty array of schemas"),
                },
                // OpenAPI-only or identity keywords that have no meaning once inlined:
                // discriminator, xml, externalDocs, $schema, $id, $anchor, definitions, x-*, …
                _ => {}
            }
        }
        if let Some(keys) = property_string {
            let text = match out.get("description").and_then(Value::as_str) {
                Some(own) if !own.trim().is_empty() => format!("{}\n{keys}", own.trim_end()),
                _ => keys,
            };
            out.insert("description".into(), Value::from(text));
        }
        finish(&mut out, map, nullable, &dropped, dir);
        (Value::Object(out), size)
    }

    /// `true` when the `jsonschema` crate accepts `pattern` where `usage` puts it (checked
    /// once per distinct text).
    fn regex_ok(&mut self, pattern: &str, usage: RegexUse) -> bool {
        let seen = match usage {
            RegexUse::Pattern => &mut self.patterns,
            RegexUse::PropertyName => &mut self.pattern_names,
        };
        if let Some(ok) = seen.get(pattern) {
            return *ok;
        }
        let ok = plainly_valid(pattern) || validator_accepts(pattern, usage);
        seen.insert(pattern.to_owned(), ok);
        ok
    }

    fn schema_list(
        &mut self,
        items: &[Value],
        ptr: &mut String,
        key: &str,
        dir: Direction,
        warnings: &mut Warnings,
    ) -> (Vec<Value>, usize) {
        let len = ptr.len();
        refs::push_token(ptr, key);
        let mut size = 0;
        let mut list = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let (schema, n) = self.sub(item, ptr, &i.to_string(), dir, warnings);
            size += n;
            list.push(schema);
        }
        ptr.truncate(len);
        (list, size)
    }

    fn sanitize_type(&self, value: &Value, ptr: &str, warnings: &mut Warnings) -> Option<Value> {
        let one = |t: &str, warnings: &mut Warnings| -> Option<&'static str> {
            if t == "null" && self.family != SpecFamily::OpenApi31 {
                warnings.push(
                    ptr,
                    WarningKind::NullTypeIn30,
                    "type \"null\" is not valid before OpenAPI 3.1; read as JSON Schema null",
                );
            }
            if t == "file" {
                return Some("string");
            }
            TYPES.iter().find(|x| **x == t).copied()
        };
        match value {
            Value::String(t) => match one(t, warnings) {
                Some(t) => Some(Value::from(t)),
                None => {
                    invalid(warnings, ptr, "type", "a JSON Schema type name");
                    None
                }
            },
            Value::Array(list) => {
                let mut seen: Vec<&'static str> = Vec::new();
                for t in list.iter().filter_map(Value::as_str) {
                    if let Some(t) = one(t, warnings)
                        && !seen.contains(&t)
                    {
                        seen.push(t);
                    }
                }
                match seen.len() {
                    0 => {
                        invalid(warnings, ptr, "type", "JSON Schema type names");
                        None
                    }
                    1 => Some(Value::from(seen[0])),
                    _ => Some(Value::Array(seen.into_iter().map(Value::from).collect())),
                }
            }
            _ => {
                invalid(warnings, ptr, "type", "a type name or a list of them");
                None
            }
        }
    }
}

/// Where a regular expression appears in a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RegexUse {
    /// The value of `pattern`.
    Pattern,
    /// A name in `patternProperties`.
    PropertyName,
}

/// Budget of [`regex_cost`] up to which a pattern counts as small: the same bound the
/// validator's own regex support puts on the patterns it matches without building an engine
/// first (16,384 class ranges times repetitions, far below the `regex` crate's default size
/// limit; Unicode `\w`, about 770 ranges, compiles to about 45 KB).
const PLAIN_REGEX_BUDGET: u64 = 16_384;

/// `true` for a pattern the validator certainly accepts, decided by parsing alone: it
/// translates from ECMA 262 the way the validator translates it, parses (as a syntax tree,
/// without compiling any automaton) for both engines the validator may hand it to, uses no
/// lookaround or backreference, and is small. Most real-world patterns are like that, and
/// this keeps the regex compilers out of start-up (their code alone is more than 1 MB of
/// resident memory). `false` means "not decided here", not "refused".
fn plainly_valid(pattern: &str) -> bool {
    let Ok(translated) = jsonschema_regex::to_rust_regex(pattern) else {
        return false;
    };
    let Ok(hir) = regex_syntax::Parser::new().parse(&translated) else {
        return false;
    };
    regex_cost(&hir) <= PLAIN_REGEX_BUDGET && fancy_regex::Expr::parse_tree(&translated).is_ok()
}

/// An upper estimate of the size of the automaton for `hir`: characters and class ranges,
/// multiplied by the repetitions around them.
fn regex_cost(hir: &regex_syntax::hir::Hir) -> u64 {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 1,
        HirKind::Literal(literal) => literal.0.len() as u64,
        HirKind::Class(Class::Unicode(class)) => class.ranges().len() as u64,
        HirKind::Class(Class::Bytes(class)) => class.ranges().len() as u64,
        HirKind::Repetition(rep) => {
            let times = rep.max.map_or(u64::from(rep.min) + 1, u64::from).max(1);
            regex_cost(&rep.sub).saturating_mul(times)
        }
        HirKind::Capture(capture) => regex_cost(&capture.sub),
        HirKind::Concat(items) | HirKind::Alternation(items) => {
            items.iter().map(regex_cost).fold(0, u64::saturating_add)
        }
    }
}

/// Whether the `jsonschema` crate builds a validator for `pattern` used as `usage`: the
/// exact answer, for the patterns [`plainly_valid`] leaves open (lookaround, backreferences,
/// huge repetitions, and anything invalid).
fn validator_accepts(pattern: &str, usage: RegexUse) -> bool {
    let schema = match usage {
        RegexUse::Pattern => json!({ "pattern": pattern }),
        RegexUse::PropertyName => json!({ "patternProperties": { pattern: {} } }),
    };
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .is_ok()
}

fn invalid(warnings: &mut Warnings, ptr: &str, key: &str, expected: &str) {
    warnings.push(
        &refs::child(ptr, key),
        WarningKind::InvalidKeyword,
        format!("{key} must be {expected}; dropped"),
    );
}

fn non_negative(value: &Value) -> Option<u64> {
    if let Some(n) = value.as_u64() {
        return Some(n);
    }
    let f = value.as_f64()?;
    (f >= 0.0 && f.fract() == 0.0 && f < 9.0e15).then_some(f as u64)
}

/// The `$defs` name a schema consisting of nothing but a `$defs` reference points at.
fn alias_target(schema: &Value) -> Option<&str> {
    let map = schema.as_object()?;
    if map.len() != 1 {
        return None;
    }
    map.get("$ref")?.as_str()?.strip_prefix("#/$defs/")
}

/// `A: {$ref: B}, B: {$ref: A}` says nothing; such alias loops (and absurdly long alias
/// chains) become `{}` so no validator can chase them forever.
fn break_alias_cycles(defs: &mut Map<String, Value>) {
    let mut looping: Vec<String> = Vec::new();
    for start in defs.keys() {
        let mut seen: Vec<&str> = vec![start.as_str()];
        let mut cur = start.as_str();
        while let Some(next) = defs.get(cur).and_then(alias_target) {
            // Alias chains longer than this are treated like loops (bounded work).
            if seen.contains(&next) || seen.len() > 32 {
                looping.push(start.clone());
                break;
            }
            seen.push(next);
            cur = next;
        }
    }
    for name in looping {
        defs.insert(name, json!({}));
    }
}

/// `true` when a property must be left out in this direction.
fn hidden(schema: &Value, dir: Direction) -> bool {
    let flag = match dir {
        Direction::Input => "readOnly",
        Direction::Output => "writeOnly",
    };
    schema.get(flag) == Some(&Value::Bool(true))
}

/// Post-processing of one converted schema object.
fn finish(
    out: &mut Map<String, Value>,
    source: &Map<String, Value>,
    nullable: bool,
    dropped: &[String],
    dir: Direction,
) {
    // OpenAPI 3.0 boolean exclusive bounds become 2020-12 numeric ones.
    for (flag, bound) in [
        ("exclusiveMaximum", "maximum"),
        ("exclusiveMinimum", "minimum"),
    ] {
        if source.get(flag) == Some(&Value::Bool(true))
            && let Some(n) = out.remove(bound)
        {
            out.insert(flag.into(), n);
        }
    }
    // Swagger's `type: file` is a binary string.
    if source.get("type").and_then(Value::as_str) == Some("file") && !out.contains_key("format") {
        out.insert("format".into(), Value::from("binary"));
    }
    if !dropped.is_empty()
        && let Some(Value::Array(req)) = out.get_mut("required")
    {
        req.retain(|r| !r.as_str().is_some_and(|r| dropped.iter().any(|d| d == r)));
        if req.is_empty() {
            out.remove("required");
        }
    }
    if out.contains_key("allOf") {
        merge_all_of(out);
    }
    simplify_nullable_union(out, "anyOf");
    simplify_nullable_union(out, "oneOf");
    if nullable {
        make_nullable(out);
    }
    if type_includes(out, "array") && !out.contains_key("items") && !out.contains_key("prefixItems")
    {
        out.insert("items".into(), json!({}));
    }
    // A result has `net0`, `net1`, … where the document says `net[n]`.
    if dir == Direction::Output {
        numbered::output_families(out);
    }
}

fn type_includes(schema: &Map<String, Value>, name: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == name,
        Some(Value::Array(list)) => list.iter().any(|t| t == name),
        _ => false,
    }
}

/// Writes OpenAPI 3.0 `nullable: true` (and Swagger `x-nullable`) in 2020-12 form.
pub(crate) fn make_nullable(out: &mut Map<String, Value>) {
    match out.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            if t != "null" {
                out.insert("type".into(), json!([t, "null"]));
            } else {
                out.insert("type".into(), Value::from(t));
            }
        }
        Some(Value::Array(list)) => {
            if !list.iter().any(|t| t == "null") {
                list.push(Value::from("null"));
            }
        }
        _ => {
            let constrained = out.keys().any(|k| !ANNOTATIONS.contains(&k.as_str()));
            if constrained {
                let mut inner = std::mem::take(out);
                for key in ["title", "description", "default", "deprecated"] {
                    if let Some(v) = inner.remove(key) {
                        out.insert(key.into(), v);
                    }
                }
                out.insert(
                    "anyOf".into(),
                    Value::Array(vec![Value::Object(inner), json!({"type": "null"})]),
                );
            }
            return;
        }
    }
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.iter().any(Value::is_null)
    {
        values.push(Value::Null);
    }
}

/// `anyOf: [{type: T, …}, {type: null}]` becomes `{type: [T, null], …}`.
fn simplify_nullable_union(out: &mut Map<String, Value>, key: &str) {
    let Some(Value::Array(members)) = out.get(key) else {
        return;
    };
    if members.len() != 2 || out.contains_key("type") {
        return;
    }
    let is_null = |v: &Value| {
        v.as_object().is_some_and(|m| {
            m.get("type") == Some(&Value::from("null"))
                && m.keys()
                    .all(|k| k == "type" || ANNOTATIONS.contains(&k.as_str()))
        })
    };
    let (other, _) = match (is_null(&members[0]), is_null(&members[1])) {
        (true, false) => (&members[1], &members[0]),
        (false, true) => (&members[0], &members[1]),
        _ => return,
    };
    let Some(other) = other.as_object() else {
        return;
    };
    let simple = matches!(other.get("type"), Some(Value::String(_)))
        && !other
            .keys()
            .any(|k| matches!(k.as_str(), "$ref" | "allOf" | "anyOf" | "oneOf" | "not"));
    if !simple
        || other
            .keys()
            .any(|k| out.contains_key(k) && k != "description")
    {
        return;
    }
    let mut merged = other.clone();
    out.remove(key);
    for (k, v) in std::mem::take(out) {
        merged.insert(k, v);
    }
    make_nullable(&mut merged);
    *out = merged;
}

/// Folds `allOf` members into the schema when they do not conflict; otherwise keeps `allOf`.
///
/// A schema made of several members keeps the description of each part it does not already
/// say (Docker's `HostConfig`, its own description and then that of `Resources`): all of them
/// describe the value. One member with a description beside it is a reference with its own
/// description (Swagger 2.0 has no other way to write one), which replaces the member's.
fn merge_all_of(out: &mut Map<String, Value>) {
    let Some(Value::Array(members)) = out.remove("allOf") else {
        return;
    };
    if !can_merge(out, &members) {
        out.insert("allOf".into(), Value::Array(members));
        return;
    }
    let composed = members.len() > 1;
    for member in members {
        let Value::Object(member) = member else {
            continue;
        };
        for (k, v) in member {
            match (k.as_str(), v) {
                ("properties", Value::Object(props)) => {
                    if let Value::Object(target) = out
                        .entry("properties")
                        .or_insert_with(|| Value::Object(Map::new()))
                    {
                        for (name, schema) in props {
                            target.entry(name).or_insert(schema);
                        }
                    }
                }
                ("required", Value::Array(list)) => {
                    if let Value::Array(target) = out
                        .entry("required")
                        .or_insert_with(|| Value::Array(Vec::new()))
                    {
                        for name in list {
                            if !target.contains(&name) {
                                target.push(name);
                            }
                        }
                    }
                }
                ("description", Value::String(part)) if composed => match out.get_mut(&k) {
                    Some(Value::String(text)) => {
                        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
                        if !words(text).contains(&words(&part)) {
                            text.push_str("\n\n");
                            text.push_str(part.trim());
                        }
                    }
                    Some(_) => {}
                    None => {
                        out.insert(k, Value::String(part));
                    }
                },
                (_, v) => {
                    out.entry(k).or_insert(v);
                }
            }
        }
    }
}

/// `true` when the `allOf` members can be folded into `base` without changing meaning much:
/// no `$ref` members, no two different values for one keyword or one property.
fn can_merge(base: &Map<String, Value>, members: &[Value]) -> bool {
    type Seen<'v> = HashMap<&'v str, &'v Value>;
    fn visit<'v>(m: &'v Map<String, Value>, seen: &mut Seen<'v>, props: &mut Seen<'v>) -> bool {
        for (k, v) in m {
            match k.as_str() {
                "$ref" => return false,
                "properties" => {
                    let Some(p) = v.as_object() else {
                        return false;
                    };
                    for (name, schema) in p {
                        if let Some(existing) = props.get(name.as_str()) {
                            if *existing != schema {
                                return false;
                            }
                        } else {
                            props.insert(name.as_str(), schema);
                        }
                    }
                }
                "required" => {
                    if !v.is_array() {
                        return false;
                    }
                }
                key if ANNOTATIONS.contains(&key) => {}
                key => {
                    if let Some(existing) = seen.get(key) {
                        if *existing != v {
                            return false;
                        }
                    } else {
                        seen.insert(key, v);
                    }
                }
            }
        }
        true
    }
    let mut seen: Seen<'_> = HashMap::new();
    let mut props: Seen<'_> = HashMap::new();
    if !visit(base, &mut seen, &mut props) {
        return false;
    }
    for member in members {
        match member {
            Value::Bool(true) => {}
            Value::Object(m) => {
                if !visit(m, &mut seen, &mut props) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

/// Combines a resolved `$ref` target with the keywords written next to the `$ref`.
fn merge_ref_siblings(target: Value, siblings: Value) -> Value {
    let Value::Object(sib) = siblings else {
        return target;
    };
    if sib.is_empty() {
        return target;
    }
    match target {
        Value::Object(mut t) if !t.contains_key("$ref") => {
            let annotations_only = sib.keys().all(|k| ANNOTATIONS.contains(&k.as_str()));
            if annotations_only {
                for (k, v) in sib {
                    t.insert(k, v);
                }
                return Value::Object(t);
            }
            // Siblings first, so their annotations (description, default) win when merged.
            let mut wrapper = Map::new();
            wrapper.insert(
                "allOf".into(),
                Value::Array(vec![Value::Object(sib), Value::Object(t)]),
            );
            merge_all_of(&mut wrapper);
            Value::Object(wrapper)
        }
        other => {
            // `$ref` with siblings is valid 2020-12: the keywords all apply.
            let mut out = sib;
            if let Value::Object(t) = other {
                if let Some(r) = t.get("$ref") {
                    out.insert("$ref".into(), r.clone());
                }
                if t.len() > 1 {
                    let mut wrapper = Map::new();
                    wrapper.insert(
                        "allOf".into(),
                        Value::Array(vec![Value::Object(t), Value::Object(out)]),
                    );
                    return Value::Object(wrapper);
                }
            }
            Value::Object(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{RegexUse, plainly_valid, validator_accepts};

    /// Usual patterns are decided by parsing alone, which keeps the regex compilers out of
    /// start-up; `tests/pattern_check.rs` checks every answer against the validator.
    #[test]
    fn usual_patterns_are_decided_without_compiling() {
        for p in [
            "^/",
            "^[a-z][a-z0-9-]*$",
            "^[A-Za-z][A-Za-z0-9_-]*$",
            "^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$",
            "^[a-z][a-z0-9._-]*$",
            "^[A-Za-z0-9._-]+$",
            "^.{1,255}$",
            "^\\p{L}+$",
            "(?i)^[a-f0-9]{32}$",
        ] {
            assert!(plainly_valid(p), "{p:?} is not decided by parsing");
            assert!(validator_accepts(p, RegexUse::Pattern), "{p:?}");
            assert!(validator_accepts(p, RegexUse::PropertyName), "{p:?}");
        }
    }

    /// What parsing cannot settle goes to the validator: lookaround, backreferences, huge
    /// repetitions, and invalid patterns.
    #[test]
    fn the_rest_is_left_to_the_validator() {
        for (p, accepted) in [
            ("^(?=.*\\d).{8,}$", true),
            ("^(a)\\1$", true),
            ("^.{0,65535}$", true),
            ("[0-9a-zA-Z!=]{0,4096}", true),
            ("(a", false),
            ("\\p{Foo}", false),
            ("[A-Za-z]{,8}", false),
        ] {
            assert!(!plainly_valid(p), "{p:?}");
            assert_eq!(validator_accepts(p, RegexUse::Pattern), accepted, "{p:?}");
        }
    }
}
