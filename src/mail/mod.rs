//! E-mail: templates, and a delivery queue that keeps SMTP off the request
//! path and outside every database transaction.
//!
//! Mails are queued in memory after the change that caused them committed,
//! and sent by a background task with bounded concurrency, a timeout per
//! attempt and retries with exponential backoff. The queue lives in memory
//! on purpose: a mail carries a secret link whose token the database keeps
//! only as a hash. A mail still queued when the server stops is lost; the
//! invitation then still shows `QUEUED`, and inviting again sends a new link.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use anyhow::Context;
use chrono::NaiveDateTime;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::{Environment, context};
use tokio::sync::{Semaphore, mpsc};

use crate::config::MailSettings;
use crate::db::{Db, invitations};

/// Mails waiting for delivery; past this, new ones fail at once.
const QUEUE_CAPACITY: usize = 1_000;
/// Deliveries in flight at once.
const CONCURRENT_DELIVERIES: usize = 4;
const MAX_RETRY_DELAY: Duration = Duration::from_secs(600);

/// How an invitation's mail stands (`mail_status`).
pub mod status {
    /// No SMTP server configured: the link was returned in the API answer.
    pub const DISABLED: &str = "DISABLED";
    pub const QUEUED: &str = "QUEUED";
    pub const SENT: &str = "SENT";
    /// Every attempt failed; `mail_error` says why.
    pub const FAILED: &str = "FAILED";
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // `.html` templates are auto-escaped (minijinja's default by extension).
    for (name, source) in [
        ("invitation.txt", include_str!("templates/invitation.txt")),
        ("invitation.html", include_str!("templates/invitation.html")),
        (
            "password_reset.txt",
            include_str!("templates/password_reset.txt"),
        ),
        (
            "password_reset.html",
            include_str!("templates/password_reset.html"),
        ),
        (
            "set_password.html",
            include_str!("templates/set_password.html"),
        ),
        (
            "access_request.txt",
            include_str!("templates/access_request.txt"),
        ),
        (
            "access_request.html",
            include_str!("templates/access_request.html"),
        ),
        (
            "access_decision.txt",
            include_str!("templates/access_decision.txt"),
        ),
        (
            "access_decision.html",
            include_str!("templates/access_decision.html"),
        ),
    ] {
        env.add_template(name, source)
            .expect("the mail templates are valid");
    }
    env
});

/// A mail to send: its recipient and what it is about.
pub struct Mail {
    pub to_email: String,
    pub to_name: String,
    pub kind: MailKind,
}

pub enum MailKind {
    Invitation {
        id: String,
        organization: String,
        inviter: String,
        link: String,
        expires: NaiveDateTime,
    },
    PasswordReset {
        organization: String,
        link: String,
        expires: NaiveDateTime,
    },
    /// To a person who could decide a new access request.
    AccessRequested {
        organization: String,
        requester: String,
        role: String,
        place: String,
        duration: String,
        reason: String,
        link: String,
    },
    /// To the requester, once its request is decided.
    AccessDecided {
        organization: String,
        role: String,
        place: String,
        approved: bool,
        decider: String,
        comment: Option<String>,
        expires: Option<NaiveDateTime>,
    },
}

impl MailKind {
    fn invitation_id(&self) -> Option<&str> {
        match self {
            MailKind::Invitation { id, .. } => Some(id),
            _ => None,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            MailKind::Invitation { .. } => "invitation",
            MailKind::PasswordReset { .. } => "password reset",
            MailKind::AccessRequested { .. } => "access request",
            MailKind::AccessDecided { .. } => "access decision",
        }
    }
}

/// A rendered mail, ready for SMTP. `Debug` is deliberately not derived: the
/// body holds a secret link.
struct Rendered {
    to: Mailbox,
    subject: String,
    text: String,
    html: String,
}

impl Mail {
    fn render(&self) -> anyhow::Result<Rendered> {
        let (template, subject, ctx) = match &self.kind {
            MailKind::Invitation {
                organization,
                inviter,
                link,
                expires,
                ..
            } => (
                "invitation",
                format!("You are invited to {organization} on Tessera"),
                context! {
                    name => &self.to_name,
                    organization,
                    inviter,
                    link,
                    expires => expires.format("%Y-%m-%d %H:%M").to_string(),
                },
            ),
            MailKind::PasswordReset {
                organization,
                link,
                expires,
            } => (
                "password_reset",
                format!("Reset your Tessera password for {organization}"),
                context! {
                    name => &self.to_name,
                    organization,
                    link,
                    expires => expires.format("%Y-%m-%d %H:%M").to_string(),
                },
            ),
            MailKind::AccessRequested {
                organization,
                requester,
                role,
                place,
                duration,
                reason,
                link,
            } => (
                "access_request",
                format!("{requester} requests {role} in {organization}"),
                context! {
                    name => &self.to_name,
                    organization,
                    requester,
                    role,
                    place,
                    duration,
                    reason,
                    link,
                },
            ),
            MailKind::AccessDecided {
                organization,
                role,
                place,
                approved,
                decider,
                comment,
                expires,
            } => (
                "access_decision",
                format!(
                    "Your request for {role} in {organization} was {}",
                    if *approved { "approved" } else { "denied" }
                ),
                context! {
                    name => &self.to_name,
                    organization,
                    role,
                    place,
                    approved,
                    decider,
                    comment,
                    expires => expires.map(|e| e.format("%Y-%m-%d %H:%M").to_string()),
                },
            ),
        };
        let render = |ext: &str| {
            TEMPLATES
                .get_template(&format!("{template}.{ext}"))
                .and_then(|t| t.render(&ctx))
        };
        Ok(Rendered {
            to: Mailbox::new(
                Some(self.to_name.clone()),
                self.to_email.parse().context("recipient address")?,
            ),
            subject,
            text: render("txt")?,
            html: render("html")?,
        })
    }
}

/// The page behind a mailed link: a form that posts `{token, password}` to
/// `action`.
pub fn set_password_page(title: &str, action: &str, token: &str) -> String {
    TEMPLATES
        .get_template("set_password.html")
        .and_then(|t| t.render(context! { title, action, token }))
        .expect("the page template renders")
}

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// Sends mail when SMTP is configured; otherwise says so (development mode).
pub struct Mailer {
    queue: Option<mpsc::Sender<Queued>>,
    /// Base of links, without a trailing slash.
    public_url: String,
}

impl Mailer {
    /// Starts the delivery task when `TESSERA_SMTP_URL` is set. Must run
    /// inside the server's async runtime.
    pub fn start(settings: &MailSettings, public_url: String, db: Db) -> anyhow::Result<Self> {
        let public_url = public_url.trim_end_matches('/').to_owned();
        let Some(url) = &settings.smtp_url else {
            tracing::warn!(
                "mail is off (TESSERA_SMTP_URL is unset): invitation links are returned \
                 in the API answer once, password reset mails are not sent"
            );
            return Ok(Self {
                queue: None,
                public_url,
            });
        };
        let from: Mailbox = settings
            .mail_from
            .parse()
            .with_context(|| format!("TESSERA_MAIL_FROM {:?}", settings.mail_from))?;
        // The URL may hold a password: never put it in an error message.
        let transport = Transport::from_url(url)
            .map_err(|e| anyhow::anyhow!("TESSERA_SMTP_URL is not a valid SMTP URL: {e}"))?
            .timeout(Some(Duration::from_secs(settings.smtp_timeout)))
            .build();
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let delivery = Delivery {
            transport,
            from,
            db,
            attempts: settings.mail_attempts,
            first_delay: Duration::from_millis(settings.mail_retry_delay_ms),
        };
        tokio::spawn(delivery.run(receiver));
        tracing::info!(from = %settings.mail_from, "mail is on");
        Ok(Self {
            queue: Some(sender),
            public_url,
        })
    }

    pub fn enabled(&self) -> bool {
        self.queue.is_some()
    }

    /// An absolute link to `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// An absolute link to `path` (which starts with `/`) carrying `token`.
    pub fn link(&self, path: &str, token: &str) -> String {
        format!("{}{path}?token={token}", self.public_url)
    }

    /// Queues a mail; never waits for SMTP. Returns the `mail_status` to
    /// record: QUEUED, DISABLED, or FAILED (with why) when the queue is full.
    pub fn send(&self, mail: Mail) -> (&'static str, Option<String>) {
        let Some(queue) = &self.queue else {
            return (status::DISABLED, None);
        };
        let label = mail.kind.label();
        let invitation = mail.kind.invitation_id().map(str::to_owned);
        let rendered = match mail.render() {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, mail = label, "cannot build mail");
                return (status::FAILED, Some(e.to_string()));
            }
        };
        match queue.try_send(Queued {
            rendered,
            invitation,
        }) {
            Ok(()) => (status::QUEUED, None),
            Err(_) => {
                tracing::error!(mail = label, "mail queue is full: mail dropped");
                (status::FAILED, Some("The mail queue is full.".into()))
            }
        }
    }
}

struct Queued {
    rendered: Rendered,
    /// The invitation whose `mail_status` follows this mail.
    invitation: Option<String>,
}

struct Delivery {
    transport: Transport,
    from: Mailbox,
    db: Db,
    attempts: u32,
    first_delay: Duration,
}

impl Delivery {
    async fn run(self, mut queue: mpsc::Receiver<Queued>) {
        let this = Arc::new(self);
        let slots = Arc::new(Semaphore::new(CONCURRENT_DELIVERIES));
        while let Some(mail) = queue.recv().await {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let this = this.clone();
            tokio::spawn(async move {
                this.deliver(mail).await;
                drop(slot);
            });
        }
    }

    async fn deliver(&self, mail: Queued) {
        let outcome = match self.message(&mail.rendered) {
            Ok(message) => self.send_with_retries(message).await,
            Err(e) => Err(e),
        };
        let (status, error) = match &outcome {
            Ok(()) => (status::SENT, None),
            Err(e) => {
                tracing::error!(
                    invitation = mail.invitation.as_deref(),
                    error = %e,
                    "mail delivery failed for good"
                );
                (status::FAILED, Some(e.to_string()))
            }
        };
        if let Some(id) = mail.invitation {
            let recorded = self
                .db
                .write(move |conn| {
                    Ok(invitations::set_mail_status(
                        conn,
                        &id,
                        status,
                        error.as_deref(),
                    )?)
                })
                .await;
            if let Err(e) = recorded {
                tracing::error!(error = %e, "cannot record an invitation's mail status");
            }
        }
    }

    fn message(&self, mail: &Rendered) -> anyhow::Result<Message> {
        Message::builder()
            .from(self.from.clone())
            .to(mail.to.clone())
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .context("cannot build the mail")
    }

    async fn send_with_retries(&self, message: Message) -> anyhow::Result<()> {
        let mut delay = self.first_delay;
        let mut attempt = 1;
        loop {
            let error = match self.transport.send(message.clone()).await {
                Ok(_) => return Ok(()),
                Err(e) if e.is_permanent() => {
                    return Err(anyhow::anyhow!("rejected by the SMTP server: {e}"));
                }
                Err(e) => e,
            };
            if attempt >= self.attempts {
                return Err(anyhow::anyhow!(
                    "gave up after {attempt} attempts; last error: {error}"
                ));
            }
            tracing::warn!(attempt, error = %error, retry_in = ?delay, "mail delivery failed; retrying");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(MAX_RETRY_DELAY);
            attempt += 1;
        }
    }
}
