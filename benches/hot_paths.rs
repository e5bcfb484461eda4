//! Micro-benchmarks of the pure-Rust hot paths of an authenticated read:
//! token verification and user JSON serialization (`cargo bench`).

use std::time::Duration;
use tessera::domain::role::{Permission, Tier};

use tessera::api::users::UserView;
use tessera::auth::token::{SigningKey, TokenKeys, generate};
use tessera::db::models::{LabelRow, UserDetail, UserRoleDetail, UserRow};
use tessera::domain::time;
use tessera::domain::token::TokenAlgorithm;

fn main() {
    divan::main();
}

fn user(id: &str) -> UserRow {
    let t = time::now();
    UserRow {
        id: id.into(),
        organization_id: "OrgOrgOrgOrg".into(),
        email: format!("{}@example.com", id.to_lowercase()),
        name: "Gabriela Goncalves".into(),
        title: tessera::domain::user::Title::SecEng,
        active: true,
        is_apiuser: false,
        is_system: false,
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into()),
        token_version: 3,
        mfa_enabled: false,
        mfa_secret: None,
        last_login: Some(t),
        source: tessera::domain::user::Source::Manual,
        kind: Some(tessera::domain::user::Kind::Employee),
        position: Some("Security engineer".into()),
        additional_email_addresses: r#"["g.goncalves@example.org"]"#.into(),
        contract_start_date: Some(t),
        contract_end_date: None,
        created: t,
        changed: t,
        changed_by_id: "SysSysSysSys".into(),
        changed_by_email: "system@example.com".into(),
        changed_by_name: "System".into(),
        external_id: None,
        scim_profile: None,
        scim_user_name: None,
    }
}

/// A typical seeded person: two labels, an account-tier role and a team role.
fn detail(id: &str) -> UserDetail {
    let t = time::now();
    let label = |n: &str| LabelRow {
        id: format!("Label{n:0>7}"),
        organization_id: "OrgOrgOrgOrg".into(),
        name: format!("label {n}"),
        color: "#22aa88".into(),
        created: t,
        changed: t,
        changed_by_id: "SysSysSysSys".into(),
        changed_by_email: "system@example.com".into(),
        changed_by_name: "System".into(),
    };
    let role = |n: &str, tier: Tier, team: bool| UserRoleDetail {
        id: format!("Assign{n:0>6}"),
        user_id: id.into(),
        tier,
        created: t,
        role_id: "MEMBERxxxxxx".into(),
        role_name: "Member".into(),
        role_permissions: [Permission::UsersView, Permission::TargetsView]
            .into_iter()
            .collect(),
        team_id: team.then(|| "TeamTeamTeam".into()),
        team_name: team.then(|| "Platform".into()),
        target_id: None,
        target_name: None,
        starts: None,
        expires: None,
    };
    UserDetail {
        user: user(id),
        labels: vec![label("1"), label("2")],
        roles: vec![role("1", Tier::Account, false), role("2", Tier::Team, true)],
    }
}

/// Token keys with one Ed25519 key (the default algorithm).
fn token_keys() -> TokenKeys {
    let keys = TokenKeys::new(
        "https://id.example.com",
        "tessera",
        Duration::from_secs(3600),
    );
    let generated = generate(TokenAlgorithm::EdDSA).expect("a key");
    keys.replace(vec![
        SigningKey::new(
            "KeyKeyKeyKey",
            TokenAlgorithm::EdDSA,
            &generated.private_der,
            &generated.public_jwk,
            0,
        )
        .expect("a key"),
    ]);
    keys
}

#[divan::bench]
fn token_verify(bencher: divan::Bencher) {
    let keys = token_keys();
    let token = keys.issue(&user("123456789ABC"));
    bencher.bench(|| keys.verify(divan::black_box(&token)).expect("valid"));
}

#[divan::bench]
fn token_verify_rejects_bad_signature(bencher: divan::Bencher) {
    let keys = token_keys();
    let mut token = keys.issue(&user("123456789ABC"));
    token.pop();
    token.push('A');
    bencher.bench(|| keys.verify(divan::black_box(&token)).is_err());
}

/// One user as `GET /users/{id}/` answers it: row to view to JSON bytes.
#[divan::bench]
fn user_json(bencher: divan::Bencher) {
    bencher
        .with_inputs(|| detail("123456789ABC"))
        .bench_values(|d| serde_json::to_vec(&UserView::from(d)).expect("json"));
}

/// A page of 100 users as `GET /users/?length=100` answers it (without the envelope).
#[divan::bench]
fn user_page_json(bencher: divan::Bencher) {
    bencher
        .with_inputs(|| {
            (0..100)
                .map(|i| detail(&format!("{i:0>12}")))
                .collect::<Vec<_>>()
        })
        .bench_values(|page| {
            let views: Vec<UserView> = page.into_iter().map(UserView::from).collect();
            serde_json::to_vec(&views).expect("json")
        });
}
