//! The contracts in `tests/contract/` are what `extract-contract` makes of
//! the published API descriptions they name: checked wherever the
//! descriptions are at hand (`../shared/specs/` beside the repository, or
//! `HB_GITEA_SPEC` / `HB_FORGEJO_SPEC`), so a contract cannot go stale
//! unnoticed.

use crate::extract_contract::{extract, render, OPERATIONS};
use crate::harness;

use std::fs;
use std::path::{Path, PathBuf};

use harness::skip;
use harness::swagger::{contract_path, Spec};
use serde_json::Value;

/// Compares the committed contract `name` with a fresh extraction from the
/// description it names, or the one `variable` names.
fn fresh_extraction_matches(name: &str, variable: &str) {
    let committed = fs::read_to_string(contract_path(name)).unwrap();
    let contract: Value = serde_json::from_str(&committed).unwrap();
    let source = contract["x-contract"]["source"]
        .as_str()
        .expect("x-contract.source names the description");
    let spec = std::env::var_os(variable).map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/specs")
                .join(source)
        },
        PathBuf::from,
    );
    if !skip::file(&spec, "the published API description", variable) {
        return;
    }
    let doc: Value = serde_json::from_str(&fs::read_to_string(&spec).unwrap()).unwrap();
    let file_name = spec.file_name().unwrap().to_string_lossy();
    let fresh = render(&extract(&doc, &file_name).unwrap());
    assert!(
        fresh == committed,
        "tests/contract/{name}.json is not what {} gives; run\n  \
         cargo run --example extract-contract -- {} tests/contract/{name}.json\n\
         and review the change",
        spec.display(),
        spec.display()
    );
}

#[test]
fn the_gitea_contract_is_a_fresh_extraction_of_its_description() {
    fresh_extraction_matches("gitea", "HB_GITEA_SPEC");
}

#[test]
fn the_forgejo_contract_is_a_fresh_extraction_of_its_description() {
    fresh_extraction_matches("forgejo", "HB_FORGEJO_SPEC");
}

#[test]
fn each_contract_documents_every_operation_it_keeps() {
    for name in ["gitea", "forgejo"] {
        let contract: Value =
            serde_json::from_str(&fs::read_to_string(contract_path(name)).unwrap()).unwrap();
        assert_eq!(contract["swagger"], "2.0", "{name}");
        assert_eq!(contract["basePath"], "/api/v1", "{name}");
        let spec = Spec::load(&contract_path(name));
        for (method, template) in OPERATIONS {
            let id = spec.operation_id(method, template);
            assert!(id.is_some(), "{name}: {method} {template}");
        }
    }
}

/// Requests the client sends and requests that break the description in
/// each way the checker knows: the contract must judge them exactly as the
/// whole description does.
#[test]
fn the_contract_judges_requests_as_the_whole_description_does() {
    type Case<'a> = (&'a str, String, Vec<(String, String)>, Option<&'a [u8]>);
    let variable = "HB_GITEA_SPEC";
    let whole = std::env::var_os(variable).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/specs/gitea-1.27.1.swagger.json"),
        PathBuf::from,
    );
    if !skip::file(&whole, "the published API description", variable) {
        return;
    }
    let whole = Spec::load(&whole);
    let contract = Spec::load(&contract_path("gitea"));
    let issues = "/api/v1/repos/ops/alerts/issues";
    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let labels: &[u8] = br##"{"name":"heartbeat","color":"#e11d21","description":"d"}"##;
    let cases: Vec<Case> = vec![
        ("GET", "/api/v1/version".into(), vec![], None),
        ("GET", "/api/v1/user".into(), vec![], None),
        (
            "GET",
            "/api/v1/repos/ops/alerts/labels".into(),
            q(&[("page", "1"), ("limit", "50")]),
            None,
        ),
        (
            "POST",
            "/api/v1/repos/ops/alerts/labels".into(),
            vec![],
            Some(labels),
        ),
        (
            "POST",
            "/api/v1/repos/ops/alerts/labels".into(),
            vec![],
            Some(br#"{"color":"red"}"#),
        ),
        (
            "GET",
            issues.into(),
            q(&[("state", "open"), ("labels", "a,b"), ("type", "issues")]),
            None,
        ),
        (
            "GET",
            issues.into(),
            q(&[("state", "half"), ("per_page", "50")]),
            None,
        ),
        (
            "POST",
            issues.into(),
            vec![],
            Some(br#"{"title":"t","body":"b","labels":[1,2]}"#),
        ),
        (
            "POST",
            issues.into(),
            vec![],
            Some(br#"{"title":"t","body":null}"#),
        ),
        (
            "POST",
            issues.into(),
            vec![],
            Some(br#"{"title":"t","labels":["x"],"colour":1}"#),
        ),
        (
            "POST",
            issues.into(),
            vec![],
            Some(br#"{"body":"no title"}"#),
        ),
        ("PUT", issues.into(), vec![], None),
        ("GET", format!("{issues}/7"), vec![], None),
        ("GET", format!("{issues}/x"), vec![], None),
        (
            "PATCH",
            format!("{issues}/7"),
            vec![],
            Some(br#"{"state":"closed","title":"t"}"#),
        ),
        (
            "PATCH",
            format!("{issues}/7"),
            vec![],
            Some(br#"{"state":3}"#),
        ),
        (
            "GET",
            format!("{issues}/7/comments"),
            q(&[("page", "2")]),
            None,
        ),
        (
            "POST",
            format!("{issues}/7/comments"),
            vec![],
            Some(br#"{"body":"c"}"#),
        ),
        ("POST", format!("{issues}/7/comments"), vec![], None),
        (
            "GET",
            "/api/v1/repos/ops/alerts/issues/7/timeline".into(),
            vec![],
            None,
        ),
    ];
    let json = Some("application/json");
    let (mut refused, mut broken) = (0, 0);
    for (method, path, query, body) in &cases {
        let judge = |spec: &Spec| {
            let (matched, problems) = spec.check_request(method, path, query, json, *body);
            (matched.map(|m| (m.template, m.operation_id)), problems)
        };
        let (by_whole, by_contract) = (judge(&whole), judge(&contract));
        // The contract keeps only the operations in use: a request outside
        // them is refused by it, whatever the whole description says.
        if by_contract.0.is_none() && by_whole.0.is_some() {
            assert!(!by_contract.1.is_empty(), "{method} {path}");
            refused += 1;
            continue;
        }
        assert_eq!(by_contract, by_whole, "{method} {path} {query:?}");
        broken += usize::from(!by_whole.1.is_empty());
    }
    assert_eq!(refused, 1, "only the timeline is outside the contract");
    assert_eq!(broken, 9, "each broken request above is refused by both");
}
