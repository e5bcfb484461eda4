//! Development seeding: fills one organization with realistic random labels,
//! teams, targets and people, fast (large transactions, multi-row inserts).
//!
//! Every seeded person with a password shares one argon2 hash of
//! [`SEED_PASSWORD`], computed once, so seeding 100k people takes seconds.

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::db::models::{NewLabel, NewTarget, NewTeam, OrganizationRow, UserRow};
use crate::db::schema::{
    labels, organizations, target_teams, targets, teams, user_labels, user_roles, users,
};
use crate::db::{self, DbConnection};
use crate::domain::role::{BuiltinRole, Tier};
use crate::domain::time;
use crate::domain::user::{Kind, Source, Title};

/// The password of every seeded person who has one.
pub const SEED_PASSWORD: &str = "seed-pass-1";

/// People written per transaction.
const USERS_PER_TRANSACTION: usize = 5_000;

/// Bind parameters per statement: below SQLite's 32766 (and PostgreSQL's 65535).
const MAX_BIND_PARAMS: usize = 32_000;

#[derive(Clone, Debug)]
pub struct SeedOptions {
    pub users: usize,
    pub labels: usize,
    pub teams: usize,
    pub targets: usize,
    /// The organization to fill; the first one (by creation time) when `None`.
    pub organization_id: Option<String>,
}

impl Default for SeedOptions {
    fn default() -> Self {
        Self {
            users: 1000,
            labels: 20,
            teams: 10,
            targets: 20,
            organization_id: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct SeedReport {
    pub organization_id: String,
    pub organization_name: String,
    pub users: usize,
    pub inactive: usize,
    pub pending: usize,
    pub labels: usize,
    pub teams: usize,
    pub targets: usize,
    pub target_teams: usize,
    pub user_labels: usize,
    /// Every role assignment written (one account-tier role per person, plus
    /// the team- and scope-tier ones).
    pub user_roles: usize,
    pub elapsed: Duration,
    pub password: &'static str,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Seeded organization {:?} ({}) in {:.2} s: {} people ({} inactive, {} pending \
             without password), {} labels, {} teams, {} targets ({} target-team links), \
             {} label assignments, {} role assignments. People with a password log in with \
             password {:?}.",
            self.organization_name,
            self.organization_id,
            self.elapsed.as_secs_f64(),
            self.users,
            self.inactive,
            self.pending,
            self.labels,
            self.teams,
            self.targets,
            self.target_teams,
            self.user_labels,
            self.user_roles,
            self.password,
        )
    }
}

/// `users` with `None` written as NULL (not DEFAULT), so that SQLite takes
/// the rows in one multi-row statement.
#[derive(Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
struct SeedUser {
    id: String,
    organization_id: String,
    email: String,
    name: String,
    title: String,
    active: bool,
    is_apiuser: bool,
    is_system: bool,
    password_hash: Option<String>,
    source: String,
    kind: Option<String>,
    position: Option<String>,
    additional_email_addresses: String,
    contract_start_date: Option<NaiveDateTime>,
    contract_end_date: Option<NaiveDateTime>,
    last_login: Option<NaiveDateTime>,
    created: NaiveDateTime,
    changed: NaiveDateTime,
    changed_by_id: String,
    changed_by_email: String,
    changed_by_name: String,
    name_key: String,
    email_key: String,
}

#[derive(Insertable)]
#[diesel(table_name = user_roles, treat_none_as_default_value = false)]
struct SeedUserRole {
    id: String,
    user_id: String,
    role_id: &'static str,
    tier: &'static str,
    team_id: Option<String>,
    target_id: Option<String>,
    created: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = user_labels)]
struct SeedUserLabel {
    user_id: String,
    label_id: String,
}

#[derive(Insertable)]
#[diesel(table_name = target_teams)]
struct SeedTargetTeam {
    target_id: String,
    team_id: String,
}

/// Inserts `rows` in multi-row statements on the concrete connection (a
/// multi-row insert does not compile through the `DbConnection` enum),
/// chunked below the bind-parameter limit.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr, $columns:expr) => {{
        let per_statement = (MAX_BIND_PARAMS / $columns).max(1);
        for chunk in $rows.chunks(per_statement) {
            match &mut *$conn {
                DbConnection::Sqlite(c) => diesel::insert_into($table).values(chunk).execute(c)?,
                DbConnection::Postgresql(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)?
                }
            };
        }
    }};
}

const FIRST_NAMES: &[&str] = &[
    "Ana", "Bruno", "Carla", "Diogo", "Eva", "Filipe", "Gabriela", "Hugo", "Ines", "Joao", "Katia",
    "Luis", "Marta", "Nuno", "Olga", "Pedro", "Rita", "Sofia", "Tiago", "Vera", "Alice", "Bob",
    "Chen", "Dmitri", "Emma", "Fatima", "George", "Hana", "Ivan", "Julia", "Kenji", "Leila",
    "Mohammed", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Samuel", "Yuki",
];
const LAST_NAMES: &[&str] = &[
    "Silva",
    "Santos",
    "Ferreira",
    "Pereira",
    "Oliveira",
    "Costa",
    "Rodrigues",
    "Martins",
    "Sousa",
    "Fernandes",
    "Goncalves",
    "Gomes",
    "Lopes",
    "Marques",
    "Alves",
    "Almeida",
    "Ribeiro",
    "Pinto",
    "Carvalho",
    "Teixeira",
    "Smith",
    "Johnson",
    "Garcia",
    "Muller",
    "Rossi",
    "Nakamura",
    "Kowalski",
    "Novak",
    "Andersen",
    "Dubois",
    "O'Brien",
    "Van der Berg",
    "Papadopoulos",
    "Nguyen",
    "Kim",
];
const POSITIONS: &[&str] = &[
    "Software Engineer",
    "Senior Software Engineer",
    "Security Engineer",
    "Site Reliability Engineer",
    "Engineering Manager",
    "Product Manager",
    "QA Analyst",
    "Compliance Officer",
    "Data Scientist",
    "IT Support",
    "Designer",
    "Sales Representative",
];
const LABEL_WORDS: &[&str] = &[
    "Backend",
    "Frontend",
    "Mobile",
    "Security",
    "Compliance",
    "Finance",
    "Remote",
    "On-call",
    "Onboarding",
    "Contractor",
    "Lisbon",
    "Porto",
    "Berlin",
    "London",
    "New York",
    "Tokyo",
    "SOC2",
    "ISO 27001",
    "PCI",
    "Leadership",
    "Interns",
    "Support",
    "Infra",
    "Data",
];
const TEAM_WORDS: &[&str] = &[
    "Platform",
    "Payments",
    "Identity",
    "Growth",
    "Mobile",
    "Web",
    "Infrastructure",
    "Security",
    "Data",
    "Support",
    "Billing",
    "Search",
    "Reliability",
    "Integrations",
    "Core",
];
const TARGET_WORDS: &[&str] = &[
    "api",
    "app",
    "admin",
    "auth",
    "billing",
    "cdn",
    "checkout",
    "docs",
    "portal",
    "shop",
    "status",
    "support",
    "dashboard",
    "files",
    "mail",
    "search",
];

const ID_ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// A 12-character Base58 id like `PublicId::random`, from the seeding RNG
/// (itself seeded from the OS) rather than one OS call per character.
fn new_id(rng: &mut StdRng) -> String {
    (0..crate::domain::id::ID_LEN)
        .map(|_| ID_ALPHABET[rng.gen_range(0..ID_ALPHABET.len())] as char)
        .collect()
}

/// A time in the last two years, to the microsecond.
fn past_time(rng: &mut StdRng, now: NaiveDateTime) -> NaiveDateTime {
    now - TimeDelta::microseconds(rng.gen_range(0..730 * 86_400 * 1_000_000_i64))
}

/// A time between `from` and `now`.
fn later_time(rng: &mut StdRng, from: NaiveDateTime, now: NaiveDateTime) -> NaiveDateTime {
    let span = (now - from).num_microseconds().unwrap_or(0).max(0);
    from + TimeDelta::microseconds(rng.gen_range(0..=span))
}

fn pick_organization(
    conn: &mut DbConnection,
    organization_id: Option<&str>,
) -> anyhow::Result<OrganizationRow> {
    match organization_id {
        Some(id) => db::orgs::find(conn, id)
            .optional()?
            .with_context(|| format!("no organization with id {id:?}")),
        None => match organizations::table
            .order((organizations::created.asc(), organizations::id.asc()))
            .select(OrganizationRow::as_select())
            .first(conn)
            .optional()?
        {
            Some(org) => Ok(org),
            None => bail!("no organization to seed: create one first with `tessera bootstrap`"),
        },
    }
}

fn count_rows(conn: &mut DbConnection, organization_id: &str) -> anyhow::Result<(i64, i64)> {
    let people = users::table
        .filter(users::organization_id.eq(organization_id))
        .count()
        .get_result(conn)?;
    let labels = labels::table
        .filter(labels::organization_id.eq(organization_id))
        .count()
        .get_result(conn)?;
    Ok((people, labels))
}

/// Fills an organization with random data; see the module documentation.
pub fn seed(conn: &mut DbConnection, options: &SeedOptions) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    let org = pick_organization(conn, options.organization_id.as_deref())?;
    let system: UserRow = db::users::system_actor(conn, &org.id)
        .optional()?
        .with_context(|| format!("organization {} has no System actor", org.id))?;
    // Numbering continues after what is there, so seeding twice stays unique.
    let (existing_people, existing_labels) = count_rows(conn, &org.id)?;

    let salt = SaltString::generate(&mut OsRng);
    let password_hash = argon2::Argon2::default()
        .hash_password(SEED_PASSWORD.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
        .to_string();

    let mut rng = StdRng::from_entropy();
    let now = time::now();
    let mut report = SeedReport {
        organization_id: org.id.clone(),
        organization_name: org.name.clone(),
        users: 0,
        inactive: 0,
        pending: 0,
        labels: options.labels,
        teams: options.teams,
        targets: options.targets,
        target_teams: 0,
        user_labels: 0,
        user_roles: 0,
        elapsed: Duration::ZERO,
        password: SEED_PASSWORD,
    };

    // Labels, teams and targets, with the targets' teams, in one transaction.
    let by = |rng: &mut StdRng| {
        let created = past_time(rng, now);
        (created, later_time(rng, created, now))
    };
    let new_labels: Vec<NewLabel> = (0..options.labels)
        .map(|i| {
            let (created, changed) = by(&mut rng);
            NewLabel {
                id: new_id(&mut rng),
                organization_id: org.id.clone(),
                name: format!(
                    "{} {}",
                    LABEL_WORDS[i % LABEL_WORDS.len()],
                    existing_labels + i as i64 + 1
                ),
                color: format!("#{:06X}", rng.gen_range(0..0x100_0000)),
                created,
                changed,
                changed_by_id: system.id.clone(),
                changed_by_email: system.email.clone(),
                changed_by_name: system.name.clone(),
            }
        })
        .collect();
    let new_teams: Vec<NewTeam> = (0..options.teams)
        .map(|i| {
            let (created, changed) = by(&mut rng);
            let word = TEAM_WORDS[i % TEAM_WORDS.len()];
            let round = i / TEAM_WORDS.len();
            NewTeam {
                external_id: None,
                id: new_id(&mut rng),
                organization_id: org.id.clone(),
                name: if round == 0 {
                    word.to_owned()
                } else {
                    format!("{word} {}", round + 1)
                },
                description: format!("The {word} team."),
                created,
                changed,
                changed_by_id: system.id.clone(),
                changed_by_email: system.email.clone(),
                changed_by_name: system.name.clone(),
            }
        })
        .collect();
    let new_targets: Vec<NewTarget> = (0..options.targets)
        .map(|i| {
            let (created, changed) = by(&mut rng);
            let word = TARGET_WORDS[i % TARGET_WORDS.len()];
            let host = format!("{word}{}", i / TARGET_WORDS.len() + 1);
            NewTarget {
                id: new_id(&mut rng),
                organization_id: org.id.clone(),
                name: format!("{host}.example.com"),
                url: format!("https://{host}.example.com/"),
                created,
                changed,
                changed_by_id: system.id.clone(),
                changed_by_email: system.email.clone(),
                changed_by_name: system.name.clone(),
            }
        })
        .collect();
    let mut links = Vec::new();
    if !new_teams.is_empty() {
        for target in &new_targets {
            let how_many = rng.gen_range(1..=2).min(new_teams.len());
            for team in new_teams.choose_multiple(&mut rng, how_many) {
                links.push(SeedTargetTeam {
                    target_id: target.id.clone(),
                    team_id: team.id.clone(),
                });
            }
        }
    }
    report.target_teams = links.len();
    conn.transaction(|conn| -> anyhow::Result<()> {
        insert_rows!(conn, labels::table, new_labels, 9);
        insert_rows!(conn, teams::table, new_teams, 9);
        insert_rows!(conn, targets::table, new_targets, 9);
        insert_rows!(conn, target_teams::table, links, 2);
        Ok(())
    })?;

    let label_ids: Vec<&str> = new_labels.iter().map(|l| l.id.as_str()).collect();
    let team_ids: Vec<&str> = new_teams.iter().map(|t| t.id.as_str()).collect();
    let target_ids: Vec<&str> = new_targets.iter().map(|t| t.id.as_str()).collect();
    let titles: Vec<&str> = Title::ALL.iter().map(|t| t.as_str()).collect();

    let mut next = 0usize;
    while next < options.users {
        let batch = USERS_PER_TRANSACTION.min(options.users - next);
        let mut people = Vec::with_capacity(batch);
        let mut roles = Vec::with_capacity(batch + batch / 3);
        let mut user_labels = Vec::with_capacity(batch * 2);
        for i in next..next + batch {
            let number = existing_people as usize + i + 1;
            let first = FIRST_NAMES.choose(&mut rng).expect("names");
            let last = LAST_NAMES.choose(&mut rng).expect("names");
            let local: String = format!("{first}.{last}")
                .to_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            let id = new_id(&mut rng);
            let created = past_time(&mut rng, now);
            let changed = later_time(&mut rng, created, now);
            let active = !rng.gen_bool(0.10);
            let has_password = !rng.gen_bool(0.20);
            let kind = match rng.gen_range(0..10) {
                0..=6 => Some(Kind::Employee),
                7..=8 => Some(Kind::Contractor),
                _ => None,
            };
            let (contract_start_date, contract_end_date) = if kind == Some(Kind::Contractor) {
                let start = past_time(&mut rng, now);
                (
                    Some(start),
                    Some(start + TimeDelta::days(rng.gen_range(90..730))),
                )
            } else {
                (None, None)
            };
            report.inactive += usize::from(!active);
            report.pending += usize::from(!has_password);
            let (email, name) = (
                format!("{local}.{number}@example.com"),
                format!("{first} {last}"),
            );
            people.push(SeedUser {
                id: id.clone(),
                organization_id: org.id.clone(),
                name_key: crate::db::users::sort_key(&name),
                email_key: crate::db::users::sort_key(&email),
                email,
                name,
                title: titles.choose(&mut rng).expect("titles").to_string(),
                active,
                is_apiuser: false,
                is_system: false,
                password_hash: has_password.then(|| password_hash.clone()),
                source: Source::Manual.as_str().to_owned(),
                kind: kind.map(|k| k.as_str().to_owned()),
                position: rng
                    .gen_bool(0.8)
                    .then(|| POSITIONS.choose(&mut rng).expect("positions").to_string()),
                additional_email_addresses: "[]".to_owned(),
                contract_start_date,
                contract_end_date,
                last_login: (has_password && rng.gen_bool(0.7))
                    .then(|| later_time(&mut rng, created, now)),
                created,
                changed,
                changed_by_id: system.id.clone(),
                changed_by_email: system.email.clone(),
                changed_by_name: system.name.clone(),
            });
            let membership = match rng.gen_range(0..100) {
                0..=69 => BuiltinRole::Employee,
                70..=84 => BuiltinRole::Viewer,
                85..=92 => BuiltinRole::Auditor,
                _ => BuiltinRole::Admin,
            };
            roles.push(SeedUserRole {
                id: new_id(&mut rng),
                user_id: id.clone(),
                role_id: membership.id(),
                tier: Tier::Account.as_str(),
                team_id: None,
                target_id: None,
                created,
            });
            if rng.gen_bool(0.30) {
                let role = [
                    BuiltinRole::Employee,
                    BuiltinRole::Viewer,
                    BuiltinRole::Admin,
                ]
                .choose(&mut rng)
                .copied()
                .expect("roles");
                let team = (!team_ids.is_empty() && (target_ids.is_empty() || rng.gen_bool(0.5)))
                    .then(|| team_ids.choose(&mut rng).expect("teams").to_string());
                let target = if team.is_none() {
                    target_ids.choose(&mut rng).map(|t| t.to_string())
                } else {
                    None
                };
                if team.is_some() || target.is_some() {
                    roles.push(SeedUserRole {
                        id: new_id(&mut rng),
                        user_id: id.clone(),
                        role_id: role.id(),
                        tier: if team.is_some() {
                            Tier::Team.as_str()
                        } else {
                            Tier::Scope.as_str()
                        },
                        team_id: team,
                        target_id: target,
                        created: changed,
                    });
                }
            }
            let how_many = rng.gen_range(0..=3).min(label_ids.len());
            for label in label_ids.choose_multiple(&mut rng, how_many) {
                user_labels.push(SeedUserLabel {
                    user_id: id.clone(),
                    label_id: label.to_string(),
                });
            }
        }
        conn.transaction(|conn| -> anyhow::Result<()> {
            insert_rows!(conn, users::table, people, 23);
            insert_rows!(conn, user_roles::table, roles, 7);
            insert_rows!(conn, user_labels::table, user_labels, 2);
            Ok(())
        })?;
        report.users += people.len();
        report.user_roles += roles.len();
        report.user_labels += user_labels.len();
        next += batch;
    }
    // What the scheduler would do in time: one count row per kind.
    crate::db::users::counts::fold_all(conn)?;
    // After a bulk load, what autovacuum would do in time (and never does
    // where it is off): planner statistics, without which both planners
    // guess a handful of rows per organization and probe every user; on
    // PostgreSQL also the visibility map (index-only scans) and the trigram
    // indexes' pending lists, which every search would otherwise scan.
    conn.batch_execute(match conn {
        DbConnection::Postgresql(_) => "VACUUM ANALYZE",
        DbConnection::Sqlite(_) => "ANALYZE",
    })?;
    report.elapsed = started.elapsed();
    Ok(report)
}
