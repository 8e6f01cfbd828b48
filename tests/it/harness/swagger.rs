//! A small Swagger 2.0 checker: does a request match a documented operation
//! (method, path template, query parameter names and values, JSON body
//! schema), and does an answer have the documented shape? It reads the
//! contracts in `tests/contract/`, cut from the published descriptions by
//! `examples/extract-contract.rs`, or a whole description.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// A loaded Swagger 2.0 document.
pub struct Spec {
    doc: Value,
    base: String,
}

/// A request matched to an operation.
pub struct Matched {
    pub template: String,
    pub operation_id: String,
}

impl Spec {
    pub fn load(path: &Path) -> Spec {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let doc: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        assert_eq!(
            doc["swagger"],
            "2.0",
            "{} is not Swagger 2.0",
            path.display()
        );
        let base = doc["basePath"].as_str().unwrap_or("").to_owned();
        Spec { doc, base }
    }

    /// The Gitea contract (`tests/contract/gitea.json`), or the whole
    /// published description when `HB_GITEA_SPEC` names one. A named file
    /// that is missing: `None` after a visible skip, or a panic when `CI` is
    /// set (see [`super::skip`]).
    #[track_caller]
    pub fn gitea() -> Option<Spec> {
        Spec::named("gitea", "HB_GITEA_SPEC", "the Gitea API description")
    }

    /// The Forgejo contract, or the description `HB_FORGEJO_SPEC` names.
    #[track_caller]
    pub fn forgejo() -> Option<Spec> {
        Spec::named("forgejo", "HB_FORGEJO_SPEC", "the Forgejo API description")
    }

    #[track_caller]
    fn named(contract: &str, variable: &str, what: &str) -> Option<Spec> {
        match std::env::var_os(variable) {
            Some(path) => {
                let path = PathBuf::from(path);
                super::skip::file(&path, what, variable).then(|| Spec::load(&path))
            }
            None => Some(Spec::load(&contract_path(contract))),
        }
    }

    /// The operation documented for `method` at `path` (which starts with
    /// the base path), preferring the template with the most literal
    /// segments.
    pub fn operation(&self, method: &str, path: &str) -> Result<(String, &Value), String> {
        let Some(rest) = path.strip_prefix(&self.base) else {
            return Err(format!(
                "{method} {path}: not under the base path {}",
                self.base
            ));
        };
        let segments: Vec<&str> = rest.split('/').collect();
        let mut best: Option<(usize, &String, &Value)> = None;
        for (template, item) in self.doc["paths"].as_object().expect("paths") {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                continue;
            }
            let mut literal = 0;
            let fits = parts.iter().zip(&segments).all(|(p, s)| {
                if p.starts_with('{') && p.ends_with('}') {
                    !s.is_empty()
                } else {
                    literal += 1;
                    p == s
                }
            });
            let op = &item[method.to_ascii_lowercase()];
            if fits && op.is_object() && best.is_none_or(|(l, _, _)| literal > l) {
                best = Some((literal, template, item));
            }
        }
        let (_, template, item) =
            best.ok_or_else(|| format!("{method} {path}: no documented operation"))?;
        Ok((template.clone(), &item[method.to_ascii_lowercase()]))
    }

    /// Checks a request; returns the operation it matched and every
    /// mismatch found.
    pub fn check_request(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        content_type: Option<&str>,
        body: Option<&[u8]>,
    ) -> (Option<Matched>, Vec<String>) {
        let mut problems = Vec::new();
        let (template, op) = match self.operation(method, path) {
            Ok(found) => found,
            Err(problem) => return (None, vec![problem]),
        };
        let what = format!("{method} {template}");
        let path_item = &self.doc["paths"][&template];
        let params: Vec<&Value> = path_item["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(op["parameters"].as_array().into_iter().flatten())
            .map(|p| self.resolve(p))
            .collect();
        // Path parameters.
        let rest = &path[self.base.len()..];
        for (part, value) in template.split('/').zip(rest.split('/')) {
            if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                match params
                    .iter()
                    .find(|p| p["in"] == "path" && p["name"] == name)
                {
                    Some(p) => {
                        Self::check_simple(
                            p,
                            value,
                            &format!("{what}: path {name}"),
                            &mut problems,
                        );
                    }
                    None => {
                        problems.push(format!("{what}: path parameter {name} is not documented"));
                    }
                }
            }
        }
        // Query parameters.
        for (name, value) in query {
            match params
                .iter()
                .find(|p| p["in"] == "query" && p["name"] == name.as_str())
            {
                Some(p) => {
                    Self::check_simple(p, value, &format!("{what}: query {name}"), &mut problems);
                }
                None => problems.push(format!(
                    "{what}: query parameter `{name}` is not documented"
                )),
            }
        }
        for p in &params {
            if p["in"] == "query" && p["required"] == true {
                let name = p["name"].as_str().unwrap_or("");
                if !query.iter().any(|(n, _)| n == name) {
                    problems.push(format!(
                        "{what}: required query parameter `{name}` is missing"
                    ));
                }
            }
        }
        // Body.
        let body_param = params.iter().find(|p| p["in"] == "body");
        match (body_param, body) {
            (None, Some(b)) if !b.is_empty() => {
                problems.push(format!("{what}: takes no body, got {} bytes", b.len()));
            }
            (Some(p), None) if p["required"] == true => {
                problems.push(format!("{what}: the body is required"));
            }
            (Some(p), Some(b)) => {
                if !content_type.is_some_and(|c| c.starts_with("application/json")) {
                    problems.push(format!(
                        "{what}: body sent as {content_type:?}, not application/json"
                    ));
                }
                match serde_json::from_slice::<Value>(b) {
                    Ok(value) => self.check_value(
                        &p["schema"],
                        &value,
                        &format!("{what}: body"),
                        Nulls::Refused,
                        &mut problems,
                    ),
                    Err(e) => problems.push(format!("{what}: the body is not JSON: {e}")),
                }
            }
            _ => {}
        }
        let operation_id = op["operationId"].as_str().unwrap_or("").to_owned();
        (
            Some(Matched {
                template,
                operation_id,
            }),
            problems,
        )
    }

    /// Checks an answer against the documented response for its status.
    /// Statuses the document does not list (injected faults) are not
    /// checked.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &[u8],
    ) -> Vec<String> {
        let mut problems = Vec::new();
        let Ok((template, op)) = self.operation(method, path) else {
            return problems;
        };
        let what = format!("answer to {method} {template} ({status})");
        let response = &op["responses"][status.to_string()];
        if response.is_null() {
            if (200..300).contains(&status) {
                problems.push(format!("{what}: status not documented"));
            }
            return problems;
        }
        let response = self.resolve(response);
        let schema = &response["schema"];
        if schema.is_null() {
            return problems;
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => self.validate(schema, &value, &what, &mut problems),
            Err(e) => problems.push(format!("{what}: not JSON: {e}")),
        }
        problems
    }

    /// Follows `$ref`s within the document.
    fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        while let Some(reference) = value["$ref"].as_str() {
            let pointer = reference.strip_prefix('#').expect("local $ref");
            value = self
                .doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {reference}"));
        }
        value
    }

    /// Checks a path or query value against a simple parameter.
    fn check_simple(param: &Value, value: &str, at: &str, problems: &mut Vec<String>) {
        match param["type"].as_str() {
            Some("integer") if value.parse::<i64>().is_err() => {
                problems.push(format!("{at}: `{value}` is not an integer"));
            }
            Some("boolean") if value != "true" && value != "false" => {
                problems.push(format!("{at}: `{value}` is not a boolean"));
            }
            _ => {}
        }
        if let Some(allowed) = param["enum"].as_array() {
            if !allowed.iter().any(|a| a == value) {
                problems.push(format!("{at}: `{value}` is not one of {allowed:?}"));
            }
        }
    }

    /// Validates an answer `value` against `schema`: type, format
    /// date-time, enum, required properties, unknown properties (a
    /// failure), array items. `null` stands for an absent optional
    /// property, as Gitea writes unset fields in its answers (the documents
    /// mark nothing `x-nullable`, yet `closed_at` of an open issue is null).
    pub fn validate(&self, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
        self.check_value(schema, value, at, Nulls::Absent, problems);
    }

    /// Validates a request body: like [`Spec::validate`], but `null` is
    /// refused for any property not documented `x-nullable`, since a client
    /// leaves out what it does not set.
    pub fn validate_request(
        &self,
        schema: &Value,
        value: &Value,
        at: &str,
        problems: &mut Vec<String>,
    ) {
        self.check_value(schema, value, at, Nulls::Refused, problems);
    }

    fn check_value(
        &self,
        schema: &Value,
        value: &Value,
        at: &str,
        nulls: Nulls,
        problems: &mut Vec<String>,
    ) {
        let schema = self.resolve(schema);
        if let Some(allowed) = schema["enum"].as_array() {
            if !allowed.contains(value) {
                problems.push(format!("{at}: {value} is not one of {allowed:?}"));
            }
        }
        let ty = schema["type"]
            .as_str()
            .or(schema["properties"].is_object().then_some("object"));
        match ty {
            Some("object") => {
                let Some(object) = value.as_object() else {
                    problems.push(format!("{at}: expected an object, got {value}"));
                    return;
                };
                for name in schema["required"].as_array().into_iter().flatten() {
                    let name = name.as_str().unwrap_or("");
                    if object.get(name).is_none_or(Value::is_null) {
                        problems.push(format!("{at}: required property `{name}` is missing"));
                    }
                }
                let properties = schema["properties"].as_object();
                for (name, item) in object {
                    match properties.and_then(|p| p.get(name)) {
                        Some(sub) if item.is_null() => {
                            if nulls == Nulls::Refused && self.resolve(sub)["x-nullable"] != true {
                                problems.push(format!(
                                    "{at}: property `{name}` is null but not documented as nullable"
                                ));
                            }
                        }
                        Some(sub) => {
                            self.check_value(sub, item, &format!("{at}.{name}"), nulls, problems);
                        }
                        None if schema["additionalProperties"].is_object() => self.check_value(
                            &schema["additionalProperties"],
                            item,
                            &format!("{at}.{name}"),
                            nulls,
                            problems,
                        ),
                        None if schema["additionalProperties"] == true => {}
                        None => problems.push(format!("{at}: unknown property `{name}`")),
                    }
                }
            }
            Some("array") => match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.check_value(
                            &schema["items"],
                            item,
                            &format!("{at}[{i}]"),
                            nulls,
                            problems,
                        );
                    }
                }
                None => problems.push(format!("{at}: expected an array, got {value}")),
            },
            Some("string") => match value.as_str() {
                Some(text) if schema["format"] == "date-time" => {
                    if chrono::DateTime::parse_from_rfc3339(text).is_err() {
                        problems.push(format!("{at}: `{text}` is not a date-time"));
                    }
                }
                Some(_) => {}
                None => problems.push(format!("{at}: expected a string, got {value}")),
            },
            Some("integer") if !(value.is_i64() || value.is_u64()) => {
                problems.push(format!("{at}: expected an integer, got {value}"));
            }
            Some("number") if !value.is_number() => {
                problems.push(format!("{at}: expected a number, got {value}"));
            }
            Some("boolean") if !value.is_boolean() => {
                problems.push(format!("{at}: expected a boolean, got {value}"));
            }
            _ => {}
        }
    }

    /// The operationId at `method` `template`, if documented.
    pub fn operation_id(&self, method: &str, template: &str) -> Option<&str> {
        self.doc["paths"][template][method.to_ascii_lowercase()]["operationId"].as_str()
    }
}

/// Whether `null` may stand for an absent property.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nulls {
    /// In answers: Gitea writes unset fields as `null`.
    Absent,
    /// In requests: nothing documented as nullable may be `null`.
    Refused,
}

/// The committed contract `name` (`gitea`, `forgejo`): the part of the
/// published API description the client and the fake forge use, extracted
/// by `examples/extract-contract.rs`.
pub fn contract_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/contract")
        .join(format!("{name}.json"))
}
