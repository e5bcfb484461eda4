//! Tessera as the authority other services trust (issue #22): signed
//! tokens with published keys, the server metadata, introspection and
//! permission checks.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tessera::domain::token::TokenAlgorithm;

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};

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

/// A custom role holding `permissions`, and an API user holding it at
/// account tier (beside EMPLOYEE): (API user id, its key).
pub async fn service_account(app: &TestApp, owner: &str, permissions: &[&str]) -> (String, String) {
    let role = app
        .create(
            "/roles/",
            owner,
            json!({"name": format!("Service {}", tessera::domain::id::random_secret(6)),
                   "permissions": permissions}),
        )
        .await;
    let bot = app
        .create(
            "/api-users/",
            owner,
            json!({"name": "gateway", "email": format!("gw-{}@example.com", tessera::domain::id::random_secret(6).to_lowercase()),
                   "user_roles": [{"role": "EMPLOYEE", "scope": {"tier": "account"}},
                                  {"role": role["id"], "scope": {"tier": "account"}}]}),
        )
        .await;
    let id = bot["id"].as_str().unwrap().to_owned();
    let key = app
        .create(
            &format!("/api-users/{id}/keys/"),
            owner,
            json!({"name": "gw"}),
        )
        .await;
    (id, key["key"].as_str().unwrap().to_owned())
}

async fn introspect(app: &TestApp, caller: &str, token: &str) -> Value {
    let reply = app
        .post("/auth/introspect/", caller, json!({"token": token}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

#[actix_web::test]
async fn introspection_turns_inactive_at_once_after_revoke_deactivate_and_password_change() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, gateway) = service_account(&app, &owner, &["tokens.introspect"]).await;
    let (ann, token) = app.member(&owner, "ann@example.com", "EMPLOYEE").await;

    let answer = introspect(&app, &gateway, &token).await;
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["sub"], ann.as_str());
    assert_eq!(answer["token_type"], "access_token");
    assert_eq!(answer["username"], "ann@example.com");
    let claims = segment(&token, 1);
    for claim in ["org", "jti", "iat", "exp", "iss", "aud"] {
        assert_eq!(answer[claim], claims[claim], "{claim}: {answer}");
    }

    // Revoked.
    let reply = app
        .call(
            Method::POST,
            "/auth/revoke/",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    assert_eq!(
        introspect(&app, &gateway, &token).await,
        json!({"active": false})
    );

    // A password change.
    let token = app.login("ann@example.com", PASSWORD).await;
    assert_eq!(introspect(&app, &gateway, &token).await["active"], true);
    let reply = app
        .post(
            "/profile/change_password/",
            &token,
            json!({"current_password": PASSWORD, "password": "ann-new-pass-2", "confpassword": "ann-new-pass-2"}),
        )
        .await;
    assert!(reply.status.is_success(), "{}", reply.body);
    assert_eq!(
        introspect(&app, &gateway, &token).await,
        json!({"active": false})
    );

    // A deactivation.
    let token = app.login("ann@example.com", "ann-new-pass-2").await;
    assert_eq!(introspect(&app, &gateway, &token).await["active"], true);
    let reply = app
        .patch(&format!("/users/{ann}/"), &owner, json!({"active": false}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        introspect(&app, &gateway, &token).await,
        json!({"active": false})
    );

    // API keys too, and garbage is simply inactive.
    let (bot, key) = service_account(&app, &owner, &["users.view"]).await;
    let answer = introspect(&app, &gateway, &key).await;
    assert_eq!(
        (&answer["active"], &answer["token_type"], &answer["sub"]),
        (&json!(true), &json!("api_key"), &json!(bot)),
        "{answer}"
    );
    let reply = app
        .patch(
            &format!("/api-users/{bot}/"),
            &owner,
            json!({"active": false}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        introspect(&app, &gateway, &key).await,
        json!({"active": false})
    );
    for garbage in ["garbage", "tsk_nothing", "a.b.c"] {
        assert_eq!(
            introspect(&app, &gateway, garbage).await,
            json!({"active": false})
        );
    }
}

#[actix_web::test]
async fn introspection_needs_tokens_introspect_before_anything_else() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, employee) = app.member(&owner, "emp@example.com", "EMPLOYEE").await;
    let reply = app
        .call(
            Method::POST,
            "/auth/introspect/",
            None,
            Some(json!({"token": owner})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    // Forbidden before the body is judged.
    for body in [json!({"token": owner}), json!({})] {
        let reply = app.post("/auth/introspect/", &employee, body).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    }
    // The OWNER holds it; the token is required.
    let reply = app.post("/auth/introspect/", &owner, json!({})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body, json!({"token": ["This field is required."]}));
    let reply = app
        .post("/auth/introspect/", &owner, json!({"token": ""}))
        .await;
    assert_eq!(
        reply.body,
        json!({"token": ["This field may not be blank."]})
    );
    // RFC 7662 sends a form.
    let reply = app
        .client
        .post(app.url("/auth/introspect/"))
        .header("Authorization", format!("Bearer {owner}"))
        .form(&[
            ("token", employee.as_str()),
            ("token_type_hint", "access_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["active"], true, "{body}");
}

#[actix_web::test]
async fn another_organizations_credentials_are_inactive() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, gateway) = service_account(&app, &owner, &["tokens.introspect"]).await;
    let other_owner = app.second_organization("other@example.com").await;
    assert_eq!(
        introspect(&app, &gateway, &other_owner).await,
        json!({"active": false})
    );
    let (_, other_key) = service_account(&app, &other_owner, &["users.view"]).await;
    assert_eq!(
        introspect(&app, &gateway, &other_key).await,
        json!({"active": false})
    );
    // While that organization's own introspection sees them.
    assert_eq!(
        introspect(&app, &other_owner, &other_key).await["active"],
        true
    );
}

/// An organization with team A, target X (in team A) and target Y (in no
/// team), a custom role managing targets, and Ann: EMPLOYEE with that role
/// at team A. (team A, target X, target Y, role, Ann's id, Ann's token)
async fn targets_world(app: &TestApp, owner: &str) -> [String; 6] {
    let team = app.create("/teams/", owner, json!({"name": "A"})).await;
    let team = team["id"].as_str().unwrap().to_owned();
    let x = app
        .create(
            "/targets/",
            owner,
            json!({"name": "X", "url": "https://x.example.com", "teams": [team]}),
        )
        .await;
    let y = app
        .create(
            "/targets/",
            owner,
            json!({"name": "Y", "url": "https://y.example.com"}),
        )
        .await;
    let role = app
        .create(
            "/roles/",
            owner,
            json!({"name": "Target manager", "permissions": ["targets.view", "targets.manage"]}),
        )
        .await;
    let role = role["id"].as_str().unwrap().to_owned();
    let ann = app
        .create(
            "/users/",
            owner,
            json!({"email": "ann@example.com", "name": "Ann", "password": PASSWORD,
                   "user_roles": [{"role": "EMPLOYEE", "scope": {"tier": "account"}},
                                  {"role": role, "scope": {"tier": "team"}, "team": team}]}),
        )
        .await;
    let token = app.login("ann@example.com", PASSWORD).await;
    [
        team,
        x["id"].as_str().unwrap().to_owned(),
        y["id"].as_str().unwrap().to_owned(),
        role,
        ann["id"].as_str().unwrap().to_owned(),
        token,
    ]
}

#[actix_web::test]
async fn a_check_answers_each_question_with_the_assignments_that_allow_it() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let [team, x, y, role, ann, ann_token] = targets_world(&app, &owner).await;
    let (_, gateway) = service_account(&app, &owner, &["authz.check"]).await;
    let checks = json!([
        {"permission": "targets.manage", "target": x},
        {"permission": "targets.manage", "target": y},
        {"permission": "targets.manage"},
        {"permission": "targets.manage", "team": team},
        {"permission": "users.view"},
        {"permission": "users.manage", "target": x, "team": null},
    ]);
    for subject in [
        json!(ann),
        json!({"user": ann}),
        json!({"token": ann_token}),
    ] {
        let reply = app
            .post(
                "/authz/check/",
                &gateway,
                json!({"subject": subject, "checks": checks}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["subject"]["id"], ann.as_str());
        let results = reply.body["results"].as_array().unwrap();
        let allowed: Vec<bool> = results.iter().map(|r| r["allowed"] == true).collect();
        assert_eq!(
            allowed,
            [true, false, false, true, true, false],
            "{}",
            reply.body
        );
        let via = &results[0]["via"];
        assert_eq!(via.as_array().unwrap().len(), 1, "{via}");
        assert_eq!(via[0]["granted_by"]["role"]["id"], role.as_str());
        assert_eq!(via[0]["scope"]["type"], "team");
        assert_eq!(via[0]["scope"]["id"], team.as_str());
        assert_eq!(
            results[4]["via"][0]["granted_by"]["role"]["name"],
            "EMPLOYEE"
        );
        assert_eq!(results[1]["via"], json!([]));
    }

    // Who may manage target X: the OWNER (organization-wide) and Ann (its team).
    let reply = app
        .get(
            &format!("/authz/who/?permission=targets.manage&target={x}"),
            &gateway,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mut who: Vec<&str> = reply.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user"]["email"].as_str().unwrap())
        .collect();
    who.sort();
    assert_eq!(who, ["ann@example.com", crate::helpers::OWNER_EMAIL]);
    assert_eq!(reply.body["count"], 2);
    let reply = app
        .get(
            &format!("/authz/who/?permission=targets.manage&target={y}&length=1"),
            &gateway,
        )
        .await;
    assert_eq!(reply.body["count"], 1, "{}", reply.body);
    assert_eq!(
        reply.body["results"][0]["user"]["email"],
        crate::helpers::OWNER_EMAIL
    );

    // A deactivated subject is allowed nothing.
    let reply = app
        .patch(&format!("/users/{ann}/"), &owner, json!({"active": false}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = app
        .post(
            "/authz/check/",
            &gateway,
            json!({"subject": ann, "checks": checks}),
        )
        .await;
    assert_eq!(reply.body["subject"]["active"], false);
    assert!(
        reply.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["allowed"] == false),
        "{}",
        reply.body
    );
}

#[actix_web::test]
async fn checks_need_authz_check_and_are_validated_after() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let (_, employee) = app.member(&owner, "emp@example.com", "EMPLOYEE").await;
    let (_, auditor) = app.member(&owner, "aud@example.com", "AUDITOR").await;
    let emp_id = app.id_of(&owner, "emp@example.com").await;
    let good = json!({"subject": emp_id, "checks": [{"permission": "users.view"}]});
    let reply = app
        .call(Method::POST, "/authz/check/", None, Some(good.clone()))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    for body in [good.clone(), json!({})] {
        let reply = app.post("/authz/check/", &employee, body).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    }
    let reply = app.get("/authz/who/?permission=nope", &employee).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    // AUDITOR holds it.
    let reply = app.post("/authz/check/", &auditor, good).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["results"][0]["allowed"], true);

    let bad = |body: Value| {
        let app = &app;
        let owner = owner.clone();
        async move {
            let reply = app.post("/authz/check/", &owner, body).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
            reply.body
        }
    };
    assert_eq!(
        bad(json!({})).await,
        json!({"subject": ["This field is required."], "checks": ["This field is required."]})
    );
    let too_many: Vec<Value> = (0..101)
        .map(|_| json!({"permission": "users.view"}))
        .collect();
    assert_eq!(
        bad(json!({"subject": emp_id, "checks": too_many})).await["checks"],
        json!(["Ensure this field has no more than 100 elements."])
    );
    assert_eq!(
        bad(json!({"subject": emp_id, "checks": []})).await["checks"],
        json!(["This list may not be empty."])
    );
    let reply = bad(json!({"subject": emp_id, "checks": [
        {"permission": "users.view"}, {"permission": "users.fly"}, {}]}))
    .await;
    assert_eq!(reply["checks"][0], json!({}), "{reply}");
    assert!(reply["checks"][1]["permission"].is_array(), "{reply}");
    assert_eq!(
        reply["checks"][2]["permission"],
        json!(["This field is required."])
    );
    // Teams and targets are looked up once the input is well formed.
    let reply = bad(json!({"subject": emp_id, "checks": [
        {"permission": "users.view"}, {"permission": "users.view", "team": "NoSuchTeam12"}]}))
    .await;
    assert_eq!(reply["checks"][0], json!({}), "{reply}");
    assert!(reply["checks"][1]["team"].is_array(), "{reply}");
    let reply =
        bad(json!({"subject": {"token": "garbage"}, "checks": [{"permission": "users.view"}]}))
            .await;
    assert_eq!(reply, json!({"subject": ["Token is invalid or expired."]}));
    let reply = app.get("/authz/who/", &owner).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"permission": ["This field is required."]})
    );
}

#[actix_web::test]
async fn another_organizations_subjects_are_not_found() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let other_owner = app.second_organization("other@example.com").await;
    let other_id = app.id_of(&other_owner, "other@example.com").await;
    let checks = json!([{"permission": "users.view"}]);
    for subject in [
        json!(other_id),
        json!({"token": other_owner}),
        json!("NoSuchUser12"),
    ] {
        let reply = app
            .post(
                "/authz/check/",
                &owner,
                json!({"subject": subject, "checks": checks}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{subject}: {}",
            reply.body
        );
    }
    // Nor do they show in who may.
    let reply = app.get("/authz/who/?permission=users.view", &owner).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(!reply.body.to_string().contains("other@example.com"));
}

/// The tessera command on `app`'s database, with the test's encryption key.
fn tessera(app: &TestApp, args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .env("TESSERA_DATABASE_URL", &app.database_url)
        .env("TESSERA_ENCRYPTION_KEY", crate::helpers::ENCRYPTION_KEY)
        .output()
        .expect("run tessera");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "tessera {args:?}: {text}");
    text
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn rotation_publishes_the_next_key_first_and_loses_no_request() {
    let app = spawn_app_with(|s| s.tokens.signing_key_reload = 1).await;
    let old_token = app.owner_token().await;
    let old_kid = segment(&old_token, 0)["kid"].as_str().unwrap().to_owned();

    // Requests keep flowing through the rotation: logins and their use.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(6);
    let load: Vec<_> = (0..3)
        .map(|_| {
            let (client, base) = (app.client.clone(), app.address.clone());
            actix_web::rt::spawn(async move {
                let (mut served, mut kids) = (0, std::collections::BTreeSet::new());
                while std::time::Instant::now() < deadline {
                    let login: Value = client
                        .post(format!("{base}/auth/obtain/"))
                        .json(&json!({"username": crate::helpers::OWNER_EMAIL,
                                      "password": crate::helpers::OWNER_PASSWORD}))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    let token = login["token"].as_str().expect("a token").to_owned();
                    kids.insert(segment(&token, 0)["kid"].as_str().unwrap().to_owned());
                    let status = client
                        .get(format!("{base}/profile/"))
                        .header("Authorization", format!("Bearer {token}"))
                        .send()
                        .await
                        .unwrap()
                        .status();
                    assert_eq!(status, StatusCode::OK, "a request lost in the rotation");
                    served += 1;
                }
                (served, kids)
            })
        })
        .collect();

    let output = tessera(&app, &["signing-keys", "rotate", "--grace", "2"]);
    let new_kid = output
        .split_whitespace()
        .nth(3)
        .unwrap_or_else(|| panic!("the new key's id: {output}"))
        .to_owned();
    assert_ne!(new_kid, old_kid);
    // Published at once, before it signs anything.
    let published = kids(&public(&app, "/.well-known/jwks.json").await.body);
    assert_eq!(published, [old_kid.clone(), new_kid.clone()]);
    assert_eq!(
        segment(&app.owner_token().await, 0)["kid"],
        old_kid.as_str()
    );

    let mut seen = std::collections::BTreeSet::new();
    for task in load {
        let (served, kids) = task.await.expect("the load ran");
        assert!(served > 0);
        seen.extend(kids);
    }
    // After the grace period the new key signs; the old key's tokens stand.
    let new_token = app.owner_token().await;
    assert_eq!(segment(&new_token, 0)["kid"], new_kid.as_str());
    assert!(seen.contains(&new_kid), "the load saw the switch: {seen:?}");
    for token in [&old_token, &new_token] {
        assert_eq!(app.get("/profile/", token).await.status, StatusCode::OK);
        verify_downstream(&app, token)
            .await
            .expect("verifies through the JWKS");
    }
    let published = kids(&public(&app, "/.well-known/jwks.json").await.body);
    assert_eq!(published, [old_kid, new_kid], "the old key stays published");
}

#[actix_web::test]
async fn the_scheduler_rotates_a_key_older_than_the_period() {
    use diesel::prelude::*;
    let first = spawn_app().await;
    let url = first.database_url.clone();
    let before = kids(&public(&first, "/.well-known/jwks.json").await.body);
    assert_eq!(before.len(), 1);
    {
        let mut conn = tessera::db::establish(&tessera::db::DatabaseUrl::parse(&url).unwrap())
            .expect("a connection");
        use tessera::db::schema::signing_keys;
        diesel::update(signing_keys::table)
            .set(
                signing_keys::created.eq(tessera::domain::time::now() - chrono::TimeDelta::days(8)),
            )
            .execute(&mut conn)
            .unwrap();
    }
    let replica = spawn_app_with(move |s| {
        s.database_url = url;
        s.tokens.signing_key_days = 7;
        s.webhooks.scheduler_interval = 1;
    })
    .await;
    let mut published = Vec::new();
    for _ in 0..50 {
        published = kids(&public(&replica, "/.well-known/jwks.json").await.body);
        if published.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(published.len(), 2, "{published:?}");
    assert_eq!(published[0], before[0]);
    // Once, not every round.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        kids(&public(&replica, "/.well-known/jwks.json").await.body).len(),
        2
    );
}

/// The Python of the virtualenv tests/run.sh prepares for the verifier.
fn python() -> std::path::PathBuf {
    if let Ok(path) = std::env::var("TESSERA_TRUST_PYTHON") {
        return path.into();
    }
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/trust-venv/bin/python")
}

/// Runs the README's Python verifier (PyJWT and its JWKS client) on
/// `token` against `app`: the claims, or why it was rejected.
async fn python_verifies(app: &TestApp, audience: &str, token: &str) -> Result<Value, String> {
    let python = python();
    assert!(
        python.exists(),
        "the verifier's virtualenv is missing ({}): run tests/run.sh, or create it with \
         `python3 -m venv target/trust-venv && target/trust-venv/bin/pip install -r tests/trust/requirements.txt`",
        python.display()
    );
    let script = crate::readme::code_block("verifier", "python");
    let (base, audience, token) = (app.address.clone(), audience.to_owned(), token.to_owned());
    let output = actix_web::rt::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args(["-c", &script, &token])
            .env("TESSERA_URL", base)
            .env("TESSERA_AUDIENCE", audience)
            .output()
            .expect("the verifier runs")
    })
    .await
    .unwrap();
    if output.status.success() {
        Ok(serde_json::from_slice(&output.stdout).expect("the claims as JSON"))
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[actix_web::test]
async fn the_readme_verifier_trusts_tokens_through_the_jwks_and_refuses_the_rest() {
    for algorithm in [TokenAlgorithm::EdDSA, TokenAlgorithm::Rs256] {
        let app = spawn_app_with(|s| s.tokens.token_alg = algorithm).await;
        let token = app.owner_token().await;
        let claims = python_verifies(&app, "tessera", &token)
            .await
            .unwrap_or_else(|e| panic!("{algorithm}: {e}"));
        assert_eq!(claims["sub"], segment(&token, 1)["sub"]);
        assert_eq!(claims["iss"], app.address.as_str());
        // Another audience refuses it.
        let refused = python_verifies(&app, "billing", &token).await.unwrap_err();
        assert!(refused.contains("InvalidAudienceError"), "{refused}");
        // A forged signature too.
        let mut forged = token.clone();
        forged.replace_range(forged.len() - 6.., "AAAAAA");
        let refused = python_verifies(&app, "tessera", &forged).await.unwrap_err();
        assert!(refused.contains("rejected"), "{refused}");
        // And once it expired: a token living one second, from a server
        // that signs like this one (however slowly the verifier starts, it
        // only gets more expired).
        let short = spawn_app_with(|s| {
            s.token_ttl = 1;
            s.tokens.token_alg = algorithm;
        })
        .await;
        let token = short.owner_token().await;
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        let refused = python_verifies(&short, "tessera", &token)
            .await
            .unwrap_err();
        assert!(refused.contains("ExpiredSignatureError"), "{refused}");
    }
}

#[actix_web::test]
async fn the_readme_verifier_follows_a_rotation() {
    let app = spawn_app_with(|s| s.tokens.signing_key_reload = 1).await;
    let old_token = app.owner_token().await;
    tessera(&app, &["signing-keys", "rotate", "--grace", "1"]);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let new_token = app.owner_token().await;
    assert_ne!(segment(&old_token, 0)["kid"], segment(&new_token, 0)["kid"]);
    for token in [&old_token, &new_token] {
        python_verifies(&app, "tessera", token)
            .await
            .expect("verified through the JWKS");
    }
}

#[actix_web::test]
async fn the_readme_permission_check_works() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let [_, x, _, _, ann, _] = targets_world(&app, &owner).await;
    let (_, key) = service_account(&app, &owner, &["authz.check"]).await;
    let script = crate::readme::code_block("authz", "sh");
    let base = app.address.clone();
    let output = actix_web::rt::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .env("BASE", base)
            .env("KEY", key)
            .env("USER_ID", ann)
            .env("TARGET_ID", x)
            .output()
            .expect("bash runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut values = serde_json::Deserializer::from_str(&stdout).into_iter::<Value>();
    let checked = values.next().expect("the check").unwrap();
    let allowed: Vec<&Value> = checked["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{checked}"))
        .iter()
        .map(|r| &r["allowed"])
        .collect();
    assert_eq!(allowed, [&json!(true), &json!(false)], "{checked}");
    let who = values.next().expect("who").unwrap();
    assert_eq!(who["count"], 2, "{who}");
}
