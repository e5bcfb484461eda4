//! The OpenAPI document and Swagger UI.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

fn committed() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json is committed");
    serde_json::from_str(&text).expect("openapi/openapi.json is JSON")
}

#[test]
fn committed_spec_matches_the_generated_one() {
    let generated: Value = serde_json::from_str(&tessera::openapi::pretty_json()).unwrap();
    assert!(
        generated == committed(),
        "openapi/openapi.json is stale: regenerate it with `cargo run -- openapi > openapi/openapi.json` and review the diff"
    );
}

#[test]
fn every_operation_documents_its_errors_and_security() {
    let spec = committed();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let public = path.starts_with("/auth/")
                || path.starts_with("/.well-known/")
                // Single sign-on: the browser has no token yet.
                || path.starts_with("/sso/login/")
                || path == "/sso/oidc/callback/"
                || path.starts_with("/sso/saml/")
                || ["/healthz", "/readyz", "/invitations/accept/"].contains(&path.as_str());
            assert!(
                op.get("security").is_some(),
                "{method} {path} declares no security requirement"
            );
            if !public {
                for status in ["401", "403"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
                assert_eq!(
                    op["security"][0]["jwt"],
                    serde_json::json!([]),
                    "{method} {path}"
                );
            }
            if path.contains("{id}") {
                assert!(responses.contains_key("404"), "{method} {path} lacks 404");
            }
            if method != "get" && method != "delete" {
                assert!(responses.contains_key("400"), "{method} {path} lacks 400");
            }
        }
    }
}

#[actix_web::test]
async fn the_served_spec_is_the_committed_one() {
    let app = spawn_app().await;
    let served: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, committed());
}

#[actix_web::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = spawn_app().await;
    let redirect = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(redirect.headers()["location"], "/docs/");

    let index = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    let html = index.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "the page must not load anything from outside: {html}"
    );

    let init = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(init.status(), StatusCode::OK);
    let js = init.text().await.unwrap();
    assert!(js.contains("/openapi.json"), "{js}");
    assert!(
        js.contains("\"validatorUrl\": \"none\""),
        "the online validator badge must be off: {js}"
    );

    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
    ] {
        let reply = app
            .client
            .get(app.url(&format!("/docs/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::OK, "{asset}");
    }
}
