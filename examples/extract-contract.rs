//! Extracts the tracker's API contract from a published Swagger 2.0
//! description of Gitea or Forgejo (as a server serves it at
//! `/swagger.v1.json`):
//!
//! ```sh
//! cargo run --example extract-contract -- ../shared/specs/gitea-1.27.1.swagger.json tests/contract/gitea.json
//! cargo run --example extract-contract -- ../shared/specs/forgejo-11.0.3.swagger.json tests/contract/forgejo.json
//! ```
//!
//! The contract is itself a Swagger 2.0 document, cut down to what the test
//! forge checks: the operations the tracker client and the fake forge use
//! ([`OPERATIONS`]), their path and query parameters (name, type, enum,
//! required), body and answer schemas, and every definition, response and
//! parameter these refer to (type, format, enum, required, properties,
//! items, additional properties, `x-nullable`). Descriptions, tags and
//! examples are left out. `x-contract` records the file and the version it
//! came from. Re-run it when the description changes; a test compares the
//! committed contract with a fresh extraction whenever the description is
//! at hand.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use serde_json::{Map, Value};

/// The operations the contract keeps: method and path template below the
/// base path. The client's (labels, issues, comments, the token's user)
/// and the server version, which the fake forge also answers.
pub const OPERATIONS: &[(&str, &str)] = &[
    ("get", "/version"),
    ("get", "/user"),
    ("get", "/repos/{owner}/{repo}/labels"),
    ("post", "/repos/{owner}/{repo}/labels"),
    ("get", "/repos/{owner}/{repo}/issues"),
    ("post", "/repos/{owner}/{repo}/issues"),
    ("get", "/repos/{owner}/{repo}/issues/{index}"),
    ("patch", "/repos/{owner}/{repo}/issues/{index}"),
    ("get", "/repos/{owner}/{repo}/issues/{index}/comments"),
    ("post", "/repos/{owner}/{repo}/issues/{index}/comments"),
];

/// The keys of a schema the checker reads; the others document.
const SCHEMA_KEYS: &[&str] = &[
    "$ref",
    "type",
    "format",
    "enum",
    "required",
    "items",
    "properties",
    "additionalProperties",
    "x-nullable",
];

/// The keys of a path, query or body parameter the checker reads.
const PARAMETER_KEYS: &[&str] = &["$ref", "name", "in", "type", "enum", "required", "schema"];

/// Schema keys the checker does not understand: a description that uses
/// them cannot be cut down faithfully, so the extraction refuses it.
const UNSUPPORTED: &[&str] = &["allOf", "anyOf", "oneOf", "not"];

/// The contract of the description `doc`, read from the file `source`
/// (its name is recorded).
pub fn extract(doc: &Value, source: &str) -> Result<Value, String> {
    if doc["swagger"] != "2.0" {
        return Err(format!("{source} is not a Swagger 2.0 document"));
    }
    let mut cut = Cut {
        doc,
        refs: BTreeSet::new(),
    };
    let mut paths = Map::new();
    for (method, template) in OPERATIONS {
        let item = &doc["paths"][template];
        let operation = &item[method];
        if !operation.is_object() {
            return Err(format!(
                "{source} documents no {} {template}",
                method.to_uppercase()
            ));
        }
        let entry = paths
            .entry(template.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(shared) = item.get("parameters") {
            entry["parameters"] = cut.parameters(shared)?;
        }
        entry[method] = cut.operation(operation)?;
    }
    // Everything the operations refer to, and what that refers to.
    let mut sections: [(&str, Map<String, Value>); 3] = [
        ("definitions", Map::new()),
        ("responses", Map::new()),
        ("parameters", Map::new()),
    ];
    let mut done = BTreeSet::new();
    while let Some(reference) = cut.refs.iter().find(|r| !done.contains(*r)).cloned() {
        done.insert(reference.clone());
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .ok_or_else(|| format!("{source}: dangling $ref {reference}"))?;
        let mut parts = reference.trim_start_matches("#/").splitn(2, '/');
        let (section, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let value = match section {
            "definitions" => cut.schema(target)?,
            "responses" => cut.response(target)?,
            "parameters" => cut.parameter(target)?,
            _ => return Err(format!("{source}: unexpected $ref {reference}")),
        };
        for (name_of, kept) in &mut sections {
            if *name_of == section {
                kept.insert(name.to_owned(), value.clone());
            }
        }
    }
    let mut contract = Map::new();
    contract.insert("swagger".into(), "2.0".into());
    contract.insert(
        "x-contract".into(),
        serde_json::json!({
            "source": source,
            "title": doc["info"]["title"],
            "version": doc["info"]["version"],
            "extracted by": "cargo run --example extract-contract",
        }),
    );
    contract.insert("basePath".into(), doc["basePath"].clone());
    contract.insert("paths".into(), Value::Object(paths));
    for (name, kept) in sections {
        if !kept.is_empty() {
            contract.insert(name.into(), Value::Object(kept));
        }
    }
    Ok(Value::Object(contract))
}

/// The contract as written to its file: indented JSON, sorted keys, a final
/// newline.
///
/// # Panics
///
/// Never: a JSON value always serialises.
pub fn render(contract: &Value) -> String {
    let mut text = serde_json::to_string_pretty(contract).expect("JSON values serialise");
    text.push('\n');
    text
}

/// The cutting of one document, keeping the `$ref`s met on the way.
struct Cut<'a> {
    doc: &'a Value,
    refs: BTreeSet<String>,
}

impl Cut<'_> {
    fn operation(&mut self, operation: &Value) -> Result<Value, String> {
        let mut kept = Map::new();
        if let Some(id) = operation.get("operationId") {
            kept.insert("operationId".into(), id.clone());
        }
        if let Some(parameters) = operation.get("parameters") {
            kept.insert("parameters".into(), self.parameters(parameters)?);
        }
        let mut responses = Map::new();
        for (status, response) in operation["responses"].as_object().into_iter().flatten() {
            responses.insert(status.clone(), self.response(response)?);
        }
        kept.insert("responses".into(), Value::Object(responses));
        Ok(Value::Object(kept))
    }

    fn parameters(&mut self, list: &Value) -> Result<Value, String> {
        let list = list.as_array().ok_or("parameters that are not a list")?;
        list.iter()
            .map(|p| self.parameter(p))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
    }

    fn parameter(&mut self, parameter: &Value) -> Result<Value, String> {
        let mut kept = Map::new();
        for key in PARAMETER_KEYS {
            let Some(value) = parameter.get(*key) else {
                continue;
            };
            let value = match *key {
                "schema" => self.schema(value)?,
                "$ref" => self.reference(value)?,
                _ => value.clone(),
            };
            kept.insert((*key).into(), value);
        }
        Ok(Value::Object(kept))
    }

    fn response(&mut self, response: &Value) -> Result<Value, String> {
        let mut kept = Map::new();
        if let Some(reference) = response.get("$ref") {
            kept.insert("$ref".into(), self.reference(reference)?);
        }
        if let Some(schema) = response.get("schema") {
            kept.insert("schema".into(), self.schema(schema)?);
        }
        Ok(Value::Object(kept))
    }

    fn schema(&mut self, schema: &Value) -> Result<Value, String> {
        let Some(object) = schema.as_object() else {
            // `additionalProperties: true`, say.
            return Ok(schema.clone());
        };
        if let Some(key) = UNSUPPORTED.iter().find(|k| object.contains_key(**k)) {
            return Err(format!(
                "a schema uses `{key}`, which the checker cannot follow"
            ));
        }
        let mut kept = Map::new();
        for key in SCHEMA_KEYS {
            let Some(value) = object.get(*key) else {
                continue;
            };
            let value = match *key {
                "$ref" => self.reference(value)?,
                "items" | "additionalProperties" => self.schema(value)?,
                "properties" => {
                    let mut properties = Map::new();
                    for (name, sub) in value.as_object().into_iter().flatten() {
                        properties.insert(name.clone(), self.schema(sub)?);
                    }
                    Value::Object(properties)
                }
                _ => value.clone(),
            };
            kept.insert((*key).into(), value);
        }
        Ok(Value::Object(kept))
    }

    fn reference(&mut self, reference: &Value) -> Result<Value, String> {
        let text = reference.as_str().ok_or("a $ref that is not a string")?;
        if !text.starts_with("#/") || self.doc.pointer(&text[1..]).is_none() {
            return Err(format!("$ref {text} does not point into the document"));
        }
        self.refs.insert(text.to_owned());
        Ok(reference.clone())
    }
}

/// `extract-contract SPEC.json OUT.json`: writes the contract of SPEC.
#[allow(dead_code)]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [spec, out] = args.as_slice() else {
        eprintln!("usage: extract-contract SPEC.json OUT.json");
        return ExitCode::from(2);
    };
    let result = std::fs::read_to_string(spec)
        .map_err(|e| format!("cannot read {spec}: {e}"))
        .and_then(|text| {
            serde_json::from_str::<Value>(&text).map_err(|e| format!("{spec} is not JSON: {e}"))
        })
        .and_then(|doc| {
            let name = Path::new(spec)
                .file_name()
                .map_or_else(|| spec.clone(), |n| n.to_string_lossy().into_owned());
            extract(&doc, &name)
        })
        .and_then(|contract| {
            std::fs::write(out, render(&contract)).map_err(|e| format!("cannot write {out}: {e}"))
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("extract-contract: {e}");
            ExitCode::FAILURE
        }
    }
}
