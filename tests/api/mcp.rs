//! The MCP endpoint (`/api/mcp/v1`): the transport's HTTP and JSON-RPC
//! rules driven with hand-built requests, and the whole tool lifecycle
//! driven by the official Python MCP SDK (tests/mcp/client_test.py).

use std::path::PathBuf;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_app, spawn_app_with};

const ENDPOINT: &str = "/api/mcp/v1";
const ACCEPT: &str = "application/json, text/event-stream";

/// POSTs one JSON-RPC message with the headers a client sends.
async fn rpc(app: &TestApp, token: &str, message: Value) -> Reply {
    let response = app
        .client
        .post(app.url(ENDPOINT))
        .bearer_auth(token)
        .header("Accept", ACCEPT)
        .json(&message)
        .send()
        .await
        .expect("request sent");
    Reply::from(response).await
}

/// A `tools/call`'s JSON-RPC answer (HTTP 200).
async fn call_tool(app: &TestApp, token: &str, name: &str, arguments: Value) -> Value {
    let reply = rpc(
        app,
        token,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
               "params": {"name": name, "arguments": arguments}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{name}: {}", reply.body);
    reply.body
}

/// A tool's successful structured result.
async fn tool_ok(app: &TestApp, token: &str, name: &str, arguments: Value) -> Value {
    let answer = call_tool(app, token, name, arguments).await;
    assert_eq!(answer["result"]["isError"], false, "{name}: {answer}");
    answer["result"]["structuredContent"].clone()
}

/// A tool's domain failure: its message.
async fn tool_error(app: &TestApp, token: &str, name: &str, arguments: Value) -> String {
    let answer = call_tool(app, token, name, arguments).await;
    assert_eq!(answer["result"]["isError"], true, "{name}: {answer}");
    answer["result"]["content"][0]["text"]
        .as_str()
        .expect("a text message")
        .to_owned()
}

async fn organization_id(app: &TestApp, token: &str) -> String {
    let account = app.get("/account/", token).await;
    assert_eq!(account.status, StatusCode::OK, "{}", account.body);
    account.body["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn initialize_negotiates_each_supported_version() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    for version in ["2025-03-26", "2025-06-18"] {
        let reply = rpc(
            &app,
            &token,
            json!({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
                "protocolVersion": version, "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"}}}),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert!(
            reply
                .header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
        let result = &reply.body["result"];
        assert_eq!(reply.body["id"], "init");
        assert_eq!(result["protocolVersion"], version, "{}", reply.body);
        assert_eq!(result["serverInfo"]["name"], "tessera");
        assert!(result["capabilities"]["tools"].is_object(), "{result}");
    }
    let initialized = rpc(
        &app,
        &token,
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    assert_eq!(initialized.status, StatusCode::ACCEPTED);
    assert_eq!(initialized.body, Value::Null);
    let ping = rpc(
        &app,
        &token,
        json!({"jsonrpc": "2.0", "id": 7, "method": "ping"}),
    )
    .await;
    assert_eq!(ping.status, StatusCode::OK);
    assert_eq!(ping.body, json!({"jsonrpc": "2.0", "id": 7, "result": {}}));
}

#[actix_web::test]
async fn tools_list_publishes_input_and_output_schemas() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let response = app
        .client
        .post(app.url(ENDPOINT))
        .bearer_auth(&token)
        .header("Accept", ACCEPT)
        .header("MCP-Protocol-Version", "2025-06-18")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    let reply = Reply::from(response).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let tools = reply.body["result"]["tools"].as_array().unwrap();
    let mut names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "approveAccessRequest",
            "createUser",
            "deactivateUser",
            "denyAccessRequest",
            "getUser",
            "inviteUser",
            "listUsers",
            "removeUser",
            "requestAccess",
            "updateMembership",
            "updateUser"
        ]
    );
    for tool in tools {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{tool}");
    }
    let list = tools.iter().find(|t| t["name"] == "listUsers").unwrap();
    assert_eq!(list["inputSchema"]["required"], json!(["organization_id"]));
    let membership = tools
        .iter()
        .find(|t| t["name"] == "updateMembership")
        .unwrap();
    assert_eq!(
        membership["outputSchema"]["required"],
        json!(["membership"]),
        "{membership}"
    );
}

#[actix_web::test]
async fn json_rpc_errors_have_their_codes() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let send_raw = |body: &'static str| {
        app.client
            .post(app.url(ENDPOINT))
            .bearer_auth(&token)
            .header("Accept", ACCEPT)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let parse = Reply::from(send_raw("{\"jsonrpc\": ").await.unwrap()).await;
    assert_eq!(parse.status, StatusCode::BAD_REQUEST);
    assert_eq!(parse.body["error"]["code"], -32700, "{}", parse.body);
    assert_eq!(parse.body["id"], Value::Null);
    let batch = Reply::from(
        send_raw(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(batch.status, StatusCode::BAD_REQUEST);
    assert_eq!(batch.body["error"]["code"], -32600, "{}", batch.body);
    let not_rpc = Reply::from(send_raw(r#"{"id":1,"method":"ping"}"#).await.unwrap()).await;
    assert_eq!(not_rpc.body["error"]["code"], -32600, "{}", not_rpc.body);
    assert_eq!(not_rpc.body["id"], 1);

    let unknown_method = rpc(
        &app,
        &token,
        json!({"jsonrpc": "2.0", "id": 2, "method": "users/teleport"}),
    )
    .await;
    assert_eq!(
        unknown_method.body["error"]["code"], -32601,
        "{}",
        unknown_method.body
    );
    assert_eq!(unknown_method.body["id"], 2);

    let unknown_tool = call_tool(&app, &token, "dropTables", json!({})).await;
    assert_eq!(unknown_tool["error"]["code"], -32602, "{unknown_tool}");
    let bad_arguments = call_tool(&app, &token, "getUser", json!({"id": 42})).await;
    assert_eq!(bad_arguments["error"]["code"], -32602, "{bad_arguments}");
    let missing = call_tool(&app, &token, "removeUser", json!({"profile_id": "x"})).await;
    assert_eq!(missing["error"]["code"], -32602, "{missing}");
    let bad_size = call_tool(
        &app,
        &token,
        "listUsers",
        json!({"organization_id": "x", "size": 0}),
    )
    .await;
    assert_eq!(bad_size["error"]["code"], -32602, "{bad_size}");
    let no_name = rpc(
        &app,
        &token,
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"arguments": {}}}),
    )
    .await;
    assert_eq!(no_name.body["error"]["code"], -32602, "{}", no_name.body);
}

#[actix_web::test]
async fn http_rules_of_the_transport() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});

    for (authorization, detail) in [
        (None, "Authentication credentials were not provided."),
        (Some("Bearer not-a-token"), "Invalid token."),
    ] {
        let mut request = app
            .client
            .post(app.url(ENDPOINT))
            .header("Accept", ACCEPT)
            .json(&ping);
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        let reply = Reply::from(request.send().await.unwrap()).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert!(
            reply
                .header("www-authenticate")
                .unwrap()
                .starts_with("Bearer"),
            "{:?}",
            reply.headers
        );
        assert_eq!(reply.body["detail"], detail);
    }

    let get = Reply::from(
        app.client
            .get(app.url(ENDPOINT))
            .bearer_auth(&token)
            .header("Accept", "text/event-stream")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.header("allow"), Some("POST"));
    assert_eq!(get.body["detail"], "Method \"GET\" not allowed.");

    let form = Reply::from(
        app.client
            .post(app.url(ENDPOINT))
            .bearer_auth(&token)
            .header("Accept", ACCEPT)
            .header("Content-Type", "text/plain")
            .body(ping.to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        form.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        form.body
    );

    let html = Reply::from(
        app.client
            .post(app.url(ENDPOINT))
            .bearer_auth(&token)
            .header("Accept", "text/html")
            .json(&ping)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(html.status, StatusCode::NOT_ACCEPTABLE, "{}", html.body);

    // A client that takes only an event stream gets one.
    let stream = Reply::from(
        app.client
            .post(app.url(ENDPOINT))
            .bearer_auth(&token)
            .header("Accept", "text/event-stream")
            .json(&ping)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(stream.status, StatusCode::OK, "{}", stream.body);
    assert!(
        stream
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = stream.body.as_str().expect("an event stream");
    let data: Vec<Value> = events
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter(|data| !data.trim().is_empty())
        .map(|data| serde_json::from_str(data.trim()).unwrap())
        .collect();
    assert_eq!(
        data,
        [json!({"jsonrpc": "2.0", "id": 1, "result": {}})],
        "{events}"
    );

    // `curl`'s `*/*` is enough: answers are JSON.
    let any = Reply::from(
        app.client
            .post(app.url(ENDPOINT))
            .bearer_auth(&token)
            .header("Accept", "*/*")
            .json(&ping)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(any.status, StatusCode::OK, "{}", any.body);

    let own_origin = app.address.clone();
    for (origin, status) in [
        ("https://evil.example.com", StatusCode::FORBIDDEN),
        ("https://app.example.com", StatusCode::OK),
        (own_origin.as_str(), StatusCode::OK),
    ] {
        let reply = Reply::from(
            app.client
                .post(app.url(ENDPOINT))
                .bearer_auth(&token)
                .header("Accept", ACCEPT)
                .header("Origin", origin)
                .json(&ping)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(reply.status, status, "Origin {origin}: {}", reply.body);
    }

    // X-Forwarded-Host does not make an origin the server's own.
    let forwarded = Reply::from(
        app.client
            .post(app.url(ENDPOINT))
            .bearer_auth(&token)
            .header("Accept", ACCEPT)
            .header("Origin", "https://spoofed.example")
            .header("X-Forwarded-Host", "spoofed.example")
            .json(&ping)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        forwarded.status,
        StatusCode::FORBIDDEN,
        "{}",
        forwarded.body
    );

    // DNS rebinding: a Host the server is not known by.
    let rebound = Reply::from(
        app.client
            .post(app.url(ENDPOINT))
            .bearer_auth(&token)
            .header("Accept", ACCEPT)
            .header("Host", "attacker.example")
            .json(&ping)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(rebound.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn a_listed_origin_passes_the_cors_preflight() {
    let app = spawn_app().await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url(ENDPOINT))
        .header("Origin", "https://app.example.com")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type, mcp-protocol-version",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://app.example.com")
    );
}

#[actix_web::test]
async fn any_host_may_be_allowed() {
    let app = spawn_app_with(|s| s.mcp_allowed_hosts = vec!["*".into()]).await;
    let token = app.owner_token().await;
    let reply = Reply::from(
        app.client
            .post(app.url(ENDPOINT))
            .bearer_auth(&token)
            .header("Accept", ACCEPT)
            .header("Host", "tessera.internal")
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[actix_web::test]
async fn tools_share_the_rest_rules() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let org = organization_id(&app, &owner).await;
    let owner_id = app.id_of(&owner, crate::helpers::OWNER_EMAIL).await;

    // A VIEWER may read but not write.
    let (_, viewer) = app.member(&owner, "viewer@example.com", "VIEWER").await;
    let listed = tool_ok(&app, &viewer, "listUsers", json!({"organization_id": org})).await;
    assert_eq!(listed["users"].as_array().unwrap().len(), 2, "{listed}");
    let refused = tool_error(
        &app,
        &viewer,
        "createUser",
        json!({"organization_id": org, "full_name": "Eve", "email_address": "eve@example.com",
               "role": "ADMIN", "kind": null}),
    )
    .await;
    assert!(refused.contains("permission"), "{refused}");

    // The last active OWNER can be neither deactivated nor demoted.
    let last = tool_error(
        &app,
        &owner,
        "deactivateUser",
        json!({"organization_id": org, "profile_id": owner_id}),
    )
    .await;
    assert!(last.contains("last active owner"), "{last}");
    let profile = tool_ok(&app, &owner, "getUser", json!({"id": owner_id})).await;
    let membership = profile["user"]["membership"]["id"].as_str().unwrap();
    let demoted = tool_error(
        &app,
        &owner,
        "updateMembership",
        json!({"organization_id": org, "membership_id": membership, "role": "ADMIN"}),
    )
    .await;
    assert!(demoted.contains("last active owner"), "{demoted}");

    // A write through MCP is seen by REST, authored by the caller.
    let created = tool_ok(
        &app,
        &owner,
        "createUser",
        json!({"organization_id": org, "full_name": "Mia", "email_address": "mia@example.com",
               "role": "AUDITOR", "kind": "CONTRACTOR"}),
    )
    .await;
    let id = created["user"]["id"].as_str().unwrap();
    let rest = app.get(&format!("/users/{id}/"), &owner).await;
    assert_eq!(rest.status, StatusCode::OK);
    assert_eq!(rest.body["kind"], "contractor");
    assert_eq!(rest.body["changed_by"]["id"], owner_id);
    assert_eq!(rest.body["user_roles"][0]["role"]["name"], "AUDITOR");
    assert_eq!(
        rest.body["user_roles"][0]["id"],
        created["user"]["membership"]["id"]
    );
}

#[actix_web::test]
async fn another_organizations_ids_are_not_found() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let org = organization_id(&app, &owner).await;
    let other = app.second_organization("boss@other.example.com").await;
    let other_org = organization_id(&app, &other).await;
    let theirs = app
        .create(
            "/users/",
            &other,
            json!({"email": "their@other.example.com", "name": "Theirs"}),
        )
        .await;
    let their_id = theirs["id"].as_str().unwrap();
    let their_membership = theirs["user_roles"][0]["id"].as_str().unwrap();

    for (name, arguments) in [
        ("getUser", json!({"id": their_id})),
        ("listUsers", json!({"organization_id": other_org})),
        (
            "updateUser",
            json!({"id": their_id, "full_name": "Mallory", "kind": null}),
        ),
        (
            "removeUser",
            json!({"organization_id": org, "profile_id": their_id}),
        ),
        (
            "deactivateUser",
            json!({"organization_id": org, "profile_id": their_id}),
        ),
        (
            "updateMembership",
            json!({"organization_id": org, "membership_id": their_membership, "role": "VIEWER"}),
        ),
        (
            "createUser",
            json!({"organization_id": other_org, "full_name": "Spy",
                   "email_address": "spy@example.com", "role": "OWNER", "kind": null}),
        ),
    ] {
        let message = tool_error(&app, &owner, name, arguments).await;
        assert!(message.contains("not found"), "{name}: {message}");
    }
    let untouched = app.get(&format!("/users/{their_id}/"), &other).await;
    assert_eq!(untouched.status, StatusCode::OK);
    assert_eq!(untouched.body["name"], "Theirs");
    assert_eq!(untouched.body["active"], true);
}

/// Walks every page of listUsers in one order: the ids, in page order.
async fn walk(app: &TestApp, token: &str, org: &str, order_by: Value) -> Vec<Value> {
    let mut users = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0.. {
        assert!(page < 10, "listUsers never ended");
        let mut arguments = json!({"organization_id": org, "size": 1000, "order_by": order_by});
        if let Some(cursor) = &cursor {
            arguments["cursor"] = json!(cursor);
        }
        let result = tool_ok(app, token, "listUsers", arguments).await;
        let batch = result["users"].as_array().unwrap();
        assert!(batch.len() <= 100, "size is capped to 100: {}", batch.len());
        users.extend(batch.iter().cloned());
        match result.get("next_cursor") {
            Some(next) => {
                assert_eq!(batch.len(), 100, "only the last page is short");
                cursor = Some(next.as_str().unwrap().to_owned());
            }
            None => break,
        }
    }
    users
}

#[actix_web::test]
async fn keyset_pages_cover_every_user_once_in_each_order() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let org = organization_id(&app, &owner).await;
    // Seeded people share creation times, which the id tie-break must order.
    let seeded = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["seed", "--users", "230", "--labels", "0", "--teams", "0"])
        .args(["--targets", "0", "--org", &org])
        .env("TESSERA_DATABASE_URL", &app.database_url)
        .output()
        .expect("run tessera seed");
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let count = app.get("/users/", &owner).await.body["count"]
        .as_u64()
        .unwrap() as usize;
    assert_eq!(count, 231);
    for order_by in [
        json!({}),
        json!({"field": "FULL_NAME", "direction": "ASC"}),
        json!({"field": "EMAIL_ADDRESS", "direction": "DESC"}),
        json!({"field": "CREATED_AT", "direction": "ASC"}),
    ] {
        let users = walk(&app, &owner, &org, order_by.clone()).await;
        let mut ids: Vec<&str> = users.iter().map(|u| u["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), count, "{order_by}");
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "a user listed twice in {order_by}");
        if order_by.get("field").is_none() {
            let created: Vec<&str> = users
                .iter()
                .map(|u| u["created_at"].as_str().unwrap())
                .collect();
            assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first");
        }
    }
}

/// listUsers by FULL_NAME ignores case and accents as `ordering=name` does,
/// and its cursors walk that order without skipping or repeating anyone.
#[actix_web::test]
async fn full_name_order_ignores_case_and_accents() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let org = organization_id(&app, &owner).await;
    for (i, name) in ["Zed", "charlie", "Émile", "anna", "Bob", "eve"]
        .iter()
        .enumerate()
    {
        let reply = app
            .post(
                "/users/",
                &owner,
                json!({"email": format!("p{i}@people.example.org"), "name": name,
                       "user_roles": [{"role": "EMPLOYEE"}]}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let mut arguments = json!({"organization_id": org, "size": 2,
                                   "order_by": {"field": "FULL_NAME", "direction": "ASC"},
                                   "filter": {"query": "people.example"}});
        if let Some(cursor) = &cursor {
            arguments["cursor"] = json!(cursor);
        }
        let result = tool_ok(&app, &owner, "listUsers", arguments).await;
        for u in result["users"].as_array().unwrap() {
            names.push(u["full_name"].as_str().unwrap().to_owned());
        }
        match result.get("next_cursor") {
            Some(next) => cursor = Some(next.as_str().unwrap().to_owned()),
            None => break,
        }
    }
    assert_eq!(names, ["anna", "Bob", "charlie", "Émile", "eve", "Zed"]);
}

/// The Python interpreter of the virtualenv tests/run.sh prepares.
fn python() -> PathBuf {
    if let Ok(path) = std::env::var("TESSERA_MCP_PYTHON") {
        return PathBuf::from(path);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/mcp-venv/bin/python")
}

#[actix_web::test]
async fn the_python_sdk_drives_the_whole_lifecycle() {
    let python = python();
    assert!(
        python.exists(),
        "the MCP client virtualenv is missing ({}): run tests/run.sh, or create it with \
         `python3 -m venv target/mcp-venv && target/mcp-venv/bin/pip install -r tests/mcp/requirements.txt`",
        python.display()
    );
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let org = organization_id(&app, &owner).await;
    let other = app.second_organization("boss@other.example.com").await;
    let other_org = organization_id(&app, &other).await;
    let theirs = app
        .create(
            "/users/",
            &other,
            json!({"email": "their@other.example.com", "name": "Theirs"}),
        )
        .await;
    let their_id = theirs["id"].as_str().unwrap().to_owned();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client_test.py");
    let base = app.address.clone();
    let output = actix_web::rt::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args([&base, &owner, &org, &other_org, &their_id])
            .output()
            .expect("the MCP client runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the Python MCP client failed:\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap();
    assert_eq!(summary["ok"], true);
    let checked: Vec<&str> = summary["checked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for step in [
        "initialize 2025-03-26",
        "initialize 2025-06-18",
        "tools/list",
        "createUser",
        "getUser",
        "listUsers",
        "updateUser",
        "updateMembership",
        "deactivateUser",
        "inviteUser",
        "removeUser",
        "requestAccess",
        "approveAccessRequest",
        "invalid params",
        "domain errors",
    ] {
        assert!(checked.contains(&step), "{step} not checked: {checked:?}");
    }
}

#[actix_web::test]
async fn invite_user_follows_the_invitation_rules_and_is_audited_as_mcp() {
    let app = spawn_app().await;
    let owner = app.owner_token().await;
    let org = organization_id(&app, &owner).await;
    let pending = app
        .create(
            "/users/",
            &owner,
            json!({"email": "p@example.com", "name": "Pending"}),
        )
        .await;
    let id = pending["id"].as_str().unwrap();
    let invited = tool_ok(
        &app,
        &owner,
        "inviteUser",
        json!({"organization_id": org, "profile_id": id}),
    )
    .await;
    let invitation = invited["invitation_id"].as_str().unwrap();
    let listed = app
        .get(&format!("/invitations/{invitation}/"), &owner)
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["user"]["id"], id);

    // An ACTIVE user cannot be invited: a domain error, not a protocol one.
    let owner_id = app.get("/profile/", &owner).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = tool_error(
        &app,
        &owner,
        "inviteUser",
        json!({"organization_id": org, "profile_id": owner_id}),
    )
    .await;
    assert!(refused.contains("PENDING or DEACTIVATED"), "{refused}");
    let unknown = tool_error(
        &app,
        &owner,
        "inviteUser",
        json!({"organization_id": org, "profile_id": "111111111111"}),
    )
    .await;
    assert!(unknown.to_lowercase().contains("not found"), "{unknown}");

    // The audit trail says it came through MCP.
    let events = app
        .get(&format!("/audit-events/?object_id={invitation}"), &owner)
        .await;
    assert_eq!(events.body["results"][0]["action"], "invitation.created");
    assert_eq!(events.body["results"][0]["interface"], "mcp");
}
