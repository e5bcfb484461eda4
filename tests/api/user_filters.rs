//! The filters of `GET /users/` and `GET /api-users/` (API.md §2 "User"):
//! mfa_enabled, state, kind, label (and/or), role, team, target, no_access,
//! exclude, id with is_id_404_validation; their 400s; combinations; and the
//! organization boundary.

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use serde_json::{Value, json};
use totp_rs::{Algorithm, Builder, Secret};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// An org with labels, teams, a target and people in every state.
struct Fixture {
    app: TestApp,
    owner: String,
    red: String,
    blue: String,
    platform: String,
    web: String,
    site: String,
    ann: String,
    bob: String,
    cid: String,
    dee: String,
    eve: String,
}

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> String {
    let reply = app.post(path, token, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{path}: {}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

fn totp_now(secret: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap()
        .generate(now)
        .to_string()
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let red = created(&app, &owner, "/labels/users/", json!({"name": "Red"})).await;
    let blue = created(&app, &owner, "/labels/users/", json!({"name": "Blue"})).await;
    let platform = created(&app, &owner, "/teams/", json!({"name": "Platform"})).await;
    let web = created(&app, &owner, "/teams/", json!({"name": "Web"})).await;
    let site = created(
        &app,
        &owner,
        "/targets/",
        json!({"name": "Site", "url": "https://site.example.com", "teams": [platform]}),
    )
    .await;
    let ann = created(
        &app,
        &owner,
        "/users/",
        json!({"email": "ann@example.com", "name": "ann", "password": PASSWORD,
               "kind": "employee", "labels": [red, blue],
               "user_roles": [{"role": "EMPLOYEE"},
                              {"role": "VIEWER", "scope": {"tier": "team"}, "team": platform}]}),
    )
    .await;
    let bob = created(
        &app,
        &owner,
        "/users/",
        json!({"email": "bob@example.com", "name": "bob", "password": PASSWORD,
               "kind": "contractor", "labels": [red],
               "user_roles": [{"role": "EMPLOYEE"},
                              {"role": "AUDITOR", "scope": {"tier": "scope"}, "target": site}]}),
    )
    .await;
    // No password: PENDING.
    let cid = created(
        &app,
        &owner,
        "/users/",
        json!({"email": "cid@example.com", "name": "cid", "kind": "Contractor",
               "labels": [blue], "user_roles": [{"role": "EMPLOYEE"}]}),
    )
    .await;
    let dee = created(
        &app,
        &owner,
        "/users/",
        json!({"email": "dee@example.com", "name": "dee", "password": PASSWORD,
               "active": false, "labels": [red],
               "user_roles": [{"role": "AUDITOR"},
                              {"role": "VIEWER", "scope": {"tier": "team"}, "team": web}]}),
    )
    .await;
    let eve = created(
        &app,
        &owner,
        "/users/",
        json!({"email": "eve@example.com", "name": "eve", "password": PASSWORD,
               "kind": "service_account", "user_roles": [{"role": "EMPLOYEE"}]}),
    )
    .await;
    let eve_token = app.login("eve@example.com", PASSWORD).await;
    let reply = app.post("/profile/mfa/", &eve_token, json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let secret = reply.body["secret"].as_str().unwrap().to_owned();
    let reply = app
        .post(
            "/profile/mfa/confirm/",
            &eve_token,
            json!({"otp": totp_now(&secret)}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    Fixture {
        app,
        owner,
        red,
        blue,
        platform,
        web,
        site,
        ann,
        bob,
        cid,
        dee,
        eve,
    }
}

impl Fixture {
    /// Names listed by `path` + `query` (ordered by name unless asked otherwise).
    async fn names(&self, path: &str, query: &str) -> Vec<String> {
        let ordering = if query.contains("ordering=") {
            ""
        } else {
            "&ordering=name"
        };
        let url = format!("{path}?length=100{ordering}&{query}");
        let reply = self.app.get(&url, &self.owner).await;
        assert_eq!(reply.status, StatusCode::OK, "{url}: {}", reply.body);
        let names = names_of(&reply.body);
        assert_eq!(reply.body["count"], json!(names.len()), "{url}");
        names
    }

    async fn users(&self, query: &str) -> Vec<String> {
        self.names("/users/", query).await
    }

    async fn bad(&self, path: &str, query: &str) -> Value {
        let url = format!("{path}?{query}");
        let reply = self.app.get(&url, &self.owner).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{url}: {}",
            reply.body
        );
        reply.body
    }
}

/// The names of a page's results, in order.
fn names_of(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_owned())
        .collect()
}

fn v(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// The bootstrap owner's name, whatever it is.
async fn owner_name(fx: &Fixture) -> String {
    let me = fx.app.get("/profile/", &fx.owner).await;
    me.body["name"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn each_filter_alone() {
    let fx = fixture().await;
    let owner = owner_name(&fx).await;
    let with_owner = |names: &[&str]| {
        let mut all = v(names);
        all.push(owner.clone());
        all.sort();
        all
    };

    assert_eq!(fx.users("mfa_enabled=true").await, v(&["eve"]));
    assert_eq!(fx.users("mfa_enabled=1").await, v(&["eve"]));
    assert_eq!(
        fx.users("mfa_enabled=False").await,
        with_owner(&["ann", "bob", "cid", "dee"])
    );

    assert_eq!(fx.users("state=PENDING").await, v(&["cid"]));
    assert_eq!(fx.users("state=DEACTIVATED").await, v(&["dee"]));
    assert_eq!(
        fx.users("state=ACTIVE").await,
        with_owner(&["ann", "bob", "eve"])
    );

    // The bootstrap owner is an employee too.
    assert_eq!(fx.users("kind=employee").await, with_owner(&["ann"]));
    assert_eq!(fx.users("kind=CONTRACTOR").await, v(&["bob", "cid"]));
    assert_eq!(fx.users("kind=Service_Account").await, v(&["eve"]));

    assert_eq!(
        fx.users(&format!("label={}", fx.red)).await,
        v(&["ann", "bob", "dee"])
    );
    assert_eq!(
        fx.users(&format!("label={}&label={}", fx.red, fx.blue))
            .await,
        v(&["ann", "bob", "cid", "dee"])
    );
    assert_eq!(
        fx.users(&format!(
            "label={}&label={}&label_logical_operator=or",
            fx.red, fx.blue
        ))
        .await,
        v(&["ann", "bob", "cid", "dee"])
    );
    assert_eq!(
        fx.users(&format!(
            "label={}&label={}&label_logical_operator=and",
            fx.red, fx.blue
        ))
        .await,
        v(&["ann"])
    );

    assert_eq!(fx.users("role=AUDITOR").await, v(&["bob", "dee"]));
    assert_eq!(fx.users("role=viewer").await, v(&["ann", "dee"]));
    let viewer_id = "RoLeviewerXy";
    assert_eq!(
        fx.users(&format!("role={viewer_id}")).await,
        v(&["ann", "dee"])
    );
    assert_eq!(fx.users("role=OWNER").await, v(&[owner.as_str()]));

    assert_eq!(
        fx.users(&format!("team={}", fx.platform)).await,
        v(&["ann"])
    );
    assert_eq!(
        fx.users(&format!("team={}&team={}", fx.platform, fx.web))
            .await,
        v(&["ann", "dee"])
    );
    assert_eq!(fx.users(&format!("target={}", fx.site)).await, v(&["bob"]));

    assert_eq!(
        fx.users("no_access=true").await,
        with_owner(&["cid", "eve"])
    );
    assert_eq!(fx.users("no_access=0").await, v(&["ann", "bob", "dee"]));

    assert_eq!(
        fx.users(&format!("exclude={}&exclude={}", fx.ann, fx.bob))
            .await,
        with_owner(&["cid", "dee", "eve"])
    );

    assert_eq!(
        fx.users(&format!("id={}&id={}", fx.cid, fx.eve)).await,
        v(&["cid", "eve"])
    );
    assert_eq!(
        fx.users(&format!(
            "id={}&id={}&is_id_404_validation=true",
            fx.cid, fx.eve
        ))
        .await,
        v(&["cid", "eve"])
    );
    // Blank values are no filter at all.
    assert_eq!(fx.users("state=&kind=&label=").await.len(), 6);
}

#[actix_web::test]
async fn filters_combine_with_and_and_keep_the_ordering() {
    let fx = fixture().await;
    assert_eq!(
        fx.users(&format!("label={}&state=ACTIVE&ordering=-name", fx.red))
            .await,
        v(&["bob", "ann"])
    );
    assert_eq!(
        fx.users(&format!("label={}&state=ACTIVE&ordering=name", fx.red))
            .await,
        v(&["ann", "bob"])
    );
    assert_eq!(
        fx.users(&format!(
            "label={}&label={}&kind=contractor&no_access=true",
            fx.red, fx.blue
        ))
        .await,
        v(&["cid"])
    );
    assert_eq!(
        fx.users(&format!(
            "team={}&team={}&active=true&exclude={}",
            fx.platform, fx.web, fx.dee
        ))
        .await,
        v(&["ann"])
    );
    assert_eq!(
        fx.users(&format!("role=AUDITOR&target={}&search=BOB", fx.site))
            .await,
        v(&["bob"])
    );
    assert_eq!(
        fx.users(&format!("id={}&id={}&exclude={}", fx.ann, fx.bob, fx.ann))
            .await,
        v(&["bob"])
    );
    assert!(fx.users("state=PENDING&mfa_enabled=true").await.is_empty());
    // Counting and paging see the filtered set.
    let reply = fx
        .app
        .get(
            &format!("/users/?label={}&length=2&ordering=name&page=2", fx.red),
            &fx.owner,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["count"], json!(3));
    assert_eq!(reply.body["page_total"], json!(2));
    assert_eq!(reply.body["results"][0]["name"], json!("dee"));
}

#[actix_web::test]
async fn bad_parameters_are_400_naming_them() {
    let fx = fixture().await;
    for path in ["/users/", "/api-users/"] {
        assert_eq!(
            fx.bad(path, "state=X").await,
            json!({"state": ["\"X\" is not a valid choice."]})
        );
        assert_eq!(
            fx.bad(path, "state=active").await,
            json!({"state": ["\"active\" is not a valid choice."]})
        );
        assert_eq!(
            fx.bad(path, "kind=robot").await,
            json!({"kind": ["\"robot\" is not a valid choice."]})
        );
        assert_eq!(
            fx.bad(path, "mfa_enabled=yes").await,
            json!({"mfa_enabled": ["Must be a valid boolean."]})
        );
        assert_eq!(
            fx.bad(path, "no_access=maybe").await,
            json!({"no_access": ["Must be a valid boolean."]})
        );
        assert_eq!(
            fx.bad(path, &format!("id={}&is_id_404_validation=2", fx.ann))
                .await,
            json!({"is_id_404_validation": ["Must be a valid boolean."]})
        );
        assert_eq!(
            fx.bad(
                path,
                &format!("label={}&label_logical_operator=xor", fx.red)
            )
            .await,
            json!({"label_logical_operator": ["\"xor\" is not a valid choice."]})
        );
        for key in [
            "label",
            "team",
            "target",
            "exclude",
            "id",
            "exclude_team",
            "exclude_target",
        ] {
            let body = fx.bad(path, &format!("{key}=nope")).await;
            assert_eq!(body, json!({key: ["\"nope\" is not a valid id."]}), "{key}");
            // 0, O, I and l are not Base58.
            let body = fx.bad(path, &format!("{key}=0OIl0OIl0OIl")).await;
            assert!(body[key].is_array(), "{key}: {body}");
            let many: String = (0..101)
                .map(|i| format!("{key}=AAAAAAAAA{i:03}&"))
                .collect::<String>()
                .replace('0', "z");
            let body = fx.bad(path, &many).await;
            assert_eq!(
                body,
                json!({key: ["Ensure this parameter has no more than 100 values."]}),
                "{key}"
            );
        }
        assert_eq!(
            fx.bad(path, "role=nobody").await,
            json!({"role": ["\"nobody\" is not a valid role id or name."]})
        );
        assert_eq!(
            fx.bad(path, "role[]=VIEWER&role[]=nobody").await,
            json!({"role": ["\"nobody\" is not a valid role id or name."]})
        );
        let many: String = (0..101).map(|_| "role=VIEWER&").collect();
        assert_eq!(
            fx.bad(path, &many).await,
            json!({"role": ["Ensure this parameter has no more than 100 values."]})
        );
        assert_eq!(
            fx.bad(path, "account=nope").await,
            json!({"account": ["\"nope\" is not a valid id."]})
        );
        // Every bad parameter at once.
        let body = fx.bad(path, "state=X&kind=Y&mfa_enabled=Z").await;
        assert!(
            body["state"].is_array() && body["kind"].is_array() && body["mfa_enabled"].is_array(),
            "{body}"
        );
    }
    // 100 values are fine.
    let hundred: String = (0..100)
        .map(|i| format!("label=AAAAAAAAA{i:03}&"))
        .collect::<String>()
        .replace('0', "z");
    assert!(fx.users(&hundred).await.is_empty());
}

#[actix_web::test]
async fn id_404_validation_names_the_unknown_ids() {
    let fx = fixture().await;
    let unknown = "zzzzzzzzzzzz";
    let reply = fx
        .app
        .get(
            &format!(
                "/users/?id={}&id={unknown}&id={}&is_id_404_validation=true",
                fx.ann, fx.red
            ),
            &fx.owner,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"detail": "Not found.", "is_id_404_validation": true,
               "invalid_ids": [unknown, fx.red]})
    );
    // Without the flag (or with it false), unknown ids just match nothing.
    for flag in ["", "&is_id_404_validation=false"] {
        let names = fx.users(&format!("id={}&id={unknown}{flag}", fx.ann)).await;
        assert_eq!(names, v(&["ann"]));
    }
    // A person's id is not an API user.
    let robot = created(
        &fx.app,
        &fx.owner,
        "/api-users/",
        json!({"name": "robot", "email": "robot@example.com"}),
    )
    .await;
    let reply = fx
        .app
        .get(
            &format!(
                "/api-users/?id={}&id={robot}&is_id_404_validation=True",
                fx.ann
            ),
            &fx.owner,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"detail": "Not found.", "is_id_404_validation": true,
               "invalid_ids": [fx.ann]})
    );
    let reply = fx
        .app
        .get(
            &format!("/users/?id={robot}&is_id_404_validation=1"),
            &fx.owner,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(reply.body["invalid_ids"], json!([robot]));
    assert_eq!(
        fx.names("/api-users/", &format!("id={robot}&is_id_404_validation=1"))
            .await,
        v(&["robot"])
    );
}

#[actix_web::test]
async fn another_organizations_ids_match_nothing() {
    let fx = fixture().await;
    let other = fx.app.second_organization("boss@other.example.com").await;
    let other_label = created(&fx.app, &other, "/labels/users/", json!({"name": "Red"})).await;
    let other_team = created(&fx.app, &other, "/teams/", json!({"name": "Platform"})).await;
    let other_target = created(
        &fx.app,
        &other,
        "/targets/",
        json!({"name": "Site", "url": "https://other.example.com", "teams": [other_team]}),
    )
    .await;
    let other_role = created(
        &fx.app,
        &other,
        "/roles/",
        json!({"name": "Custom", "description": "", "permissions": ["users.view"]}),
    )
    .await;
    let stranger = created(
        &fx.app,
        &other,
        "/users/",
        json!({"email": "stranger@other.example.com", "name": "stranger", "password": PASSWORD,
               "labels": [other_label],
               "user_roles": [{"role": "EMPLOYEE"},
                              {"role": other_role, "scope": {"tier": "team"}, "team": other_team},
                              {"role": "VIEWER", "scope": {"tier": "scope"}, "target": other_target}]}),
    )
    .await;
    for query in [
        format!("label={other_label}"),
        format!("team={other_team}"),
        format!("target={other_target}"),
        format!("role={other_role}"),
        format!("id={stranger}"),
    ] {
        assert!(fx.users(&query).await.is_empty(), "{query}");
    }
    // Excluding a foreign id changes nothing.
    assert_eq!(fx.users(&format!("exclude={stranger}")).await.len(), 6);
    // With validation, a foreign id is simply unknown.
    let reply = fx
        .app
        .get(
            &format!("/users/?id={stranger}&is_id_404_validation=true"),
            &fx.owner,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reply.body,
        json!({"detail": "Not found.", "is_id_404_validation": true,
               "invalid_ids": [stranger]})
    );
    // And the other organization sees its own user through the same filters.
    let reply = fx
        .app
        .get(&format!("/users/?label={other_label}"), &other)
        .await;
    assert_eq!(reply.body["count"], json!(1), "{}", reply.body);
}

#[actix_web::test]
async fn api_users_honour_the_same_filters() {
    let fx = fixture().await;
    let api = |name: &str, body: Value| {
        let mut body = body;
        body["name"] = json!(name);
        body["email"] = json!(format!("{name}@example.com"));
        body
    };
    let ci = created(
        &fx.app,
        &fx.owner,
        "/api-users/",
        api(
            "ci",
            json!({"labels": [fx.red], "kind": "service_account",
                   "user_roles": [{"role": "VIEWER"},
                                  {"role": "AUDITOR", "scope": {"tier": "team"}, "team": fx.platform}]}),
        ),
    )
    .await;
    created(
        &fx.app,
        &fx.owner,
        "/api-users/",
        api(
            "cd",
            json!({"labels": [fx.red, fx.blue], "active": false,
                   "user_roles": [{"role": "VIEWER"},
                                  {"role": "VIEWER", "scope": {"tier": "scope"}, "target": fx.site}]}),
        ),
    )
    .await;
    created(
        &fx.app,
        &fx.owner,
        "/api-users/",
        api("bot", json!({"user_roles": [{"role": "EMPLOYEE"}]})),
    )
    .await;
    let path = "/api-users/";
    assert_eq!(fx.names(path, "").await, v(&["bot", "cd", "ci"]));
    // API users are never PENDING: without a password they are ACTIVE.
    assert!(fx.names(path, "state=PENDING").await.is_empty());
    assert_eq!(fx.names(path, "state=ACTIVE").await, v(&["bot", "ci"]));
    assert_eq!(fx.names(path, "state=DEACTIVATED").await, v(&["cd"]));
    assert_eq!(fx.names(path, "kind=SERVICE_ACCOUNT").await, v(&["ci"]));
    assert_eq!(fx.names(path, "mfa_enabled=false").await.len(), 3);
    assert_eq!(
        fx.names(path, &format!("label={}", fx.red)).await,
        v(&["cd", "ci"])
    );
    // The label's people, counted apart from its API users.
    assert_eq!(
        fx.users(&format!("label={}", fx.red)).await,
        v(&["ann", "bob", "dee"])
    );
    assert_eq!(
        fx.names(
            path,
            &format!(
                "label={}&label={}&label_logical_operator=AND",
                fx.red, fx.blue
            )
        )
        .await,
        v(&["cd"])
    );
    assert_eq!(fx.names(path, "role=AUDITOR").await, v(&["ci"]));
    assert_eq!(
        fx.names(path, &format!("team={}", fx.platform)).await,
        v(&["ci"])
    );
    assert_eq!(
        fx.names(path, &format!("target={}", fx.site)).await,
        v(&["cd"])
    );
    assert_eq!(fx.names(path, "no_access=true").await, v(&["bot"]));
    assert_eq!(
        fx.names(path, &format!("exclude={ci}&state=ACTIVE")).await,
        v(&["bot"])
    );
    assert_eq!(fx.names(path, &format!("id={ci}")).await, v(&["ci"]));
    // People never show up among API users, whatever the filter.
    assert!(
        fx.names(path, &format!("id={}&id={}", fx.ann, fx.bob))
            .await
            .is_empty()
    );
    // And API users never among people.
    assert_eq!(
        fx.users(&format!("label={}", fx.red)).await,
        v(&["ann", "bob", "dee"])
    );
    let _ = (&fx.cid, &fx.eve, &fx.dee);
}

/// Probely's own list parameters: `role` repeated, `exclude_team`,
/// `exclude_target` and `account`, with or without PHP-style `[]`.
#[actix_web::test]
async fn probely_list_parameters() {
    let fx = fixture().await;
    let owner = owner_name(&fx).await;
    let with_owner = |names: &[&str]| {
        let mut all = v(names);
        all.push(owner.clone());
        all.sort();
        all
    };
    assert_eq!(
        fx.users("role=AUDITOR&role=viewer").await,
        v(&["ann", "bob", "dee"])
    );
    assert_eq!(
        fx.users("role[]=AUDITOR&role[]=VIEWER").await,
        v(&["ann", "bob", "dee"])
    );
    assert_eq!(
        fx.users(&format!("exclude_team={}", fx.platform)).await,
        with_owner(&["bob", "cid", "dee", "eve"])
    );
    assert_eq!(
        fx.users(&format!(
            "exclude_team[]={}&exclude_team[]={}",
            fx.platform, fx.web
        ))
        .await,
        with_owner(&["bob", "cid", "eve"])
    );
    assert_eq!(
        fx.users(&format!("exclude_target={}", fx.site)).await,
        with_owner(&["ann", "cid", "dee", "eve"])
    );
    // Combined with the other filters: AUDITORs not at the target.
    assert_eq!(
        fx.users(&format!("role=AUDITOR&exclude_target={}", fx.site))
            .await,
        v(&["dee"])
    );
    let account = fx.app.get("/account/", &fx.owner).await;
    let own = account.body["id"].as_str().unwrap().to_owned();
    assert_eq!(fx.users(&format!("account={own}")).await.len(), 6);
    let other = fx.app.second_organization("boss@other.example.com").await;
    let theirs = fx.app.get("/account/", &other).await;
    let theirs = theirs.body["id"].as_str().unwrap().to_owned();
    assert!(fx.users(&format!("account={theirs}")).await.is_empty());
    // Another organization's team or target excludes nobody here.
    let other_team = created(&fx.app, &other, "/teams/", json!({"name": "Platform"})).await;
    assert_eq!(
        fx.users(&format!("exclude_team={other_team}")).await.len(),
        6
    );
    // API users take the same parameters.
    assert!(
        fx.names("/api-users/", &format!("account={theirs}"))
            .await
            .is_empty()
    );
}

/// `ordering=name` and `ordering=email` ignore case and accents, alike on
/// both backends, and pages walked one by one list everyone once.
#[actix_web::test]
async fn ordering_by_name_or_email_ignores_case_and_accents() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let me = app.get("/profile/", &owner).await;
    let owner_id = me.body["id"].as_str().unwrap().to_owned();
    for (name, email) in [
        ("Zed", "Zed@example.com"),
        ("charlie", "charlie@example.com"),
        ("Émile", "emile@example.com"),
        ("anna", "Anna@example.com"),
        ("Bob", "bob@example.com"),
        ("eve", "Eve@example.com"),
    ] {
        created(
            &app,
            &owner,
            "/users/",
            json!({"email": email, "name": name, "user_roles": [{"role": "EMPLOYEE"}]}),
        )
        .await;
    }
    let listed = |ordering: &'static str, field: &'static str| {
        let app = &app;
        let owner = &owner;
        let owner_id = &owner_id;
        async move {
            let reply = app
                .get(&format!("/users/?length=100&ordering={ordering}"), owner)
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            reply.body["results"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|u| u["id"] != json!(owner_id))
                .map(|u| u[field].as_str().unwrap().to_owned())
                .collect::<Vec<String>>()
        }
    };
    let by_name = v(&["anna", "Bob", "charlie", "Émile", "eve", "Zed"]);
    assert_eq!(listed("name", "name").await, by_name);
    let mut reversed = by_name.clone();
    reversed.reverse();
    assert_eq!(listed("-name", "name").await, reversed);
    assert_eq!(
        listed("email", "email").await,
        v(&[
            "Anna@example.com",
            "bob@example.com",
            "charlie@example.com",
            "emile@example.com",
            "Eve@example.com",
            "Zed@example.com",
        ])
    );
    // A renamed user moves to its new place.
    let zed = app.get("/users/?search=Zed", &owner).await.body["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = app
        .patch(&format!("/users/{zed}/"), &owner, json!({"name": "Aaron"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        listed("name", "name").await,
        v(&["Aaron", "anna", "Bob", "charlie", "Émile", "eve"])
    );
    // Page by page, each user exactly once.
    let mut walked = Vec::new();
    for page in 1..=4 {
        let reply = app
            .get(
                &format!("/users/?length=2&page={page}&ordering=name"),
                &owner,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        for u in reply.body["results"].as_array().unwrap() {
            walked.push(u["id"].as_str().unwrap().to_owned());
        }
    }
    let mut unique = walked.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((walked.len(), unique.len()), (7, 7));
}

/// A search alone counts, orders and pages as every other filter does,
/// within the organization and the kind of user asked for, never listing
/// the System actor.
#[actix_web::test]
async fn a_search_alone_counts_orders_and_pages() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let other = app.second_organization("searcher@example.com").await;
    for (i, name) in ["Ana Silva", "Bruno Silva", "Carla Silvan", "Duarte Costa"]
        .iter()
        .enumerate()
    {
        created(
            &app,
            &owner,
            "/users/",
            json!({"email": format!("p{i}@example.com"), "name": name}),
        )
        .await;
    }
    created(
        &app,
        &other,
        "/users/",
        json!({"email": "eva@example.com", "name": "Eva Silva"}),
    )
    .await;
    created(
        &app,
        &owner,
        "/api-users/",
        json!({"email": "robot@example.com", "name": "Silva Robot",
               "user_roles": [{"role": "VIEWER"}]}),
    )
    .await;
    let page = |path: &'static str, query: &'static str| {
        let (app, owner) = (&app, &owner);
        async move {
            let reply = app.get(&format!("{path}?{query}"), owner).await;
            assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
            (reply.body["count"].as_i64().unwrap(), names_of(&reply.body))
        }
    };
    assert_eq!(
        page("/users/", "search=SILVA&ordering=-name&length=2").await,
        (3, v(&["Carla Silvan", "Bruno Silva"]))
    );
    assert_eq!(
        page("/users/", "search=silva&ordering=-name&length=2&page=2").await,
        (3, v(&["Ana Silva"]))
    );
    assert_eq!(
        page("/users/", "search=silva&ordering=name").await,
        (3, v(&["Ana Silva", "Bruno Silva", "Carla Silvan"]))
    );
    assert_eq!(
        page("/users/", "search=example.com&ordering=-email&length=1").await,
        (5, v(&["Duarte Costa"])),
        "the four and the owner"
    );
    assert_eq!(
        page("/api-users/", "search=silva").await,
        (1, v(&["Silva Robot"]))
    );
    assert_eq!(page("/api-users/", "search=system").await, (0, v(&[])));
}
