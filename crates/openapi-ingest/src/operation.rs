//! One operation to one [`Tool`]: parameters, body, flattening, output and bindings.

use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use crate::describe::describe;
use crate::media;
use crate::model::{BodyKind, Method, SpecFamily, WarningKind};
use crate::names::{self, Namer};
use crate::numbered;
use crate::property_string;
use crate::refs::{self, Resolver, Target};
use crate::request::{Binding, BodyBinding, Location, ParamBinding, Style};
use crate::schema::{Converted, Converter, Direction};
use crate::share;
use crate::tool::{OUTPUT_WRAP_KEY, Tool};
use crate::warnings::Warnings;

/// How many `$ref` hops a parameter, body or response reference may take.
const MAX_REF_HOPS: usize = 16;

/// Shared state while building the tools of one document.
#[derive(Debug)]
pub(crate) struct Builder<'a> {
    pub(crate) resolver: &'a Resolver<'a>,
    pub(crate) conv: Converter<'a>,
    pub(crate) family: SpecFamily,
    pub(crate) warnings: Warnings,
    pub(crate) namer: Namer,
    /// Swagger 2.0 document-level `consumes` / `produces`.
    pub(crate) consumes: Vec<String>,
    pub(crate) produces: Vec<String>,
}

/// What the path item passes on to each of its operations.
#[derive(Debug)]
pub(crate) struct PathContext<'v> {
    pub(crate) key: &'v str,
    pub(crate) pointer: String,
    pub(crate) params: Vec<(String, &'v Value)>,
}

/// A parameter after `$ref` resolution.
struct Param<'v> {
    name: String,
    location: &'v str,
    map: &'v Map<String, Value>,
    pointer: String,
}

/// The request body, whichever dialect it came from.
struct Body {
    content_types: Vec<String>,
    /// The kind of each of `content_types`, in the same order.
    kinds: Vec<BodyKind>,
    /// The media type the request carries (never a range).
    chosen: Option<String>,
    required: bool,
    description: Option<String>,
    schema: Option<Converted>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

impl<'a> Builder<'a> {
    /// Follows `$ref`s of a non-schema object (parameter, body, response, path item).
    pub(crate) fn resolve_obj<'v>(
        &mut self,
        value: &'v Value,
        pointer: String,
    ) -> Option<(&'v Map<String, Value>, String)>
    where
        'a: 'v,
    {
        let mut cur = value;
        let mut ptr = pointer;
        for _ in 0..MAX_REF_HOPS {
            let Value::Object(map) = cur else {
                self.warnings
                    .push(&ptr, WarningKind::Malformed, "expected an object");
                return None;
            };
            let Some(Value::String(reference)) = map.get("$ref") else {
                return Some((map, ptr));
            };
            match self.resolver.target(reference) {
                Target::Local(p) => {
                    cur = self.resolver.get(&p)?;
                    ptr = p;
                }
                Target::External => {
                    self.warnings.push(
                        &ptr,
                        WarningKind::ExternalRef,
                        format!("reference {reference:?} leaves the document and was not fetched"),
                    );
                    return None;
                }
                Target::Dangling => {
                    self.warnings.push(
                        &ptr,
                        WarningKind::DanglingRef,
                        format!("reference {reference:?} points at nothing"),
                    );
                    return None;
                }
            }
        }
        self.warnings.push(
            &ptr,
            WarningKind::DanglingRef,
            "too many chained references",
        );
        None
    }

    fn collect_params<'v>(
        &mut self,
        ctx: &PathContext<'v>,
        op: &'v Map<String, Value>,
        op_ptr: &str,
    ) -> Vec<Param<'v>>
    where
        'a: 'v,
    {
        let mut raw: Vec<(String, &'v Value)> = ctx.params.clone();
        if let Some(list) = op.get("parameters") {
            let list_ptr = refs::child(op_ptr, "parameters");
            match list {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        raw.push((refs::child(&list_ptr, &i.to_string()), item));
                    }
                }
                _ => self.warnings.push(
                    &list_ptr,
                    WarningKind::Malformed,
                    "parameters must be an array",
                ),
            }
        }
        let mut out: Vec<Param<'v>> = Vec::new();
        for (ptr, value) in raw {
            let Some((map, ptr)) = self.resolve_obj(value, ptr) else {
                continue;
            };
            let (Some(Value::String(name)), Some(Value::String(location))) =
                (map.get("name"), map.get("in"))
            else {
                self.warnings.push(
                    &ptr,
                    WarningKind::Malformed,
                    "a parameter needs string `name` and `in` members",
                );
                continue;
            };
            let param = Param {
                name: name.clone(),
                location: location.as_str(),
                map,
                pointer: ptr,
            };
            // An operation-level parameter overrides a path-level one with the same name and
            // location, in place.
            if let Some(existing) = out
                .iter_mut()
                .find(|p| p.name == param.name && p.location == param.location)
            {
                *existing = param;
            } else {
                out.push(param);
            }
        }
        out
    }

    /// The schema of a non-body parameter, converted for input.
    fn param_schema(&mut self, p: &Param<'_>) -> Converted {
        let source: Value = if self.family == SpecFamily::Swagger2 {
            let mut s = Map::new();
            for (k, v) in p.map {
                if !matches!(
                    k.as_str(),
                    "name"
                        | "in"
                        | "required"
                        | "description"
                        | "collectionFormat"
                        | "allowEmptyValue"
                ) {
                    s.insert(k.clone(), v.clone());
                }
            }
            Value::Object(s)
        } else if let Some(schema) = p.map.get("schema") {
            schema.clone()
        } else if let Some(Value::Object(content)) = p.map.get("content") {
            content
                .values()
                .next()
                .and_then(|m| m.get("schema"))
                .cloned()
                .unwrap_or_else(|| json!({}))
        } else {
            json!({})
        };
        let ptr = if self.family != SpecFamily::Swagger2 && p.map.contains_key("schema") {
            refs::child(&p.pointer, "schema")
        } else {
            p.pointer.clone()
        };
        let mut converted =
            self.conv
                .convert_root(&source, &ptr, Direction::Input, &mut self.warnings);
        // A description the schema only has because conversion lifted it out of a member
        // (`anyOf: [{…, description}, {type: null}]` becomes one nullable schema) is not the
        // referenced schema's own, so the parameter's description does not replace it.
        // Nor does it replace the keys of a Proxmox property string, which conversion wrote
        // into the schema's description (`property_string.rs`).
        let lifted = (self.family != SpecFamily::Swagger2 && !self.own_description(&source))
            || self.at_top(&source, |map| {
                map.get("format").is_some_and(Value::is_object)
            });
        if let Value::Object(schema) = &mut converted.schema {
            if let Some(Value::String(d)) = p.map.get("description")
                && !d.trim().is_empty()
            {
                let d = d.trim();
                let text = match schema.get("description").and_then(Value::as_str) {
                    Some(inner) if lifted => joined(d, inner),
                    _ => d.to_owned(),
                };
                schema.insert("description".into(), Value::from(text));
            }
            if p.map.get("deprecated") == Some(&Value::Bool(true)) {
                schema.insert("deprecated".into(), Value::Bool(true));
            }
            if let Some(example) = p.map.get("example")
                && !schema.contains_key("examples")
                && self.family != SpecFamily::Swagger2
            {
                schema.insert("examples".into(), Value::Array(vec![example.clone()]));
            }
        }
        converted
    }

    /// `true` when `schema` (after its `$ref`s) has a `description` of its own at the top.
    fn own_description(&self, schema: &Value) -> bool {
        self.at_top(schema, |map| map.contains_key("description"))
    }

    /// `true` when `test` holds for `schema` or for a schema its `$ref`s lead to, up to the
    /// first that has no `$ref`.
    fn at_top(&self, schema: &Value, test: impl Fn(&Map<String, Value>) -> bool) -> bool {
        let mut cur = schema;
        for _ in 0..MAX_REF_HOPS {
            let Some(map) = cur.as_object() else {
                return false;
            };
            if test(map) {
                return true;
            }
            match self.ref_target(cur) {
                Some(Some(next)) => cur = next,
                None | Some(None) => return false,
            }
        }
        false
    }

    /// Where `schema`'s `$ref` leads: `None` when it has none, `Some(None)` when the reference
    /// leads nowhere in this document.
    fn ref_target<'v>(&self, schema: &'v Value) -> Option<Option<&'v Value>>
    where
        'a: 'v,
    {
        let Some(Value::String(reference)) = schema.get("$ref") else {
            return None;
        };
        let Target::Local(pointer) = self.resolver.target(reference) else {
            return Some(None);
        };
        Some(self.resolver.get(&pointer))
    }

    fn style_of(&self, p: &Param<'_>, location: Location) -> (Style, bool) {
        if self.family == SpecFamily::Swagger2 {
            let format = p.map.get("collectionFormat").and_then(Value::as_str);
            return match (location, format.unwrap_or("csv")) {
                (Location::Query, "multi") => (Style::Form, true),
                (Location::Query, "ssv") => (Style::SpaceDelimited, false),
                (Location::Query, "pipes") => (Style::PipeDelimited, false),
                (Location::Query, _) => (Style::Form, false),
                _ => (Style::Simple, false),
            };
        }
        let default = match location {
            Location::Query | Location::Cookie => Style::Form,
            Location::Path | Location::Header => Style::Simple,
        };
        let style = match p.map.get("style").and_then(Value::as_str) {
            Some("simple") => Style::Simple,
            Some("label") => Style::Label,
            Some("matrix") => Style::Matrix,
            Some("form") => Style::Form,
            Some("spaceDelimited") => Style::SpaceDelimited,
            Some("pipeDelimited") => Style::PipeDelimited,
            Some("deepObject") => Style::DeepObject,
            _ => default,
        };
        let explode = p
            .map
            .get("explode")
            .and_then(Value::as_bool)
            .unwrap_or(style == Style::Form);
        (style, explode)
    }

    /// Builds one tool.
    pub(crate) fn operation(
        &mut self,
        ctx: &PathContext<'_>,
        method: Method,
        op: &Map<String, Value>,
        op_ptr: &str,
        seen_ids: &mut std::collections::HashMap<String, String>,
    ) -> Tool {
        let operation_id = op
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(id) = &operation_id {
            if let Some(first) = seen_ids.get(id) {
                self.warnings.push(
                    &refs::child(op_ptr, "operationId"),
                    WarningKind::DuplicateOperationId,
                    format!("operationId {id:?} is also used at {first}"),
                );
            } else {
                seen_ids.insert(id.clone(), op_ptr.to_owned());
            }
        }
        let (path_base, fixed_query) = split_path_key(ctx.key);
        let stem = operation_id
            .as_deref()
            .map(names::sanitize)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| names::from_method_path(method, ctx.key));
        let name = self.namer.assign(&stem);

        let tags = strings(op.get("tags"));
        let deprecated = op.get("deprecated") == Some(&Value::Bool(true));
        let summary = op.get("summary").and_then(Value::as_str);
        let title = summary
            .and_then(|s| s.lines().next())
            .map(|s| title_of(first_sentence(s.trim())))
            .filter(|s| !s.is_empty() && s.chars().count() <= MAX_TITLE_CHARS)
            .map(str::to_owned);
        let extensions: Map<String, Value> = op
            .iter()
            .filter(|(k, _)| k.starts_with("x-"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();

        // Parameters.
        let params = self.collect_params(ctx, op, op_ptr);
        let placeholders = placeholders(&path_base);
        let mut props = Map::new();
        let mut required: Vec<String> = Vec::new();
        let mut used: HashSet<String> = HashSet::new();
        let mut defs: BTreeSet<String> = BTreeSet::new();
        let mut bindings: Vec<ParamBinding> = Vec::new();
        let mut swagger_body: Option<&Param<'_>> = None;
        let mut form_fields: Vec<&Param<'_>> = Vec::new();
        for p in &params {
            let location = match p.location {
                "path" => Location::Path,
                "query" => Location::Query,
                "header" => Location::Header,
                "cookie" => Location::Cookie,
                "body" if self.family == SpecFamily::Swagger2 => {
                    swagger_body = Some(p);
                    continue;
                }
                "formData" if self.family == SpecFamily::Swagger2 => {
                    form_fields.push(p);
                    continue;
                }
                other => {
                    self.warnings.push(
                        &p.pointer,
                        WarningKind::Malformed,
                        format!("parameter location {other:?} is not supported; ignored"),
                    );
                    continue;
                }
            };
            if location == Location::Header
                && ["accept", "content-type", "authorization"]
                    .contains(&p.name.to_ascii_lowercase().as_str())
            {
                continue;
            }
            if location == Location::Path && !placeholders.contains(&p.name) {
                self.warnings.push(
                    &p.pointer,
                    WarningKind::UnusedPathParameter,
                    format!(
                        "path parameter {:?} does not occur in {:?}",
                        p.name, ctx.key
                    ),
                );
                continue;
            }
            let converted = self.param_schema(p);
            defs.extend(converted.defs.iter().cloned());
            let arg = self.unique_arg(&p.name, p.location, &mut used, &p.pointer);
            let is_required =
                location == Location::Path || p.map.get("required") == Some(&Value::Bool(true));
            if is_required {
                required.push(arg.clone());
            }
            // `net[n]`: one argument for `net0`, `net1`, … (query only; see numbered.rs).
            let stem = names::numbered_stem(&p.name).filter(|_| location == Location::Query);
            let schema = match stem {
                Some(stem) => numbered::argument_schema(
                    stem,
                    converted.schema,
                    p.map.get("description").and_then(Value::as_str),
                    is_required,
                ),
                None => converted.schema,
            };
            props.insert(arg.clone(), schema);
            let (style, explode) = self.style_of(p, location);
            bindings.push(ParamBinding {
                arg,
                name: p.name.clone(),
                location,
                style,
                explode,
                numbered: stem.is_some(),
            });
        }
        for ph in &placeholders {
            let declared = bindings
                .iter()
                .any(|b| b.location == Location::Path && &b.name == ph);
            if !declared {
                self.warnings.push(
                    op_ptr,
                    WarningKind::UndeclaredPathParameter,
                    format!(
                        "{{{ph}}} in {:?} has no parameter; a string is assumed",
                        ctx.key
                    ),
                );
                let arg = self.unique_arg(ph, "path", &mut used, op_ptr);
                required.push(arg.clone());
                props.insert(arg.clone(), json!({"type": "string"}));
                bindings.push(ParamBinding {
                    arg,
                    name: ph.clone(),
                    location: Location::Path,
                    style: Style::Simple,
                    explode: false,
                    numbered: false,
                });
            }
        }

        // Body.
        let body = if self.family == SpecFamily::Swagger2 {
            self.swagger_body(op, swagger_body, &form_fields)
        } else {
            self.openapi_body(op, op_ptr)
        };
        let mut body_binding = BodyBinding::None;
        // The description of a body flattened into arguments, said in the tool's description.
        let mut body_note: Option<String> = None;
        let (content_types, kinds, body_required, chosen) = match &body {
            Some(b) => (
                b.content_types.clone(),
                b.kinds.clone(),
                b.required,
                b.chosen.clone(),
            ),
            None => (Vec::new(), Vec::new(), false, None),
        };
        if let Some(Body {
            schema: Some(converted),
            required: body_required,
            description: body_description,
            ..
        }) = body
        {
            defs.extend(converted.defs.iter().cloned());
            let flat = flattenable(&converted.schema);
            let Converted {
                schema: body_schema,
                ..
            } = converted;
            match (flat, body_schema) {
                (Some(body_req), Value::Object(mut body_map)) => {
                    let own = body_map.get("description").and_then(Value::as_str);
                    body_note = match (body_description, own) {
                        (Some(b), Some(o)) if b.trim() != o.trim() => {
                            let b = b.trim();
                            let stop = if b.ends_with(['.', '!', '?', ':']) {
                                ""
                            } else {
                                "."
                            };
                            Some(format!("{b}{stop} {}", o.trim()))
                        }
                        (Some(b), _) => Some(b),
                        (None, o) => o.map(str::to_owned),
                    };
                    let body_props = match body_map.remove("properties") {
                        Some(Value::Object(p)) => p,
                        _ => Map::new(),
                    };
                    let mut pairs = Vec::new();
                    for (prop, schema) in body_props {
                        let arg = self.unique_arg(&prop, "body", &mut used, op_ptr);
                        if body_required && body_req.contains(&prop) {
                            required.push(arg.clone());
                        }
                        props.insert(arg.clone(), schema);
                        pairs.push((arg, prop));
                    }
                    body_binding = BodyBinding::Flat(pairs);
                }
                (_, mut schema) => {
                    let arg = if used.contains("body") {
                        self.unique_arg("request_body", "body", &mut used, op_ptr)
                    } else {
                        self.unique_arg("body", "body", &mut used, op_ptr)
                    };
                    if let (Value::Object(s), Some(d)) = (&mut schema, body_description) {
                        s.entry("description").or_insert(Value::from(d));
                    }
                    if body_required {
                        required.push(arg.clone());
                    }
                    props.insert(arg.clone(), schema);
                    body_binding = BodyBinding::Whole(arg);
                }
            }
        }
        let mut body_kinds: Vec<BodyKind> = Vec::new();
        for k in kinds {
            if !body_kinds.contains(&k) {
                body_kinds.push(k);
            }
        }

        let description = describe(
            summary,
            op.get("description").and_then(Value::as_str),
            body_note.as_deref(),
            deprecated,
            &format!("{} {}", method.as_str(), ctx.key),
        );

        drop_name_echoes(&mut props);
        property_string::say_keys_once(&mut props);
        let mut input = Map::new();
        input.insert("type".into(), Value::from("object"));
        input.insert("properties".into(), Value::Object(props));
        if !required.is_empty() {
            let mut seen = HashSet::new();
            required.retain(|r| seen.insert(r.clone()));
            input.insert(
                "required".into(),
                Value::Array(required.into_iter().map(Value::from).collect()),
            );
        }
        input.insert("additionalProperties".into(), Value::Bool(false));
        if !defs.is_empty() {
            let d = self
                .conv
                .defs_for(&defs, Direction::Input, &mut self.warnings);
            input.insert("$defs".into(), Value::Object(d));
        }
        let conv = &mut self.conv;
        share::share_repeats(&mut input, &mut |schema| conv.component_name(schema));

        let (output_schema, output_wrapped) = match self.output(op, op_ptr) {
            Some((s, w)) => (Some(s), w),
            None => (None, false),
        };

        Tool {
            name,
            title,
            description,
            operation_id,
            method,
            path: ctx.key.to_owned(),
            tags,
            deprecated,
            body_kinds,
            body_content_types: content_types,
            body_required,
            extensions,
            input_schema: Value::Object(input),
            output_schema,
            output_wrapped,
            pointer: op_ptr.to_owned(),
            binding: Binding {
                path: path_base,
                fixed_query,
                params: bindings,
                body: body_binding,
                body_required,
                content_type: chosen,
            },
            input_validator: OnceLock::new(),
            output_validator: OnceLock::new(),
        }
    }

    /// A fresh argument name: `name`, else `<location>_<name>`, else with `_2`, `_3`, ….
    fn unique_arg(
        &mut self,
        name: &str,
        location: &str,
        used: &mut HashSet<String>,
        pointer: &str,
    ) -> String {
        let name = names::arg_name(name);
        if used.insert(name.clone()) {
            return name;
        }
        let base: String = format!("{location}_{name}").chars().take(60).collect();
        let mut candidate = base.clone();
        let mut n = 2;
        while used.contains(&candidate) {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        used.insert(candidate.clone());
        self.warnings.push(
            pointer,
            WarningKind::RenamedArgument,
            format!("argument {name:?} is taken; this one is called {candidate:?}"),
        );
        candidate
    }

    fn openapi_body(&mut self, op: &Map<String, Value>, op_ptr: &str) -> Option<Body> {
        let raw = op.get("requestBody")?;
        let (rb, rb_ptr) = self.resolve_obj(raw, refs::child(op_ptr, "requestBody"))?;
        let required = rb.get("required") == Some(&Value::Bool(true));
        let description = rb
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let Some(Value::Object(content)) = rb.get("content") else {
            self.warnings.push(
                &rb_ptr,
                WarningKind::Malformed,
                "requestBody without a content map",
            );
            return None;
        };
        let typed: Vec<(String, BodyKind)> = content
            .iter()
            .map(|(ct, m)| {
                let raw = m.get("schema").is_some_and(|s| self.is_raw_string(s));
                (ct.clone(), media::kind(ct, raw))
            })
            .collect();
        let (chosen, kind) = typed[media::choose(&typed)?].clone();
        let media_ptr = refs::child(&refs::child(&rb_ptr, "content"), &chosen);
        let schema_value = content.get(&chosen).and_then(|m| m.get("schema"));
        let schema = match schema_value {
            Some(s) => Some(self.conv.convert_root(
                s,
                &refs::child(&media_ptr, "schema"),
                Direction::Input,
                &mut self.warnings,
            )),
            None => Some(raw_body_schema(kind, &chosen)),
        };
        let (content_types, kinds) = typed.into_iter().unzip();
        Some(Body {
            content_types,
            kinds,
            chosen: Some(media::concrete(&chosen, kind)),
            required,
            description,
            schema,
        })
    }

    fn swagger_body(
        &mut self,
        op: &Map<String, Value>,
        body: Option<&Param<'_>>,
        form: &[&Param<'_>],
    ) -> Option<Body> {
        let mut consumes = strings(op.get("consumes"));
        if consumes.is_empty() {
            consumes = self.consumes.clone();
        }
        if let Some(p) = body {
            if consumes.is_empty() {
                consumes.push("application/json".to_owned());
            }
            let schema = p.map.get("schema").cloned().unwrap_or_else(|| json!({}));
            let raw = self.is_raw_string(&schema);
            let typed: Vec<(String, BodyKind)> = consumes
                .iter()
                .map(|ct| (ct.clone(), media::kind(ct, raw)))
                .collect();
            let chosen = media::choose(&typed).map(|i| media::concrete(&typed[i].0, typed[i].1));
            let converted = self.conv.convert_root(
                &schema,
                &refs::child(&p.pointer, "schema"),
                Direction::Input,
                &mut self.warnings,
            );
            return Some(Body {
                content_types: consumes,
                kinds: typed.into_iter().map(|(_, k)| k).collect(),
                chosen,
                required: p.map.get("required") == Some(&Value::Bool(true)),
                description: p
                    .map
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                schema: Some(converted),
            });
        }
        if form.is_empty() {
            return None;
        }
        let has_file = form
            .iter()
            .any(|p| p.map.get("type").and_then(Value::as_str) == Some("file"));
        let form_types: Vec<String> = consumes
            .iter()
            .filter(|c| matches!(BodyKind::of(c), BodyKind::Form | BodyKind::Multipart))
            .cloned()
            .collect();
        let multipart_only = form_types
            .iter()
            .all(|c| BodyKind::of(c) == BodyKind::Multipart)
            && !form_types.is_empty();
        let chosen = if has_file || multipart_only {
            "multipart/form-data".to_owned()
        } else {
            "application/x-www-form-urlencoded".to_owned()
        };
        let content_types = if form_types.is_empty() {
            vec![chosen.clone()]
        } else {
            form_types
        };
        let kinds = content_types.iter().map(|c| BodyKind::of(c)).collect();
        let mut properties = Map::new();
        let mut req: Vec<Value> = Vec::new();
        let mut defs = BTreeSet::new();
        for p in form {
            let converted = self.param_schema(p);
            defs.extend(converted.defs);
            if p.map.get("required") == Some(&Value::Bool(true)) {
                req.push(Value::from(p.name.clone()));
            }
            properties.insert(p.name.clone(), converted.schema);
        }
        let mut schema = Map::new();
        schema.insert("type".into(), Value::from("object"));
        schema.insert("properties".into(), Value::Object(properties));
        if !req.is_empty() {
            schema.insert("required".into(), Value::Array(req.clone()));
        }
        Some(Body {
            content_types,
            kinds,
            chosen: Some(chosen),
            required: !req.is_empty(),
            description: None,
            schema: Some(Converted::new(Value::Object(schema), defs)),
        })
    }

    /// `true` when `schema` is a string once its `$ref`s are followed: under a range, raw data
    /// (see [`media`]). A reference that leads nowhere is not (the conversion warns of it).
    fn is_raw_string(&self, schema: &Value) -> bool {
        let mut cur = schema;
        for _ in 0..MAX_REF_HOPS {
            match self.ref_target(cur) {
                None => return media::is_string_schema(cur),
                Some(Some(next)) => cur = next,
                Some(None) => return false,
            }
        }
        false
    }

    /// The output schema (and whether it is wrapped) from the first JSON 2xx response.
    fn output(&mut self, op: &Map<String, Value>, op_ptr: &str) -> Option<(Value, bool)> {
        let Value::Object(responses) = op.get("responses")? else {
            return None;
        };
        let responses_ptr = refs::child(op_ptr, "responses");
        let mut codes: Vec<(u16, &String)> = responses
            .keys()
            .filter_map(|k| {
                let rank = if k.eq_ignore_ascii_case("2xx") {
                    300
                } else if k.len() == 3 && k.starts_with('2') {
                    k.parse::<u16>().ok()?
                } else {
                    return None;
                };
                Some((rank, k))
            })
            .collect();
        codes.sort();
        let mut produces = strings(op.get("produces"));
        if produces.is_empty() {
            produces = self.produces.clone();
        }
        for (_, code) in codes {
            let Some(raw) = responses.get(code) else {
                continue;
            };
            let Some((resp, resp_ptr)) = self.resolve_obj(raw, refs::child(&responses_ptr, code))
            else {
                continue;
            };
            let (schema, schema_ptr) = if self.family == SpecFamily::Swagger2 {
                let Some(s) = resp.get("schema") else {
                    continue;
                };
                let raw = self.is_raw_string(s);
                let json_ok = produces.is_empty()
                    || produces
                        .iter()
                        .any(|p| media::kind(p, raw) == BodyKind::Json);
                if !json_ok {
                    continue;
                }
                (s, refs::child(&resp_ptr, "schema"))
            } else {
                let Some(Value::Object(content)) = resp.get("content") else {
                    continue;
                };
                // A concrete JSON type first, then a range that admits JSON.
                let json: Vec<(&String, &Value)> = content
                    .iter()
                    .filter_map(|(mt, m)| {
                        let s = m.get("schema")?;
                        (media::kind(mt, self.is_raw_string(s)) == BodyKind::Json
                            && !mt.contains("stream"))
                        .then_some((mt, s))
                    })
                    .collect();
                let found = json
                    .iter()
                    .find(|(mt, _)| !media::is_range(mt))
                    .or_else(|| json.first())
                    .copied();
                let Some((mt, s)) = found else {
                    continue;
                };
                let ptr = refs::child(
                    &refs::child(&refs::child(&resp_ptr, "content"), mt),
                    "schema",
                );
                (s, ptr)
            };
            let converted =
                self.conv
                    .convert_root(schema, &schema_ptr, Direction::Output, &mut self.warnings);
            let mut root = match converted.schema {
                Value::Object(m) => m,
                Value::Bool(_) => Map::new(),
                _ => Map::new(),
            };
            let is_object = match root.get("type") {
                Some(Value::String(t)) => t == "object",
                None => {
                    root.contains_key("properties")
                        && !root.contains_key("anyOf")
                        && !root.contains_key("oneOf")
                        && !root.contains_key("$ref")
                        && !root.contains_key("allOf")
                }
                _ => false,
            };
            let mut out = if is_object {
                root.insert("type".into(), Value::from("object"));
                root
            } else {
                let mut w = Map::new();
                w.insert("type".into(), Value::from("object"));
                let mut props = Map::new();
                props.insert(OUTPUT_WRAP_KEY.to_owned(), Value::Object(root));
                w.insert("properties".into(), Value::Object(props));
                w.insert("required".into(), json!([OUTPUT_WRAP_KEY]));
                w
            };
            if !converted.defs.is_empty() {
                let d = self
                    .conv
                    .defs_for(&converted.defs, Direction::Output, &mut self.warnings);
                out.insert("$defs".into(), Value::Object(d));
            }
            return Some((Value::Object(out), !is_object));
        }
        None
    }
}

/// Two descriptions of one argument as one text, said once: `outer` first, then `inner`
/// unless one already contains the other.
fn joined(outer: &str, inner: &str) -> String {
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (o, i) = (words(outer), words(inner));
    if o.contains(&i) {
        outer.to_owned()
    } else if i.contains(&o) {
        inner.trim().to_owned()
    } else {
        format!("{outer}\n\n{}", inner.trim())
    }
}

/// A summary as a display title: its first sentence (at most [`MAX_TITLE_CHARS`]), without
/// the full stop ("Get a VM." → "Get a VM"); an ellipsis stays.
fn title_of(summary: &str) -> &str {
    match summary.strip_suffix('.') {
        Some(stem) if !stem.ends_with('.') => stem.trim_end(),
        _ => summary,
    }
}

/// Longest title: a display name, not a paragraph. A longer first sentence gives no title
/// (clients show the tool's name); the description has the whole text either way.
const MAX_TITLE_CHARS: usize = 100;

/// The first sentence of `text`: up to the first `.`, `!` or `?` followed by a space and a
/// capital letter, unless the word before is an abbreviation (`e.g.`, `etc.`).
fn first_sentence(text: &str) -> &str {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if !matches!(b, b'.' | b'!' | b'?')
            || bytes.get(i + 1) != Some(&b' ')
            || !bytes.get(i + 2).is_some_and(u8::is_ascii_uppercase)
        {
            continue;
        }
        let word = text[..i].rsplit(' ').next().unwrap_or("");
        let abbreviation = b == b'.'
            && (word.contains('.')
                || ["etc", "vs", "approx", "incl", "cf", "resp", "No"].contains(&word));
        if !abbreviation {
            // Keep the mark: `title_of` drops a full stop but keeps `!` and `?`.
            return &text[..=i];
        }
    }
    text
}

/// Drops the descriptions that only restate their property's name (`id`: "Id",
/// `full_name`: "Full name."): repeated text that tells the model nothing the name does not.
fn drop_name_echoes(props: &mut Map<String, Value>) {
    for (name, schema) in props.iter_mut() {
        let Value::Object(schema) = schema else {
            continue;
        };
        if schema
            .get("description")
            .and_then(Value::as_str)
            .is_some_and(|d| echoes_name(name, d))
        {
            schema.remove("description");
        }
        if let Some(Value::Object(inner)) = schema.get_mut("properties") {
            drop_name_echoes(inner);
        }
        if let Some(Value::Object(items)) = schema.get_mut("items")
            && let Some(Value::Object(inner)) = items.get_mut("properties")
        {
            drop_name_echoes(inner);
        }
    }
}

/// `true` when `description` is `name` again, ignoring case, punctuation and spacing.
fn echoes_name(name: &str, description: &str) -> bool {
    let letters = |s: &str| {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect::<String>()
    };
    let name = letters(name);
    !name.is_empty()
        && name == letters(description)
        && description
            .chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control())
}

/// Splits a `paths` key into the path template and any query pairs written into it.
fn split_path_key(key: &str) -> (String, Vec<(String, String)>) {
    let Some((path, query)) = key.split_once('?') else {
        return (key.to_owned(), Vec::new());
    };
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let pairs = query
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(pair), String::new()),
        })
        .collect();
    (path.to_owned(), pairs)
}

/// The `{name}` placeholders of a path template, in order.
fn placeholders(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + len];
        if !out.iter().any(|n: &String| n == name) {
            out.push(name.to_owned());
        }
        rest = &rest[open + len + 1..];
    }
    out
}

/// The schema of a body whose media type has no schema.
fn raw_body_schema(kind: BodyKind, content_type: &str) -> Converted {
    let schema = match kind {
        BodyKind::Json => json!({}),
        BodyKind::Form | BodyKind::Multipart => json!({"type": "object"}),
        BodyKind::OctetStream | BodyKind::Other => json!({
            "type": "string",
            "description": format!("Raw request body ({content_type})."),
        }),
    };
    Converted::new(schema, BTreeSet::new())
}

/// The properties and required names of a body that can be flattened to the top level:
/// a plain object schema with named properties and no composition at its root.
fn flattenable(schema: &Value) -> Option<Vec<String>> {
    let map = schema.as_object()?;
    let objectish = match map.get("type") {
        Some(Value::String(t)) => t == "object",
        None => true,
        _ => false,
    };
    let composed = [
        "$ref",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "patternProperties",
    ]
    .iter()
    .any(|k| map.contains_key(*k));
    let props = map.get("properties")?.as_object()?;
    // An object with no properties flattens to nothing only when it also admits nothing else
    // (Stripe's GET operations carry such empty form bodies); a free-form map stays `body`.
    let closed = map.get("additionalProperties") == Some(&Value::Bool(false));
    if !objectish || composed || (props.is_empty() && !closed) {
        return None;
    }
    let required: Vec<String> = match map.get("required") {
        Some(Value::Array(list)) => props
            .keys()
            .filter(|k| list.iter().any(|r| r.as_str() == Some(k.as_str())))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    Some(required)
}
