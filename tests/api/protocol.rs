//! The HTTP envelope of API.md sections 1 and 5: errors are JSON, bodies are
//! JSON or forms, paths work with and without their trailing slash, probes
//! and CORS.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, Reply, TestApp, spawn_app};

/// Sends raw bytes with `content_type` and the owner's token.
async fn send_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> Reply {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("Content-Type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.header("Authorization", format!("JWT {token}"));
    }
    Reply::from(request.send().await.expect("request sent")).await
}

fn detail(reply: &Reply) -> &str {
    reply.body["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("a JSON detail: {}", reply.body))
}

fn assert_json(reply: &Reply) {
    let content_type = reply.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "JSON content type, got {content_type:?}: {}",
        reply.body
    );
}

#[actix_web::test]
async fn an_unknown_route_is_a_json_404() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    for path in ["/no-such-thing/", "/no/such/thing", "/users/abc/def/"] {
        let reply = app.get(path, &token).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.body
        );
        assert_eq!(reply.body, json!({"detail": "Not found."}), "{path}");
        assert_json(&reply);
    }
    let anonymous = app.call(Method::GET, "/no-such-thing/", None, None).await;
    assert_eq!(
        anonymous.status,
        StatusCode::NOT_FOUND,
        "{}",
        anonymous.body
    );
    assert_eq!(anonymous.body, json!({"detail": "Not found."}));
}

#[actix_web::test]
async fn put_on_the_user_collection_is_405_with_allow() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app.put("/users/", &token, json!({})).await;
    assert_eq!(
        reply.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        reply.body
    );
    assert_eq!(reply.body, json!({"detail": "Method \"PUT\" not allowed."}));
    let allow = reply.header("allow").expect("an Allow header");
    for method in ["GET", "POST"] {
        assert!(allow.contains(method), "{method} in {allow}");
    }
    assert!(!allow.contains("PUT"), "{allow}");
}

#[actix_web::test]
async fn post_on_a_user_is_405_with_allow() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let id = app.id_of(&token, OWNER_EMAIL).await;
    let reply = app.post(&format!("/users/{id}/"), &token, json!({})).await;
    assert_eq!(
        reply.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        reply.body
    );
    assert_eq!(
        reply.body,
        json!({"detail": "Method \"POST\" not allowed."})
    );
    let allow = reply.header("allow").expect("an Allow header");
    for method in ["GET", "PUT", "PATCH", "DELETE"] {
        assert!(allow.contains(method), "{method} in {allow}");
    }
    assert!(!allow.contains("POST"), "{allow}");
}

#[actix_web::test]
async fn get_on_obtain_is_405() {
    let app = spawn_app().await;
    let reply = app.call(Method::GET, "/auth/obtain/", None, None).await;
    assert_eq!(
        reply.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        reply.body
    );
    assert_eq!(reply.body, json!({"detail": "Method \"GET\" not allowed."}));
    let allow = reply.header("allow").expect("an Allow header");
    assert!(allow.contains("POST"), "{allow}");
}

#[actix_web::test]
async fn a_text_plain_body_is_415() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = send_raw(
        &app,
        Method::POST,
        "/users/",
        Some(&token),
        "text/plain",
        r#"{"email": "plain@example.com", "name": "Plain"}"#,
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        reply.body
    );
    assert!(!detail(&reply).is_empty());
    assert_json(&reply);

    let login = send_raw(
        &app,
        Method::POST,
        "/auth/obtain/",
        None,
        "text/plain",
        json!({"username": OWNER_EMAIL, "password": OWNER_PASSWORD}).to_string(),
    )
    .await;
    assert_eq!(
        login.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        login.body
    );
    assert!(!detail(&login).is_empty());
}

#[actix_web::test]
async fn malformed_json_is_a_400_parse_error() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    for body in [
        r#"{"email": "#,
        r#"{"email": "a@example.com",}"#,
        "not json",
    ] {
        let reply = send_raw(
            &app,
            Method::POST,
            "/users/",
            Some(&token),
            "application/json",
            body,
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.body
        );
        assert!(
            detail(&reply).starts_with("JSON parse error - "),
            "{body}: {}",
            reply.body
        );
        assert_json(&reply);
    }
}

#[actix_web::test]
async fn a_json_array_body_is_a_400() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app
        .post(
            "/users/",
            &token,
            json!([{"email": "list@example.com", "name": "List"}]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.is_object(), "{}", reply.body);
    assert_json(&reply);

    let login = app
        .call(
            Method::POST,
            "/auth/obtain/",
            None,
            Some(json!([OWNER_EMAIL, OWNER_PASSWORD])),
        )
        .await;
    assert_eq!(login.status, StatusCode::BAD_REQUEST, "{}", login.body);
    assert!(login.body.get("token").is_none());
}

#[actix_web::test]
async fn a_body_over_one_mebibyte_is_413() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let filler = "x".repeat(1024 * 1024 + 16);
    let body = json!({"email": "big@example.com", "name": "Big", "position": filler}).to_string();
    let reply = send_raw(
        &app,
        Method::POST,
        "/users/",
        Some(&token),
        "application/json",
        body,
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.body
    );
    assert!(!detail(&reply).is_empty());
    assert_json(&reply);
}

#[actix_web::test]
async fn deeply_nested_json_is_a_400_not_a_500() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let depth = 10_000;
    let body = format!(
        r#"{{"email": "deep@example.com", "name": "Deep", "labels": {}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let reply = send_raw(
        &app,
        Method::POST,
        "/users/",
        Some(&token),
        "application/json",
        body,
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(
        detail(&reply).starts_with("JSON parse error - "),
        "{}",
        reply.body
    );

    // The service is still up.
    assert_eq!(app.get("/users/", &token).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn invalid_utf8_json_is_a_400() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let mut body = br#"{"email": "utf@example.com", "name": ""#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    body.extend_from_slice(br#""}"#);
    let reply = send_raw(
        &app,
        Method::POST,
        "/users/",
        Some(&token),
        "application/json",
        body,
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.is_object(), "{}", reply.body);
    assert_json(&reply);
}

#[actix_web::test]
async fn a_nul_byte_in_a_name_is_a_400_on_name() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app
        .post(
            "/users/",
            &token,
            json!({"email": "nul@example.com", "name": "nul\u{0}byte"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(
        reply.body["name"].is_array(),
        "an error on name: {}",
        reply.body
    );
    let listed = app.get("/users/?search=nul%40example.com", &token).await;
    assert_eq!(listed.body["count"], 0, "{}", listed.body);
}

#[actix_web::test]
async fn healthz_is_served_with_and_without_the_slash() {
    let app = spawn_app().await;
    for path in ["/healthz", "/healthz/"] {
        let reply = app.call(Method::GET, path, None, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        assert_eq!(reply.body, json!({"status": "ok"}), "{path}");
        assert!(reply.header("location").is_none(), "{path}: no redirect");
    }
}

#[actix_web::test]
async fn users_is_served_with_and_without_the_slash() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let with = app.get("/users/", &token).await;
    let without = app.get("/users", &token).await;
    assert_eq!(with.status, StatusCode::OK, "{}", with.body);
    assert_eq!(without.status, StatusCode::OK, "{}", without.body);
    assert!(without.header("location").is_none());
    assert_eq!(with.body, without.body);

    let id = app.id_of(&token, OWNER_EMAIL).await;
    let with = app.get(&format!("/users/{id}/"), &token).await;
    let without = app.get(&format!("/users/{id}"), &token).await;
    assert_eq!(with.status, StatusCode::OK, "{}", with.body);
    assert_eq!(without.status, StatusCode::OK, "{}", without.body);
    assert_eq!(with.body, without.body);

    // Query strings survive the rewrite.
    let page = app.get("/users?length=1", &token).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.body["length"], 1, "{}", page.body);
}

#[actix_web::test]
async fn obtain_is_served_with_and_without_the_slash() {
    let app = spawn_app().await;
    for path in ["/auth/obtain", "/auth/obtain/"] {
        let reply = app
            .call(
                Method::POST,
                path,
                None,
                Some(json!({"username": OWNER_EMAIL, "password": OWNER_PASSWORD})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        assert!(reply.body["token"].is_string(), "{path}: {}", reply.body);
        assert!(reply.header("location").is_none(), "{path}: no redirect");

        let wrong = app
            .call(
                Method::POST,
                path,
                None,
                Some(json!({"username": OWNER_EMAIL, "password": "wrong-password-1"})),
            )
            .await;
        assert_eq!(
            wrong.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            wrong.body
        );
    }
}

#[actix_web::test]
async fn probes_answer_without_authentication() {
    let app = spawn_app().await;
    let health = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.body);
    assert_eq!(health.body, json!({"status": "ok"}));

    let ready = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert_eq!(ready.body, json!({"status": "ok"}));
}

#[actix_web::test]
async fn cors_preflight_allows_a_listed_origin_only() {
    let app = spawn_app().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/users/"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
    };

    let allowed = preflight("https://app.example.com").await.unwrap();
    assert!(
        allowed.status().is_success(),
        "preflight status {}",
        allowed.status()
    );
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://app.example.com")
    );

    let unlisted = preflight("https://evil.example.net").await.unwrap();
    assert!(
        unlisted
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "no allow-origin for an unlisted origin: {:?}",
        unlisted.headers()
    );
}

#[actix_web::test]
async fn a_huge_page_number_is_invalid_page() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app
        .get("/users/?page=99999999999999999999999", &token)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(reply.body, json!({"detail": "Invalid page."}));
}

#[actix_web::test]
async fn a_huge_length_is_capped() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let reply = app.get("/users/?length=99999999999999999999", &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["length"], 100, "{}", reply.body);
    assert_eq!(reply.body["page"], 1, "{}", reply.body);
}

#[actix_web::test]
async fn a_chunked_body_over_one_mebibyte_is_413() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = spawn_app().await;
    let token = app.owner_token().await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "POST /users/ HTTP/1.1\r\nHost: {host}\r\nAuthorization: JWT {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = "x".repeat(64 * 1024);
    // Without a Content-Length the limit is enforced while reading; the
    // server may answer (and close) before everything is sent.
    for _ in 0..32 {
        let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        if stream.write_all(framed.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    let status_line = answer.lines().next().unwrap_or_default();
    assert!(
        status_line.starts_with("HTTP/1.1 413"),
        "413 expected, got: {answer}"
    );
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    assert!(body.contains("\"detail\""), "a JSON detail: {answer}");
}
