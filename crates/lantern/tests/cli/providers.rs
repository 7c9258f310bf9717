//! Treatment providers on the web and through the API, against a real
//! `lantern serve` on a real database (SQLite, or PostgreSQL with
//! `LANTERN_TEST_BACKEND=postgres`): a provider sends a monthly file with
//! one bad row and reads that row's error (page and CSV), resends the
//! month (the first kept, replaced); another provider sees neither the
//! file nor its report (pages and API: 404, as for nothing); a file of the
//! wrong type is refused; API tokens are shown once, authenticate only
//! their own provider, stop at revocation, and never open a form; a
//! provider user manages tokens only when an administrator allowed it.

use crate::TestApp;
use crate::web::{Reply, Server, Session, add_user, leicester_with_users};

/// The pseudonymisation key the test servers run with.
pub(crate) const KEY: &str = "a test secret that is long enough";

const HEADER: &str = "AGNCY,CLIENT,FINITIAL,SINITIAL,DOB,SEX,ETHNIC,LA,EPISODID,REFLD,TRIAGED,EPSTART,DISD,DISRSN,DRUG1,DRUG2,DRUG3,MODID,MODAL,MODSET,MODST,MODEND,FUNDING,NALOXONE";

/// A month's file for `agency`: one good row and, on line 3, one whose
/// sex is not a code (the client's identifier and date of birth must
/// never come back).
pub(crate) fn month_file(agency: &str) -> String {
    format!(
        "{HEADER}\n\
         {agency},c1,J,S,19800510,M,A,E06000016,e1,20160520,20160525,20160601,,,1101,3201,,m1,PHARM,COM,20160601,,LA,2\n\
         {agency},zz9secret,A,B,19771231,Q,B,E06000016,e2,20170115,20170120,20170201,20170510,80,7000,,,m2,PSYCH,COM,20170201,20170510,LA,\n"
    )
}

/// Leicester with its users, the providers P1 and P2 registered, a second
/// provider's user and a provider user allowed to manage tokens.
fn providers_app() -> TestApp {
    let (app, _) = leicester_with_users();
    app.write(
        "agencies.csv",
        "code,name,area\nP1,First Step,E06000016\nP2,Second Chance,E06000016\n",
    );
    app.run(&["import", "agencies", "agencies.csv"]).ok();
    add_user(&app, None, "provider2", &["provider:P2"]);
    add_user(&app, None, "keeper", &["provider:P1"]);
    app.run(&["token", "allow", "keeper"]).ok();
    app
}

const BOUNDARY: &str = "lanternTestBoundary7MA4YWxk";

/// A multipart upload of `file` (named `name`) with the session's secret.
fn upload(server: &Server, session: &Session, name: &str, file: &[u8], month: &str) -> Reply {
    let mut body = Vec::new();
    for (field, value) in [("csrf", session.csrf.as_str()), ("month", month)] {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let mut request = format!(
        "POST /provider/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nCookie: {}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
        session.cookie,
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    server.raw(&request)
}

/// An API request with a bearer token (and a body for a POST).
pub(crate) fn api(
    server: &Server,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&[u8]>,
) -> Reply {
    api_with(
        server,
        method,
        path,
        token,
        body,
        "application/octet-stream",
    )
}

/// [`api`] with the body's content type given.
pub(crate) fn api_with(
    server: &Server,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&[u8]>,
    content_type: &str,
) -> Reply {
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n"
    )
    .into_bytes();
    match body {
        Some(b) => {
            request.extend_from_slice(
                format!(
                    "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
                    b.len()
                )
                .as_bytes(),
            );
            request.extend_from_slice(b);
        }
        None if method == "POST" => request.extend_from_slice(b"Content-Length: 0\r\n\r\n"),
        None => request.extend_from_slice(b"\r\n"),
    }
    server.raw(&request)
}

/// A token made on the command line: (id, secret).
fn token(app: &TestApp, provider: &str, name: &str) -> (i64, String) {
    let out = app
        .run(&[
            "token",
            "create",
            "--provider",
            provider,
            "--name",
            name,
            "--json",
        ])
        .ok();
    let v: serde_json::Value = serde_json::from_str(&out).expect("token create --json");
    (
        v["id"].as_i64().expect("id"),
        v["secret"].as_str().expect("secret").to_string(),
    )
}

fn json(reply: &Reply) -> serde_json::Value {
    serde_json::from_str(&reply.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", reply.status, reply.body))
}

/// Nothing that identifies the client comes back.
fn no_personal_data(what: &str, text: &str) {
    for secret in ["zz9secret", "19771231", "1977-12-31"] {
        assert!(!text.contains(secret), "{what} shows {secret}:\n{text}");
    }
}

#[test]
fn a_provider_sees_the_bad_rows_error_resends_and_another_provider_sees_nothing() {
    let app = providers_app();
    let server = Server::start(&app, crate::web::LEI);
    let mine = server.session("provider");
    let theirs = server.session("provider2");

    let home = server.get("/provider", Some(&mine));
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(
        home.body.contains("You have sent no files yet"),
        "{}",
        home.body
    );

    // A file of the wrong type is refused, nothing stored.
    let wrong = upload(&server, &mine, "notes.txt", b"hello", "2019-05");
    assert_eq!(wrong.status, 415, "{}", wrong.body);
    assert!(wrong.body.contains(".csv"), "{}", wrong.body);
    let pretend = upload(&server, &mine, "P1-2019-05.xlsx", b"AGNCY,CLIENT\n", "");
    assert_eq!(pretend.status, 415, "{}", pretend.body);
    assert!(
        server
            .get("/provider", Some(&mine))
            .body
            .contains("You have sent no files yet")
    );

    // The month's file with one bad row: its report names row 3 and SEX.
    let sent = upload(
        &server,
        &mine,
        "P1-2019-05.csv",
        month_file("P1").as_bytes(),
        "",
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let page = sent.location().expect("to the submission").to_string();
    assert!(page.starts_with("/provider/submissions/"), "{page}");
    let id: i64 = page.rsplit('/').next().unwrap().parse().expect("id");
    let report = server.get(&page, Some(&mine));
    assert_eq!(report.status, 200, "{}", report.body);
    assert!(
        report.body.contains("<td>3</td><td>SEX</td>"),
        "{}",
        report.body
    );
    no_personal_data("the report page", &report.body);
    let csv = server.get(&format!("{page}/report.csv"), Some(&mine));
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(csv.head.contains("content-type: text/csv"), "{}", csv.head);
    assert!(
        csv.body
            .starts_with("kind,row,cell,field,value,length,reason"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains("error,3,,SEX,"), "{}", csv.body);
    no_personal_data("the CSV report", &csv.body);
    let listed = server.get("/provider", Some(&mine));
    assert!(listed.body.contains("P1-2019-05.csv"), "{}", listed.body);

    // Another provider: 404 for the page, the CSV and the API, as for a
    // submission that does not exist; their list is empty.
    for path in [page.clone(), format!("{page}/report.csv")] {
        let refused = server.get(&path, Some(&theirs));
        assert_eq!(refused.status, 404, "{path}: {}", refused.body);
        let none = server.get(
            &format!("/provider/submissions/{}", id + 1000),
            Some(&theirs),
        );
        assert_eq!(none.status, 404);
        assert_eq!(
            refused
                .body
                .replace(&format!("submission {id} "), "submission N "),
            none.body
                .replace(&format!("submission {} ", id + 1000), "submission N "),
            "another's submission reads exactly as a missing one"
        );
        assert!(!refused.body.contains("SEX"), "{}", refused.body);
    }
    let their_list = server.get("/provider", Some(&theirs));
    assert!(
        !their_list.body.contains("P1-2019-05.csv"),
        "{}",
        their_list.body
    );
    let (_, p2_token) = token(&app, "P2", "theirs");
    for path in [
        format!("/api/submissions/{id}"),
        format!("/api/submissions/{id}/report"),
        format!("/api/submissions/{id}/report?format=csv"),
    ] {
        let refused = api(&server, "GET", &path, &p2_token, None);
        assert_eq!(refused.status, 404, "{path}: {}", refused.body);
        assert_eq!(json(&refused)["code"], "not_found");
        assert!(!refused.body.contains("SEX"));
    }
    let their_api_list = json(&api(&server, "GET", "/api/submissions", &p2_token, None));
    assert_eq!(their_api_list["total"], 0, "{their_api_list}");

    // Resending the month, corrected: a new submission, current; the
    // rejected first stays as it was. Resending again replaces it, kept.
    let fixed = month_file("P1").replace(",Q,", ",F,");
    let again = upload(&server, &mine, "P1-2019-05.csv", fixed.as_bytes(), "");
    assert_eq!(again.status, 303, "{}", again.body);
    let second = again.location().expect("to the submission").to_string();
    assert!(server.get(&page, Some(&mine)).body.contains(">rejected<"));
    assert!(server.get(&second, Some(&mine)).body.contains(">current<"));
    let third = upload(
        &server,
        &mine,
        "P1-2019-05.csv",
        fixed.replace("LA,2\n", "LA,1\n").as_bytes(),
        "",
    );
    assert_eq!(third.status, 303, "{}", third.body);
    let shown = server.get(&second, Some(&mine));
    assert!(shown.body.contains(">replaced<"), "{}", shown.body);
    let (_, p1_token) = token(&app, "P1", "ours");
    let listed = json(&api(&server, "GET", "/api/submissions", &p1_token, None));
    assert_eq!(listed["total"], 3, "{listed}");
    assert_eq!(listed["items"][2]["id"], id, "newest first: {listed}");
    assert_eq!(listed["items"][1]["status"], "replaced", "{listed}");
    assert_eq!(listed["items"][0]["status"], "current", "{listed}");
    assert_eq!(listed["items"][0]["provider"], "P1", "{listed}");
    assert_eq!(
        (&listed["page"], &listed["per_page"]),
        (&1.into(), &20.into())
    );
    assert!(listed["links"]["next"].is_null(), "{listed}");

    // Paged as every list of the API: `page`, `per_page`, links.
    let first = json(&api(
        &server,
        "GET",
        "/api/submissions?per_page=2",
        &p1_token,
        None,
    ));
    assert_eq!(first["items"].as_array().map(Vec::len), Some(2), "{first}");
    assert_eq!(first["pages"], 2, "{first}");
    assert!(first["links"]["prev"].is_null(), "{first}");
    let next = first["links"]["next"].as_str().expect("a next page");
    assert_eq!(next, "/api/submissions?page=2&per_page=2");
    let last = json(&api(&server, "GET", next, &p1_token, None));
    assert_eq!(last["items"].as_array().map(Vec::len), Some(1), "{last}");
    assert_eq!(last["items"][0]["id"], id, "the oldest last: {last}");
    assert!(last["links"]["next"].is_null(), "{last}");
    assert_eq!(
        last["links"]["prev"], "/api/submissions?page=1&per_page=2",
        "{last}"
    );
    for (query, field, says) in [
        ("page=3&per_page=2", "page", "2 pages"),
        ("page=0", "page", "from 1"),
        ("per_page=101", "per_page", "from 1 to 100"),
        ("per_page=x", "per_page", "from 1 to 100"),
    ] {
        let refused = api(
            &server,
            "GET",
            &format!("/api/submissions?{query}"),
            &p1_token,
            None,
        );
        assert_eq!(refused.status, 400, "{query}: {}", refused.body);
        let body = json(&refused);
        assert_eq!(body["field"], field, "{query}: {body}");
        assert!(
            body["message"].as_str().unwrap_or_default().contains(says),
            "{query}: {body}"
        );
    }
}

#[test]
fn api_tokens_are_shown_once_act_for_their_provider_only_and_stop_when_revoked() {
    let app = providers_app();
    let server = Server::start(&app, crate::web::LEI);
    let (id, secret) = token(&app, "P1", "nightly upload");
    assert!(
        secret.starts_with("lantern_") && secret.len() == 8 + 64,
        "{secret}"
    );

    // The list never shows the secret.
    let listed = app.run(&["token", "list"]).ok();
    assert!(
        listed.contains("nightly upload") && !listed.contains(&secret),
        "{listed}"
    );

    // Submitting through the API: 201 with the report.
    let file = month_file("P1");
    let sent = api(
        &server,
        "POST",
        "/api/submissions?name=P1-2019-05.csv",
        &secret,
        Some(file.as_bytes()),
    );
    assert_eq!(sent.status, 201, "{}", sent.body);
    let sent = json(&sent);
    let sub = sent["submission"]["id"].as_i64().expect("id");
    assert_eq!(sent["submission"]["sent_by"], format!("token:{id}"));
    assert_eq!(sent["report"]["errors"][0]["field"], "SEX", "{sent}");
    no_personal_data("the API reply", &sent.to_string());
    let report = api(
        &server,
        "GET",
        &format!("/api/submissions/{sub}/report?format=csv"),
        &secret,
        None,
    );
    assert_eq!(report.status, 200);
    assert!(report.body.contains("error,3,,SEX,"), "{}", report.body);
    let used = app.run(&["token", "list", "--json"]).ok();
    assert!(!used.contains("\"last_used_at\": null"), "{used}");

    // The wrong type: 415 as JSON. Another provider's rows: refused.
    let wrong = api(
        &server,
        "POST",
        "/api/submissions?name=x.pdf",
        &secret,
        Some(b"%PDF-1.4"),
    );
    assert_eq!(wrong.status, 415, "{}", wrong.body);
    assert_eq!(json(&wrong)["code"], "unsupported_type");

    // A token never opens a page or a form: those are session only.
    let page = api(&server, "GET", "/provider", &secret, None);
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location(), Some("/sign-in"));

    // A made-up or malformed token: 401, the same message.
    let forged = format!("lantern_{}", "0".repeat(64));
    let bad = api(&server, "GET", "/api/submissions", &forged, None);
    assert_eq!(bad.status, 401, "{}", bad.body);
    let malformed = api(&server, "GET", "/api/submissions", "nonsense", None);
    assert_eq!(malformed.status, 401);
    assert_eq!(json(&bad)["message"], json(&malformed)["message"]);

    // Revoked: 401 from then on, and recorded with who revoked it.
    app.run(&["token", "revoke", &id.to_string()]).ok();
    let after = api(&server, "GET", "/api/submissions", &secret, None);
    assert_eq!(after.status, 401, "{}", after.body);
    let again = app.run(&["token", "revoke", &id.to_string()]);
    assert_ne!(again.code, 0, "revoking twice is refused");
    let listed = app.run(&["token", "list"]).ok();
    assert!(listed.contains("revoked"), "{listed}");
}

#[test]
fn a_provider_user_manages_tokens_only_when_allowed_and_only_their_own() {
    let app = providers_app();
    let server = Server::start(&app, crate::web::LEI);
    // Not allowed: 403 on the page and the form.
    let plain = server.session("provider2");
    let refused = server.get("/provider/tokens", Some(&plain));
    assert_eq!(refused.status, 403, "{}", refused.body);
    let refused = server.post(
        "/provider/tokens",
        Some(&plain),
        &format!("csrf={}&name=mine", plain.csrf),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);

    // Allowed: creates a token for their provider, shown once.
    let keeper = server.session("keeper");
    let made = server.post(
        "/provider/tokens",
        Some(&keeper),
        &format!("csrf={}&name=our+system", keeper.csrf),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    assert!(made.body.contains("lantern_"), "{}", made.body);
    let shown = server.get("/provider/tokens", Some(&keeper));
    assert!(shown.body.contains("our system"));
    assert!(!shown.body.contains("value=\"lantern_"), "shown once only");
    // Another provider's token cannot be revoked from here: 404.
    let (p2_id, p2_secret) = token(&app, "P2", "theirs");
    let revoke = server.post(
        &format!("/provider/tokens/{p2_id}/revoke"),
        Some(&keeper),
        &format!("csrf={}", keeper.csrf),
    );
    assert_eq!(revoke.status, 404, "{}", revoke.body);
    assert_eq!(
        api(&server, "GET", "/api/submissions", &p2_secret, None).status,
        200
    );
    // Nor created for another provider.
    let other = server.post(
        "/provider/tokens",
        Some(&keeper),
        &format!("csrf={}&name=x&provider=P2", keeper.csrf),
    );
    assert_eq!(other.status, 403, "{}", other.body);

    // The administrator sees both and revokes P2's.
    let admin = server.session("admin");
    let page = server.get("/admin/tokens", Some(&admin));
    assert!(
        page.body.contains("our system") && page.body.contains("theirs"),
        "{}",
        page.body
    );
    let revoked = server.post(
        &format!("/admin/tokens/{p2_id}/revoke"),
        Some(&admin),
        &format!("csrf={}", admin.csrf),
    );
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert_eq!(
        api(&server, "GET", "/api/submissions", &p2_secret, None).status,
        401
    );
    // An unknown provider is refused on the form.
    let unknown = server.post(
        "/admin/tokens",
        Some(&admin),
        &format!("csrf={}&name=x&provider=NOPE", admin.csrf),
    );
    assert_eq!(unknown.status, 400, "{}", unknown.body);
}

#[test]
fn an_api_upload_larger_than_the_limit_is_refused_as_json_before_it_is_read() {
    let app = providers_app();
    let server = Server::start(&app, crate::web::LEI);
    let (_, secret) = token(&app, "P1", "big");
    let request = format!(
        "POST /api/submissions?name=P1-2019-05.csv HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {secret}\r\nContent-Length: {}\r\n\r\n",
        lantern_app::providers::MAX_FILE_BYTES + 1024 * 1024
    );
    let reply = server.raw(request.as_bytes());
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert_eq!(json(&reply)["code"], "too_large");
    let listed = json(&api(&server, "GET", "/api/submissions", &secret, None));
    assert_eq!(listed["total"], 0);
}
