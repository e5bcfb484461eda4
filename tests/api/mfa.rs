//! MFA (API.md §3): TOTP enrollment at `/profile/mfa/`, confirmation, login
//! with `otp`, single use of each code, and disabling. Codes are computed
//! here with totp-rs from the secret the server hands out.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use totp_rs::{Algorithm, Builder, Secret};

use crate::helpers::{
    OWNER_EMAIL, OWNER_PASSWORD, PASSWORD, Reply, TestApp, spawn_app, spawn_app_with,
};

const STEP: u64 = 30;

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The code of time step `step` for a Base32 `secret`, as an authenticator app shows it.
pub fn code(secret: &str, step: u64) -> String {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(STEP)
        .with_secret(Secret::try_from_base32(secret).expect("a Base32 secret"))
        .build()
        .expect("a valid TOTP")
        .generate(step * STEP)
        .to_string()
}

/// A step after `last` that the server accepts now (it allows one step of
/// skew each side). The previous step is used only early in the current
/// one, so it is still in the window when the request lands; when no step
/// is left, waits for the next one.
pub async fn usable_step(last: Option<u64>) -> u64 {
    loop {
        let now = unix_now();
        let current = now / STEP;
        let earliest = if now % STEP < 20 {
            current - 1
        } else {
            current
        };
        let step = last.map_or(earliest, |l| (l + 1).max(earliest));
        if step <= current + 1 {
            return step;
        }
        tokio::time::sleep(Duration::from_secs(STEP - now % STEP)).await;
    }
}

/// A well-formed code that is none of the valid ones right now.
fn wrong_code(secret: &str) -> String {
    let current = unix_now() / STEP;
    let valid: Vec<String> = (current - 2..=current + 2)
        .map(|s| code(secret, s))
        .collect();
    ["000000", "111111", "222222"]
        .into_iter()
        .find(|c| !valid.iter().any(|v| v == c))
        .unwrap()
        .to_owned()
}

async fn obtain(app: &TestApp, body: Value) -> Reply {
    app.call(Method::POST, "/auth/obtain/", None, Some(body))
        .await
}

async fn enroll(app: &TestApp, token: &str) -> String {
    let reply = app.post("/profile/mfa/", token, json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "enroll: {}", reply.body);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    reply.body["secret"].as_str().expect("a secret").to_owned()
}

async fn delete_with(app: &TestApp, path: &str, token: &str, body: Value) -> Reply {
    app.call(Method::DELETE, path, Some(token), Some(body))
        .await
}

fn assert_otp_error(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "{what}: {}",
        reply.body
    );
    assert!(
        reply.body["otp"].as_array().is_some_and(|m| !m.is_empty()),
        "{what}: an error on otp expected, got {}",
        reply.body
    );
}

#[actix_web::test]
async fn enroll_confirm_log_in_with_a_code_once_and_disable() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, token) = app.member(&owner, "ann@example.com", "EMPLOYEE").await;

    let reply = app.post("/profile/mfa/", &token, json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let secret = reply.body["secret"].as_str().unwrap().to_owned();
    let uri = reply.body["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Tessera:ann%40example.com?"),
        "{uri}"
    );
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(uri.contains("issuer=Tessera"), "{uri}");
    // Enrolling again replaces the pending secret.
    let secret = enroll(&app, &token).await;

    // Pending: logging in still needs no code, and the profile says MFA is off.
    app.login("ann@example.com", PASSWORD).await;
    let profile = app.get("/profile/", &token).await;
    assert_eq!(profile.body["mfa_enabled"], json!(false));

    let reply = app
        .post(
            "/profile/mfa/confirm/",
            &token,
            json!({"otp": wrong_code(&secret)}),
        )
        .await;
    assert_otp_error(&reply, "confirm with a wrong code");
    let reply = app.post("/profile/mfa/confirm/", &token, json!({})).await;
    assert_otp_error(&reply, "confirm without a code");

    let confirmed = usable_step(None).await;
    let reply = app
        .post(
            "/profile/mfa/confirm/",
            &token,
            json!({"otp": code(&secret, confirmed)}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    // Tokens from before MFA was on are ended: logging in again needs a code.
    assert_eq!(
        app.get("/profile/", &token).await.status,
        StatusCode::UNAUTHORIZED
    );

    let credentials = json!({"username": "ann@example.com", "password": PASSWORD});
    let reply = obtain(&app, credentials.clone()).await;
    assert_otp_error(&reply, "login without otp");
    let missing = reply.body["otp"][0].clone();
    let reply = obtain(
        &app,
        json!({"username": "ann@example.com", "password": PASSWORD, "otp": wrong_code(&secret)}),
    )
    .await;
    assert_otp_error(&reply, "login with a wrong otp");
    assert_ne!(
        reply.body["otp"][0], missing,
        "missing and invalid read alike"
    );
    // A wrong password says nothing about the second factor.
    let reply = obtain(
        &app,
        json!({"username": "ann@example.com", "password": "wrong-pass-1", "otp": code(&secret, confirmed)}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.get("otp").is_none(), "{}", reply.body);
    // The code that confirmed is spent.
    let reply = obtain(
        &app,
        json!({"username": "ann@example.com", "password": PASSWORD, "otp": code(&secret, confirmed)}),
    )
    .await;
    assert_otp_error(&reply, "login with the confirmation code");

    let login_step = usable_step(Some(confirmed)).await;
    let with_code = json!({"username": "ann@example.com", "password": PASSWORD, "otp": code(&secret, login_step)});
    let reply = obtain(&app, with_code.clone()).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "login with otp: {}",
        reply.body
    );
    let token = reply.body["token"].as_str().unwrap().to_owned();
    let profile = app.get("/profile/", &token).await;
    assert_eq!(profile.status, StatusCode::OK);
    assert_eq!(profile.body["mfa_enabled"], json!(true));
    assert!(
        !profile.body.to_string().contains(&secret),
        "the secret leaks: {}",
        profile.body
    );
    let reply = app.post("/profile/mfa/", &token, json!({})).await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "enroll while on: {}",
        reply.body
    );
    let reply = obtain(&app, with_code).await;
    assert_otp_error(&reply, "replayed otp");

    let reply = delete_with(
        &app,
        "/profile/mfa/",
        &token,
        json!({"otp": wrong_code(&secret)}),
    )
    .await;
    assert_otp_error(&reply, "disable with a wrong code");
    let off_step = usable_step(Some(login_step)).await;
    let reply = delete_with(
        &app,
        "/profile/mfa/",
        &token,
        json!({"otp": code(&secret, off_step)}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);

    let profile = app.get("/profile/", &token).await;
    assert_eq!(profile.body["mfa_enabled"], json!(false));
    let reply = obtain(&app, credentials).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "login after disable: {}",
        reply.body
    );
    let reply = delete_with(&app, "/profile/mfa/", &token, json!({"otp": "123456"})).await;
    assert_otp_error(&reply, "disable while off");
}

#[actix_web::test]
async fn confirming_needs_a_pending_enrollment_and_mfa_is_per_user() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let reply = app
        .post("/profile/mfa/confirm/", &owner, json!({"otp": "123456"}))
        .await;
    assert_otp_error(&reply, "confirm with nothing pending");

    let (_, token) = app.member(&owner, "bob@example.com", "EMPLOYEE").await;
    let secret = enroll(&app, &token).await;
    let step = usable_step(None).await;
    let reply = app
        .post(
            "/profile/mfa/confirm/",
            &token,
            json!({"otp": code(&secret, step)}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    // Another user's login is untouched.
    app.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    // Bob's earlier tokens ended: it logs in again with a code.
    let login_step = usable_step(Some(step)).await;
    let reply = obtain(
        &app,
        json!({"username": "bob@example.com", "password": PASSWORD, "otp": code(&secret, login_step)}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let token = reply.body["token"].as_str().unwrap().to_owned();
    let reply = app
        .post(
            "/profile/mfa/confirm/",
            &token,
            json!({"otp": code(&secret, step)}),
        )
        .await;
    assert_otp_error(&reply, "confirm while on");
}

#[actix_web::test]
async fn mfa_needs_authentication_and_is_not_for_api_users() {
    let app = spawn_app().await;
    for (method, path) in [
        (Method::POST, "/profile/mfa/"),
        (Method::POST, "/profile/mfa/confirm/"),
        (Method::DELETE, "/profile/mfa/"),
    ] {
        let reply = app
            .call(method.clone(), path, None, Some(json!({"otp": "123456"})))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    let reply = app.call(Method::GET, "/profile/mfa/", None, None).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);

    let owner = app.owner_token().await;
    let reply = app
        .post(
            "/api-users/",
            &owner,
            json!({"name": "ci", "email": "ci@example.com"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    let reply = app
        .post(
            &format!("/api-users/{id}/keys/"),
            &owner,
            json!({"name": "k"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let key = reply.body["key"].as_str().unwrap().to_owned();
    for (method, path) in [
        (Method::POST, "/profile/mfa/"),
        (Method::POST, "/profile/mfa/confirm/"),
        (Method::DELETE, "/profile/mfa/"),
    ] {
        let reply = app
            .call(
                method.clone(),
                path,
                Some(&key),
                Some(json!({"otp": "123456"})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            reply.body
        );
    }
}

#[actix_web::test]
async fn wrong_codes_to_disable_count_as_failed_logins_of_the_account() {
    const LIMIT: u32 = 3;
    let app = spawn_app_with(|s| s.login_max_failures = LIMIT).await;
    let owner = app.owner_token().await;
    let (_, token) = app.member(&owner, "ann@example.com", "EMPLOYEE").await;
    let secret = enroll(&app, &token).await;
    let confirmed = usable_step(None).await;
    let reply = app
        .post(
            "/profile/mfa/confirm/",
            &token,
            json!({"otp": code(&secret, confirmed)}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    let step = usable_step(Some(confirmed)).await;
    let reply = obtain(
        &app,
        json!({"username": "ann@example.com", "password": PASSWORD, "otp": code(&secret, step)}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let token = reply.body["token"].as_str().unwrap().to_owned();

    for _ in 0..LIMIT {
        let reply = delete_with(
            &app,
            "/profile/mfa/",
            &token,
            json!({"otp": wrong_code(&secret)}),
        )
        .await;
        assert_otp_error(&reply, "disable with a wrong code");
    }
    // Throttled before the code is looked at, and so is the account's login.
    let reply = delete_with(
        &app,
        "/profile/mfa/",
        &token,
        json!({"otp": wrong_code(&secret)}),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.body
    );
    assert!(reply.header("retry-after").is_some());
    let reply = app.try_login("ann@example.com", PASSWORD).await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.body
    );
}
