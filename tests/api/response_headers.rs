//! Headers on every response: no MIME sniffing, no referrer, no framing, and nothing under
//! `/v1/` kept by a cache.
use crate::fixtures::registration_from;
use crate::helpers::*;
use reqwest::blocking::Response;
use reqwest::Method;
use serde_json::Value;

fn send(method: Method, path: &str, as_org: Option<&str>) -> Response {
    let mut req = client().request(method, url(path));
    if let Some(org) = as_org {
        req = req.bearer_auth(key(org));
    }
    req.send().unwrap()
}

fn header<'a>(res: &'a Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("{} {}: no {name}", res.status(), res.url()))
        .to_str()
        .unwrap()
}

/// The headers every response carries, whatever it is.
fn assert_protected(res: &Response) {
    let what = format!("{} {}", res.status(), res.url().path());
    assert_eq!(header(res, "x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header(res, "referrer-policy"), "no-referrer", "{what}");
    assert_eq!(header(res, "x-frame-options"), "DENY", "{what}");
    assert!(
        header(res, "content-security-policy").contains("frame-ancestors 'none'"),
        "{what}"
    );
}

fn assert_not_stored(res: &Response) {
    assert_eq!(
        header(res, "cache-control"),
        "no-store",
        "{} {}",
        res.status(),
        res.url().path()
    );
}

#[test]
fn every_response_carries_the_security_headers_errors_included() {
    let cases: Vec<(Response, u16)> = vec![
        (send(Method::GET, "/health", None), 200),
        (send(Method::GET, "/", None), 200),
        (send(Method::GET, "/openapi.json", None), 200),
        (send(Method::GET, "/schemas", None), 200),
        (send(Method::GET, "/.well-known/jwks.json", None), 200),
        (send(Method::GET, "/no/such/thing", None), 404),
        (send(Method::DELETE, "/health", None), 405),
        (send(Method::GET, "/v1/registrations", None), 401),
        (send(Method::GET, "/v1/audit", Some("hub-aoba")), 403),
        (
            send(
                Method::GET,
                "/v1/registrations/reg_none",
                Some("kikan-sendai"),
            ),
            404,
        ),
        (
            send(Method::PATCH, "/v1/registrations", Some("kikan-sendai")),
            405,
        ),
        (
            client()
                .post(url("/v1/validate/registration"))
                .header("content-type", "application/json")
                .body("{not json")
                .send()
                .unwrap(),
            400,
        ),
        (
            client()
                .post(url("/v1/validate/registration"))
                .header("content-type", "text/csv")
                .body("a,b")
                .send()
                .unwrap(),
            415,
        ),
    ];
    for (res, status) in &cases {
        assert_eq!(res.status().as_u16(), *status, "{}", res.url().path());
        assert_protected(res);
        // An API answer is data: it may load nothing at all.
        assert_eq!(
            header(res, "content-security-policy"),
            "default-src 'none'; frame-ancestors 'none'"
        );
    }
}

#[test]
fn every_v1_response_tells_caches_not_to_store_it_writes_and_refusals_included() {
    let doc = registration_from("office-a");
    let created = client()
        .post(url("/v1/registrations"))
        .bearer_auth(key("office-a"))
        .json(&doc)
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_not_stored(&created);
    assert_protected(&created);
    let location = header(&created, "location").to_owned();
    let stored: Value = created.json().unwrap();

    let changed = client()
        .put(url(&location))
        .bearer_auth(key("office-a"))
        .header("if-match", "\"1\"")
        .json(&stored)
        .send()
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert_not_stored(&changed);

    let withdrawn = send(
        Method::POST,
        &format!("{location}/consent-withdrawal"),
        Some("office-a"),
    );
    assert_eq!(withdrawn.status(), 200);
    assert_not_stored(&withdrawn);

    for res in [
        send(Method::GET, &location, Some("kikan-sendai")),
        send(Method::GET, "/v1/facilities", Some("kikan-sendai")),
        send(Method::GET, "/v1/registrations", None),
        send(Method::GET, "/v1/nothing-here", None),
        send(
            Method::POST,
            &format!("{location}/consent-withdrawal"),
            Some("office-a"),
        ),
        client()
            .post(url("/v1/validate/registration"))
            .json(&doc)
            .send()
            .unwrap(),
    ] {
        assert_not_stored(&res);
        assert_protected(&res);
    }
    // Outside /v1 the published contracts stay cacheable.
    let schemas = send(Method::GET, "/schemas/registration/1.0.0", None);
    assert_eq!(schemas.status(), 200);
    assert!(header(&schemas, "cache-control").starts_with("public"));
}

#[test]
fn a_replayed_response_carries_the_same_headers() {
    let doc = registration_from("office-a");
    let post = || {
        client()
            .post(url("/v1/registrations"))
            .bearer_auth(key("office-a"))
            .header("idempotency-key", format!("headers-{}", std::process::id()))
            .json(&doc)
            .send()
            .unwrap()
    };
    assert_eq!(post().status(), 201);
    let replay = post();
    assert_eq!(replay.status(), 201);
    assert_eq!(header(&replay, "idempotent-replayed"), "true");
    assert_not_stored(&replay);
    assert_protected(&replay);
}

#[test]
fn the_docs_may_load_their_own_scripts_and_styles_but_may_not_be_framed() {
    let page = send(Method::GET, "/docs/", None);
    assert_eq!(page.status(), 200);
    assert_protected(&page);
    // Only the framing rule: Swagger UI's scripts, styles and its fetch of /openapi.json stay
    // allowed.
    assert_eq!(
        header(&page, "content-security-policy"),
        "frame-ancestors 'none'"
    );
    let html = page.text().unwrap();
    // With nosniff a browser runs a script only if it is served as JavaScript, and applies a
    // stylesheet only if it is served as CSS: every asset the page names must be.
    let mut assets = 0;
    for (attribute, wanted) in [("src=\"./", "javascript"), ("href=\"./", "")] {
        for rest in html.split(attribute).skip(1) {
            let name = rest.split('"').next().unwrap();
            let res = send(Method::GET, &format!("/docs/{name}"), None);
            assert_eq!(res.status(), 200, "{name}");
            assert_protected(&res);
            let content_type = header(&res, "content-type").to_owned();
            let wanted = match name.rsplit('.').next() {
                Some("css") => "text/css",
                Some("png") => "image/png",
                _ => wanted,
            };
            assert!(content_type.contains(wanted), "{name}: {content_type}");
            assets += 1;
        }
    }
    assert!(assets >= 4, "the page names its scripts and styles: {html}");
}
