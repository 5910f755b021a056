//! Composing a message from its kind, recipient and payload: the subject and the text
//! and HTML bodies from the templates, on the facility's wall clock in the recipient's
//! language.
use chrono_tz::Tz;
use minijinja::value::Serde;
use minijinja::{Environment, context};
use serde::Serialize;

use super::message::{MessageKind, Payload, Recipient};
use super::templates;
use crate::domain::time_text::{local_time, time_range};

/// A composed message, ready to be put into MIME parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    /// One line that says what happened, when and where.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

/// Why a message could not be composed (a fault of the templates or a corrupt payload:
/// trying again does not help).
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// A template failed.
    #[error("template: {0:#}")]
    Template(#[from] minijinja::Error),
    /// The payload names an unknown time zone.
    #[error("unknown time zone {0}")]
    TimeZone(String),
}

/// Composes messages; holds the parsed templates.
pub struct Composer {
    env: Environment<'static>,
}

#[derive(Serialize)]
struct When {
    when: String,
    previous: Option<String>,
    title: Option<String>,
    facility: Option<String>,
}

#[derive(Serialize)]
struct Skipped {
    when: String,
    reason: String,
}

/// User text as one line: control characters (CR, LF, tabs) become spaces.
pub fn one_line(text: &str) -> String {
    text.split(char::is_control)
        .filter(|part| !part.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

impl Composer {
    /// Parses the templates.
    pub fn new() -> Result<Self, ComposeError> {
        Ok(Self {
            env: templates::environment()?,
        })
    }

    /// Composes a message of `kind` to `recipient` from `payload`.
    pub fn compose(
        &self,
        kind: MessageKind,
        recipient: &Recipient,
        payload: &Payload,
    ) -> Result<Composed, ComposeError> {
        let zone: Tz = payload
            .time_zone
            .parse()
            .map_err(|_| ComposeError::TimeZone(payload.time_zone.clone()))?;
        let language = recipient.language;
        let bookings: Vec<When> = payload
            .bookings
            .iter()
            .map(|b| {
                let zone: Tz = match &b.time_zone {
                    Some(own) => own
                        .parse()
                        .map_err(|_| ComposeError::TimeZone(own.clone()))?,
                    None => zone,
                };
                Ok(When {
                    when: time_range(b.start, b.end, zone, language),
                    previous: b.previous.map(|(s, e)| time_range(s, e, zone, language)),
                    title: b.title.as_deref().map(one_line),
                    facility: b.facility.as_deref().map(one_line),
                })
            })
            .collect::<Result<_, ComposeError>>()?;
        let skipped: Vec<Skipped> = payload
            .skipped
            .iter()
            .map(|s| Skipped {
                when: local_time(&s.local_start, language),
                reason: s.reason.clone(),
            })
            .collect();
        let ctx = context! {
            language => language.as_ref(),
            event => kind.is_about_event(),
            name => recipient.name.as_deref().map(one_line),
            title => one_line(&payload.title),
            facility => one_line(&payload.facility),
            location => one_line(&payload.location),
            organisation => one_line(&payload.organisation),
            reason => payload.reason.as_deref(),
            when => bookings.first().map(|b| b.when.clone()),
            count => bookings.len(),
            pending => payload.pending,
            invitation => payload.invitation.is_some(),
            bookings => Serde(&bookings),
            skipped => Serde(&skipped),
        };
        let template =
            self.env
                .get_template(&format!("{}/{}.txt", language.as_ref(), kind.template()))?;
        let mut captured = template.render_captured(&ctx)?;
        let (subject, intro) = captured.with_state_mut(|state| {
            Ok::<_, minijinja::Error>((
                state.render_block("subject")?,
                state.render_block("intro")?,
            ))
        })?;
        let subject = one_line(&subject);
        let paragraphs: Vec<String> = intro
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        let ctx = context! { subject => &subject, paragraphs => paragraphs, ..ctx };
        Ok(Composed {
            text: self.env.get_template("layout.txt")?.render(&ctx)?,
            html: self.env.get_template("layout.html")?.render(&ctx)?,
            subject,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use strum::IntoEnumIterator;

    use super::*;
    use crate::domain::localized::Language;
    use crate::mail::message::{BookingItem, SkippedItem};

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn payload(title: &str) -> Payload {
        Payload {
            title: title.into(),
            facility: "Kerhohuone".into(),
            location: "Kerhohuone, Rautatienkatu 1, 15110 Lahti".into(),
            time_zone: "Europe/Helsinki".into(),
            organisation: "Lahden Martat".into(),
            reason: Some("Remontti".into()),
            pending: false,
            bookings: vec![BookingItem {
                id: 1,
                start: utc("2026-11-24T16:00:00Z"),
                end: utc("2026-11-24T18:00:00Z"),
                previous: None,
                title: None,
                facility: None,
                time_zone: None,
            }],
            skipped: vec![SkippedItem {
                local_start: utc("2026-12-01T16:00:00Z").naive_utc(),
                reason: "TIME_TAKEN".into(),
            }],
            invitation: None,
        }
    }

    fn recipient(language: Language) -> Recipient {
        Recipient {
            email: "martta@example.fi".into(),
            name: Some("Martta".into()),
            language,
        }
    }

    #[test]
    fn every_kind_has_a_message_in_every_language() {
        let composer = Composer::new().unwrap();
        for kind in MessageKind::iter() {
            for language in [Language::Fi, Language::Sv, Language::En] {
                let composed = composer
                    .compose(kind, &recipient(language), &payload("Vertaisryhmä"))
                    .unwrap_or_else(|e| panic!("{kind:?} {language:?}: {e}"));
                assert!(
                    composed.subject.contains("Kerhohuone"),
                    "{kind:?} {language:?}"
                );
                assert!(
                    composed.text.contains("Vertaisryhmä"),
                    "{kind:?} {language:?}"
                );
                assert!(
                    composed.html.contains("Vertaisryhmä"),
                    "{kind:?} {language:?}"
                );
            }
        }
    }

    #[test]
    fn the_subject_says_what_when_and_where_in_local_time() {
        let composer = Composer::new().unwrap();
        let fi = composer
            .compose(
                MessageKind::BookingConfirmed,
                &recipient(Language::Fi),
                &payload("Vertaisryhmä"),
            )
            .unwrap();
        assert_eq!(
            fi.subject,
            "Varaus vahvistettu: Vertaisryhmä, ti 24.11.2026 klo 18.00–20.00, Kerhohuone"
        );
        let sv = composer
            .compose(
                MessageKind::BookingConfirmed,
                &recipient(Language::Sv),
                &payload("Vertaisryhmä"),
            )
            .unwrap();
        assert!(
            sv.subject.starts_with("Bokning bekräftad: "),
            "{}",
            sv.subject
        );
        assert!(sv.text.starts_with("Hej Martta,"), "{}", sv.text);
    }

    #[test]
    fn user_text_is_escaped_in_html_and_kept_on_one_line_in_the_subject() {
        let composer = Composer::new().unwrap();
        let composed = composer
            .compose(
                MessageKind::BookingConfirmed,
                &recipient(Language::En),
                &payload("<b>Bingo</b>\r\nBcc: x@example.com"),
            )
            .unwrap();
        assert!(!composed.subject.contains(['\r', '\n']));
        assert!(
            composed.html.contains("&lt;b&gt;Bingo&lt;&#x2f;b&gt;"),
            "{}",
            composed.html
        );
        assert!(!composed.html.contains("<b>Bingo"));
    }
}
