//! `POST /auth/obtain/` and how tokens are checked on protected requests.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, PASSWORD, Reply, TestApp, spawn_app};

const TEST_SECRET: &str = "test-secret-key-test-secret-key-0123456789";
const BAD_CREDENTIALS: &str = "Unable to log in with provided credentials.";

/// Decodes one base64url segment of a JWT into JSON.
fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a JWT segment");
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .expect("a base64url JWT segment");
    serde_json::from_slice(&bytes).expect("a JSON JWT segment")
}

fn payload(token: &str) -> Value {
    segment(token, 1)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An HS256 token with `claims`, signed with `secret`.
fn sign(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("encode a JWT")
}

/// The claims of a real token, with `exp` replaced, as an HS256 token
/// issued before asymmetric keys had (issued before the server started).
fn claims_like(token: &str, exp: i64) -> Value {
    let real = payload(token);
    json!({
        "sub": real["sub"],
        "org": real["org"],
        "jti": "forgedforgedforg",
        "iat": now() - 600,
        "exp": exp,
        "ver": real["ver"],
    })
}

async fn obtain(app: &TestApp, body: Value) -> Reply {
    app.call(Method::POST, "/auth/obtain/", None, Some(body))
        .await
}

async fn obtain_form(app: &TestApp, form: &str) -> Reply {
    let response = app
        .client
        .post(app.url("/auth/obtain/"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .expect("request sent");
    Reply::from(response).await
}

/// GET `path` with a raw `Authorization` header value.
async fn get_with_authorization(app: &TestApp, path: &str, authorization: &str) -> Reply {
    let response = app
        .client
        .get(app.url(path))
        .header("Authorization", authorization)
        .send()
        .await
        .expect("request sent");
    Reply::from(response).await
}

fn assert_bad_credentials(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body, json!({"non_field_errors": [BAD_CREDENTIALS]}));
}

fn assert_invalid_token(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    assert_eq!(reply.body, json!({"detail": "Invalid token."}));
    assert_eq!(reply.header("www-authenticate"), Some("JWT realm=\"api\""));
}

#[actix_web::test]
async fn login_returns_a_token_usable_with_jwt_and_bearer_schemes() {
    let app = spawn_app().await;
    let reply = obtain(
        &app,
        json!({"username": OWNER_EMAIL, "password": OWNER_PASSWORD}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let object = reply.body.as_object().expect("a JSON object");
    assert_eq!(object.len(), 1, "only a token: {}", reply.body);
    let token = reply.body["token"].as_str().expect("a token string");

    for scheme in ["JWT", "jwt", "Jwt", "Bearer", "bearer", "BEARER"] {
        let reply = get_with_authorization(&app, "/users/", &format!("{scheme} {token}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{scheme}: {}", reply.body);
        assert!(reply.body["results"].is_array(), "{}", reply.body);
    }
}

#[actix_web::test]
async fn login_sets_last_login() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let id = app
        .create_member(&owner, "fresh@example.com", "EMPLOYEE")
        .await;
    let before = app.get(&format!("/users/{id}/"), &owner).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    assert_eq!(before.body["last_login"], Value::Null, "{}", before.body);

    app.login("fresh@example.com", PASSWORD).await;

    let after = app.get(&format!("/users/{id}/"), &owner).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);
    let last_login = after.body["last_login"]
        .as_str()
        .unwrap_or_else(|| panic!("last_login is set: {}", after.body));
    assert!(!last_login.is_empty());
}

#[actix_web::test]
async fn token_is_an_eddsa_jwt_with_the_documented_claims() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "three parts: {token}");
    assert!(parts.iter().all(|p| !p.is_empty()), "{token}");

    let header = segment(&token, 0);
    assert_eq!(header["alg"], "EdDSA", "{header}");
    assert!(header["kid"].is_string(), "{header}");

    let claims = payload(&token);
    assert_eq!(claims["aud"], "tessera", "{claims}");
    assert_eq!(claims["iss"], app.address.as_str(), "{claims}");
    for claim in ["sub", "org", "jti"] {
        let value = claims[claim]
            .as_str()
            .unwrap_or_else(|| panic!("{claim} is a string: {claims}"));
        assert!(!value.is_empty(), "{claim}: {claims}");
    }
    let exp = claims["exp"].as_i64().expect("exp is a number");
    assert!(exp > now(), "exp is in the future: {claims}");

    // `sub` is the user's public id.
    let owner_id = app.id_of(&token, OWNER_EMAIL).await;
    assert_eq!(claims["sub"], owner_id.as_str());

    // Each login gets its own token id.
    let again = app.owner_token().await;
    assert_ne!(payload(&again)["jti"], claims["jti"]);
}

#[actix_web::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    let wrong_password = obtain(
        &app,
        json!({"username": OWNER_EMAIL, "password": "not-the-password-1"}),
    )
    .await;
    assert_bad_credentials(&wrong_password);

    let unknown_email = obtain(
        &app,
        json!({"username": "nobody@example.com", "password": OWNER_PASSWORD}),
    )
    .await;
    assert_bad_credentials(&unknown_email);
    assert_eq!(wrong_password.body, unknown_email.body);
}

#[actix_web::test]
async fn missing_username_and_password_are_required() {
    let app = spawn_app().await;
    let reply = obtain(&app, json!({})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"username": ["This field is required."], "password": ["This field is required."]})
    );

    let reply = obtain(&app, json!({"username": OWNER_EMAIL})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body, json!({"password": ["This field is required."]}));

    let reply = obtain(&app, json!({"password": OWNER_PASSWORD})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body, json!({"username": ["This field is required."]}));
}

#[actix_web::test]
async fn blank_username_and_password_are_rejected() {
    let app = spawn_app().await;
    let reply = obtain(&app, json!({"username": "", "password": ""})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    for field in ["username", "password"] {
        let messages = reply.body[field]
            .as_array()
            .unwrap_or_else(|| panic!("errors under {field}: {}", reply.body));
        assert!(!messages.is_empty(), "{}", reply.body);
    }
    assert!(reply.body.get("token").is_none());
}

#[actix_web::test]
async fn login_accepts_a_form_urlencoded_body() {
    let app = spawn_app().await;
    let form =
        serde_urlencoded::to_string([("username", OWNER_EMAIL), ("password", OWNER_PASSWORD)])
            .unwrap();
    let reply = obtain_form(&app, &form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let token = reply.body["token"].as_str().expect("a token");
    assert_eq!(app.get("/users/", token).await.status, StatusCode::OK);

    let wrong = serde_urlencoded::to_string([
        ("username", OWNER_EMAIL),
        ("password", "not-the-password-1"),
    ])
    .unwrap();
    assert_bad_credentials(&obtain_form(&app, &wrong).await);
}

#[actix_web::test]
async fn form_urlencoded_login_reports_missing_and_blank_fields() {
    let app = spawn_app().await;
    let reply = obtain_form(&app, "other=1").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"username": ["This field is required."], "password": ["This field is required."]})
    );

    let reply = obtain_form(&app, "username=&password=").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body["username"].is_array(), "{}", reply.body);
    assert!(reply.body["password"].is_array(), "{}", reply.body);
}

#[actix_web::test]
async fn a_deactivated_user_cannot_log_in_and_its_token_stops_working() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, token) = app.member(&owner, "leaver@example.com", "EMPLOYEE").await;
    assert_eq!(app.get("/users/", &token).await.status, StatusCode::OK);

    let reply = app
        .patch(&format!("/users/{id}/"), &owner, json!({"active": false}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    let login = obtain(
        &app,
        json!({"username": "leaver@example.com", "password": PASSWORD}),
    )
    .await;
    assert_bad_credentials(&login);

    assert_invalid_token(&app.get("/users/", &token).await);
}

#[actix_web::test]
async fn the_same_credentials_in_two_organizations_need_an_organization() {
    let app = spawn_app().await;
    let shared = "shared@example.com";
    // Organization 2 first (its bootstrap logs in without `organization`),
    // then the same email and password in organization 1.
    let other = app.second_organization(shared).await;
    let other_org = payload(&other)["org"].as_str().unwrap().to_owned();
    let owner = app.owner_token().await;
    let first_org = payload(&owner)["org"].as_str().unwrap().to_owned();
    assert_ne!(first_org, other_org);
    let reply = app
        .post(
            "/users/",
            &owner,
            json!({"email": shared, "name": "Shared", "password": OWNER_PASSWORD}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    let ambiguous = obtain(
        &app,
        json!({"username": shared, "password": OWNER_PASSWORD}),
    )
    .await;
    assert_eq!(
        ambiguous.status,
        StatusCode::BAD_REQUEST,
        "{}",
        ambiguous.body
    );
    assert!(
        ambiguous.body["organization"].is_array(),
        "an organization error: {}",
        ambiguous.body
    );
    assert!(ambiguous.body.get("token").is_none());

    for org in [&first_org, &other_org] {
        let reply = obtain(
            &app,
            json!({"username": shared, "password": OWNER_PASSWORD, "organization": org}),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{org}: {}", reply.body);
        let token = reply.body["token"].as_str().unwrap();
        assert_eq!(payload(token)["org"], org.as_str());
        assert_eq!(app.get("/users/", token).await.status, StatusCode::OK);
    }
}

#[actix_web::test]
async fn garbage_tokens_are_invalid() {
    let app = spawn_app().await;
    for garbage in ["garbage", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.e30.x"] {
        let reply = app.get("/users/", garbage).await;
        assert_invalid_token(&reply);
    }
}

#[actix_web::test]
async fn a_token_signed_with_another_key_is_invalid() {
    let app = spawn_app().await;
    let real = app.owner_token().await;
    let claims = claims_like(&real, now() + 3600);
    // The same claims with the right key work: only the key differs.
    let genuine = sign(&claims, TEST_SECRET.as_bytes());
    assert_eq!(app.get("/users/", &genuine).await.status, StatusCode::OK);

    let forged = sign(&claims, b"another-secret-another-secret-another-secret");
    assert_invalid_token(&app.get("/users/", &forged).await);
}

#[actix_web::test]
async fn an_alg_none_token_is_invalid() {
    let app = spawn_app().await;
    let real = app.owner_token().await;
    let claims = claims_like(&real, now() + 3600);
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    assert_invalid_token(&app.get("/users/", &format!("{header}.{body}.")).await);
    // The real signature appended to the unsigned header does not help either.
    let signature = real.split('.').nth(2).unwrap();
    assert_invalid_token(
        &app.get("/users/", &format!("{header}.{body}.{signature}"))
            .await,
    );
}

#[actix_web::test]
async fn an_expired_token_is_invalid() {
    let app = spawn_app().await;
    let real = app.owner_token().await;
    let expired = sign(&claims_like(&real, now() - 3600), TEST_SECRET.as_bytes());
    assert_invalid_token(&app.get("/users/", &expired).await);
}

#[actix_web::test]
async fn no_authorization_header_is_not_authenticated() {
    let app = spawn_app().await;
    let reply = app.call(Method::GET, "/users/", None, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"detail": "Authentication credentials were not provided."})
    );
    assert_eq!(reply.header("www-authenticate"), Some("JWT realm=\"api\""));
}

#[actix_web::test]
async fn a_deleted_users_token_is_invalid() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (id, token) = app.member(&owner, "gone@example.com", "EMPLOYEE").await;
    assert_eq!(app.get("/users/", &token).await.status, StatusCode::OK);

    let reply = app.delete(&format!("/users/{id}/"), &owner).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);

    assert_invalid_token(&app.get("/users/", &token).await);
}
