//! SAML 2.0 sign-in against a real identity provider: pysaml2's server
//! (`tests/saml/idp.py`, in a virtualenv under `target/saml-venv`), which
//! each test starts on 127.0.0.1 and a free port. Refused responses are
//! real responses of that IdP, misconfigured through its test knobs or
//! modified here after it signed them. Without Python (or the `xmlsec1`
//! binary pysaml2 signs with) these tests fail: they never skip.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Peer, TestApp, spawn_announced, spawn_app};
use crate::sso::{
    FRONTEND, browser, exchange, location, param, provision_by_scim, sign_in_in_chromium,
};

static VENV: Mutex<bool> = Mutex::new(false);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The IdP's virtualenv (`tests/run.sh` makes it; made here when missing).
fn python() -> PathBuf {
    let venv = root().join("target/saml-venv");
    let python = venv.join("bin/python");
    let mut done = VENV.lock().unwrap_or_else(|e| e.into_inner());
    if !*done {
        if !python.exists() {
            let status = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .expect("python3 is needed to run the test SAML IdP (tests/saml)");
            assert!(status.success(), "python3 -m venv failed: {status}");
        }
        let installed = Command::new(&python)
            .args(["-c", "import saml2"])
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            let status = Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "--disable-pip-version-check", "-r"])
                .arg(root().join("tests/saml/requirements.txt"))
                .status()
                .expect("pip");
            assert!(status.success(), "pip install of tests/saml failed");
        }
        assert!(
            std::path::Path::new("/usr/bin/xmlsec1").exists(),
            "the test IdP signs with xmlsec1: apt-get install xmlsec1"
        );
        *done = true;
    }
    python
}

/// A running SAML identity provider; stopped when dropped.
pub struct Idp {
    pub base: String,
    pub metadata_url: String,
    _process: Peer,
}

impl Idp {
    pub fn start() -> Self {
        let (process, started) = spawn_announced(
            Command::new(python()).arg(root().join("tests/saml/idp.py")),
            "the test SAML IdP (tests/saml)",
        );
        Self {
            base: started["base"].as_str().unwrap().to_owned(),
            metadata_url: started["metadata_url"].as_str().unwrap().to_owned(),
            _process: process,
        }
    }
}

/// A SAML connection body for the IdP.
pub fn connection(idp: &Idp, domains: &[&str]) -> Value {
    json!({
        "protocol": "saml",
        "name": "Corp SAML",
        "domains": domains,
        "jit": true,
        "redirect_uri": FRONTEND,
        "saml": {"idp_metadata_url": idp.metadata_url},
    })
}

/// What the IdP's auto-submitting form posts to Tessera's ACS.
#[derive(Clone, Debug)]
pub struct Posted {
    pub action: String,
    pub response: String,
    pub relay_state: Option<String>,
}

impl Posted {
    /// The response's XML.
    pub fn xml(&self) -> String {
        String::from_utf8(STANDARD.decode(&self.response).unwrap()).unwrap()
    }

    /// The same post with another response XML.
    pub fn with_xml(&self, xml: &str) -> Self {
        Self {
            response: STANDARD.encode(xml),
            ..self.clone()
        }
    }
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let rest = html.split(&format!("name=\"{name}\" value=\"")).nth(1)?;
    Some(
        rest.split('"')
            .next()?
            .replace("&amp;", "&")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'"),
    )
}

fn posted(html: &str) -> Posted {
    let action = html
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("a form: {html}"))
        .to_owned();
    Posted {
        action,
        response: hidden(html, "SAMLResponse").unwrap_or_else(|| panic!("a SAMLResponse: {html}")),
        relay_state: hidden(html, "RelayState"),
    }
}

/// Follows an SP-initiated sign-in from `start` (a Tessera URL) to the
/// IdP's login form, signs in there as `username` (with the IdP's test
/// `knobs`), and returns what the IdP would post to the ACS.
pub async fn to_acs(
    browser: &reqwest::Client,
    start: &str,
    username: &str,
    knobs: &[(&str, &str)],
) -> Posted {
    let first = browser.get(start).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::FOUND, "{start}");
    let to_idp = location(start, &first);
    let page = browser.get(&to_idp).send().await.unwrap();
    let html = page.text().await.unwrap();
    let action = html
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("the IdP's login form: {html}"));
    let mut form: Vec<(String, String)> = ["SAMLRequest", "RelayState", "SigAlg", "Signature"]
        .iter()
        .filter_map(|k| hidden(&html, k).map(|v| ((*k).to_owned(), v)))
        .collect();
    form.push(("username".into(), username.into()));
    form.extend(
        knobs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let reply = browser.post(action).form(&form).send().await.unwrap();
    let status = reply.status();
    let html = reply.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "the IdP answered: {html}");
    posted(&html)
}

/// An IdP-initiated response for the connection `connection_id`.
pub async fn initiated(app: &TestApp, idp: &Idp, connection_id: &str, username: &str) -> Posted {
    let sp = app.url(&format!("/sso/saml/{connection_id}/metadata/"));
    let mut url = url::Url::parse(&format!("{}/initiate", idp.base)).unwrap();
    url.query_pairs_mut()
        .append_pair("sp", &sp)
        .append_pair("username", username);
    let reply = reqwest::get(url).await.unwrap();
    let status = reply.status();
    let html = reply.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "the IdP answered: {html}");
    posted(&html)
}

/// Posts to the ACS as the browser would.
pub async fn post(browser: &reqwest::Client, posted: &Posted) -> reqwest::Response {
    let mut form = vec![("SAMLResponse", posted.response.clone())];
    if let Some(relay) = &posted.relay_state {
        form.push(("RelayState", relay.clone()));
    }
    browser
        .post(&posted.action)
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Posts to the ACS: the frontend URL Tessera redirects to.
pub async fn land(browser: &reqwest::Client, posted: &Posted) -> url::Url {
    let reply = post(browser, posted).await;
    assert_eq!(reply.status(), StatusCode::FOUND, "{}", reply.status());
    let to = location(&posted.action, &reply);
    assert!(to.starts_with(FRONTEND), "{to}");
    url::Url::parse(&to).unwrap()
}

/// Signs in through the connection as `username`: the landing.
pub async fn sign_in(app: &TestApp, connection_id: &str, username: &str) -> url::Url {
    let browser = browser();
    let start = app.url(&format!("/sso/login/{connection_id}/"));
    let posted = to_acs(&browser, &start, username, &[]).await;
    land(&browser, &posted).await
}

fn error(landed: &url::Url) -> Option<String> {
    param(landed, "error")
}

async fn setup(jit: bool) -> (TestApp, Idp, String, String) {
    let app = spawn_app().await;
    let idp = Idp::start();
    let owner = app.owner_token().await;
    let mut body = connection(&idp, &["corp.example"]);
    body["jit"] = json!(jit);
    let created = app.create("/sso/connections/", &owner, body).await;
    let id = created["id"].as_str().unwrap().to_owned();
    (app, idp, owner, id)
}

#[actix_web::test]
async fn saml_connections_publish_sp_metadata_and_check_their_fields() {
    let (app, idp, owner, id) = setup(true).await;
    let one = app.get(&format!("/sso/connections/{id}/"), &owner).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    let saml = &one.body["saml"];
    assert_eq!(one.body["protocol"], "saml");
    assert_eq!(one.body["oidc"], Value::Null);
    assert_eq!(saml["idp_entity_id"], idp.metadata_url.as_str());
    assert_eq!(saml["idp_metadata_url"], idp.metadata_url.as_str());
    assert_eq!(saml["name_id_format"], "persistent");
    assert_eq!(saml["attribute_email"], "email");
    assert_eq!(saml["sign_requests"], false);
    assert_eq!(saml["allow_idp_initiated"], false);
    let entity_id = app.url(&format!("/sso/saml/{id}/metadata/"));
    assert_eq!(saml["sp_entity_id"], entity_id.as_str());
    assert_eq!(saml["sp_acs_url"], app.url("/sso/saml/acs/").as_str());
    let certificate = saml["sp_certificate"].as_str().unwrap().to_owned();
    assert!(STANDARD.decode(&certificate).is_ok());

    let metadata = reqwest::get(&entity_id).await.unwrap();
    assert_eq!(metadata.status(), StatusCode::OK);
    assert_eq!(
        metadata.headers()["content-type"],
        "application/samlmetadata+xml"
    );
    let xml = metadata.text().await.unwrap();
    assert!(xml.contains(&format!("entityID=\"{entity_id}\"")), "{xml}");
    assert!(
        xml.contains(&format!("Location=\"{}\"", app.url("/sso/saml/acs/"))),
        "{xml}"
    );
    assert!(xml.contains("use=\"encryption\""), "{xml}");
    assert!(!xml.contains("use=\"signing\""), "{xml}");
    assert!(xml.contains(&certificate), "{xml}");
    assert!(xml.contains("nameid-format:persistent"), "{xml}");

    // Signing requests puts the signing certificate in the metadata.
    let patched = app
        .patch(
            &format!("/sso/connections/{id}/"),
            &owner,
            json!({"saml": {"sign_requests": true, "name_id_format": "email_address"}}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["saml"]["sign_requests"], true);
    assert_eq!(patched.body["saml"]["sp_certificate"], certificate.as_str());
    let xml = reqwest::get(&entity_id)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.contains("use=\"signing\""), "{xml}");
    assert!(xml.contains("AuthnRequestsSigned=\"true\""), "{xml}");
    assert!(xml.contains("nameid-format:emailAddress"), "{xml}");

    // Metadata sent inline replaces the fetched one (and its URL).
    let idp_xml = reqwest::get(&idp.metadata_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let patched = app
        .patch(
            &format!("/sso/connections/{id}/"),
            &owner,
            json!({"saml": {"idp_metadata_xml": idp_xml}}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["saml"]["idp_metadata_url"], Value::Null);

    // Refusals, each naming its field.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let cases = [
        (
            json!({"idp_metadata_xml": idp_xml, "idp_metadata_url": idp.metadata_url}),
            "non_field_errors",
        ),
        (json!({"idp_metadata_xml": "<x/>"}), "idp_metadata_xml"),
        (
            json!({"idp_metadata_xml": idp_xml.replace("use=\"signing\"", "use=\"encryption\"").replace("X509Certificate>", "X509Certificat>")}),
            "idp_metadata_xml",
        ),
        (
            json!({"idp_metadata_url": format!("http://127.0.0.1:{closed}/metadata")}),
            "idp_metadata_url",
        ),
        (
            json!({"idp_metadata_url": "http://idp.example.com/metadata"}),
            "idp_metadata_url",
        ),
        (
            json!({"idp_metadata_url": app.url("/healthz")}),
            "idp_metadata_url",
        ),
        (json!({}), "idp_metadata_xml"),
        (json!({"name_id_format": "transient"}), "name_id_format"),
    ];
    for (saml, field) in cases {
        let mut body = connection(&idp, &["other.example"]);
        body["saml"] = saml.clone();
        let reply = app.post("/sso/connections/", &owner, body).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{saml}: {}",
            reply.body
        );
        assert!(
            reply.body["saml"][field].is_array(),
            "{saml}: {}",
            reply.body
        );
    }
    // Each protocol takes its own settings only.
    let mut body = connection(&idp, &["other.example"]);
    body["oidc"] = json!({"issuer": "https://idp.example.com", "client_id": "x"});
    let reply = app.post("/sso/connections/", &owner, body).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body["oidc"].is_array(), "{}", reply.body);
    let reply = app
        .patch(
            &format!("/sso/connections/{id}/"),
            &owner,
            json!({"oidc": {"client_id": "x"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body["oidc"].is_array(), "{}", reply.body);

    // No metadata for what is not a SAML connection.
    for path in ["/sso/saml/NoSuchConn12/metadata/", "/sso/saml/x/metadata/"] {
        assert_eq!(
            reqwest::get(app.url(path)).await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
    }
    // The trail keeps digests, never the private key.
    let trail = app
        .get(
            "/audit-events/?object_type=sso_connection&length=100",
            &owner,
        )
        .await;
    let text = trail.body.to_string();
    assert!(text.contains("idp_metadata_xml_sha256"), "{text}");
    assert!(!text.contains("PRIVATE KEY"), "{text}");
    assert!(!one.body.to_string().contains("PRIVATE KEY"));
}

#[actix_web::test]
async fn a_new_person_signs_in_with_saml_and_gets_an_account_once() {
    let (app, _idp, owner, connection_id) = setup(true).await;
    let browser = browser();
    let start = app.url("/sso/login/?email=alice@corp.example");
    let first = browser.get(&start).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::FOUND);
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Path=/sso/saml/acs"),
        "{cookie}"
    );
    let to = url::Url::parse(&location(&start, &first)).unwrap();
    assert!(param(&to, "SAMLRequest").is_some(), "{to}");
    assert!(param(&to, "RelayState").is_some(), "{to}");
    assert_eq!(param(&to, "Signature"), None, "{to}");

    let posted = to_acs(&browser, &start, "alice", &[]).await;
    assert_eq!(posted.action, app.url("/sso/saml/acs/"));
    let landed = land(&browser, &posted).await;
    assert_eq!(error(&landed), None, "{landed}");
    let token = exchange(&app, &landed).await;
    let profile = app.get("/profile/", &token).await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.body);
    assert_eq!(profile.body["email"], "alice@corp.example");
    assert_eq!(profile.body["name"], "Alice Liddell");
    assert_eq!(profile.body["source"], "SAML");
    let id = profile.body["id"].as_str().unwrap().to_owned();

    // The same response again: its sign-in is spent, and without one it is
    // an unsolicited response, which this connection refuses.
    let replayed = land(&browser, &posted).await;
    assert_eq!(error(&replayed).as_deref(), Some("invalid_state"));

    // A second sign-in finds the same account, by its NameID.
    let token = exchange(&app, &sign_in(&app, &connection_id, "alice").await).await;
    assert_eq!(app.get("/profile/", &token).await.body["id"], id.as_str());
    let listed = app.get("/users/?search=alice@corp.example", &owner).await;
    assert_eq!(listed.body["count"], 1, "{}", listed.body);

    let trail = app
        .get(
            &format!("/audit-events/?action=auth.sso_login&object_id={id}"),
            &owner,
        )
        .await;
    assert_eq!(trail.body["count"], 2, "{}", trail.body);
    let event = &trail.body["results"][0];
    assert_eq!(event["interface"], "sso", "{event}");
    assert_eq!(event["changes"]["subject"], "saml-alice", "{event}");
    assert_eq!(event["changes"]["protocol"], "saml", "{event}");
    let created = app
        .get(
            &format!("/audit-events/?action=user.created&object_id={id}"),
            &owner,
        )
        .await;
    assert_eq!(created.body["results"][0]["interface"], "sso");
}

#[actix_web::test]
async fn existing_people_are_linked_scim_ones_found_by_nameid_and_others_refused() {
    let (app, _idp, owner, connection_id) = setup(false).await;
    let bob = app
        .create_member(&owner, "bob@corp.example", "VIEWER")
        .await;
    let token = exchange(&app, &sign_in(&app, &connection_id, "bob").await).await;
    let profile = app.get("/profile/", &token).await;
    assert_eq!(profile.body["id"], bob.as_str(), "{}", profile.body);
    assert_eq!(profile.body["source"], "MANUAL");
    // Without JIT, nobody else gets in.
    let refused = sign_in(&app, &connection_id, "carol").await;
    assert_eq!(error(&refused).as_deref(), Some("unknown_user"));
    // Nor anyone outside the connection's domains.
    let refused = sign_in(&app, &connection_id, "olga").await;
    assert_eq!(error(&refused).as_deref(), Some("email_not_verified"));

    // A person the IdP provisioned over SCIM, under another email, with the
    // NameID as its externalId: found by it, not duplicated.
    let provisioned = provision_by_scim(&app, &owner, "a.smith@corp.example", "saml-alice").await;
    let token = exchange(&app, &sign_in(&app, &connection_id, "alice").await).await;
    let profile = app.get("/profile/", &token).await;
    assert_eq!(profile.body["id"], provisioned["id"], "{}", profile.body);
    assert_eq!(profile.body["email"], "a.smith@corp.example");
}

#[actix_web::test]
async fn saml_groups_map_to_roles_and_enforcement_holds() {
    let app = spawn_app().await;
    let idp = Idp::start();
    let owner = app.owner_token().await;
    let team = app.create("/teams/", &owner, json!({"name": "Eng"})).await;
    let team_id = team["id"].as_str().unwrap().to_owned();
    let mut body = connection(&idp, &["corp.example"]);
    body["enforcement"] = json!("required");
    body["group_mapping"] = json!([
        {"group": "engineering", "role": "EMPLOYEE", "team": team_id},
        {"group": "admins", "role": "ADMIN"},
    ]);
    let created = app.create("/sso/connections/", &owner, body).await;
    let connection_id = created["id"].as_str().unwrap().to_owned();
    let token = exchange(&app, &sign_in(&app, &connection_id, "alice").await).await;
    let profile = app.get("/profile/", &token).await;
    let roles = profile.body["user_roles"].to_string();
    assert!(roles.contains("ADMIN"), "{roles}");
    assert!(roles.contains(&team_id), "{roles}");

    // Required: passwords are refused for the domain's people...
    let bob = app
        .create_member(&owner, "bob@corp.example", "EMPLOYEE")
        .await;
    let refused = app
        .try_login("bob@corp.example", crate::helpers::PASSWORD)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(
        refused.body["non_field_errors"][0]
            .as_str()
            .is_some_and(|m| m.contains("/sso/login/")),
        "{}",
        refused.body
    );
    // ...who sign in through SAML (bob is in no group: the default role).
    let token = exchange(&app, &sign_in(&app, &connection_id, "bob").await).await;
    assert_eq!(app.get("/profile/", &token).await.body["id"], bob.as_str());
}

/// An element's XML without its enveloped `Signature`.
fn strip_signature(element: &str) -> String {
    let start = element
        .find("<ns2:Signature")
        .unwrap_or_else(|| panic!("a signed element: {element}"));
    let end = element.find("</ns2:Signature>").unwrap() + "</ns2:Signature>".len();
    format!("{}{}", &element[..start], &element[end..])
}

/// Where the `Assertion` element of a pysaml2 response starts and ends
/// (its prefix for the assertion namespace is `ns1`).
fn assertion_of(xml: &str) -> (usize, usize) {
    let start = xml
        .find("<ns1:Assertion")
        .unwrap_or_else(|| panic!("an assertion in {xml}"));
    let end = xml.rfind("</ns1:Assertion>").unwrap() + "</ns1:Assertion>".len();
    (start, end)
}

#[actix_web::test]
async fn tampered_wrapped_misaddressed_expired_and_replayed_assertions_are_refused() {
    let (app, idp, owner, connection_id) = setup(true).await;
    let start = app.url(&format!("/sso/login/{connection_id}/"));
    app.create_member(&owner, "bob@corp.example", "ADMIN").await;

    // Tampered: the signed assertion's email changed after signing.
    let browser = browser();
    let posted = to_acs(&browser, &start, "alice", &[]).await;
    let xml = posted.xml();
    assert!(xml.contains("alice@corp.example"), "{xml}");
    let tampered = posted.with_xml(&xml.replace("alice@corp.example", "bob@corp.example"));
    let landed = land(&browser, &tampered).await;
    assert_eq!(error(&landed).as_deref(), Some("invalid_token"), "{landed}");

    // Wrapped: only the assertion signed; a forged copy for bob (without a
    // signature) put first, the signed original kept after it, as XML
    // signature wrapping does. Only what the signature covers is read.
    let browser = self::browser();
    let posted = to_acs(&browser, &start, "alice", &[("sign", "assertion")]).await;
    let xml = posted.xml();
    let (from, to) = assertion_of(&xml);
    let original = &xml[from..to];
    let forged = strip_signature(original)
        .replace("saml-alice", "saml-bob")
        .replace("alice@corp.example", "bob@corp.example");
    let wrapped = format!("{}{forged}{}", &xml[..from], &xml[from..]);
    let landed = land(&browser, &posted.with_xml(&wrapped)).await;
    assert_eq!(error(&landed).as_deref(), Some("invalid_token"), "{landed}");
    // The same with the forged copy under an ID of its own (so that the
    // original's signature still verifies): what is read is the signed
    // original only, and alice, not bob, signs in.
    let browser = self::browser();
    let posted = to_acs(&browser, &start, "alice", &[("sign", "assertion")]).await;
    let xml = posted.xml();
    let (from, to) = assertion_of(&xml);
    let forged = strip_signature(&xml[from..to])
        .replacen(" ID=\"", " ID=\"forged-", 1)
        .replace("saml-alice", "saml-bob")
        .replace("alice@corp.example", "bob@corp.example");
    let wrapped = format!("{}{forged}{}", &xml[..from], &xml[from..]);
    let landed = land(&browser, &posted.with_xml(&wrapped)).await;
    assert_eq!(error(&landed), None, "{landed}");
    let token = exchange(&app, &landed).await;
    let profile = app.get("/profile/", &token).await;
    assert_eq!(
        profile.body["email"], "alice@corp.example",
        "{}",
        profile.body
    );

    // Misaddressed: the IdP signs an assertion for another audience (the
    // entity id of another connection), in answer to this sign-in.
    let other = app
        .create(
            "/sso/connections/",
            &owner,
            connection(&idp, &["corp2.example"]),
        )
        .await;
    let other_entity_id = other["saml"]["sp_entity_id"].as_str().unwrap().to_owned();
    let browser = self::browser();
    let posted = to_acs(
        &browser,
        &start,
        "alice",
        &[("audience", other_entity_id.as_str())],
    )
    .await;
    let landed = land(&browser, &posted).await;
    assert_eq!(error(&landed).as_deref(), Some("invalid_token"), "{landed}");

    // Expired: the IdP signs an assertion whose validity ended 30 minutes ago.
    let browser = self::browser();
    let posted = to_acs(&browser, &start, "alice", &[("lifetime", "-30")]).await;
    let landed = land(&browser, &posted).await;
    assert_eq!(error(&landed).as_deref(), Some("invalid_token"), "{landed}");

    // Signed with SHA-1: refused.
    let browser = self::browser();
    let posted = to_acs(&browser, &start, "alice", &[("alg", "sha1")]).await;
    let landed = land(&browser, &posted).await;
    assert_eq!(error(&landed).as_deref(), Some("invalid_token"), "{landed}");

    // From another browser (no binding cookie): refused, and spent.
    let browser = self::browser();
    let posted = to_acs(&browser, &start, "alice", &[]).await;
    let landed = land(&self::browser(), &posted).await;
    assert_eq!(error(&landed).as_deref(), Some("invalid_state"), "{landed}");

    // Nothing of these signed anyone in (but alice, above).
    let logins = app
        .get("/audit-events/?action=auth.sso_login", &owner)
        .await;
    assert_eq!(logins.body["count"], 1, "{}", logins.body);
    let failures = app
        .get(
            "/audit-events/?action=auth.sso_login_failed&length=100",
            &owner,
        )
        .await;
    assert_eq!(failures.body["count"], 6, "{}", failures.body);
    let details: Vec<&str> = failures.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["changes"]["detail"].as_str().unwrap())
        .collect();
    // The tampered, wrapped and SHA-1 ones fail at the signature, the
    // others at their own rule.
    assert_eq!(
        details
            .iter()
            .filter(|d| d.contains("must be signed"))
            .count(),
        3,
        "{details:?}"
    );
    assert!(
        details.iter().any(|d| d.contains("Audience")),
        "{details:?}"
    );
    assert!(details.iter().any(|d| d.contains("expired")), "{details:?}");
}

#[actix_web::test]
async fn unsolicited_responses_need_the_connection_to_allow_them_and_work_once() {
    let (app, idp, owner, connection_id) = setup(true).await;
    let browser = browser();
    // Refused while the connection does not allow IdP-initiated sign-in.
    let posted = initiated(&app, &idp, &connection_id, "alice").await;
    assert_eq!(posted.relay_state, None);
    let landed = land(&browser, &posted).await;
    assert_eq!(error(&landed).as_deref(), Some("invalid_state"), "{landed}");

    let patched = app
        .patch(
            &format!("/sso/connections/{connection_id}/"),
            &owner,
            json!({"saml": {"allow_idp_initiated": true}}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let posted = initiated(&app, &idp, &connection_id, "alice").await;
    let landed = land(&browser, &posted).await;
    assert_eq!(error(&landed), None, "{landed}");
    exchange(&app, &landed).await;
    // The same assertion again: the replay cache refuses it.
    let replayed = land(&self::browser(), &posted).await;
    assert_eq!(
        error(&replayed).as_deref(),
        Some("invalid_token"),
        "{replayed}"
    );
    // A solicited response's sign-in, once spent, is not taken as
    // unsolicited either (it answers a request).
    let start = app.url(&format!("/sso/login/{connection_id}/"));
    let posted = to_acs(&browser, &start, "alice", &[]).await;
    exchange(&app, &land(&browser, &posted).await).await;
    let mut again = posted.clone();
    again.relay_state = None;
    let landed = land(&browser, &again).await;
    assert_eq!(error(&landed).as_deref(), Some("invalid_state"), "{landed}");
    // A response naming no connection of Tessera's: a 400.
    let reply = post(
        &browser,
        &Posted {
            action: app.url("/sso/saml/acs/"),
            response: STANDARD.encode("<x/>"),
            relay_state: None,
        },
    )
    .await;
    assert_eq!(reply.status(), StatusCode::BAD_REQUEST);
    let reply = browser
        .post(app.url("/sso/saml/acs/"))
        .form(&[("RelayState", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::BAD_REQUEST);
    let body: Value = reply.json().await.unwrap();
    assert!(body["SAMLResponse"].is_array(), "{body}");
}

#[actix_web::test]
async fn a_response_for_another_connection_is_refused() {
    let app = spawn_app().await;
    let idp = Idp::start();
    let owner = app.owner_token().await;
    let a = app
        .create(
            "/sso/connections/",
            &owner,
            connection(&idp, &["corp.example"]),
        )
        .await;
    let other = app.second_organization("owner@other.example").await;
    let b = app
        .create(
            "/sso/connections/",
            &other,
            connection(&idp, &["other.example"]),
        )
        .await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    // The victim's sign-in at A is under way...
    let browser = browser();
    let start_a = app.url(&format!("/sso/login/{a}/"));
    let at_a = to_acs(&browser, &start_a, "alice", &[]).await;
    // ...and a response the IdP made for B is posted into it.
    let at_b = to_acs(
        &self::browser(),
        &app.url(&format!("/sso/login/{b}/")),
        "olga",
        &[],
    )
    .await;
    let injected = Posted {
        relay_state: at_a.relay_state.clone(),
        ..at_b
    };
    let landed = land(&browser, &injected).await;
    assert_eq!(error(&landed).as_deref(), Some("invalid_token"), "{landed}");
    let trail = app
        .get("/audit-events/?action=auth.sso_login_failed", &owner)
        .await;
    assert_eq!(trail.body["count"], 1, "{}", trail.body);
}

#[actix_web::test]
async fn encrypted_assertions_and_signed_requests_work() {
    let (app, _idp, owner, connection_id) = setup(true).await;
    let start = app.url(&format!("/sso/login/{connection_id}/"));
    // Encrypted inside a signed response.
    let browser = browser();
    let posted = to_acs(&browser, &start, "alice", &[("encrypt", "1")]).await;
    let xml = posted.xml();
    assert!(xml.contains("EncryptedAssertion"), "{xml}");
    assert!(!xml.contains("alice@corp.example"), "{xml}");
    let landed = land(&browser, &posted).await;
    assert_eq!(error(&landed), None, "{landed}");
    exchange(&app, &landed).await;
    // Encrypted, the response unsigned: the assertion inside is verified
    // (and required to be signed).
    let browser = self::browser();
    let posted = to_acs(
        &browser,
        &start,
        "alice",
        &[("encrypt", "1"), ("sign", "assertion")],
    )
    .await;
    let landed = land(&browser, &posted).await;
    assert_eq!(error(&landed), None, "{landed}");
    // An encrypted assertion not signed itself (only the response, or
    // nothing): refused.
    for sign in ["response", "none"] {
        let browser = self::browser();
        let posted = to_acs(
            &browser,
            &start,
            "alice",
            &[("encrypt", "1"), ("sign", sign)],
        )
        .await;
        let landed = land(&browser, &posted).await;
        assert_eq!(
            error(&landed).as_deref(),
            Some("invalid_token"),
            "{sign}: {landed}"
        );
    }

    // Signed requests: the IdP (which now requires them, from Tessera's
    // metadata) verifies the redirect binding's signature.
    let patched = app
        .patch(
            &format!("/sso/connections/{connection_id}/"),
            &owner,
            json!({"saml": {"sign_requests": true}}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let browser = self::browser();
    let first = browser.get(&start).send().await.unwrap();
    let to = url::Url::parse(&location(&start, &first)).unwrap();
    assert!(param(&to, "Signature").is_some(), "{to}");
    assert!(
        param(&to, "SigAlg").is_some_and(|a| a.contains("sha256")),
        "{to}"
    );
    let posted = to_acs(&browser, &start, "alice", &[]).await;
    let landed = land(&browser, &posted).await;
    assert_eq!(error(&landed), None, "{landed}");
}

#[actix_web::test]
async fn a_person_signs_in_with_saml_in_a_real_browser() {
    let (app, _idp, _owner, _) = setup(true).await;
    let start = app.url("/sso/login/?email=alice@corp.example");
    let landed = sign_in_in_chromium("saml-browser.mjs", &start, "alice").await;
    assert_eq!(error(&landed), None, "{landed}");
    let token = exchange(&app, &landed).await;
    let profile = app.get("/profile/", &token).await;
    assert_eq!(
        profile.body["email"], "alice@corp.example",
        "{}",
        profile.body
    );
    assert_eq!(profile.body["source"], "SAML");
}
