//! Putting a composed message into MIME and handing it to the mail server, or writing
//! it as an `.eml` file when no server is configured. Every header is built with
//! lettre's typed headers, which encode what they are given: user text in names,
//! titles or reasons cannot start a header of its own or end a MIME part.
use std::path::PathBuf;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::compose::{Composed, one_line};
use super::message::Recipient;
use crate::config::MailConfig;
use crate::error::{AppError, AppResult};

/// A calendar part: `text/calendar` with its iTIP method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarPart {
    /// `REQUEST` or `CANCEL`, as in the calendar's METHOD.
    pub method: &'static str,
    /// The iCalendar text.
    pub body: String,
}

/// `Content-Type: text/calendar; method=…; charset=UTF-8` as calendar clients expect it
/// (lettre's `ContentType` would write the charset in lower case).
#[derive(Debug, Clone)]
struct CalendarContentType(&'static str);

impl Header for CalendarContentType {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Type")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        match s
            .split(';')
            .map(str::trim)
            .find_map(|p| p.strip_prefix("method="))
        {
            Some("REQUEST") => Ok(Self("REQUEST")),
            Some("CANCEL") => Ok(Self("CANCEL")),
            _ => Err("not a text/calendar content type of an invitation".into()),
        }
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(
            Self::name(),
            format!("text/calendar; method={}; charset=UTF-8", self.0),
        )
    }
}

/// Why a message was not handed over.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// It may go through later (server down, busy, a 4xx reply).
    #[error("{0}")]
    Transient(String),
    /// It will not (a 5xx reply, an address the server refuses, a message that cannot
    /// be built).
    #[error("{0}")]
    Permanent(String),
}

/// Where messages go.
pub enum Transport {
    /// An SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in a directory (the embedded default).
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

impl Transport {
    /// The SMTP server of `SMTP_URL`, or the mail directory when there is none.
    pub fn from_config(config: &MailConfig) -> AppResult<Self> {
        match &config.smtp_url {
            Some(url) => {
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| AppError::internal(format!("SMTP_URL: {e}")))?;
                Ok(Self::Smtp(
                    builder.timeout(Some(config.smtp_timeout)).build(),
                ))
            }
            None => Ok(Self::Files(
                AsyncFileTransport::new(&config.mail_dir),
                config.mail_dir.clone(),
            )),
        }
    }

    /// Hands `message` over.
    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Self::Smtp(smtp) => match smtp.send(message).await {
                Ok(_) => Ok(()),
                Err(err) if err.is_permanent() => Err(SendError::Permanent(err.to_string())),
                Err(err) => Err(SendError::Transient(err.to_string())),
            },
            Self::Files(files, dir) => {
                // The directory is made when a write fails, not before every message.
                let (envelope, raw) = (message.envelope(), message.formatted());
                let id = match files.send_raw(envelope, &raw).await {
                    Ok(id) => id,
                    Err(_) => {
                        tokio::fs::create_dir_all(dir)
                            .await
                            .map_err(|e| SendError::Transient(format!("{}: {e}", dir.display())))?;
                        files
                            .send_raw(envelope, &raw)
                            .await
                            .map_err(|e| SendError::Transient(e.to_string()))?
                    }
                };
                tracing::info!(file = %dir.join(format!("{id}.eml")).display(), "mail written");
                Ok(())
            }
        }
    }
}

/// The MIME message: `multipart/alternative` with the text, the HTML and, for an
/// invitation, the `text/calendar; method=…` part whose method equals its METHOD.
pub fn build(
    from: &Mailbox,
    recipient: &Recipient,
    composed: &Composed,
    calendar: Option<&CalendarPart>,
    message_id: String,
) -> Result<Message, SendError> {
    let address = recipient
        .email
        .parse()
        .map_err(|e| SendError::Permanent(format!("recipient address: {e}")))?;
    let to = Mailbox::new(recipient.name.as_deref().map(one_line), address);
    let mut body = MultiPart::alternative()
        .singlepart(SinglePart::plain(composed.text.clone()))
        .singlepart(SinglePart::html(composed.html.clone()));
    if let Some(calendar) = calendar {
        body = body.singlepart(
            SinglePart::builder()
                .header(CalendarContentType(calendar.method))
                .body(calendar.body.clone()),
        );
    }
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(one_line(&composed.subject))
        .message_id(Some(message_id))
        .multipart(body)
        .map_err(|e| SendError::Permanent(format!("message: {e}")))
}
