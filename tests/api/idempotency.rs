//! `Idempotency-Key` on POST: a retry gets the first response again and
//! writes nothing; another request under the same key is a 422; a request
//! that failed keeps nothing; keys are the sender's own; concurrent retries
//! write once; a second replica on the same database honours the key.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tessera::startup::Application;

use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, Reply, TestApp, settings, spawn_app};

/// POSTs `body` to `path` with `Idempotency-Key: key` (and the token, if any).
async fn post_with_key(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    key: &str,
    body: &Value,
) -> Reply {
    let mut request = app
        .client
        .post(app.url(path))
        .header("Idempotency-Key", key)
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Reply::from(request.send().await.expect("request sent")).await
}

async fn label_count(app: &TestApp, token: &str) -> u64 {
    let reply = app.get("/labels/users/", token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["count"].as_u64().unwrap()
}

#[actix_web::test]
async fn a_retry_gets_the_first_response_and_writes_nothing() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let body = json!({"email": "ann@example.com", "name": "Ann",
                      "user_roles": [{"role": "EMPLOYEE"}]});
    let first = post_with_key(&app, "/users/", Some(&owner), "create-ann-1", &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(first.header("idempotency-replayed").is_none());
    let again = post_with_key(&app, "/users/", Some(&owner), "create-ann-1", &body).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(again.body, first.body, "the very same response");
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    assert_eq!(again.header("content-type"), first.header("content-type"));
    let listed = app.get("/users/?search=ann@example.com", &owner).await;
    assert_eq!(listed.body["count"], json!(1), "created once");

    // The same key with another request: 422, and nothing written.
    let other = json!({"email": "bob@example.com", "name": "Bob",
                       "user_roles": [{"role": "EMPLOYEE"}]});
    let reused = post_with_key(&app, "/users/", Some(&owner), "create-ann-1", &other).await;
    assert_eq!(
        reused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reused.body
    );
    assert_eq!(
        reused.body,
        json!({"detail": "This Idempotency-Key was already used with a different request."})
    );
    let listed = app.get("/users/?search=bob@example.com", &owner).await;
    assert_eq!(listed.body["count"], json!(0));

    // A secret shown once is shown again to the retry of the same request
    // (kept sealed in the database meanwhile).
    let robot = app
        .post(
            "/api-users/",
            &owner,
            json!({"name": "ci", "email": "ci@example.com", "user_roles": [{"role": "VIEWER"}]}),
        )
        .await;
    assert_eq!(robot.status, StatusCode::CREATED, "{}", robot.body);
    let path = format!("/api-users/{}/keys/", robot.body["id"].as_str().unwrap());
    let key_body = json!({"name": "deploy"});
    let created = post_with_key(&app, &path, Some(&owner), "robot-key", &key_body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let replayed = post_with_key(&app, &path, Some(&owner), "robot-key", &key_body).await;
    assert_eq!(replayed.body, created.body);
    let keys = app.get(&path, &owner).await;
    assert_eq!(
        keys.body.as_array().map(Vec::len),
        Some(1),
        "one key: {}",
        keys.body
    );
}

#[actix_web::test]
async fn a_failed_request_keeps_nothing_and_bad_keys_are_400() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    // Refused (no name): the key stays free for the corrected request.
    let refused = post_with_key(&app, "/labels/users/", Some(&owner), "lbl", &json!({})).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let fixed = json!({"name": "Red"});
    let created = post_with_key(&app, "/labels/users/", Some(&owner), "lbl", &fixed).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert!(created.header("idempotency-replayed").is_none());

    for bad in ["", "has space", &"k".repeat(256)] {
        let reply = post_with_key(&app, "/labels/users/", Some(&owner), bad, &fixed).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad:?}: {}",
            reply.body
        );
        assert!(reply.body["Idempotency-Key"].is_array(), "{}", reply.body);
    }
    // Without a credential the request is still judged (401), and nothing kept.
    let reply = post_with_key(&app, "/labels/users/", None, "anon", &fixed).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(label_count(&app, &owner).await, 1);
}

#[actix_web::test]
async fn keys_belong_to_their_sender() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let other = app.second_organization("boss@other.example.com").await;
    let body = json!({"name": "Red"});
    let mine = post_with_key(&app, "/labels/users/", Some(&owner), "same", &body).await;
    let theirs = post_with_key(&app, "/labels/users/", Some(&other), "same", &body).await;
    assert_eq!(mine.status, StatusCode::CREATED);
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
    assert!(theirs.header("idempotency-replayed").is_none());
    assert_ne!(mine.body["id"], theirs.body["id"]);

    // A key is its user's, whichever of its tokens sends it...
    let second = app.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    let again = post_with_key(&app, "/labels/users/", Some(&second), "same", &body).await;
    assert_eq!(again.body["id"], mine.body["id"]);
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    // ...as long as that token is valid: a revoked one replays nothing.
    let revoked = app
        .call(
            reqwest::Method::POST,
            "/auth/revoke/",
            None,
            Some(json!({"token": second})),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.body);
    let refused = post_with_key(&app, "/labels/users/", Some(&second), "same", &body).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert!(refused.header("idempotency-replayed").is_none());

    // Without credentials a key covers only the identical request: a login
    // retried is answered once, another login under the key runs on its own.
    let login = json!({"username": OWNER_EMAIL, "password": OWNER_PASSWORD});
    let first = post_with_key(&app, "/auth/obtain/", None, "login", &login).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let again = post_with_key(&app, "/auth/obtain/", None, "login", &login).await;
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    let wrong = json!({"username": OWNER_EMAIL, "password": "not the password"});
    let reply = post_with_key(&app, "/auth/obtain/", None, "login", &wrong).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
}

#[actix_web::test]
async fn concurrent_retries_write_once_on_every_replica() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    // A second replica on the same database, behind the same public address
    // (the issuer of the tokens both accept).
    let mut replica_settings = settings(&app.database_url);
    replica_settings.mail.public_url = Some(app.address.clone());
    let replica = Application::build(replica_settings)
        .await
        .expect("a second replica starts");
    let replica_url = format!("http://127.0.0.1:{}", replica.port());
    actix_web::rt::spawn(replica.run_until_stopped());

    let body = json!({"name": "Blue"});
    let sends = (0..8).map(|i| {
        let base = if i % 2 == 0 {
            app.address.clone()
        } else {
            replica_url.clone()
        };
        let (client, owner, body) = (app.client.clone(), owner.clone(), body.clone());
        async move {
            let reply = client
                .post(format!("{base}/labels/users/"))
                .bearer_auth(owner)
                .header("Idempotency-Key", "blue")
                .json(&body)
                .send()
                .await
                .expect("request sent");
            Reply::from(reply).await
        }
    });
    let replies = join_all(sends).await;
    let mut ids = Vec::new();
    for reply in &replies {
        match reply.status {
            StatusCode::CREATED => ids.push(reply.body["id"].clone()),
            // The first request still running: the client retries later.
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert!(!ids.is_empty());
    assert!(ids.iter().all(|id| *id == ids[0]), "one label: {ids:?}");
    assert_eq!(label_count(&app, &owner).await, 1);
    // Afterwards, either replica replays it.
    let client = reqwest::Client::new();
    let reply = client
        .post(format!("{replica_url}/labels/users/"))
        .bearer_auth(&owner)
        .header("Idempotency-Key", "blue")
        .json(&body)
        .send()
        .await
        .unwrap();
    let reply = Reply::from(reply).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body["id"], ids[0]);
    assert_eq!(reply.header("idempotency-replayed"), Some("true"));
}

/// A key claimed by a replica that died mid-request (no heartbeat any more)
/// is not left waiting for the two-minute lease: a retry runs at once when
/// the first request wrote nothing, and is refused for good (422) when it
/// had committed a write, so nothing is applied twice. A key claimed by a
/// replica that is alive still answers 409.
#[actix_web::test]
async fn a_dead_replicas_claim_reruns_or_refuses_at_once() {
    use tessera::db::{self, DatabaseUrl, idempotency as keys, replicas};
    use tessera::service::idempotency as service;

    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let owner_id = app.id_of(&owner, OWNER_EMAIL).await;
    let mut conn = db::establish(&DatabaseUrl::parse(&app.database_url).unwrap()).unwrap();
    let now = tessera::domain::time::now();
    // The request sent below for `name`, hashed and scoped as the
    // middleware does (the path as routed, without its trailing slash).
    let request = |name: &str| {
        let body = json!({"name": name});
        let hash = service::request_hash(
            "POST",
            "/labels/users",
            "",
            &serde_json::to_vec(&body).unwrap(),
        );
        let scope = service::scope(Some(&owner_id), &hash);
        (body, hash, scope)
    };
    // Claims as the middleware makes them.
    let mut claim = |name: &str, owner_replica: &str, applied: bool| {
        let (body, hash, scope) = request(name);
        assert!(keys::claim(&mut conn, &scope, name, &hash, now, owner_replica).unwrap());
        if applied {
            let claim = keys::Claim {
                scope,
                key: name.to_owned(),
            };
            keys::mark_applied(&mut conn, &claim).unwrap();
        }
        body
    };
    let unwritten = claim("died-before-writing", "a-dead-replica", false);
    let written = claim("died-after-writing", "a-dead-replica", true);
    let running = claim("still-running", "a-live-replica", false);
    let failed_unwritten = claim("failed-before-writing", "a-live-replica/1", false);
    let failed_written = claim("failed-after-writing", "a-live-replica/2", true);
    replicas::beat(&mut conn, "a-live-replica", tessera::domain::time::now()).unwrap();

    let rerun = post_with_key(
        &app,
        "/labels/users/",
        Some(&owner),
        "died-before-writing",
        &unwritten,
    )
    .await;
    assert_eq!(rerun.status, StatusCode::CREATED, "{}", rerun.body);

    let refused = post_with_key(
        &app,
        "/labels/users/",
        Some(&owner),
        "died-after-writing",
        &written,
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("was applied"),
        "{}",
        refused.body
    );
    let again = post_with_key(
        &app,
        "/labels/users/",
        Some(&owner),
        "died-after-writing",
        &written,
    )
    .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "refused for good"
    );

    let waiting = post_with_key(
        &app,
        "/labels/users/",
        Some(&owner),
        "still-running",
        &running,
    )
    .await;
    assert_eq!(waiting.status, StatusCode::CONFLICT, "{}", waiting.body);

    // A live replica's request that ends without a response to keep (it
    // failed, or lost its commit's acknowledgement in a failover) frees its
    // key when it wrote nothing, and closes it when it wrote: a retry runs
    // again, or is refused at once, never applied twice.
    for (name, owner_of) in [
        ("failed-before-writing", "a-live-replica/1"),
        ("failed-after-writing", "a-live-replica/2"),
    ] {
        let (_, _, scope) = request(name);
        service::release(&mut conn, owner_of, &scope, name).unwrap();
    }
    let rerun = post_with_key(
        &app,
        "/labels/users/",
        Some(&owner),
        "failed-before-writing",
        &failed_unwritten,
    )
    .await;
    assert_eq!(rerun.status, StatusCode::CREATED, "{}", rerun.body);
    let refused = post_with_key(
        &app,
        "/labels/users/",
        Some(&owner),
        "failed-after-writing",
        &failed_written,
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let names: Vec<String> = app.get("/labels/users/", &owner).await.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        names.contains(&"died-before-writing".to_owned()),
        "{names:?}"
    );
    assert!(
        !names.contains(&"died-after-writing".to_owned()),
        "not run again: {names:?}"
    );
    assert!(names.contains(&"failed-before-writing".to_owned()));
    assert!(!names.contains(&"failed-after-writing".to_owned()));
}

/// Every write a keyed request commits marks its key applied in the same
/// transaction; a request without a key marks nothing.
#[actix_web::test]
async fn a_keyed_write_marks_its_key_applied() {
    use diesel::prelude::*;
    use tessera::db::schema::idempotency_keys;
    use tessera::db::{self, DatabaseUrl};

    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let created = post_with_key(
        &app,
        "/labels/users/",
        Some(&owner),
        "mark-me",
        &json!({"name": "M"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let mut conn = db::establish(&DatabaseUrl::parse(&app.database_url).unwrap()).unwrap();
    let (applied, owner_replica): (bool, Option<String>) = idempotency_keys::table
        .filter(idempotency_keys::key.eq("mark-me"))
        .select((idempotency_keys::applied, idempotency_keys::owner))
        .first(&mut conn)
        .unwrap();
    assert!(applied);
    assert!(
        owner_replica.is_some_and(|o| o.len() == 49 && o.as_bytes()[32] == b'/'),
        "the claiming replica and request are recorded"
    );
}
