//! Operational endpoints and behaviour (issue #9 item 5): `/metrics` in
//! Prometheus text format, `X-Request-Id`, JSON logs, and a graceful
//! shutdown on SIGTERM that finishes the requests in flight.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ENCRYPTION_KEY, OWNER_EMAIL, OWNER_PASSWORD, spawn_app};

#[actix_web::test]
async fn metrics_count_requests_per_route_and_status() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    assert_eq!(app.get("/users/", &token).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/users/111111111111/", &token).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/no/such/path/abc", &token).await.status,
        StatusCode::NOT_FOUND
    );

    let reply = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let content_type = reply.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = reply.text().await.unwrap();
    let has = |needle: &str| {
        assert!(
            text.lines()
                .any(|l| !l.starts_with('#') && l.contains(needle)),
            "no metric line contains {needle:?} in:\n{text}"
        )
    };
    // Counts and latency histograms, labelled by route pattern, not by path.
    has(r#"tessera_http_requests_total{endpoint="/users",method="GET",status="200"} 1"#);
    has(r#"tessera_http_requests_total{endpoint="/users/{id}",method="GET",status="404"} 1"#);
    has(r#"tessera_http_requests_duration_seconds_bucket{endpoint="/users/{id}""#);
    has(r#"endpoint="UNMATCHED""#);
    assert!(
        !text.contains("/no/such/path"),
        "unmatched paths are masked"
    );
    // Pool gauges.
    has("tessera_db_pool_connections ");
    has("tessera_db_pool_idle_connections ");
    has("tessera_db_write_queue_waiting 0");
}

#[actix_web::test]
async fn every_answer_carries_a_request_id() {
    let app = spawn_app().await;
    let generated = app.client.get(app.url("/healthz")).send().await.unwrap();
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 36, "a generated UUID: {id}");
    let again = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_ne!(
        again.headers()["x-request-id"],
        id.as_str(),
        "one per request"
    );

    // A client's own id is echoed, on errors too.
    let echoed = app
        .client
        .get(app.url("/users/"))
        .header("X-Request-Id", "trace-42.abc")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(echoed.headers()["x-request-id"], "trace-42.abc");

    // One that is too long or has spaces is replaced, not echoed.
    for bad in ["x".repeat(129), "has space".to_owned()] {
        let replaced = app
            .client
            .get(app.url("/healthz"))
            .header("X-Request-Id", bad.as_str())
            .send()
            .await
            .unwrap();
        let id = replaced.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(id, bad);
        assert_eq!(id.len(), 36);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(database_url: &str, port: u16, log_format: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("serve")
        .env("TESSERA_DATABASE_URL", database_url)
        .env("TESSERA_BIND", format!("127.0.0.1:{port}"))
        .env(
            "TESSERA_SECRET_KEY",
            "operations-secret-key-0123456789abcdef",
        )
        .env("TESSERA_ENCRYPTION_KEY", ENCRYPTION_KEY)
        .env("TESSERA_BOOTSTRAP_EMAIL", OWNER_EMAIL)
        .env("TESSERA_BOOTSTRAP_PASSWORD", OWNER_PASSWORD)
        .env("TESSERA_WORKERS", "1")
        .env("TESSERA_LOG_FORMAT", log_format)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tessera serve")
}

fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            if out.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "tessera serve never became ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// SIGTERM stops new work but finishes a request already being received,
/// then the process exits successfully; with TESSERA_LOG_FORMAT=json the
/// log is JSON lines carrying the request id sent back in `X-Request-Id`.
#[actix_web::test]
async fn sigterm_finishes_requests_in_flight_and_logs_are_json() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", dir.path().join("t.db").display());
    let port = free_port();
    let mut server = serve(&database_url, port, "json");
    actix_web::rt::task::spawn_blocking(move || wait_ready(port))
        .await
        .unwrap();

    let outcome = actix_web::rt::task::spawn_blocking(move || {
        // Half a login: the server has the request, not yet its body.
        let body = json!({"username": OWNER_EMAIL, "password": OWNER_PASSWORD}).to_string();
        let (first, rest) = body.split_at(body.len() / 2);
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            stream,
            "POST /auth/obtain/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             X-Request-Id: in-flight-1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
            body.len()
        )
        .unwrap();
        stream.flush().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let pid = server.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        std::thread::sleep(Duration::from_millis(300));
        stream.write_all(rest.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();

        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = server.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "no exit within 30 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(100));
        };
        let mut log = String::new();
        server
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        (answer, status, log)
    })
    .await
    .unwrap();
    let (answer, status, log) = outcome;

    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "in-flight login: {answer}"
    );
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("x-request-id: in-flight-1")
    );
    assert!(answer.contains("\"token\""), "{answer}");
    assert!(status.success(), "exit after SIGTERM: {status}");

    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let access = lines
        .iter()
        .find(|l| {
            l["fields"]["message"] == "request handled"
                && l["span"]["client_request_id"] == "in-flight-1"
        })
        .unwrap_or_else(|| panic!("no access line for the login in:\n{log}"));
    assert_eq!(access["fields"]["status"], 200);
    assert!(access["span"]["request_id"].is_string(), "{access}");
    // Nothing secret is logged.
    assert!(!log.contains(OWNER_PASSWORD));
}
