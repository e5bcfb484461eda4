//! A small SMTP server on 127.0.0.1 that keeps what it receives, for tests
//! that follow a mail from the service to its link. It speaks just enough
//! of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for a real
//! client, and can refuse deliveries to exercise retries.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// One delivered message.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    /// The message as sent (headers and MIME parts).
    pub data: String,
}

impl Received {
    /// The first link in the plain-text part that contains `path`.
    pub fn link(&self, path: &str) -> String {
        let text = decode_quoted_printable(&self.data);
        text.split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(path))
            .unwrap_or_else(|| panic!("no link to {path} in:\n{text}"))
            .trim_end_matches(['"', '<', '>'])
            .to_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }
}

/// How the sink answers the end of DATA.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    Accept,
    /// A transient 451 for this many deliveries, then accept.
    FailFirst(usize),
    /// A permanent 550 for every delivery.
    Reject,
}

#[derive(Default)]
struct Inbox {
    messages: Vec<Received>,
    refused: usize,
}

pub struct SmtpSink {
    pub port: u16,
    inbox: Arc<Mutex<Inbox>>,
    arrived: Arc<Notify>,
}

impl SmtpSink {
    pub async fn start(mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind SMTP sink");
        let port = listener.local_addr().unwrap().port();
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let arrived = Arc::new(Notify::new());
        let (inbox2, arrived2) = (inbox.clone(), arrived.clone());
        actix_web::rt::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (inbox, arrived) = (inbox2.clone(), arrived2.clone());
                actix_web::rt::spawn(async move {
                    let _ = session(stream, mode, inbox, arrived).await;
                });
            }
        });
        Self {
            port,
            inbox,
            arrived,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().messages.clone()
    }

    /// Deliveries refused so far (transient or permanent).
    pub fn refused(&self) -> usize {
        self.inbox.lock().unwrap().refused
    }

    /// Waits (up to 20 s) until `count` messages arrived; returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.arrived.notified();
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("expected {count} mails, got {}", self.messages().len());
            }
        }
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    mode: Mode,
    inbox: Arc<Mutex<Inbox>>,
    arrived: Arc<Notify>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP\r\n").await?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if command.starts_with("HELO") || command.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if command.starts_with("MAIL FROM") || command.starts_with("RSET") {
            to.clear();
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO") {
            to.push(
                line.trim_end()[8..]
                    .trim()
                    .trim_matches(['<', '>'])
                    .to_owned(),
            );
            b"250 OK\r\n"
        } else if command == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                // Undo dot-stuffing.
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            let mut inbox = inbox.lock().unwrap();
            let refuse = match mode {
                Mode::Accept => None,
                Mode::FailFirst(n) if inbox.refused < n => {
                    Some(&b"451 4.3.0 Try again later\r\n"[..])
                }
                Mode::FailFirst(_) => None,
                Mode::Reject => Some(&b"550 5.1.1 Mailbox unavailable\r\n"[..]),
            };
            match refuse {
                Some(reply) => {
                    inbox.refused += 1;
                    reply
                }
                None => {
                    inbox.messages.push(Received {
                        to: std::mem::take(&mut to),
                        data,
                    });
                    arrived.notify_waiters();
                    b"250 OK: queued\r\n"
                }
            }
        } else if command == "QUIT" {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 Command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

/// Enough of quoted-printable for links: soft line breaks and `=XX` bytes.
fn decode_quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
