//! Mail over a real SMTP server in the test process: who gets what, in which language,
//! with which invitation; nothing lost while the server is down or the service crashes.
use std::collections::HashMap;
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::bookings::{bookable, booking, day_ahead};
use crate::helpers::{TestApp, spawn_app_with};
use crate::smtp::{Received, SmtpServer};

const CREATE: &str =
    "mutation($input: CreateBookingInput!) { createBooking(input: $input) { id status } }";
const CANCEL: &str =
    "mutation($id: ID!, $reason: String) { cancelBooking(id: $id, reason: $reason) { id status } }";
const OUTBOX: &str = "query($filter: OutboxFilterInput) { outboxMessages(filter: $filter, first: 100) {
    totalCount edges { node { id kind status recipient language subject attempts lastError bookingId } } } }";

/// A server that sends mail to `smtp`, retrying quickly.
async fn mail_app(smtp: &SmtpServer, max_attempts: u32) -> TestApp {
    let url = smtp.url();
    spawn_app_with(|config| {
        config.mail.smtp_url = Some(url);
        config.mail.mail_from = "Yhteistila <yhteistila@example.fi>".into();
        config.mail.retry_base = Duration::from_millis(100);
        config.mail.retry_max = Duration::from_millis(400);
        config.mail.poll = Duration::from_millis(50);
        config.mail.lease = Duration::from_secs(1);
        config.mail.smtp_timeout = Duration::from_secs(5);
        config.mail.max_attempts = max_attempts;
    })
    .await
}

/// Books `facility` for `organisation` as `token` on `day` from `from` to `to` (local
/// times); returns the booking's id and status.
async fn book(
    app: &TestApp,
    token: &str,
    facility: &str,
    organisation: &str,
    day: NaiveDate,
    from: &str,
    to: &str,
) -> (String, String) {
    let (start, end) = (format!("{day}T{from}"), format!("{day}T{to}"));
    let data = app
        .graphql(
            Some(token),
            CREATE,
            booking(facility, organisation, &start, &end),
        )
        .await;
    let created = &data["createBooking"];
    let text = |field: &str| created[field].as_str().expect(field).to_string();
    (text("id"), text("status"))
}

/// A member of `organisation` who reads mail in `language`; returns their token.
async fn member(app: &TestApp, organisation: &str, email: &str, language: &str) -> String {
    let coordinator = app.coordinator().await;
    app.graphql(
        Some(&coordinator),
        "mutation($input: AddMemberInput!) { addMember(input: $input) { id } }",
        json!({ "input": { "organisationId": organisation, "email": email, "role": "BOOKER",
            "name": "Märta Lindqvist", "language": language } }),
    )
    .await;
    app.token_for(email, false).await
}

async fn outbox(app: &TestApp, filter: Value) -> Vec<Value> {
    let coordinator = app.coordinator().await;
    let data = app
        .graphql(Some(&coordinator), OUTBOX, json!({ "filter": filter }))
        .await;
    data["outboxMessages"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// Waits until every outbox message satisfies `done` (the worker runs in the background).
async fn until_outbox(app: &TestApp, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..300 {
        let messages = outbox(app, json!({})).await;
        if done(&messages) {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("outbox never got there: {:?}", outbox(app, json!({})).await);
}

fn all_sent(messages: &[Value]) -> bool {
    !messages.is_empty() && messages.iter().all(|m| m["status"] == "SENT")
}

fn to(received: &[Received], address: &str) -> Vec<Received> {
    received
        .iter()
        .filter(|r| r.to == [address.to_string()])
        .cloned()
        .collect()
}

/// The `text/calendar` part: its content-type `method` parameter and the calendar parsed
/// by an independent parser.
fn invitation(message: &Received) -> Option<(String, ical::parser::ical::component::IcalCalendar)> {
    use mail_parser::MimeHeaders;
    let parsed = message.parsed();
    let part = parsed.parts.iter().find(|p| {
        p.content_type()
            .is_some_and(|c| c.ctype() == "text" && c.subtype() == Some("calendar"))
    })?;
    let raw = String::from_utf8_lossy(&message.data);
    assert!(
        raw.contains("Content-Type: text/calendar; method=") && raw.contains("; charset=UTF-8"),
        "{raw}"
    );
    let content_type = part.content_type()?;
    let method = content_type.attribute("method")?.to_string();
    let text = part.text_contents()?.to_string();
    let calendar = ical::IcalParser::new(text.as_bytes())
        .next()
        .expect("a calendar")
        .expect("a valid calendar");
    Some((method, calendar))
}

fn property<'a>(properties: &'a [ical::property::Property], name: &str) -> Option<&'a str> {
    properties
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.as_deref())
}

fn subject(message: &Received) -> String {
    message.parsed().subject().unwrap_or_default().to_string()
}

fn text(message: &Received) -> String {
    message
        .parsed()
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_confirmed_booking_sends_an_invitation_in_the_bookers_language_and_cancelling_removes_it()
{
    let smtp = SmtpServer::start().await;
    let app = mail_app(&smtp, 5).await;
    let (facility, ngo, _, _) = bookable(&app, json!({})).await;
    let booker = member(&app, &ngo, "marta@example.fi", "SV").await;
    let day = day_ahead(12);
    let (id, status) = book(&app, &booker, &facility, &ngo, day, "18:00", "20:00").await;
    assert_eq!(status, "CONFIRMED");

    let confirmation = &smtp.wait_for(1).await[0];
    assert_eq!(confirmation.to, ["marta@example.fi"]);
    let when = format!("{} kl. 18.00–20.00", day.format("%-d.%-m.%Y"));
    assert!(
        subject(confirmation).starts_with("Bokning bekräftad: Vertaisryhmä, ")
            && subject(confirmation).contains(&when)
            && subject(confirmation).ends_with(", Klubbrum"),
        "{}",
        subject(confirmation)
    );
    assert!(text(confirmation).starts_with("Hej Märta Lindqvist,"));
    assert!(confirmation.parsed().body_html(0).is_some());
    let (method, request) = invitation(confirmation).expect("an invitation");
    assert_eq!(method, "REQUEST");
    assert_eq!(property(&request.properties, "METHOD"), Some("REQUEST"));
    assert_eq!(request.events.len(), 1);
    let event = &request.events[0].properties;
    let uid = app.state.installation.uid("booking", id.parse().unwrap());
    assert_eq!(property(event, "UID"), Some(uid.as_str()));
    assert_eq!(property(event, "SEQUENCE"), Some("0"));
    assert_eq!(property(event, "STATUS"), Some("CONFIRMED"));
    assert_eq!(
        property(event, "ORGANIZER"),
        Some("mailto:yhteistila@example.fi")
    );
    assert_eq!(property(event, "ATTENDEE"), Some("mailto:marta@example.fi"));
    assert_eq!(
        request.timezones[0]
            .properties
            .iter()
            .find(|p| p.name == "TZID")
            .and_then(|p| p.value.as_deref()),
        Some("Europe/Helsinki")
    );

    app.graphql(Some(&booker), CANCEL, json!({ "id": id }))
        .await;
    // The booker's cancellation, and a notice to the facility's contact person.
    let received = smtp.wait_for(3).await;
    let cancellation = &to(&received, "marta@example.fi")[1];
    assert!(subject(cancellation).starts_with("Bokning avbokad: Vertaisryhmä, "));
    let (method, cancel) = invitation(cancellation).expect("a cancellation");
    assert_eq!(method, "CANCEL");
    assert_eq!(property(&cancel.properties, "METHOD"), Some("CANCEL"));
    let event = &cancel.events[0].properties;
    assert_eq!(property(event, "UID"), Some(uid.as_str()));
    assert_eq!(property(event, "SEQUENCE"), Some("1"));
    assert_eq!(property(event, "STATUS"), Some("CANCELLED"));
    let notice = &to(&received, "liisa@example.fi")[0];
    assert!(
        subject(notice).starts_with("Varaus peruttu: Lahden Martat, "),
        "{}",
        subject(notice)
    );
    assert!(invitation(notice).is_none());

    let messages = until_outbox(&app, all_sent).await;
    assert_eq!(messages.len(), 3);
    assert!(messages.iter().all(|m| m["attempts"] == 1));
}

#[tokio::test]
async fn bookings_of_one_hall_by_two_associations_at_once_each_get_their_own_invitation() {
    let smtp = SmtpServer::start().await;
    let app = mail_app(&smtp, 5).await;
    let (facility, martat, _, _) = bookable(&app, json!({})).await;
    let coordinator = app.coordinator().await;
    let village = app
        .create_organisation(&coordinator, "NGO", "Hollolan Kyläyhdistys", "Hollola")
        .await;
    let first = member(&app, &martat, "marta@example.fi", "FI").await;
    let second = member(&app, &village, "kyla@example.fi", "FI").await;
    let day = day_ahead(14);
    // Made at once, so that the worker likely sends both messages in one batch.
    let (a, b) = tokio::join!(
        book(&app, &first, &facility, &martat, day, "10:00", "12:00"),
        book(&app, &second, &facility, &village, day, "14:00", "16:00"),
    );
    assert_eq!((a.1.as_str(), b.1.as_str()), ("CONFIRMED", "CONFIRMED"));
    let received = smtp.wait_for(2).await;
    for (address, id, own, other) in [
        (
            "marta@example.fi",
            &a.0,
            "Lahden Martat",
            "Hollolan Kyläyhdistys",
        ),
        (
            "kyla@example.fi",
            &b.0,
            "Hollolan Kyläyhdistys",
            "Lahden Martat",
        ),
    ] {
        let mine = to(&received, address);
        assert_eq!(mine.len(), 1, "{address}");
        let (_, calendar) = invitation(&mine[0]).expect("an invitation");
        let event = &calendar.events[0].properties;
        let uid = app.state.installation.uid("booking", id.parse().unwrap());
        assert_eq!(property(event, "UID"), Some(uid.as_str()));
        let description = property(event, "DESCRIPTION").unwrap_or_default();
        assert!(
            description.contains(own) && !description.contains(other),
            "{address}: {description}"
        );
    }
    // The outcomes are recorded together, each message with its own subject.
    let recorded = until_outbox(&app, all_sent).await;
    assert_eq!(recorded.len(), 2);
    for message in &recorded {
        let address = message["recipient"].as_str().unwrap_or_default();
        let sent = subject(&to(&received, address)[0]);
        assert_eq!(
            message["subject"].as_str(),
            Some(sent.as_str()),
            "{address}"
        );
    }
    assert_ne!(recorded[0]["subject"], recorded[1]["subject"]);
}

#[tokio::test]
async fn a_request_awaiting_approval_tells_the_contact_person_and_approval_sends_the_invitation() {
    let smtp = SmtpServer::start().await;
    let app = mail_app(&smtp, 5).await;
    let (facility, ngo, booker, manager) =
        bookable(&app, json!({ "approvalRequired": true })).await;
    let day = day_ahead(15);
    let (id, status) = book(&app, &booker, &facility, &ngo, day, "10:00", "11:30").await;
    assert_eq!(status, "PENDING");
    let received = smtp.wait_for(2).await;
    let receipt = &to(&received, "martta@example.fi")[0];
    assert!(
        subject(receipt).starts_with("Varauspyyntö vastaanotettu: Vertaisryhmä, "),
        "{}",
        subject(receipt)
    );
    assert!(subject(receipt).contains("klo 10.00–11.30"));
    assert!(
        invitation(receipt).is_none(),
        "no invitation before approval"
    );
    let request = &to(&received, "liisa@example.fi")[0];
    assert!(subject(request).starts_with("Uusi varauspyyntö odottaa hyväksyntää: Lahden Martat, "));

    app.graphql(
        Some(&manager),
        "mutation($id: ID!) { approveBooking(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    let received = smtp.wait_for(3).await;
    let confirmation = &to(&received, "martta@example.fi")[1];
    assert!(subject(confirmation).starts_with("Varaus vahvistettu: "));
    let (method, calendar) = invitation(confirmation).expect("an invitation");
    assert_eq!(method, "REQUEST");
    // Approval is a change a calendar shows: the sequence grew.
    assert_eq!(
        property(&calendar.events[0].properties, "SEQUENCE"),
        Some("1")
    );
}

#[tokio::test]
async fn a_series_is_one_message_and_a_manager_cancelling_it_is_one_more() {
    let smtp = SmtpServer::start().await;
    let app = mail_app(&smtp, 5).await;
    let (facility, ngo, booker, manager) = bookable(&app, json!({})).await;
    let first = day_ahead(7);
    let taken = first + chrono::Days::new(14);
    // Another organisation holds the third Tuesday already.
    let coordinator = app.coordinator().await;
    let other = app
        .create_organisation(&coordinator, "NGO", "Hollolan Kyläyhdistys", "Hollola")
        .await;
    let neighbour = app
        .member_token(&coordinator, &other, "kyla@example.fi", "BOOKER")
        .await;
    book(&app, &neighbour, &facility, &other, taken, "18:00", "20:00").await;
    let mut request = booking(
        &facility,
        &ngo,
        &format!("{first}T18:00"),
        &format!("{first}T20:00"),
    );
    request["input"]["rrule"] = json!("FREQ=WEEKLY;COUNT=4");
    request["input"]["skipConflicts"] = json!(true);
    let data = app
        .graphql(
            Some(&booker),
            "mutation($input: CreateBookingSeriesInput!) { createBookingSeries(input: $input) { series { id } bookedCount skippedCount } }",
            request,
        )
        .await;
    assert_eq!(data["createBookingSeries"]["bookedCount"], 3);
    let series = data["createBookingSeries"]["series"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let received = smtp.wait_for(2).await;
    let booked = to(&received, "martta@example.fi");
    assert_eq!(booked.len(), 1, "one message for the whole series");
    let message = &booked[0];
    assert!(
        subject(message).starts_with("Sarjavaraus vahvistettu: Vertaisryhmä, 3 kertaa alkaen "),
        "{}",
        subject(message)
    );
    let body = text(message);
    assert!(body.contains("Ajat (3):"), "{body}");
    assert!(body.contains("Ei varattu (1):"), "{body}");
    assert!(
        body.contains(&format!(
            "{} klo 18.00: aika on jo varattu",
            taken.format("%-d.%-m.%Y")
        )),
        "{body}"
    );
    let (method, calendar) = invitation(message).expect("an invitation");
    assert_eq!(method, "REQUEST");
    let series_id: i64 = series.parse().unwrap();
    let uid = app.state.installation.uid("series", series_id);
    assert!(
        calendar
            .events
            .iter()
            .all(|e| property(&e.properties, "UID") == Some(uid.as_str()))
    );
    let master = &calendar.events[0].properties;
    assert_eq!(property(master, "RRULE"), Some("FREQ=WEEKLY;COUNT=4"));
    assert!(
        property(master, "EXDATE").is_some(),
        "the taken Tuesday is left out"
    );

    app.graphql(
        Some(&manager),
        "mutation($id: ID!, $reason: String) { cancelBookingSeries(seriesId: $id, scope: WHOLE_SERIES, reason: $reason) { cancelled { id } } }",
        json!({ "id": series, "reason": "Sali remontissa" }),
    )
    .await;
    let received = smtp.wait_for(3).await;
    let booked = to(&received, "martta@example.fi");
    assert_eq!(booked.len(), 2, "one message for the three cancellations");
    let cancellation = &booked[1];
    assert!(subject(cancellation).starts_with("3 varausta peruttu: Vertaisryhmä, "));
    assert!(text(cancellation).contains("Syy: Sali remontissa"));
    let (method, calendar) = invitation(cancellation).expect("a cancellation");
    assert_eq!(method, "CANCEL");
    let event = &calendar.events[0].properties;
    assert_eq!(property(event, "UID"), Some(uid.as_str()));
    assert_eq!(property(event, "STATUS"), Some("CANCELLED"));
    let sequence: i32 = property(event, "SEQUENCE").unwrap().parse().unwrap();
    assert!(sequence > 0);
    // The manager cancelled: no notice to the facility's own contact person.
    until_outbox(&app, all_sent).await;
    assert!(to(&smtp.received(), "liisa@example.fi").is_empty());
}

#[tokio::test]
async fn with_smtp_down_bookings_succeed_and_their_mail_is_delivered_once_when_it_returns() {
    let mut smtp = SmtpServer::down().await;
    let app = mail_app(&smtp, 50).await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let mut ids = Vec::new();
    for days in [20, 21, 22] {
        let day = day_ahead(days);
        let (id, status) = book(&app, &booker, &facility, &ngo, day, "18:00", "20:00").await;
        assert_eq!(status, "CONFIRMED");
        ids.push(id);
    }
    let waiting = until_outbox(&app, |messages| {
        messages.len() == 3
            && messages.iter().all(|m| {
                m["status"] == "PENDING"
                    && m["attempts"].as_i64() >= Some(2)
                    && !m["lastError"].is_null()
            })
    })
    .await;
    assert_eq!(waiting.len(), 3);

    smtp.resume().await;
    let received = smtp.wait_for(3).await;
    until_outbox(&app, all_sent).await;
    assert_eq!(smtp.received().len(), 3, "{received:?}");
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for message in smtp.received() {
        *per_id
            .entry(message.parsed().message_id().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(per_id.len(), 3);
    assert!(per_id.values().all(|n| *n == 1));
}

#[tokio::test]
async fn a_crash_mid_batch_loses_nothing_and_sends_nothing_twice() {
    let smtp = SmtpServer::start().await;
    smtp.hold(true);
    let mut app = mail_app(&smtp, 5).await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    for days in [30, 31, 32] {
        let day = day_ahead(days);
        book(&app, &booker, &facility, &ngo, day, "18:00", "20:00").await;
    }
    // The mail server has the first message but has not answered yet: crash now.
    smtp.until_holding().await;
    app.crash_and_restart().await;
    smtp.hold(false);

    let messages = until_outbox(&app, all_sent).await;
    assert_eq!(messages.len(), 3);
    // As far as the outbox can tell, each went out exactly once: the interrupted
    // attempt was never acknowledged, so it neither counted nor delivered.
    assert!(messages.iter().all(|m| m["attempts"] == 1), "{messages:?}");
    let received = smtp.received();
    assert_eq!(received.len(), 3);
    let subjects: std::collections::HashSet<String> = received.iter().map(subject).collect();
    assert_eq!(subjects.len(), 3);
}

#[tokio::test]
async fn failed_messages_are_parked_after_the_last_attempt_and_the_coordinator_retries_them() {
    let mut smtp = SmtpServer::down().await;
    let app = mail_app(&smtp, 2).await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let nobody = member(&app, &ngo, "nobody@example.fi", "FI").await;
    let day = day_ahead(9);
    book(&app, &booker, &facility, &ngo, day, "09:00", "10:00").await;
    let parked = until_outbox(&app, |m| m.len() == 1 && m[0]["status"] == "FAILED").await;
    assert_eq!(parked[0]["attempts"], 2);
    assert!(!parked[0]["lastError"].is_null());

    smtp.resume().await;
    let coordinator = app.coordinator().await;
    let retried = app
        .graphql(
            Some(&coordinator),
            "mutation($id: ID!) { retryOutboxMessage(id: $id) { status attempts } }",
            json!({ "id": parked[0]["id"] }),
        )
        .await;
    assert_eq!(retried["retryOutboxMessage"]["status"], "PENDING");
    smtp.wait_for(1).await;
    until_outbox(&app, all_sent).await;
    let again = app
        .graphql_error(
            Some(&coordinator),
            "mutation($id: ID!) { retryOutboxMessage(id: $id) { status } }",
            json!({ "id": parked[0]["id"] }),
        )
        .await;
    assert_eq!(again["extensions"]["code"], "CONFLICT");

    // A recipient the server refuses for good (550) is parked at once.
    book(&app, &nobody, &facility, &ngo, day, "12:00", "13:00").await;
    let refused = until_outbox(&app, |m| {
        m.iter()
            .any(|m| m["recipient"] == "nobody@example.fi" && m["status"] == "FAILED")
    })
    .await;
    let refused = refused
        .iter()
        .find(|m| m["recipient"] == "nobody@example.fi")
        .unwrap();
    assert_eq!(refused["attempts"], 1);
    assert!(refused["lastError"].as_str().unwrap().contains("550"));

    let forbidden = app
        .graphql_error(Some(&booker), OUTBOX, json!({ "filter": {} }))
        .await;
    assert_eq!(forbidden["extensions"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn user_text_cannot_add_headers_or_break_the_mime_structure() {
    let smtp = SmtpServer::start().await;
    let app = mail_app(&smtp, 5).await;
    let (facility, ngo, booker, manager) =
        bookable(&app, json!({ "approvalRequired": true })).await;
    let day = day_ahead(11);
    let mut request = booking(
        &facility,
        &ngo,
        &format!("{day}T18:00"),
        &format!("{day}T20:00"),
    );
    request["input"]["title"] =
        json!("--=_boundary Content-Type: text/html; Bcc: evil@example.com");
    let created = app.graphql(Some(&booker), CREATE, request).await;
    let id = created["createBooking"]["id"].as_str().unwrap().to_string();
    let reason = "Varattu jo.\r\nBcc: evil@example.com\r\nSubject: hijacked\r\n\r\n--=_boundary\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>\r\n.\r\n";
    app.graphql(
        Some(&manager),
        "mutation($id: ID!, $reason: String!) { rejectBooking(id: $id, reason: $reason) { status } }",
        json!({ "id": id, "reason": reason }),
    )
    .await;
    let received = smtp.wait_for(3).await;
    assert!(
        received
            .iter()
            .all(|r| !r.to.iter().any(|t| t.contains("evil")))
    );
    let rejection = to(&received, "martta@example.fi")
        .into_iter()
        .find(|r| subject(r).starts_with("Varauspyyntöä ei hyväksytty"))
        .expect("the rejection");
    let parsed = rejection.parsed();
    let names: Vec<String> = parsed
        .headers()
        .iter()
        .map(|h| h.name().to_ascii_lowercase())
        .collect();
    assert!(!names.contains(&"bcc".to_string()), "{names:?}");
    assert_eq!(names.iter().filter(|n| *n == "subject").count(), 1);
    assert!(
        subject(&rejection).contains("--=_boundary Content-Type: text/html; Bcc: evil@example.com")
    );
    // multipart/alternative with exactly the text and the HTML part.
    assert_eq!(parsed.parts.len(), 3, "{:?}", parsed.parts.len());
    assert!(text(&rejection).contains("<script>alert(1)</script>"));
    let html = parsed.body_html(0).unwrap();
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn a_reminder_goes_once_before_the_booking_and_never_for_a_cancelled_or_moved_one() {
    use entity::booking;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

    let mut smtp = SmtpServer::down().await;
    let url = smtp.url();
    let app = spawn_app_with(|config| {
        config.mail.smtp_url = Some(url);
        config.mail.retry_base = Duration::from_millis(100);
        config.mail.retry_max = Duration::from_millis(300);
        config.mail.poll = Duration::from_millis(50);
        config.mail.max_attempts = 100;
        config.mail.reminder_before = Duration::from_secs(3 * 24 * 3600);
    })
    .await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let mut ids = Vec::new();
    for hour in [9, 12, 15] {
        let day = day_ahead(2);
        let (from, to) = (format!("{hour}:00"), format!("{hour}:30"));
        let (id, _) = book(&app, &booker, &facility, &ngo, day, &from, &to).await;
        ids.push(id);
    }
    // As if they had been booked a month ago.
    booking::Entity::update_many()
        .col_expr(
            booking::Column::UpdatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::days(30)),
        )
        .filter(booking::Column::Id.is_in(ids.iter().map(|i| i.parse::<i64>().unwrap())))
        .exec(&app.state.db)
        .await
        .unwrap();
    let reminders = until_outbox(&app, |m| {
        m.iter().filter(|m| m["kind"] == "BOOKING_REMINDER").count() == 3
    })
    .await;
    assert_eq!(
        reminders
            .iter()
            .filter(|m| m["kind"] == "BOOKING_REMINDER" && m["status"] == "PENDING")
            .count(),
        3
    );
    // While mail waits, one booking is cancelled and one moved.
    app.graphql(Some(&booker), CANCEL, json!({ "id": ids[1] }))
        .await;
    let day = day_ahead(2);
    app.graphql(
        Some(&booker),
        "mutation($id: ID!, $start: String!, $end: String!) { moveBooking(id: $id, start: $start, end: $end) { id } }",
        json!({ "id": ids[2], "start": format!("{day}T17:00"), "end": format!("{day}T17:30") }),
    )
    .await;
    smtp.resume().await;
    let messages = until_outbox(&app, |m| {
        m.iter()
            .all(|m| m["status"] == "SENT" || m["status"] == "SUPERSEDED")
    })
    .await;
    let reminder_status = |id: &str| -> Vec<String> {
        messages
            .iter()
            .filter(|m| m["kind"] == "BOOKING_REMINDER" && m["bookingId"] == id)
            .map(|m| m["status"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(reminder_status(&ids[0]), ["SENT"], "{messages:#?}");
    assert_eq!(reminder_status(&ids[1]), ["SUPERSEDED"]);
    assert_eq!(reminder_status(&ids[2]), ["SUPERSEDED"]);
    let reminders: Vec<Received> = smtp
        .received()
        .into_iter()
        .filter(|r| subject(r).starts_with("Muistutus: "))
        .collect();
    let subjects: Vec<String> = reminders.iter().map(subject).collect();
    assert_eq!(subjects.len(), 1, "{subjects:?} {messages:#?}");
    assert!(subjects[0].contains("klo 09.00–09.30"));
}

#[tokio::test]
async fn co_hosts_hear_of_their_invitation_and_a_cancelled_weekly_event_is_one_message_each() {
    let smtp = SmtpServer::start().await;
    let app = mail_app(&smtp, 5).await;
    let (hall, martat, martta, _) = bookable(&app, json!({})).await;
    let coordinator = app.coordinator().await;
    let carers = app
        .create_organisation(&coordinator, "NGO", "Lahden Omaishoitajat", "Lahti")
        .await;
    let carers_admin = app
        .member_token(&coordinator, &carers, "omaishoitajat@example.fi", "ADMIN")
        .await;
    let first = day_ahead(14);
    let event = app
        .graphql(
            Some(&martta),
            "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }",
            json!({ "input": {
                "organiserId": martat,
                "start": format!("{first}T18:00"), "end": format!("{first}T20:00"),
                "recurrence": { "rrule": "FREQ=WEEKLY;COUNT=3" },
                "venues": [{ "facilityId": hall }],
                "publish": true,
                "details": { "title": { "fi": "Kuorotreenit" }, "themes": ["PARTICIPATION_AND_COMMUNITY"],
                    "targetGroups": ["OLDER_PEOPLE_AND_FAMILY_CARERS"], "isFree": true }
            } }),
        )
        .await;
    let id = event["createEvent"]["id"].as_str().unwrap().to_string();
    app.graphql(
        Some(&martta),
        "mutation($e: ID!, $o: ID!) { inviteCohost(eventId: $e, organisationId: $o) { status } }",
        json!({ "e": id, "o": carers }),
    )
    .await;
    let received = smtp.wait_for(2).await;
    let invited = &to(&received, "omaishoitajat@example.fi")[0];
    let when = format!("{} klo 18.00–20.00", first.format("%-d.%-m.%Y"));
    assert!(
        subject(invited).starts_with("Kutsu järjestämään yhdessä: Kuorotreenit, ")
            && subject(invited).contains(&when)
            && subject(invited).ends_with(", Kerhohuone"),
        "{}",
        subject(invited)
    );
    assert!(text(invited).contains("Järjestäjä: Lahden Martat"));
    let event_uid = app.state.installation.uid("event", id.parse().unwrap());
    let (method, calendar) = invitation(invited).expect("an invitation");
    assert_eq!(method, "REQUEST");
    let master = &calendar.events[0].properties;
    assert_eq!(property(master, "UID"), Some(event_uid.as_str()));
    assert_eq!(property(master, "RRULE"), Some("FREQ=WEEKLY;COUNT=3"));
    assert_eq!(
        property(master, "ATTENDEE"),
        Some("mailto:omaishoitajat@example.fi")
    );
    app.graphql(
        Some(&carers_admin),
        "mutation($e: ID!, $o: ID!) { answerCohostInvitation(eventId: $e, organisationId: $o, accept: true) { status } }",
        json!({ "e": id, "o": carers }),
    )
    .await;

    app.graphql(
        Some(&martta),
        "mutation($id: ID!) { cancelEvent(id: $id, reason: \"Kuoronjohtaja sairastui\") { status } }",
        json!({ "id": id }),
    )
    .await;
    until_outbox(&app, |m| m.len() == 5 && all_sent(m)).await;
    let received = smtp.received();
    let cancelled = to(&received, "omaishoitajat@example.fi");
    assert_eq!(cancelled.len(), 2);
    assert!(subject(&cancelled[1]).starts_with("Tapahtuma peruttu: Kuorotreenit, "));
    assert!(text(&cancelled[1]).contains("Syy: Kuoronjohtaja sairastui"));
    let (method, calendar) = invitation(&cancelled[1]).expect("a cancellation");
    assert_eq!(method, "CANCEL");
    let event = &calendar.events[0].properties;
    assert_eq!(property(event, "UID"), Some(event_uid.as_str()));
    assert_eq!(property(event, "STATUS"), Some("CANCELLED"));
    assert!(property(event, "SEQUENCE").unwrap().parse::<i32>().unwrap() > 0);
    // The organiser's booker: the venue series when it was booked, and its three
    // occurrences freed together, with one calendar cancellation.
    let booker = to(&received, "martta@example.fi");
    assert_eq!(
        booker.len(),
        2,
        "{:?}",
        booker.iter().map(subject).collect::<Vec<_>>()
    );
    assert!(subject(&booker[1]).starts_with("3 varausta peruttu: Kuorotreenit, "));
    let (method, calendar) = invitation(&booker[1]).expect("a cancellation");
    assert_eq!(method, "CANCEL");
    assert_eq!(calendar.events.len(), 1);
    let uid = property(&calendar.events[0].properties, "UID").unwrap();
    assert!(uid.starts_with("series-"), "{uid}");
    assert_eq!(to(&received, "liisa@example.fi").len(), 1);
}

#[tokio::test]
async fn without_smtp_each_message_is_written_as_an_eml_file() {
    // A directory that does not exist yet is made.
    let app = spawn_app_with(|config| config.mail.mail_dir.push("outgoing/2026")).await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    book(
        &app,
        &booker,
        &facility,
        &ngo,
        day_ahead(5),
        "18:00",
        "19:00",
    )
    .await;
    until_outbox(&app, all_sent).await;
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(app.mail_dir().join("outgoing/2026"))
        .expect("the mail directory")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
    let written = Received {
        to: Vec::new(),
        data: std::fs::read(&files[0]).expect("the file"),
    };
    assert!(subject(&written).starts_with("Varaus vahvistettu: Vertaisryhmä, "));
    assert!(invitation(&written).is_some());
}

#[tokio::test]
async fn a_manager_cancelling_many_bookings_at_two_halls_sends_each_booker_one_message() {
    const CHANGE: &str =
        "mutation($ids: [ID!]!, $transition: BookingTransition!, $reason: String) {
        changeBookings(ids: $ids, transition: $transition, reason: $reason) { id status } }";
    let smtp = SmtpServer::start().await;
    let app = mail_app(&smtp, 5).await;
    let (facility, ngo, booker, manager) = bookable(&app, json!({})).await;
    let colleague = member(&app, &ngo, "marta@example.fi", "SV").await;
    // A second hall of the same town.
    let owner = app
        .graphql(
            None,
            "query($id: ID!) { facility(id: $id) { owner { id } } }",
            json!({ "id": facility }),
        )
        .await;
    let town = owner["facility"]["owner"]["id"].as_str().unwrap();
    let gym = app
        .create_facility(
            &manager,
            town,
            json!({ "name": { "fi": "Liikuntasali" }, "streetAddress": "Kisapuistonkatu 5" }),
        )
        .await;
    app.open_daily(&manager, &gym, "00:00", "24:00").await;
    let day = day_ahead(9);
    let mut ids = Vec::new();
    for (token, hall, from, to, title) in [
        (&booker, &facility, "10:00", "11:00", "Vertaisryhmä"),
        (&booker, &facility, "12:00", "13:00", "Kuoroharjoitus"),
        (&booker, &gym, "14:00", "15:00", "Kuoroharjoitus"),
        (&colleague, &facility, "16:00", "17:00", "Syysjuhla"),
    ] {
        let mut request = booking(hall, &ngo, &format!("{day}T{from}"), &format!("{day}T{to}"));
        request["input"]["title"] = json!(title);
        let data = app.graphql(Some(token), CREATE, request).await;
        ids.push(
            data["createBooking"]["id"]
                .as_str()
                .expect("an id")
                .to_string(),
        );
    }
    smtp.wait_for(4).await;
    let change = |ids: &[&String], transition: &str| json!({ "ids": ids, "transition": transition, "reason": "Vesivahinko salissa" });

    // A batch of one: the colleague hears in Swedish, with a cancellation.
    let data = app
        .graphql(Some(&manager), CHANGE, change(&[&ids[3]], "CANCEL"))
        .await;
    assert_eq!(data["changeBookings"][0]["status"], "CANCELLED");
    // One booking that cannot change stops the whole batch: nothing is cancelled, no mail.
    let error = app
        .graphql_error(
            Some(&manager),
            CHANGE,
            change(&[&ids[0], &ids[1], &ids[3]], "CANCEL"),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "CONFLICT");
    assert_eq!(error["extensions"]["field"], "ids[2]");
    let error = app
        .graphql_error(
            Some(&manager),
            CHANGE,
            change(&[&ids[0], &ids[0]], "CANCEL"),
        )
        .await;
    assert_eq!(error["extensions"]["field"], "ids[1]");
    // The booker may cancel their own bookings but not approve in a batch either.
    let error = app
        .graphql_error(Some(&booker), CHANGE, change(&[&ids[0]], "APPROVE"))
        .await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");

    let data = app
        .graphql(
            Some(&manager),
            CHANGE,
            change(&[&ids[0], &ids[1], &ids[2]], "CANCEL"),
        )
        .await;
    let statuses: Vec<&Value> = data["changeBookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["status"])
        .collect();
    assert_eq!(statuses, ["CANCELLED"; 3]);
    until_outbox(&app, |m| m.len() == 6 && all_sent(m)).await;
    let received = smtp.received();
    let mine = to(&received, "martta@example.fi");
    assert_eq!(mine.len(), 4, "three confirmations and one cancellation");
    let cancellation = &mine[3];
    assert!(
        subject(cancellation).starts_with("3 varausta peruttu: Vertaisryhmä, Kuoroharjoitus, "),
        "{}",
        subject(cancellation)
    );
    assert!(
        subject(cancellation).ends_with(", Kerhohuone, Liikuntasali"),
        "{}",
        subject(cancellation)
    );
    let body = text(cancellation);
    assert!(
        body.contains("klo 10.00–11.00, Kerhohuone: Vertaisryhmä"),
        "{body}"
    );
    assert!(
        body.contains("klo 14.00–15.00, Liikuntasali: Kuoroharjoitus"),
        "{body}"
    );
    assert!(body.contains("Syy: Vesivahinko salissa"), "{body}");
    let (method, calendar) = invitation(cancellation).expect("a cancellation");
    assert_eq!(method, "CANCEL");
    let mut uids: Vec<&str> = calendar
        .events
        .iter()
        .map(|e| {
            assert_eq!(property(&e.properties, "STATUS"), Some("CANCELLED"));
            property(&e.properties, "UID").expect("a UID")
        })
        .collect();
    let gym_uid = app
        .state
        .installation
        .uid("booking", ids[2].parse().unwrap());
    let at_gym = calendar
        .events
        .iter()
        .find(|e| property(&e.properties, "UID") == Some(gym_uid.as_str()))
        .expect("the gym booking");
    let location = property(&at_gym.properties, "LOCATION").unwrap_or_default();
    assert!(location.starts_with("Liikuntasali"), "{location}");
    uids.sort_unstable();
    let mut expected: Vec<String> = ids[..3]
        .iter()
        .map(|id| app.state.installation.uid("booking", id.parse().unwrap()))
        .collect();
    expected.sort_unstable();
    assert_eq!(uids, expected);

    let theirs = to(&received, "marta@example.fi");
    assert_eq!(theirs.len(), 2);
    assert!(
        subject(&theirs[1]).contains("Syysjuhla"),
        "{}",
        subject(&theirs[1])
    );
    assert_eq!(invitation(&theirs[1]).expect("a cancellation").0, "CANCEL");
    // The managers cancelled: the facility's contact person hears nothing of it.
    assert!(to(&received, "liisa@example.fi").is_empty());
}
