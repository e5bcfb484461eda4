//! The README's walk-through, run as written against a live server.

use std::process::Command;

use crate::helpers::{OWNER_PASSWORD, spawn_app_with};

/// The `sh` block between `<!-- NAME:start -->` and `<!-- NAME:end -->`.
fn sh_block(name: &str) -> String {
    code_block(name, "sh")
}

/// The `LANG` block between `<!-- NAME:start -->` and `<!-- NAME:end -->`.
pub fn code_block(name: &str, lang: &str) -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find(&format!("<!-- {name}:start -->"))
        .unwrap_or_else(|| panic!("{name} start marker"));
    let end = readme
        .find(&format!("<!-- {name}:end -->"))
        .unwrap_or_else(|| panic!("{name} end marker"));
    let block = &readme[start..end];
    let fence = format!("```{lang}\n");
    let code_start = block.find(&fence).expect("a code block") + fence.len();
    let code_end = block[code_start..]
        .find("```")
        .expect("end of the sh block")
        + code_start;
    block[code_start..code_end].to_owned()
}

/// Runs README's `sh` block `name` as written against `app`, with `BASE`
/// and the first-run OWNER's `PASSWORD` set; its standard output, once it
/// succeeded.
async fn run_block(app: &crate::helpers::TestApp, name: &str) -> String {
    let script = sh_block(name);
    let base = app.address.clone();
    let output = actix_web::rt::task::spawn_blocking(move || {
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("BASE", base)
            .env("PASSWORD", OWNER_PASSWORD)
            .output()
            .expect("bash runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the README's {name} block failed:\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[actix_web::test]
async fn the_readme_walkthrough_works() {
    // The README logs in as the default first-run OWNER.
    let app = spawn_app_with(|s| s.bootstrap_email = "admin@example.com".into()).await;
    let stdout = run_block(&app, "walkthrough").await;
    // Step 3 prints the user, step 4 a page that lists it, step 5 the user again.
    let mut values = serde_json::Deserializer::from_str(&stdout).into_iter::<serde_json::Value>();
    let user = values.next().expect("the user").unwrap();
    assert_eq!(user["email"], "jane@example.com");
    assert_eq!(user["user_roles"][0]["role"]["name"], "VIEWER");
    let page = values.next().expect("the page").unwrap();
    assert_eq!(page["count"], 1);
    assert_eq!(page["length"], 20);
    assert_eq!(page["results"][0]["id"], user["id"]);
    // Step 5 makes her ADMIN of a team, next to her VIEWER membership.
    let granted = values.next().expect("the updated user").unwrap();
    let roles = granted["user_roles"].as_array().unwrap();
    assert_eq!(roles.len(), 2, "{granted}");
    let team_role = roles
        .iter()
        .find(|r| r["scope"]["tier"] == "team")
        .expect("a team-tier role");
    assert_eq!(team_role["role"]["name"], "ADMIN");
    assert_eq!(team_role["team"]["name"], "Blue team");
}

#[actix_web::test]
async fn the_readme_time_bound_access_example_works() {
    let app = spawn_app_with(|s| s.bootstrap_email = "admin@example.com".into()).await;
    let stdout = run_block(&app, "timebound").await;
    let mut values = serde_json::Deserializer::from_str(&stdout).into_iter::<serde_json::Value>();
    let review = values.next().expect("the review").unwrap();
    let casey = &review["results"][0];
    assert_eq!(casey["user"]["email"], "casey@example.com", "{review}");
    let permissions = casey["permissions"].as_array().unwrap();
    assert!(
        permissions
            .iter()
            .any(|p| p["scope"]["type"] == "team" && p["granted_by"]["expires"].is_string()),
        "{review}"
    );
    let account = values.next().expect("the account").unwrap();
    assert_eq!(account["dormant_after_days"], 90);
    assert_eq!(account["dormant_action"], "flag");
    let approved = values.next().expect("the approved request").unwrap();
    assert_eq!(approved["status"], "APPROVED", "{approved}");
    let report = values.next().expect("the campaign's report").unwrap();
    assert_eq!(report["campaign"]["status"], "closed", "{report}");
    let item = &report["items"][0];
    assert_eq!(item["decision"], "revoke", "{report}");
    assert_eq!(item["decided_by"]["email"], "admin@example.com", "{report}");
    // The revoked grant is gone; the approved one holds until its end.
    let token = app.login("admin@example.com", OWNER_PASSWORD).await;
    let casey = app
        .get(
            &format!(
                "/users/{}/",
                item["user"]["id"].as_str().unwrap_or_default()
            ),
            &token,
        )
        .await;
    let roles = casey.body["user_roles"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(roles.len(), 2, "{}", casey.body);
    assert!(
        roles
            .iter()
            .any(|r| r["team"]["name"] == "Red team" && r["expires"].is_string())
    );
}

#[actix_web::test]
async fn the_readme_mcp_example_works() {
    let app = spawn_app_with(|s| s.bootstrap_email = "admin@example.com".into()).await;
    let stdout = run_block(&app, "mcp").await;
    let answer: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON-RPC answer");
    assert_eq!(answer["id"], 1);
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    let user = &answer["result"]["structuredContent"]["user"];
    assert_eq!(user["full_name"], "Jane Smith");
    assert_eq!(user["email_address"], "jane.smith@example.com");
    assert_eq!(user["membership"]["role"], "EMPLOYEE");
    assert_eq!(user["state"], "PENDING");
    let token = app.login("admin@example.com", OWNER_PASSWORD).await;
    let listed = app
        .get("/users/?search=jane.smith@example.com", &token)
        .await;
    assert_eq!(listed.body["count"], 1, "{}", listed.body);
    assert_eq!(listed.body["results"][0]["id"], user["id"]);
}

#[actix_web::test]
async fn the_readme_signature_example_is_what_the_server_sends() {
    let script = sh_block("signature-example");
    let output = actix_web::rt::task::spawn_blocking(move || {
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .output()
            .expect("run the example")
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let sent = tessera::outbox::sign("whsec_test", 1_700_000_000, r#"{"a":1}"#);
    assert_eq!(sent, format!("t=1700000000,v1={printed}"));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains(&format!("# prints {printed},")),
        "the README shows the printed value"
    );
}

/// The "Single sign-on (OpenID Connect)" walk-through, against the test
/// provider it starts, with Chromium playing the person.
#[actix_web::test]
async fn the_readme_sso_walkthrough_works() {
    let app = spawn_app_with(|s| s.bootstrap_email = "admin@example.com".into()).await;
    let stdout = run_block(&app, "sso-walkthrough").await;
    let profile: serde_json::Value = serde_json::from_str(stdout.trim()).expect("the profile");
    assert_eq!(profile["email"], "alice@corp.example", "{profile}");
}

/// The "Single sign-on (SAML)" walk-through, against the test IdP it
/// starts, with Chromium playing the person.
#[actix_web::test]
async fn the_readme_saml_walkthrough_works() {
    let app = spawn_app_with(|s| s.bootstrap_email = "admin@example.com".into()).await;
    let stdout = run_block(&app, "saml-walkthrough").await;
    let profile: serde_json::Value = serde_json::from_str(stdout.trim()).expect("the profile");
    assert_eq!(profile["email"], "alice@corp.example", "{profile}");
    assert_eq!(profile["source"], "SAML", "{profile}");
}
