//! A property test of who may act on whom: random role sets for a caller and
//! a user, a random change, and the real server's answer compared with a
//! small model of API.md's rules written here from the contract, not from
//! the server's code.
//!
//! The model: a permission is held at the organization, a team or a target
//! (target X belongs to team A, target Y to no team). A caller may act on a
//! user only if it holds every permission the user holds, where the user
//! holds it; on top of that each change needs what it always needed
//! (`users.manage` over the user, `roles.grant` and the role's permissions
//! where a role is granted, `users.manage` organization-wide to delete).

use std::collections::BTreeSet;
use std::sync::mpsc;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, PASSWORD, spawn_app};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Org,
    TeamA,
    TeamB,
    /// A target of team A.
    TargetX,
    /// A target of no team.
    TargetY,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Owner,
    Admin,
    Employee,
    Viewer,
    Auditor,
    Billing,
    /// Custom: users.view, users.manage, roles.grant, targets.view.
    Manager,
    /// Custom: users.view, audit.view.
    Watcher,
}

const ALL: [&str; 19] = [
    "users.view",
    "users.manage",
    "roles.grant",
    "owner.grant",
    "labels.manage",
    "teams.manage",
    "roles.manage",
    "targets.view",
    "targets.manage",
    "keys.manage",
    "account.manage",
    "billing.manage",
    "audit.view",
    "access_review.view",
    "webhooks.manage",
    "scim.provision",
    "tokens.introspect",
    "authz.check",
    "sso.manage",
];

/// API.md's table of built-in roles, and the two custom roles of the test.
fn permissions(role: Role) -> Vec<&'static str> {
    match role {
        Role::Owner => ALL.to_vec(),
        Role::Admin => ALL
            .into_iter()
            .filter(|p| !["owner.grant", "billing.manage"].contains(p))
            .collect(),
        Role::Employee | Role::Viewer => vec!["users.view", "targets.view"],
        Role::Auditor => vec![
            "users.view",
            "targets.view",
            "audit.view",
            "access_review.view",
        ],
        Role::Billing => vec!["billing.manage"],
        Role::Manager => vec!["users.view", "users.manage", "roles.grant", "targets.view"],
        Role::Watcher => vec!["users.view", "audit.view"],
    }
}

type Assignment = (Role, Place);

/// (permission, where it is held).
type Held = BTreeSet<(&'static str, Place)>;

fn held(roles: &[Assignment]) -> Held {
    roles
        .iter()
        .flat_map(|(role, place)| permissions(*role).into_iter().map(|p| (p, *place)))
        .collect()
}

/// Whether `caller` holds `p` where `place` is (a team covers its targets,
/// the organization covers everything).
fn can_at(caller: &Held, p: &str, place: Place) -> bool {
    let has = |at: Place| caller.iter().any(|(q, w)| *q == p && *w == at);
    has(Place::Org)
        || match place {
            Place::Org => false,
            Place::TeamA | Place::TeamB | Place::TargetY => has(place),
            Place::TargetX => has(Place::TargetX) || has(Place::TeamA),
        }
}

/// Whether `caller` holds `p` over a user (organization-wide, or at a team
/// the user holds a team-tier role at).
fn can_over(caller: &Held, p: &str, user: &[Assignment]) -> bool {
    can_at(caller, p, Place::Org)
        || user.iter().any(|(_, place)| {
            matches!(place, Place::TeamA | Place::TeamB) && can_at(caller, p, *place)
        })
}

fn anywhere(caller: &Held, p: &str) -> bool {
    caller.iter().any(|(q, _)| *q == p)
}

/// The rule under test.
fn covers(caller: &Held, user: &Held) -> bool {
    user.iter().all(|(p, place)| can_at(caller, p, *place))
}

#[derive(Clone, Copy, Debug)]
enum Change {
    Rename,
    Deactivate,
    SetPassword,
    /// Adds EMPLOYEE at team A to the user's roles.
    JoinTeamA,
    Delete,
    Invite,
}

/// The status the contract gives for `change` by `caller` on `user`.
fn expected(caller: &[Assignment], user: &[Assignment], change: Change) -> u16 {
    let (c, u) = (held(caller), held(user));
    let reach = covers(&c, &u);
    let manages = can_over(&c, "users.manage", user);
    let allowed = match change {
        Change::Rename | Change::Deactivate | Change::SetPassword => manages && reach,
        Change::JoinTeamA => {
            let writes_at_all = anywhere(&c, "users.manage") || anywhere(&c, "roles.grant");
            let already = user.contains(&(Role::Employee, Place::TeamA));
            let grants = already
                || ["roles.grant", "users.view", "targets.view"]
                    .into_iter()
                    .all(|p| can_at(&c, p, Place::TeamA));
            writes_at_all && reach && grants
        }
        Change::Delete => can_at(&c, "users.manage", Place::Org) && reach,
        Change::Invite => manages && reach,
    };
    match (allowed, change) {
        (false, _) => 403,
        (true, Change::Delete) => 204,
        (true, Change::Invite) => 201,
        (true, _) => 200,
    }
}

fn membership() -> impl Strategy<Value = Role> {
    prop::sample::select(vec![
        Role::Owner,
        Role::Admin,
        Role::Employee,
        Role::Viewer,
        Role::Auditor,
    ])
}

fn extra() -> impl Strategy<Value = Assignment> {
    prop::sample::select(vec![
        (Role::Admin, Place::TeamA),
        (Role::Admin, Place::TeamB),
        (Role::Employee, Place::TeamA),
        (Role::Viewer, Place::TeamB),
        (Role::Admin, Place::TargetX),
        (Role::Admin, Place::TargetY),
        (Role::Manager, Place::Org),
        (Role::Manager, Place::TeamA),
        (Role::Manager, Place::TargetX),
        (Role::Watcher, Place::Org),
        (Role::Watcher, Place::TeamB),
        (Role::Billing, Place::Org),
    ])
}

fn roles() -> impl Strategy<Value = Vec<Assignment>> {
    (membership(), prop::collection::btree_set(extra(), 0..=2))
        .prop_map(|(m, extras)| std::iter::once((m, Place::Org)).chain(extras).collect())
}

fn change() -> impl Strategy<Value = Change> {
    prop::sample::select(vec![
        Change::Rename,
        Change::Deactivate,
        Change::SetPassword,
        Change::JoinTeamA,
        Change::Delete,
        Change::Invite,
    ])
}

/// The server, on its own thread and runtime, so that the property test can
/// drive it with a blocking client.
struct Server {
    address: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start() -> Self {
        let (ready, address) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app = spawn_app().await;
                ready.send(app.address.clone()).expect("the test waits");
                let _ = stopped.await;
                drop(app);
            });
        });
        Self {
            address: address.recv().expect("the server starts"),
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The organization the cases run in.
struct World {
    base: String,
    client: Client,
    owner: String,
    team_a: String,
    team_b: String,
    target_x: String,
    target_y: String,
    manager: String,
    watcher: String,
}

impl World {
    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("JWT {token}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    fn create(&self, path: &str, body: Value) -> String {
        let (status, reply) =
            self.call(reqwest::Method::POST, path, &self.owner, Some(body.clone()));
        assert_eq!(status, 201, "{path} {body}: {reply}");
        reply["id"].as_str().unwrap().to_owned()
    }

    fn login(base: &str, client: &Client, email: &str, password: &str) -> String {
        let reply: Value = client
            .post(format!("{base}/auth/obtain/"))
            .json(&json!({"username": email, "password": password}))
            .send()
            .expect("login sent")
            .json()
            .expect("a JSON answer");
        reply["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login of {email}: {reply}"))
            .to_owned()
    }

    fn new(base: String) -> Self {
        let client = Client::new();
        let owner = Self::login(&base, &client, OWNER_EMAIL, OWNER_PASSWORD);
        let mut world = Self {
            base,
            client,
            owner,
            team_a: String::new(),
            team_b: String::new(),
            target_x: String::new(),
            target_y: String::new(),
            manager: String::new(),
            watcher: String::new(),
        };
        world.team_a = world.create("/teams/", json!({"name": "A"}));
        world.team_b = world.create("/teams/", json!({"name": "B"}));
        world.target_x = world.create(
            "/targets/",
            json!({"name": "X", "url": "https://x.example.com", "teams": [world.team_a]}),
        );
        world.target_y = world.create(
            "/targets/",
            json!({"name": "Y", "url": "https://y.example.com"}),
        );
        world.manager = world.create(
            "/roles/",
            json!({"name": "Manager", "permissions": permissions(Role::Manager)}),
        );
        world.watcher = world.create(
            "/roles/",
            json!({"name": "Watcher", "permissions": permissions(Role::Watcher)}),
        );
        world
    }

    fn item(&self, (role, place): Assignment) -> Value {
        let role = match role {
            Role::Manager => json!(self.manager),
            Role::Watcher => json!(self.watcher),
            builtin => json!(format!("{builtin:?}").to_uppercase()),
        };
        match place {
            Place::Org => json!({"role": role, "scope": {"tier": "account"}}),
            Place::TeamA => json!({"role": role, "scope": {"tier": "team"}, "team": self.team_a}),
            Place::TeamB => json!({"role": role, "scope": {"tier": "team"}, "team": self.team_b}),
            Place::TargetX => {
                json!({"role": role, "scope": {"tier": "scope"}, "target": self.target_x})
            }
            Place::TargetY => {
                json!({"role": role, "scope": {"tier": "scope"}, "target": self.target_y})
            }
        }
    }

    fn items(&self, roles: &[Assignment]) -> Value {
        Value::Array(roles.iter().map(|a| self.item(*a)).collect())
    }

    /// Runs one case; the status the server answered.
    fn run(
        &self,
        n: usize,
        caller: &[Assignment],
        user: &[Assignment],
        change: Change,
    ) -> Result<u16, String> {
        let caller_email = format!("caller{n}@example.com");
        self.create(
            "/users/",
            json!({"email": caller_email, "name": format!("Caller {n}"), "password": PASSWORD,
                   "user_roles": self.items(caller)}),
        );
        let token = Self::login(&self.base, &self.client, &caller_email, PASSWORD);
        let user_id = self.create(
            "/users/",
            json!({"email": format!("user{n}@example.com"), "name": format!("User {n}"),
                   "user_roles": self.items(user)}),
        );
        let path = format!("/users/{user_id}/");
        let before = self.call(reqwest::Method::GET, &path, &self.owner, None);
        use reqwest::Method;
        let (status, body) = match change {
            Change::Rename => self.call(
                Method::PATCH,
                &path,
                &token,
                Some(json!({"position": "Renamed"})),
            ),
            Change::Deactivate => {
                self.call(Method::PATCH, &path, &token, Some(json!({"active": false})))
            }
            Change::SetPassword => self.call(
                Method::PATCH,
                &path,
                &token,
                Some(json!({"password": "set-by-another-9"})),
            ),
            Change::JoinTeamA => {
                let mut after = user.to_vec();
                if !after.contains(&(Role::Employee, Place::TeamA)) {
                    after.push((Role::Employee, Place::TeamA));
                }
                self.call(
                    Method::PATCH,
                    &path,
                    &token,
                    Some(json!({"user_roles": self.items(&after)})),
                )
            }
            Change::Delete => self.call(Method::DELETE, &path, &token, None),
            Change::Invite => self.call(
                Method::POST,
                "/invitations/",
                &token,
                Some(json!({"user": user_id})),
            ),
        };
        if status == 403 {
            let after = self.call(Method::GET, &path, &self.owner, None);
            if after != before {
                return Err(format!(
                    "a refused change changed the user: {before:?} -> {after:?}"
                ));
            }
        }
        if !matches!(status, 200 | 201 | 204 | 403) {
            return Err(format!("unexpected answer {status}: {body}"));
        }
        Ok(status)
    }
}

#[test]
fn who_may_act_on_whom_matches_the_model() {
    let server = Server::start();
    let world = World::new(server.address.clone());
    let config = Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    };
    // A fixed seed: the same cases on every run, so CI is repeatable.
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let counter = std::cell::Cell::new(0);
    let refused = std::cell::Cell::new(0);
    let result = runner.run(&(roles(), roles(), change()), |(caller, user, change)| {
        counter.set(counter.get() + 1);
        let want = expected(&caller, &user, change);
        refused.set(refused.get() + usize::from(want == 403));
        let got = world
            .run(counter.get(), &caller, &user, change)
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(
            got,
            want,
            "caller {:?} doing {:?} on {:?}",
            caller,
            change,
            user
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The cases must exercise both sides of the rule.
    let (cases, refused) = (counter.get(), refused.get());
    assert!(
        refused > cases / 5 && refused < cases * 4 / 5,
        "{refused} of {cases} cases refused: the generator is lopsided"
    );
}

#[test]
fn the_model_agrees_with_the_contracts_examples() {
    use Place::*;
    use Role::*;
    let jane = [(Viewer, Org), (Admin, TeamA)];
    let boss = [(Admin, Org)];
    let member = [(Employee, Org), (Employee, TeamA)];
    assert_eq!(expected(&jane, &boss, Change::Rename), 403);
    assert_eq!(expected(&jane, &boss, Change::JoinTeamA), 403);
    assert_eq!(expected(&jane, &member, Change::Rename), 200);
    assert_eq!(expected(&jane, &member, Change::Delete), 403);
    assert_eq!(expected(&boss, &boss, Change::SetPassword), 200);
    assert_eq!(
        expected(&[(Owner, Org)], &[(Owner, Org)], Change::Delete),
        204
    );
    assert_eq!(
        expected(&boss, &[(Employee, Org), (Billing, Org)], Change::Rename),
        403
    );
    let manager = [(Viewer, Org), (Manager, Org)];
    assert_eq!(expected(&manager, &boss, Change::SetPassword), 403);
    assert_eq!(
        expected(&manager, &[(Viewer, Org)], Change::SetPassword),
        200
    );
}

/// One probe of `/authz/check/`: a permission at a place, and the real
/// request that needs exactly it there.
struct Probe {
    permission: &'static str,
    place: Place,
    method: reqwest::Method,
    path: String,
    body: Option<Value>,
}

impl World {
    fn probes(&self) -> Vec<Probe> {
        use reqwest::Method;
        let probe = |permission, place, method, path: String, body| Probe {
            permission,
            place,
            method,
            path,
            body,
        };
        vec![
            probe(
                "access_review.view",
                Place::Org,
                Method::GET,
                "/access-review/".into(),
                None,
            ),
            probe(
                "audit.view",
                Place::Org,
                Method::GET,
                "/audit-events/".into(),
                None,
            ),
            probe(
                "webhooks.manage",
                Place::Org,
                Method::GET,
                "/webhooks/".into(),
                None,
            ),
            probe(
                "targets.view",
                Place::TargetX,
                Method::GET,
                format!("/targets/{}/", self.target_x),
                None,
            ),
            probe(
                "targets.view",
                Place::TargetY,
                Method::GET,
                format!("/targets/{}/", self.target_y),
                None,
            ),
            probe(
                "targets.manage",
                Place::TargetX,
                Method::PATCH,
                format!("/targets/{}/", self.target_x),
                Some(json!({"name": "X"})),
            ),
            probe(
                "targets.manage",
                Place::TargetY,
                Method::PATCH,
                format!("/targets/{}/", self.target_y),
                Some(json!({"name": "Y"})),
            ),
            probe(
                "teams.manage",
                Place::TeamA,
                Method::PATCH,
                format!("/teams/{}/", self.team_a),
                Some(json!({"name": "A"})),
            ),
            probe(
                "teams.manage",
                Place::TeamB,
                Method::PATCH,
                format!("/teams/{}/", self.team_b),
                Some(json!({"name": "B"})),
            ),
        ]
    }

    fn check_item(&self, probe: &Probe) -> Value {
        match probe.place {
            Place::Org => json!({"permission": probe.permission}),
            Place::TeamA => json!({"permission": probe.permission, "team": self.team_a}),
            Place::TeamB => json!({"permission": probe.permission, "team": self.team_b}),
            Place::TargetX => json!({"permission": probe.permission, "target": self.target_x}),
            Place::TargetY => json!({"permission": probe.permission, "target": self.target_y}),
        }
    }

    /// Whether `/authz/who/` lists `user` for `probe`.
    fn who_lists(&self, probe: &Probe, user: &str) -> Result<bool, String> {
        let item = self.check_item(probe);
        let mut path = format!("/authz/who/?permission={}&length=100", probe.permission);
        for key in ["team", "target"] {
            if let Some(id) = item[key].as_str() {
                path.push_str(&format!("&{key}={id}"));
            }
        }
        let (status, body) = self.call(reqwest::Method::GET, &path, &self.owner, None);
        if status != 200 || body["page_total"].as_i64() != Some(1) {
            return Err(format!("who {path}: {status} {body}"));
        }
        Ok(body["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["user"]["id"] == user))
    }

    /// Runs one case: (the check's answers, the real answers, who's answers).
    #[allow(clippy::type_complexity)]
    fn run_checks(
        &self,
        n: usize,
        roles: &[Assignment],
    ) -> Result<(Vec<bool>, Vec<bool>, Vec<bool>), String> {
        let email = format!("checked{n}@example.com");
        let id = self.create(
            "/users/",
            json!({"email": email, "name": format!("Checked {n}"), "password": PASSWORD,
                   "user_roles": self.items(roles)}),
        );
        let token = Self::login(&self.base, &self.client, &email, PASSWORD);
        let probes = self.probes();
        let checks: Vec<Value> = probes.iter().map(|p| self.check_item(p)).collect();
        // As a presented token half of the time, by id otherwise.
        let subject = if n.is_multiple_of(2) {
            json!(id)
        } else {
            json!({"token": token})
        };
        let (status, body) = self.call(
            reqwest::Method::POST,
            "/authz/check/",
            &self.owner,
            Some(json!({"subject": subject, "checks": checks})),
        );
        if status != 200 {
            return Err(format!("check: {status} {body}"));
        }
        let mut checked = Vec::new();
        for result in body["results"].as_array().unwrap() {
            let allowed = result["allowed"] == true;
            if allowed == result["via"].as_array().unwrap().is_empty() {
                return Err(format!("allowed and via disagree: {result}"));
            }
            checked.push(allowed);
        }
        let mut real = Vec::new();
        let mut who = Vec::new();
        for probe in &probes {
            let (status, body) = self.call(
                probe.method.clone(),
                &probe.path,
                &token,
                probe.body.clone(),
            );
            match status {
                200 => real.push(true),
                403 => real.push(false),
                other => return Err(format!("{} {}: {other} {body}", probe.method, probe.path)),
            }
            who.push(self.who_lists(probe, &id)?);
        }
        Ok((checked, real, who))
    }
}

#[test]
fn permission_checks_agree_with_real_answers() {
    let server = Server::start();
    let world = World::new(server.address.clone());
    let config = Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let counter = std::cell::Cell::new(0);
    let (allowed, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let result = runner.run(&roles(), |roles| {
        counter.set(counter.get() + 1);
        let (checked, real, who) = world
            .run_checks(counter.get(), &roles)
            .map_err(TestCaseError::fail)?;
        let yes = real.iter().filter(|a| **a).count();
        allowed.set(allowed.get() + yes);
        refused.set(refused.get() + real.len() - yes);
        prop_assert_eq!(&checked, &real, "check vs real answers for {:?}", roles);
        prop_assert_eq!(&who, &real, "who vs real answers for {:?}", roles);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Both answers must be exercised.
    let (allowed, refused) = (allowed.get(), refused.get());
    assert!(
        allowed > 20 && refused > 20,
        "{allowed} allowed, {refused} refused: the generator is lopsided"
    );
}
