//! The catalog: every operation of a document as a tool, plus the document's warnings.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::error::{IngestError, IngestErrorKind};
use crate::model::{Method, SpecFamily, SpecInfo, Warning, WarningKind};
use crate::names::{self, Namer};
use crate::operation::{Builder, PathContext};
use crate::options::IngestOptions;
use crate::refs::{self, Resolver};
use crate::schema::Converter;
use crate::source;
use crate::tool::Tool;
use crate::warnings::Warnings;

/// The tools of one OpenAPI document.
#[derive(Debug)]
pub struct Catalog {
    tools: Vec<Tool>,
    index: HashMap<String, usize>,
    warnings: Vec<Warning>,
    info: SpecInfo,
}

impl Catalog {
    /// Ingests a parsed document.
    pub fn from_value(doc: &Value, opts: &IngestOptions) -> Result<Catalog, IngestError> {
        check_options(opts)?;
        let Some(root) = doc.as_object() else {
            return Err(IngestError::new(
                IngestErrorKind::NotAnObject,
                format!("found {} at the top level", kind_of(doc)),
            ));
        };
        let (family, spec_version) = source::detect(root)?;
        let info_obj = root.get("info");
        let text = |key: &str| {
            info_obj
                .and_then(|i| i.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let info = SpecInfo {
            title: text("title").unwrap_or_default(),
            version: text("version").unwrap_or_default(),
            spec_version,
            family,
            description: text("description"),
        };

        let resolver = Resolver::new(doc, family == SpecFamily::OpenApi31);
        let strings = |key: &str| -> Vec<String> {
            match root.get(key) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            }
        };
        let mut b = Builder {
            resolver: &resolver,
            conv: Converter::new(&resolver, family),
            family,
            warnings: Warnings::default(),
            namer: Namer::new(&opts.prefix, opts.max_name_len),
            consumes: strings("consumes"),
            produces: strings("produces"),
        };
        let tools = build_tools(&mut b, root);
        let index = tools
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        Ok(Catalog {
            tools,
            index,
            warnings: b.warnings.into_vec(),
            info,
        })
    }

    /// Parses JSON or YAML bytes and ingests the document.
    pub fn from_slice(bytes: &[u8], opts: &IngestOptions) -> Result<Catalog, IngestError> {
        check_options(opts)?;
        let doc = source::parse(bytes)?;
        Catalog::from_value(&doc, opts)
    }

    /// Every tool, in document order of paths, then of methods within a path.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The tool with this name.
    pub fn get(&self, name: &str) -> Option<&Tool> {
        self.index.get(name).and_then(|i| self.tools.get(*i))
    }

    /// Problems in the document that were tolerated.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Title, version and specification version of the document.
    pub fn info(&self) -> &SpecInfo {
        &self.info
    }

    /// Every tag used by an operation, sorted and unique.
    pub fn tags(&self) -> Vec<String> {
        let set: BTreeSet<&String> = self.tools.iter().flat_map(|t| t.tags.iter()).collect();
        set.into_iter().cloned().collect()
    }

    /// The number of tools.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// `true` when the document has no operations.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_options(opts: &IngestOptions) -> Result<(), IngestError> {
    let valid_prefix = opts
        .prefix
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !valid_prefix {
        return Err(IngestError::new(
            IngestErrorKind::InvalidOptions,
            format!("prefix {:?} may only contain [A-Za-z0-9_.-]", opts.prefix),
        ));
    }
    if opts.max_name_len < 16 || opts.max_name_len > names::HARD_MAX {
        return Err(IngestError::new(
            IngestErrorKind::InvalidOptions,
            format!(
                "max_name_len {} must be between 16 and {}",
                opts.max_name_len,
                names::HARD_MAX
            ),
        ));
    }
    if opts.prefix.len() + 10 > opts.max_name_len {
        return Err(IngestError::new(
            IngestErrorKind::InvalidOptions,
            format!(
                "prefix {:?} leaves too little room within {} characters",
                opts.prefix, opts.max_name_len
            ),
        ));
    }
    Ok(())
}

fn build_tools(b: &mut Builder<'_>, root: &serde_json::Map<String, Value>) -> Vec<Tool> {
    let mut tools = Vec::new();
    let paths = match root.get("paths") {
        Some(Value::Object(paths)) => paths,
        Some(_) => {
            b.warnings.push(
                "/paths",
                WarningKind::MissingPaths,
                "`paths` is not an object",
            );
            return tools;
        }
        None => {
            let fine = b.family == SpecFamily::OpenApi31
                && (root.contains_key("webhooks") || root.contains_key("components"));
            if !fine {
                b.warnings
                    .push("", WarningKind::MissingPaths, "the document has no `paths`");
            }
            return tools;
        }
    };
    let mut seen_ids = HashMap::new();
    for (key, item) in paths {
        let item_ptr = refs::child("/paths", key);
        if key.contains('?') {
            b.warnings.push(
                &item_ptr,
                WarningKind::QueryInPath,
                "the path key carries a query string; it is sent with every request",
            );
        }
        let Some((item_map, _)) = b.resolve_obj(item, item_ptr.clone()) else {
            continue;
        };
        let mut params = Vec::new();
        match item_map.get("parameters") {
            Some(Value::Array(list)) => {
                let list_ptr = refs::child(&item_ptr, "parameters");
                for (i, p) in list.iter().enumerate() {
                    params.push((refs::child(&list_ptr, &i.to_string()), p));
                }
            }
            Some(_) => b.warnings.push(
                &refs::child(&item_ptr, "parameters"),
                WarningKind::Malformed,
                "parameters must be an array",
            ),
            None => {}
        }
        let ctx = PathContext {
            key,
            pointer: item_ptr.clone(),
            params,
        };
        for (mkey, op) in item_map {
            let Some(method) = Method::from_key(mkey) else {
                continue;
            };
            let op_ptr = refs::child(&ctx.pointer, mkey);
            let Value::Object(op) = op else {
                b.warnings.push(
                    &op_ptr,
                    WarningKind::Malformed,
                    "an operation must be an object",
                );
                continue;
            };
            tools.push(b.operation(&ctx, method, op, &op_ptr, &mut seen_ids));
        }
    }
    tools
}
