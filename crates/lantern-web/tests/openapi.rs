//! The OpenAPI document at `/api/openapi.json`: every `/api/` route of the
//! router is in it with its method and no other path is (a route added
//! without documenting it fails here), and it validates as OpenAPI 3.1
//! with `openapi-spec-validator` from PyPI (the version `.ci/run` installs).

use std::collections::BTreeSet;

/// The document as served.
fn document() -> serde_json::Value {
    serde_json::to_value(lantern_web::api::document()).expect("the document as JSON")
}

#[test]
fn the_routers_api_routes_are_exactly_the_documents_paths_and_methods() {
    let routed: BTreeSet<(String, String)> = lantern_web::routes()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/"))
        .map(|r| (r.method.to_lowercase(), r.path.to_string()))
        .collect();
    let doc = document();
    let paths = doc["paths"].as_object().expect("paths");
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("a path item")
                .keys()
                .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
                .map(|method| (method.clone(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(routed.len() >= 14, "the API's routes: {routed:?}");
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routes not in the document: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:?}"
    );
}

#[test]
fn the_document_is_openapi_3_1_with_both_security_schemes_and_one_error_body() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "lantern_session");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["csrf"]["name"], "X-CSRF-Token");
    let error = &doc["components"]["schemas"]["ApiError"]["properties"];
    for field in ["status", "code", "message", "field"] {
        assert!(
            error.get(field).is_some(),
            "ApiError has no {field}: {error}"
        );
    }
    // Every error reply of every operation is an ApiError.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            for (status, response) in op["responses"].as_object().expect("responses") {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ApiError",
                        "{method} {path} {status}"
                    );
                }
            }
            // A list is paged the one way.
            if method == "get" {
                let params: Vec<&str> = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                if params.contains(&"page") {
                    assert!(params.contains(&"per_page"), "{path}: {params:?}");
                    // ... and answers the one page shape.
                    let reply =
                        op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
                            .as_str()
                            .unwrap_or_else(|| panic!("{path}: the page is not a named schema"));
                    let name = reply.trim_start_matches("#/components/schemas/");
                    let fields = &doc["components"]["schemas"][name]["properties"];
                    for field in ["items", "total", "page", "per_page", "pages", "links"] {
                        assert!(fields.get(field).is_some(), "{path}: {name} has no {field}");
                    }
                }
            }
        }
    }
}

#[test]
fn the_document_validates_with_openapi_spec_validator() {
    let python = std::env::var("LANTERN_PYTHON").unwrap_or_else(|_| "python3".into());
    let present = std::process::Command::new(&python)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        assert!(
            std::env::var("CI").is_err(),
            "{python} is missing: CI must validate the OpenAPI document (.ci/run installs openapi-spec-validator)"
        );
        eprintln!(
            "SKIPPED: {python} is not installed, so the OpenAPI document was not validated; install Python 3 and `pip install openapi-spec-validator==0.9.0`"
        );
        return;
    }
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("lantern-openapi.json");
    std::fs::write(
        &file,
        serde_json::to_string_pretty(&document()).expect("json"),
    )
    .expect("write the document");
    let out = std::process::Command::new(&python)
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("run the validator");
    assert!(
        out.status.success(),
        "openapi-spec-validator refused the document (is it installed? `pip install openapi-spec-validator==0.9.0`):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("OK"), "the validator said: {said}");
}

#[test]
fn a_broken_document_is_refused_by_the_validator() {
    // The validator test above could pass by not validating at all: a
    // document without its required `info` must fail it.
    let python = std::env::var("LANTERN_PYTHON").unwrap_or_else(|_| "python3".into());
    if std::process::Command::new(&python)
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(std::env::var("CI").is_err(), "{python} is missing under CI");
        eprintln!("SKIPPED: {python} is not installed");
        return;
    }
    let mut doc = document();
    doc.as_object_mut().expect("object").remove("info");
    let file =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("lantern-openapi-broken.json");
    std::fs::write(&file, serde_json::to_string(&doc).expect("json")).expect("write");
    let out = std::process::Command::new(&python)
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("run the validator");
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The places under `schema` (a request or response body's schema) that
/// say nothing of their shape: an object without properties (or typed
/// additional properties), an array without items, a schema with no type
/// at all. `$ref`s are followed once each.
fn untyped(
    doc: &serde_json::Value,
    schema: &serde_json::Value,
    at: &str,
    seen: &mut BTreeSet<String>,
    found: &mut Vec<String>,
) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        if seen.insert(name.to_string()) {
            let target = &doc["components"]["schemas"][name];
            if target.is_null() {
                found.push(format!("{at}: $ref {reference} names no schema"));
            } else {
                untyped(doc, target, name, seen, found);
            }
        }
        return;
    }
    let mut composed = false;
    for key in ["oneOf", "anyOf", "allOf"] {
        for (n, part) in schema[key].as_array().into_iter().flatten().enumerate() {
            composed = true;
            untyped(doc, part, &format!("{at}.{key}[{n}]"), seen, found);
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        serde_json::Value::String(t) => vec![t.as_str()],
        serde_json::Value::Array(ts) => ts.iter().filter_map(|t| t.as_str()).collect(),
        _ => vec![],
    };
    if types.is_empty() {
        if !composed && schema.get("const").is_none() && schema.get("enum").is_none() {
            found.push(format!("{at}: no type ({schema})"));
        }
        return;
    }
    if types.contains(&"object") {
        let properties = schema["properties"].as_object();
        let additional = schema["additionalProperties"].as_object();
        match (properties, additional) {
            (Some(p), _) if !p.is_empty() => {
                for (name, property) in p {
                    untyped(doc, property, &format!("{at}.{name}"), seen, found);
                }
            }
            (_, Some(_)) => untyped(
                doc,
                &schema["additionalProperties"],
                &format!("{at}.*"),
                seen,
                found,
            ),
            _ => found.push(format!("{at}: an object with no properties")),
        }
    }
    if types.contains(&"array") {
        if schema["items"].is_object() {
            untyped(doc, &schema["items"], &format!("{at}[]"), seen, found);
        } else {
            found.push(format!("{at}: an array with no items"));
        }
    }
}

#[test]
fn every_request_and_reply_body_of_the_document_has_a_typed_schema() {
    let doc = document();
    let mut found = Vec::new();
    let mut bodies = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let mut contents: Vec<(String, &serde_json::Value)> = op["responses"]
                .as_object()
                .expect("responses")
                .iter()
                .map(|(status, r)| (status.clone(), &r["content"]))
                .collect();
            contents.push(("request".into(), &op["requestBody"]["content"]));
            for (what, content) in contents {
                for (kind, media) in content.as_object().into_iter().flatten() {
                    let at = format!("{method} {path} {what} {kind}");
                    // The document describes itself: its schema is OpenAPI
                    // 3.1's own, checked by openapi-spec-validator below.
                    if path == "/api/openapi.json" && what == "200" {
                        continue;
                    }
                    bodies += 1;
                    match media.get("schema") {
                        // Anything but JSON (a file, CSV) is a string of
                        // bytes, never a list of numbers.
                        Some(schema) if kind != "application/json" => {
                            let named = schema["$ref"]
                                .as_str()
                                .map(|r| r.trim_start_matches("#/components/schemas/"));
                            let schema = match named {
                                Some(name) => &doc["components"]["schemas"][name],
                                None => schema,
                            };
                            if schema["type"] != "string" {
                                found.push(format!("{at}: not a string ({schema})"));
                            }
                        }
                        Some(schema) => {
                            untyped(&doc, schema, &at, &mut BTreeSet::new(), &mut found)
                        }
                        None => found.push(format!("{at}: no schema")),
                    }
                }
            }
        }
    }
    assert!(
        bodies >= 40,
        "only {bodies} bodies: is the walk reading the document?"
    );
    assert!(found.is_empty(), "untyped schemas:\n{}", found.join("\n"));
}

#[test]
fn the_untyped_schema_check_finds_a_free_form_object() {
    // The check above could pass by finding nothing: a reply that is any
    // object, and a list of anything, must be found.
    let mut doc = document();
    doc["components"]["schemas"]["Loose"] =
        serde_json::json!({"type": "object", "properties": {"any": {}, "list": {"type": "array"}}});
    let mut found = Vec::new();
    let schema = serde_json::json!({"$ref": "#/components/schemas/Loose"});
    untyped(&doc, &schema, "test", &mut BTreeSet::new(), &mut found);
    assert_eq!(found.len(), 2, "{found:?}");
    let mut found = Vec::new();
    untyped(
        &doc,
        &serde_json::json!({"type": "object"}),
        "test",
        &mut BTreeSet::new(),
        &mut found,
    );
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn every_endpoint_behind_sign_in_documents_its_401_and_403_and_every_write_its_415() {
    let doc = document();
    let mut behind = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let public = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .all(|r| r.as_object().is_some_and(|r| r.is_empty()))
            });
            if public {
                continue;
            }
            behind += 1;
            let responses = &op["responses"];
            for status in ["401", "403"] {
                assert!(
                    responses.get(status).is_some(),
                    "{method} {path} does not document {status}"
                );
            }
            let json_body = op["requestBody"]["content"]
                .get("application/json")
                .is_some();
            if json_body {
                assert!(
                    responses.get("415").is_some() && responses.get("422").is_some(),
                    "{method} {path} takes JSON but does not document 415 and 422"
                );
            }
        }
    }
    assert!(behind >= 12, "only {behind} endpoints behind sign-in");
}
