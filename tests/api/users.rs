use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn owner_creates_and_reads_a_user() {
    let app = spawn_app().await;
    let token = app.owner_token().await;
    let created = app
        .post(
            "/users/",
            &token,
            json!({"email": "Ann@Example.com", "name": "Ann", "title": "dev"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("/users/{id}/").as_str())
    );
    let got = app.get(&format!("/users/{id}/"), &token).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["email"], "Ann@Example.com");
    assert_eq!(got.body["user_roles"][0]["role"]["name"], "EMPLOYEE");
    assert_eq!(got.body["state"], "PENDING");
}
