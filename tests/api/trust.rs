//! Tessera as the authority other services trust (issue #22): signed
//! tokens with published keys, the server metadata, introspection and
//! permission checks.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tessera::domain::token::TokenAlgorithm;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a JWT segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

/// A public GET (no credential).
async fn public(app: &TestApp, path: &str) -> crate::helpers::Reply {
    app.call(Method::GET, path, None, None).await
}

/// Verifies `token` as a downstream service would: the key its `kid` names
/// in the JWKS, the issuer of the metadata, audience `tessera`.
async fn verify_downstream(app: &TestApp, token: &str) -> Result<Value, String> {
    let jwks = public(app, "/.well-known/jwks.json").await.body;
    let kid = segment(token, 0)["kid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .ok_or_else(|| format!("no key {kid} in {jwks}"))?;
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
    let alg = segment(token, 0)["alg"].as_str().unwrap().parse().unwrap();
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.set_audience(&["tessera"]);
    validation.set_issuer(&[&app.address]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| e.to_string())
}

#[actix_web::test]
async fn tokens_verify_through_the_published_keys() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let header = segment(&token, 0);
    assert_eq!(header["alg"], "EdDSA", "{header}");

    let jwks = public(&app, "/.well-known/jwks.json").await;
    assert_eq!(jwks.status, StatusCode::OK, "{}", jwks.body);
    assert_eq!(
        jwks.header("cache-control"),
        Some("public, max-age=300"),
        "cacheable"
    );
    let keys = jwks.body["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 1, "{}", jwks.body);
    let key = &keys[0];
    assert_eq!(key["kid"], header["kid"]);
    assert_eq!(
        (&key["kty"], &key["crv"], &key["alg"], &key["use"]),
        (
            &"OKP".into(),
            &"Ed25519".into(),
            &"EdDSA".into(),
            &"sig".into()
        )
    );
    assert!(key.get("d").is_none(), "no private part: {key}");

    let claims = verify_downstream(&app, &token).await.expect("verifies");
    for claim in ["sub", "org", "jti", "iss", "aud"] {
        assert!(claims[claim].is_string(), "{claim}: {claims}");
    }
    for claim in ["iat", "exp"] {
        assert!(claims[claim].is_i64(), "{claim}: {claims}");
    }
    // A token whose signature was altered does not.
    let mut forged = token.clone();
    forged.replace_range(forged.len() - 4.., "AAAA");
    assert!(verify_downstream(&app, &forged).await.is_err());
}

#[actix_web::test]
async fn the_metadata_names_the_issuer_keys_and_introspection() {
    let app = spawn_app().await;
    let reply = public(&app, "/.well-known/oauth-authorization-server").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let meta = reply.body;
    assert_eq!(meta["issuer"], app.address.as_str());
    assert_eq!(
        meta["jwks_uri"],
        format!("{}/.well-known/jwks.json", app.address).as_str()
    );
    assert_eq!(
        meta["introspection_endpoint"],
        format!("{}/auth/introspect/", app.address).as_str()
    );
    // The issuer of the metadata is that of the tokens.
    let token = app.owner_token().await;
    assert_eq!(segment(&token, 1)["iss"], meta["issuer"]);
    // Its JWKS URI answers.
    let jwks = app
        .client
        .get(meta["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), StatusCode::OK);
}

#[actix_web::test]
async fn rs256_is_an_option_and_the_public_url_the_issuer() {
    let app = spawn_app_with(|s| {
        s.tokens.token_alg = TokenAlgorithm::Rs256;
        s.tokens.token_audience = "billing".into();
        s.mail.public_url = Some("https://id.example.com".into());
    })
    .await;
    let token = app.owner_token().await;
    assert_eq!(segment(&token, 0)["alg"], "RS256");
    let claims = segment(&token, 1);
    assert_eq!(
        (&claims["iss"], &claims["aud"]),
        (&"https://id.example.com".into(), &"billing".into())
    );
    let jwks = public(&app, "/.well-known/jwks.json").await.body;
    let key = &jwks["keys"][0];
    assert_eq!((&key["kty"], &key["alg"]), (&"RSA".into(), &"RS256".into()));
    assert!(key["n"].is_string() && key["e"].is_string(), "{key}");
    // Tessera itself accepts it.
    assert_eq!(app.get("/profile/", &token).await.status, StatusCode::OK);
    let meta = public(&app, "/.well-known/oauth-authorization-server")
        .await
        .body;
    assert_eq!(meta["issuer"], "https://id.example.com");
}

#[actix_web::test]
async fn a_token_for_another_audience_or_issuer_is_refused_here() {
    let app = spawn_app().await;
    let other = spawn_app_with(|s| s.tokens.token_audience = "billing".into()).await;
    // Another Tessera's token (its own key) means nothing here.
    let foreign = other.owner_token().await;
    assert_eq!(
        app.get("/profile/", &foreign).await.status,
        StatusCode::UNAUTHORIZED
    );
}
