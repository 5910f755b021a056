//! RFC 5545 content lines: escaping, parameter quoting, date-time forms and folding.
//!
//! Every value that reaches the output passes through one of the typed methods here,
//! and none of them lets a CR or LF through unescaped: a line break in the output is
//! always a line end of ours or a fold (CRLF followed by a space), so user text cannot
//! start a property or a component of its own.
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;

use crate::domain::local_time::resolve_rfc5545;

/// The longest line in octets, without its CRLF (RFC 5545 §3.1).
const MAX_LINE_OCTETS: usize = 75;

/// Writes content lines into a string; each call writes one whole (folded) line.
pub struct ContentWriter<'a> {
    out: &'a mut String,
    line: String,
}

/// Content lines written once by a [`ContentWriter`] and kept, to be appended again
/// with [`ContentWriter::kept`].
#[derive(Debug, Clone)]
pub struct KeptLines(Arc<str>);

impl KeptLines {
    /// The lines that `write` writes.
    pub fn write(write: impl FnOnce(&mut ContentWriter<'_>)) -> Self {
        let mut out = String::new();
        write(&mut ContentWriter::new(&mut out));
        Self(out.into())
    }
}

/// A parameter of a property: its name (ours, never user text) and value.
pub type Param<'p> = (&'static str, &'p str);

impl<'a> ContentWriter<'a> {
    /// A writer appending to `out`.
    pub fn new(out: &'a mut String) -> Self {
        Self {
            out,
            line: String::with_capacity(128),
        }
    }

    /// How many bytes the output holds so far.
    pub fn written(&self) -> usize {
        self.out.len()
    }

    /// Appends lines written earlier and kept.
    pub fn kept(&mut self, lines: &KeptLines) {
        self.out.push_str(&lines.0);
    }

    /// `BEGIN:<component>`.
    pub fn begin(&mut self, component: &'static str) {
        self.raw("BEGIN", component);
    }

    /// `END:<component>`.
    pub fn end(&mut self, component: &'static str) {
        self.raw("END", component);
    }

    /// A TEXT value, escaped (RFC 5545 §3.3.11).
    pub fn text(&mut self, name: &'static str, value: &str) {
        self.text_with(name, &[], value);
    }

    /// A TEXT value with parameters, e.g. `LANGUAGE`.
    pub fn text_with(&mut self, name: &'static str, params: &[Param<'_>], value: &str) {
        self.start(name, params);
        escape_text(value, &mut self.line);
        self.finish();
    }

    /// A list of TEXT values such as `CATEGORIES`, each escaped, separated by commas.
    pub fn text_list(&mut self, name: &'static str, values: &[&str]) {
        self.start(name, &[]);
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            escape_text(value, &mut self.line);
        }
        self.finish();
    }

    /// A value that needs no TEXT escaping (integers, RRULE, GEO, URIs, durations).
    /// Control characters are dropped all the same.
    pub fn raw(&mut self, name: &'static str, value: &str) {
        self.raw_with(name, &[], value);
    }

    /// A value that needs no TEXT escaping, with parameters.
    pub fn raw_with(&mut self, name: &'static str, params: &[Param<'_>], value: &str) {
        self.start(name, params);
        push_clean(value, &mut self.line);
        self.finish();
    }

    /// A UTC date-time, `19970714T173000Z` (DTSTAMP, LAST-MODIFIED, CREATED).
    pub fn utc(&mut self, name: &'static str, instant: DateTime<Utc>) {
        self.raw(name, &utc_value(instant));
    }

    /// An instant on the wall clock of `zone`: `;TZID=<zone>:<local>` when the local time
    /// reads back as this instant (RFC 5545 takes the first of a repeated hour), otherwise
    /// (the second pass through the autumn's repeated hour) in UTC without a `TZID`.
    pub fn date_time(&mut self, name: &'static str, instant: DateTime<Utc>, zone: Tz) {
        if reads_back(instant, zone) {
            self.local(name, instant.with_timezone(&zone).naive_local(), zone);
        } else {
            self.utc(name, instant);
        }
    }

    /// A local date-time in `zone` as given (RECURRENCE-ID, EXDATE of a recurrence).
    pub fn local(&mut self, name: &'static str, local: NaiveDateTime, zone: Tz) {
        self.local_list(name, &[local], zone);
    }

    /// Local date-times in `zone`, separated by commas (EXDATE).
    pub fn local_list(&mut self, name: &'static str, locals: &[NaiveDateTime], zone: Tz) {
        self.start(name, &[("TZID", zone.name())]);
        for (i, local) in locals.iter().enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            push_date_time(local, &mut self.line);
        }
        self.finish();
    }

    fn start(&mut self, name: &'static str, params: &[Param<'_>]) {
        self.line.clear();
        self.line.push_str(name);
        for (param, value) in params {
            self.line.push(';');
            self.line.push_str(param);
            self.line.push('=');
            quote_param(value, &mut self.line);
        }
        self.line.push(':');
    }

    fn finish(&mut self) {
        fold(&self.line, self.out);
    }
}

/// Whether the wall-clock reading of `instant` in `zone` stands for it in RFC 5545 (not so
/// for the second pass through the autumn's repeated hour).
pub fn reads_back(instant: DateTime<Utc>, zone: Tz) -> bool {
    resolve_rfc5545(instant.with_timezone(&zone).naive_local(), zone) == Some(instant)
}

/// A UTC date-time value, `19970714T173000Z`.
pub fn utc_value(instant: DateTime<Utc>) -> String {
    let mut value = String::with_capacity(16);
    push_date_time(&instant.naive_utc(), &mut value);
    value.push('Z');
    value
}

/// Appends the RFC 5545 form of a date-time without zone, `19970714T133000`.
fn push_date_time(t: &NaiveDateTime, out: &mut String) {
    // Writing into a String cannot fail.
    let _ = write!(
        out,
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
}

/// CONTROL in RFC 5545: every byte below 0x20 except HTAB, and 0x7F. All of them are
/// ASCII, so they never sit inside a UTF-8 character.
fn is_control(b: u8) -> bool {
    (b.is_ascii_control() && b != b'\t') || b == 0x7f
}

/// Appends `value` with `replace` applied to each byte and the one after it: `Some(text)`
/// puts `text` in the byte's place (only ASCII bytes may be replaced, so characters stay
/// whole); the runs between are copied as they are.
fn push_replacing(
    value: &str,
    out: &mut String,
    replace: impl Fn(u8, Option<u8>) -> Option<&'static str>,
) {
    let bytes = value.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(text) = replace(b, bytes.get(i + 1).copied()) {
            out.push_str(&value[run..i]);
            out.push_str(text);
            run = i + 1;
        }
    }
    out.push_str(&value[run..]);
}

/// Appends `value` without its control characters.
fn push_clean(value: &str, out: &mut String) {
    push_replacing(value, out, |b, _| is_control(b).then_some(""));
}

/// Escapes TEXT: backslash, semicolon, comma; a line break (LF, CRLF or a lone CR)
/// becomes `\n`; other control characters are dropped.
pub fn escape_text(value: &str, out: &mut String) {
    push_replacing(value, out, |b, next| match b {
        b'\\' => Some("\\\\"),
        b';' => Some("\\;"),
        b',' => Some("\\,"),
        b'\n' => Some("\\n"),
        // A CRLF is one break: its LF stands for it.
        b'\r' if next == Some(b'\n') => Some(""),
        b'\r' => Some("\\n"),
        b if is_control(b) => Some(""),
        _ => None,
    });
}

/// Writes a parameter value: quoted when it holds `:`, `;` or `,`; a double quote (which
/// no parameter value may hold) becomes a single one; control characters are dropped.
fn quote_param(value: &str, out: &mut String) {
    let quoted = value.contains([':', ';', ',']);
    if quoted {
        out.push('"');
    }
    push_replacing(value, out, |b, _| match b {
        b'"' => Some("'"),
        b if is_control(b) => Some(""),
        _ => None,
    });
    if quoted {
        out.push('"');
    }
}

/// Appends `line` with its CRLF, folded so that no line exceeds 75 octets: a fold is
/// CRLF and a space, never splits a UTF-8 character, and is never next to a blank.
fn fold(line: &str, out: &mut String) {
    let mut room = MAX_LINE_OCTETS;
    let mut rest = line;
    while rest.len() > room {
        let mut cut = room;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        // Some parsers trim the blanks around a fold, not just the fold's own space:
        // never fold next to a blank of the text.
        let blank = [' ', '\t'];
        while cut > room / 2 && (rest[cut..].starts_with(blank) || rest[..cut].ends_with(blank)) {
            cut -= 1;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // The continuation's leading space counts towards its 75 octets.
        room = MAX_LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    const HELSINKI: Tz = chrono_tz::Europe::Helsinki;

    fn written(f: impl FnOnce(&mut ContentWriter<'_>)) -> String {
        let mut out = String::new();
        f(&mut ContentWriter::new(&mut out));
        out
    }

    fn unfold(text: &str) -> String {
        text.replace("\r\n ", "")
    }

    #[test]
    fn text_escapes_the_specials_and_every_kind_of_line_break() {
        assert_eq!(
            written(|w| w.text("SUMMARY", "a\\b;c,d\ne\r\nf\rg\u{0}h\ti")),
            "SUMMARY:a\\\\b\\;c\\,d\\ne\\nf\\ngh\ti\r\n"
        );
    }

    #[test]
    fn injected_properties_and_components_stay_text() {
        let hostile = "Kokous\r\nEND:VEVENT\r\nBEGIN:VEVENT\nATTENDEE:mailto:x@example.fi\rX";
        let out = written(|w| w.text("DESCRIPTION", hostile));
        for line in out.trim_end_matches("\r\n").split("\r\n").skip(1) {
            assert!(line.starts_with(' '), "a line of its own: {line:?}");
        }
        assert_eq!(
            unfold(&out),
            "DESCRIPTION:Kokous\\nEND:VEVENT\\nBEGIN:VEVENT\\nATTENDEE:mailto:x@example.fi\\nX\r\n"
        );
    }

    #[test]
    fn parameters_are_quoted_when_needed_and_never_break_out() {
        let out = written(|w| {
            w.raw_with(
                "ORGANIZER",
                &[("CN", "Martat, Lahti; \"ry\":\r\nX-EVIL=1")],
                "mailto:a@example.fi",
            )
        });
        assert_eq!(
            unfold(&out),
            "ORGANIZER;CN=\"Martat, Lahti; 'ry':X-EVIL=1\":mailto:a@example.fi\r\n"
        );
        let plain = written(|w| w.raw_with("ORGANIZER", &[("CN", "Martat")], "mailto:a@b.fi"));
        assert_eq!(plain, "ORGANIZER;CN=Martat:mailto:a@b.fi\r\n");
    }

    #[test]
    fn long_finnish_text_folds_at_75_octets_on_character_boundaries() {
        let text =
            "Ääliöt älkää työntäkö: öljyä äyskäriin, kööpenhaminalaiset höyläävät ".repeat(4);
        let out = written(|w| w.text("DESCRIPTION", &text));
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(
                line.len() <= MAX_LINE_OCTETS,
                "{} octets: {line}",
                line.len()
            );
        }
        let mut expected = String::from("DESCRIPTION:");
        escape_text(&text, &mut expected);
        assert_eq!(unfold(&out), expected + "\r\n");
    }

    #[test]
    fn local_times_carry_the_zone_and_utc_times_never_do() {
        let summer = "2027-06-01T15:00:00Z".parse().unwrap();
        assert_eq!(
            written(|w| w.date_time("DTSTART", summer, HELSINKI)),
            "DTSTART;TZID=Europe/Helsinki:20270601T180000\r\n"
        );
        assert_eq!(
            written(|w| w.utc("DTSTAMP", summer)),
            "DTSTAMP:20270601T150000Z\r\n"
        );
        // 03:30 happens twice on 2027-10-31: the first reads back, the second is UTC.
        let first = "2027-10-31T00:30:00Z".parse().unwrap();
        let second = "2027-10-31T01:30:00Z".parse().unwrap();
        assert_eq!(
            written(|w| w.date_time("DTSTART", first, HELSINKI)),
            "DTSTART;TZID=Europe/Helsinki:20271031T033000\r\n"
        );
        assert_eq!(
            written(|w| w.date_time("DTEND", second, HELSINKI)),
            "DTEND:20271031T013000Z\r\n"
        );
        let exdates = [
            NaiveDate::from_ymd_opt(2027, 3, 30)
                .unwrap()
                .and_hms_opt(18, 0, 0)
                .unwrap(),
            NaiveDate::from_ymd_opt(2027, 4, 6)
                .unwrap()
                .and_hms_opt(18, 0, 0)
                .unwrap(),
        ];
        assert_eq!(
            written(|w| w.local_list("EXDATE", &exdates, HELSINKI)),
            "EXDATE;TZID=Europe/Helsinki:20270330T180000,20270406T180000\r\n"
        );
    }

    proptest! {
        #[test]
        fn any_text_is_one_property_that_unescapes_to_itself(text in "\\PC*|[\\r\\n,;\\\\:a-zäö ]*") {
            let out = written(|w| w.text("SUMMARY", &text));
            prop_assert!(out.ends_with("\r\n"));
            for line in out.trim_end_matches("\r\n").split("\r\n") {
                prop_assert!(line.len() <= MAX_LINE_OCTETS);
            }
            let body = unfold(&out);
            prop_assert_eq!(body.matches("\r\n").count(), 1);
            let value = body.trim_end_matches("\r\n").strip_prefix("SUMMARY:").unwrap();
            // Unescaping gives back the text with line breaks as LF and controls dropped.
            let mut unescaped = String::new();
            let mut chars = value.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('n') => unescaped.push('\n'),
                        Some(other) => unescaped.push(other),
                        None => prop_assert!(false, "dangling backslash"),
                    }
                } else {
                    prop_assert!(c != ';' && c != ',', "unescaped {}", c);
                    unescaped.push(c);
                }
            }
            let expected: String = text
                .replace("\r\n", "\n")
                .replace('\r', "\n")
                .chars()
                .filter(|c| *c == '\n' || !(c.is_ascii() && is_control(*c as u8)))
                .collect();
            prop_assert_eq!(unescaped, expected);
        }
    }
}
