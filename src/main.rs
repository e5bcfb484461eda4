//! The `tessera` command: serve (default), migrate, openapi, bootstrap, seed,
//! rotate-encryption-key, signing-keys, export, import, backup.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use diesel::Connection;
use tessera::config::{SecretSetting, Settings};
use tessera::db::{self, DatabaseUrl};
use tessera::domain::user::{Email, Password, PasswordOwner};
use tessera::service::audit::RequestContext;
use tessera::startup::{self, Application};
use tessera::{openapi, service, telemetry};

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "Self-hostable user and access-management service"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Create another organization and its OWNER.
    Bootstrap {
        /// Name of the new organization.
        #[arg(long)]
        org: String,
        /// Email of its OWNER.
        #[arg(long)]
        email: String,
        /// The OWNER's password (generated and printed once when omitted).
        #[arg(long)]
        password: Option<String>,
    },
    /// Fill an organization with random development data (labels, teams,
    /// targets, people); every seeded password is `seed-pass-1`.
    Seed {
        /// People to create.
        #[arg(long, default_value_t = 1000)]
        users: usize,
        /// Labels to create.
        #[arg(long, default_value_t = 20)]
        labels: usize,
        /// Teams to create.
        #[arg(long, default_value_t = 10)]
        teams: usize,
        /// Targets to create (each in one or two teams).
        #[arg(long, default_value_t = 20)]
        targets: usize,
        /// Id of the organization to fill (default: the first one created).
        #[arg(long)]
        org: Option<String>,
    },
    /// Re-encrypt every secret stored in the database (TOTP secrets, webhook
    /// secrets, a generated token-signing key) from the current encryption
    /// key (TESSERA_ENCRYPTION_KEY, or on SQLite the key file beside the
    /// database) to a new one, in one transaction. Stop Tessera first.
    RotateEncryptionKey {
        /// The new key: 32 bytes as 64 hex characters or base64. Prefer the
        /// environment variable (a flag shows in the process list). Optional
        /// with a key file: a new key is generated and written to the file.
        #[arg(long, env = "TESSERA_NEW_ENCRYPTION_KEY", hide_env_values = true)]
        new_key: Option<SecretSetting>,
    },
    /// Write one organization to a file that `tessera import` reads into
    /// another deployment (for instance from SQLite to PostgreSQL): every
    /// row it owns, ids, password hashes and audit trail included, from one
    /// consistent snapshot (safe while Tessera runs). The file holds the
    /// organization's secrets unencrypted (TOTP and webhook secrets, SSO
    /// client secrets): it is created with mode 0600; delete it once imported.
    Export {
        /// Id of the organization.
        #[arg(long)]
        organization: String,
        /// File to create (it must not exist); standard output when omitted
        /// (never a terminal).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Read an organization written by `tessera export` into this
    /// deployment, sealing its secrets with this deployment's key, in one
    /// transaction: all of it or nothing. Refuses an organization, a user id
    /// or an e-mail address this deployment already has.
    Import {
        /// File to read; standard input when omitted.
        #[arg(long)]
        input: Option<PathBuf>,
    },
    /// Copy a SQLite database to a new file (`VACUUM INTO`): consistent and
    /// safe while Tessera runs. The copy has no encryption key: keep the key
    /// file (or TESSERA_ENCRYPTION_KEY) apart. PostgreSQL: use pg_dump.
    Backup {
        /// File to create (mode 0600; it must not exist).
        #[arg(long)]
        output: PathBuf,
    },
    /// Token-signing keys.
    SigningKeys {
        #[command(subcommand)]
        command: SigningKeysCommand,
    },
}

#[derive(Subcommand)]
enum SigningKeysCommand {
    /// Adds the next signing key (TESSERA_TOKEN_ALG): published at once,
    /// signing after the grace period; earlier keys stay published until
    /// every token they signed has expired. Safe while Tessera runs.
    Rotate {
        /// Seconds before the new key signs (default TESSERA_SIGNING_KEY_GRACE).
        #[arg(long)]
        grace: Option<u64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            print!("{}", openapi::pretty_json());
            Ok(())
        }
        Command::Serve => {
            telemetry::init(&settings.log_format);
            actix_web::rt::System::new().block_on(serve(settings))
        }
        Command::Migrate => {
            let url = DatabaseUrl::parse(&settings.database_url)?;
            db::migrate(&mut db::establish(&url)?)?;
            println!("migrations applied");
            Ok(())
        }
        Command::Bootstrap {
            org,
            email,
            password,
        } => actix_web::rt::System::new().block_on(bootstrap(settings, org, email, password)),
        Command::Seed {
            users,
            labels,
            teams,
            targets,
            org,
        } => {
            // One direct connection, like `bootstrap`.
            let url = DatabaseUrl::parse(&settings.database_url)?;
            let mut conn = db::establish(&url)?;
            db::migrate(&mut conn)?;
            let options = tessera::dev::seed::SeedOptions {
                users,
                labels,
                teams,
                targets,
                organization_id: org,
            };
            let report = tessera::dev::seed::seed(&mut conn, &options)?;
            drop(conn);
            println!("{report}");
            Ok(())
        }
        Command::Export {
            organization,
            output,
        } => export(&settings, &organization, output.as_deref()),
        Command::Import { input } => import(&settings, input.as_deref()),
        Command::Backup { output } => {
            let url = DatabaseUrl::parse(&settings.database_url)?;
            must_exist(&url)?;
            let mut conn = db::establish(&url)?;
            db::backup::sqlite(&mut conn, &output)?;
            println!("backed up the database to {}", output.display());
            if settings.encryption_key.is_none()
                && let DatabaseUrl::Sqlite(path) = &url
            {
                println!(
                    "the encryption key is not in the copy: keep {} with it (apart from it)",
                    tessera::encryption_key::KeyFile::beside(path)
                        .path()
                        .display()
                );
            }
            Ok(())
        }
        Command::SigningKeys {
            command: SigningKeysCommand::Rotate { grace },
        } => actix_web::rt::System::new().block_on(rotate_signing_key(settings, grace)),
        Command::RotateEncryptionKey { new_key } => {
            let rotated = tessera::encryption_key::rotate(&settings, new_key.as_ref())?;
            println!(
                "re-encrypted {} secrets with the new key {}",
                rotated.secrets, rotated.new_key_id
            );
            match rotated.key_file {
                Some(path) => println!("the new key is in {}", path.display()),
                None => println!(
                    "set TESSERA_ENCRYPTION_KEY to the new key before starting Tessera again"
                ),
            }
            Ok(())
        }
    }
}

/// One direct connection, migrated, and the deployment's encryption key.
fn open_for_transfer(
    settings: &Settings,
) -> anyhow::Result<(db::DbConnection, tessera::crypto::SecretBox)> {
    let url = DatabaseUrl::parse(&settings.database_url)?;
    let mut conn = db::establish(&url)?;
    db::migrate(&mut conn)?;
    let secrets = tessera::encryption_key::for_command(settings, &url, &mut conn)?;
    Ok((conn, secrets))
}

fn print_rows(verb: &str, moved: &service::transfer::Moved) {
    let total: u64 = moved.rows.values().sum();
    eprintln!(
        "{verb} organization {}: {total} rows",
        moved.organization_id
    );
    for (table, rows) in &moved.rows {
        eprintln!("  {table}: {rows}");
    }
}

/// Refuses a SQLite path with no database: opening it would create an
/// empty one.
fn must_exist(url: &DatabaseUrl) -> anyhow::Result<()> {
    match url {
        DatabaseUrl::Sqlite(path) if !Path::new(path).exists() => {
            anyhow::bail!("there is no database at {path}")
        }
        _ => Ok(()),
    }
}

fn export(settings: &Settings, organization: &str, output: Option<&Path>) -> anyhow::Result<()> {
    must_exist(&DatabaseUrl::parse(&settings.database_url)?)?;
    let (mut conn, secrets) = open_for_transfer(settings)?;
    let moved = match output {
        Some(path) => {
            // Never world-readable, even for a moment: the file holds secrets.
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
            let mut out = BufWriter::new(file);
            let written = service::transfer::export(&mut conn, organization, &secrets, &mut out)
                .map_err(anyhow::Error::from)
                .and_then(|moved| {
                    let file = out.into_inner().map_err(|e| e.into_error())?;
                    file.sync_all()?;
                    Ok(moved)
                });
            if written.is_err() {
                let _ = fs::remove_file(path);
            }
            written?
        }
        None => {
            if io::stdout().is_terminal() {
                anyhow::bail!(
                    "the export holds secrets: not writing it to a terminal (pass --output FILE, or redirect standard output)"
                );
            }
            let mut out = BufWriter::new(io::stdout().lock());
            let moved = service::transfer::export(&mut conn, organization, &secrets, &mut out)?;
            out.flush()?;
            moved
        }
    };
    print_rows("exported", &moved);
    eprintln!("the export holds secrets in plain text: delete it once imported");
    Ok(())
}

fn import(settings: &Settings, input: Option<&Path>) -> anyhow::Result<()> {
    let (mut conn, secrets) = open_for_transfer(settings)?;
    let mut reader: Box<dyn BufRead> = match input {
        Some(path) => {
            Box::new(BufReader::new(File::open(path).map_err(|e| {
                anyhow::anyhow!("cannot open {}: {e}", path.display())
            })?))
        }
        None => Box::new(io::stdin().lock()),
    };
    let moved = service::transfer::import(&mut conn, &secrets, &mut reader)?;
    print_rows("imported", &moved);
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings.clone()).await?;
    let host = settings.bind_addr()?.ip();
    let base = format!("http://{host}:{}", app.port());
    println!("Tessera is listening on {base}");
    println!("Swagger UI: {base}/docs/");
    println!("Admin console: {base}/console/");
    match &app.bootstrapped {
        Some(first) => {
            println!(
                "First run: created organization {:?} ({}) with OWNER {}",
                first.organization, first.organization_id, first.email
            );
            match &first.generated_password {
                Some(p) => println!(
                    "  password: {p}   (shown only this once; set TESSERA_BOOTSTRAP_PASSWORD to choose it)"
                ),
                None => println!("  password: the one in TESSERA_BOOTSTRAP_PASSWORD"),
            }
        }
        None => println!("Log in with an existing user of your organization."),
    }
    println!(
        "Log in: curl -s -X POST {base}/auth/obtain/ -H 'Content-Type: application/json' \
         -d '{{\"username\": \"<email>\", \"password\": \"<password>\"}}'"
    );
    println!(
        "then send 'Authorization: JWT <token>' (in Swagger UI: Authorize, and enter JWT <token>)."
    );
    app.run_until_stopped().await?;
    Ok(())
}

async fn rotate_signing_key(settings: Settings, grace: Option<u64>) -> anyhow::Result<()> {
    use std::time::Duration;
    let url = DatabaseUrl::parse(&settings.database_url)?;
    let db = startup::connect(&url, 1).await?;
    let secrets = tessera::encryption_key::unlock(&db, settings.encryption_key.as_ref()).await?;
    let algorithm = settings.tokens.token_alg;
    let next = service::signing_keys::generate(algorithm).map_err(|e| anyhow::anyhow!("{e}"))?;
    let grace = Duration::from_secs(grace.unwrap_or(settings.tokens.signing_key_grace));
    let ttl = Duration::from_secs(settings.token_ttl);
    let rotated = db
        .write(move |conn| service::signing_keys::rotate(conn, &secrets, &next, grace, ttl))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "new signing key {} ({}) published; it signs from {}Z",
        rotated.key_id, rotated.algorithm, rotated.signs_from
    );
    if rotated.pruned > 0 {
        println!("{} retired keys removed", rotated.pruned);
    }
    Ok(())
}

/// Runs on one direct connection, not a pool: a one-shot command must not
/// leave pool threads connecting while the process exits.
async fn bootstrap(
    settings: Settings,
    org: String,
    email: String,
    password: Option<String>,
) -> anyhow::Result<()> {
    let url = DatabaseUrl::parse(&settings.database_url)?;
    let mut conn = db::establish(&url)?;
    db::migrate(&mut conn)?;
    let email = Email::parse(&email).map_err(|m| anyhow::anyhow!("--email: {m}"))?;
    let generated = password.is_none();
    let password = password.unwrap_or_else(startup::generated_password);
    // The first owner's name is its email's local part: the email says it all.
    let strong = Password::parse(&password)
        .and_then(|p| p.judge(&PasswordOwner::default().email(email.as_str())))
        .map_err(|m| anyhow::anyhow!("--password: {m}"))?;
    let hash = tessera::auth::password::Hasher::new(1).hash(strong).await?;
    let (org, owner) = conn
        .transaction(|conn| {
            service::orgs::bootstrap(conn, &RequestContext::cli(), &org, &email, hash)
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(conn);
    println!("organization {:?} created: id {}", org.name, org.id);
    println!("OWNER {} (id {})", owner.email, owner.id);
    if generated {
        println!("password: {password}   (shown only this once)");
    }
    Ok(())
}
