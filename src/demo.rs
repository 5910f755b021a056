//! The Päijät-Häme demo data set, loaded through the GraphQL API itself so that
//! it passes the same validation as any client's data. Loading twice adds nothing.
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_graphql::{Request, Variables};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::contact::EmailAddress;
use crate::domain::ids::{FacilityId, OrganisationId};
use crate::domain::localized::Language;
use crate::domain::permissions::Access;
use crate::error::{AppError, AppResult};
use crate::graphql::build_schema;
use crate::graphql::context::{AppState, RequestData};
use crate::service::{events, facilities, organisations, users};

const DATA: &str = include_str!("demo/paijat_hame.json");

#[derive(Deserialize)]
struct DemoData {
    users: Vec<DemoUser>,
    organisations: Vec<Value>,
    facilities: Vec<Value>,
    events: Vec<DemoEvent>,
    #[serde(rename = "cooperationContacts")]
    cooperation_contacts: Vec<DemoContacts>,
}

/// An event of the demo, its date given relative to the day of seeding.
#[derive(Deserialize)]
struct DemoEvent {
    organiser: String,
    when: DemoWhen,
    recurrence: Option<Value>,
    #[serde(default)]
    venues: Vec<DemoVenue>,
    #[serde(default)]
    cohosts: Vec<DemoCohost>,
    /// Cancelled, with this reason.
    cancel: Option<String>,
    details: Value,
}

/// The first weekday `weekday` at least `weeks_ahead` weeks from today, local times.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoWhen {
    weeks_ahead: u64,
    weekday: String,
    start: String,
    end: String,
}

#[derive(Deserialize)]
struct DemoVenue {
    owner: String,
    name: String,
    attendees: Option<u32>,
}

#[derive(Deserialize)]
struct DemoCohost {
    key: String,
    /// ACCEPTED, DECLINED, or none for an open invitation.
    answer: Option<String>,
}

#[derive(Deserialize)]
struct DemoContacts {
    organisation: String,
    contacts: Value,
}

#[derive(Deserialize)]
struct DemoUser {
    email: String,
    name: String,
    language: String,
    coordinator: bool,
}

/// What a seeding run added.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    /// Organisations created.
    pub organisations: usize,
    /// Facilities created.
    pub facilities: usize,
    /// Events created.
    pub events: usize,
}

impl fmt::Display for SeedSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "demo data: {} organisations, {} facilities and {} events added",
            self.organisations, self.facilities, self.events
        )
    }
}

fn bad_data(message: impl Into<String>) -> AppError {
    AppError::internal(format!("demo data: {}", message.into()))
}

fn take_string(object: &mut Value, key: &str) -> AppResult<String> {
    match object.as_object_mut().and_then(|o| o.remove(key)) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(bad_data(format!("missing {key}"))),
    }
}

fn finnish_name(object: &Value) -> AppResult<String> {
    object["name"]["fi"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| bad_data("every name has a Finnish version"))
}

struct Api {
    state: Arc<AppState>,
    schema: crate::graphql::AppSchema,
    access: Access,
}

impl Api {
    async fn run(&self, query: &str, variables: Value) -> AppResult<Value> {
        let request = Request::new(query)
            .variables(Variables::from_json(variables))
            .data(RequestData::new(&self.state, self.access.clone()));
        let response = self.schema.execute(request).await;
        if let Some(error) = response.errors.first() {
            return Err(bad_data(format!("{} at {:?}", error.message, error.path)));
        }
        response.data.into_json().map_err(AppError::internal)
    }
}

fn id_of(value: &Value, path: &[&str]) -> AppResult<i64> {
    path.iter()
        .fold(value, |v, key| &v[*key])
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad_data("no id in the response"))
}

/// Loads the demo data set; organisations, facilities and events that exist (by Finnish
/// name or title) are kept, and cooperation contacts are set anew.
pub async fn seed(state: Arc<AppState>) -> AppResult<SeedSummary> {
    let data: DemoData = serde_json::from_str(DATA).map_err(|e| bad_data(e.to_string()))?;
    let db = &state.db;
    let mut coordinator = None;
    for user in &data.users {
        let created = users::find_or_create_user(
            db,
            users::NewUser {
                email: EmailAddress::parse("email", &user.email)?,
                name: Some(user.name.clone()),
                language: user
                    .language
                    .parse::<Language>()
                    .map_err(|_| bad_data("language"))?,
                coordinator: user.coordinator,
            },
        )
        .await?;
        if user.coordinator {
            coordinator = Some(created);
        }
    }
    let coordinator = coordinator.ok_or_else(|| bad_data("no coordinator user"))?;
    let api = Api {
        schema: build_schema(Some(state.clone())),
        access: Access::user(crate::domain::permissions::Actor {
            user_id: coordinator.id,
            email: coordinator.email,
            name: coordinator.name,
            language: Language::Fi,
            coordinator: true,
            memberships: HashMap::new(),
        }),
        state: state.clone(),
    };
    let mut summary = SeedSummary::default();

    let mut keys: HashMap<String, OrganisationId> = HashMap::new();
    for mut organisation in data.organisations {
        let key = take_string(&mut organisation, "key")?;
        let members = organisation
            .as_object_mut()
            .and_then(|o| o.remove("members"))
            .unwrap_or(Value::Array(Vec::new()));
        let name = finnish_name(&organisation)?;
        let id = match organisations::find_by_finnish_name(db, &name).await? {
            Some(id) => id,
            None => {
                let created = api
                    .run(
                        "mutation($input: OrganisationInput!) { createOrganisation(input: $input) { id } }",
                        json!({ "input": organisation }),
                    )
                    .await?;
                summary.organisations += 1;
                OrganisationId(id_of(&created, &["createOrganisation", "id"])?)
            }
        };
        for member in members.as_array().into_iter().flatten() {
            api.run(
                "mutation($input: AddMemberInput!) { addMember(input: $input) { id } }",
                json!({ "input": {
                    "organisationId": id.to_string(),
                    "email": member["email"],
                    "role": member["role"],
                }}),
            )
            .await?;
        }
        keys.insert(key, id);
    }

    let organisation_id = |key: &str| {
        keys.get(key)
            .copied()
            .ok_or_else(|| bad_data(format!("unknown organisation {key}")))
    };
    for mut facility in data.facilities {
        let owner = organisation_id(&take_string(&mut facility, "owner")?)?;
        let name = finnish_name(&facility)?;
        if facilities::find_by_finnish_name(db, owner, &name)
            .await?
            .is_some()
        {
            continue;
        }
        let object = facility
            .as_object_mut()
            .ok_or_else(|| bad_data("a facility is an object"))?;
        let opening_hours = object
            .remove("openingHours")
            .unwrap_or(Value::Array(Vec::new()));
        let exceptions = object
            .remove("exceptions")
            .unwrap_or(Value::Array(Vec::new()));
        let published = object
            .remove("published")
            .and_then(|p| p.as_bool())
            .unwrap_or(true);
        let invited = object
            .remove("invited")
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|key| {
                key.as_str()
                    .map(organisation_id)
                    .unwrap_or_else(|| Err(bad_data("invited keys are strings")))
            })
            .map(|id| id.map(|id| Value::String(id.to_string())))
            .collect::<AppResult<Vec<_>>>()?;
        object.insert("invitedOrganisationIds".into(), Value::Array(invited));
        let created = api
            .run(
                "mutation($owner: ID!, $input: FacilityInput!) { createFacility(ownerId: $owner, input: $input) { id } }",
                json!({ "owner": owner.to_string(), "input": facility }),
            )
            .await?;
        let id = FacilityId(id_of(&created, &["createFacility", "id"])?);
        api.run(
            "mutation($id: ID!, $hours: [OpeningIntervalInput!]!) { setOpeningHours(facilityId: $id, hours: $hours) { id } }",
            json!({ "id": id.to_string(), "hours": opening_hours }),
        )
        .await?;
        api.run(
            "mutation($id: ID!, $exceptions: [DateExceptionInput!]!) { setDateExceptions(facilityId: $id, exceptions: $exceptions) { id } }",
            json!({ "id": id.to_string(), "exceptions": exceptions }),
        )
        .await?;
        if !published {
            api.run(
                "mutation($id: ID!) { unpublishFacility(id: $id) { id } }",
                json!({ "id": id.to_string() }),
            )
            .await?;
        }
        summary.facilities += 1;
    }
    for contacts in data.cooperation_contacts {
        api.run(
            "mutation($o: ID!, $c: [CooperationContactInput!]!) { setCooperationContacts(organisationId: $o, contacts: $c) { id } }",
            json!({ "o": organisation_id(&contacts.organisation)?.to_string(), "c": contacts.contacts }),
        )
        .await?;
    }
    for event in data.events {
        if seed_event(&api, &organisation_id, event).await? {
            summary.events += 1;
        }
    }
    Ok(summary)
}

/// The date of `when`, as `YYYY-MM-DD`.
fn demo_day(when: &DemoWhen) -> AppResult<chrono::NaiveDate> {
    use chrono::Datelike;
    let weekday: chrono::Weekday = when.weekday.parse().map_err(|_| bad_data("weekday"))?;
    let mut day = chrono::Utc::now()
        .with_timezone(&crate::domain::local_time::DEFAULT_TIME_ZONE)
        .date_naive()
        + chrono::Days::new(7 * when.weeks_ahead);
    while day.weekday() != weekday {
        day = day.succ_opt().ok_or_else(|| bad_data("date"))?;
    }
    Ok(day)
}

/// Creates a demo event unless its organiser already has one of its title; co-hosts are
/// invited and answer, and a cancelled one is cancelled. True when it was created.
async fn seed_event(
    api: &Api,
    organisation_id: &impl Fn(&str) -> AppResult<OrganisationId>,
    event: DemoEvent,
) -> AppResult<bool> {
    let db = &api.state.db;
    let organiser = organisation_id(&event.organiser)?;
    let title = event.details["title"]["fi"]
        .as_str()
        .ok_or_else(|| bad_data("every event title has a Finnish version"))?;
    if events::find_by_finnish_title(db, organiser, title)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let day = demo_day(&event.when)?;
    let mut venues = Vec::new();
    for venue in &event.venues {
        let owner = organisation_id(&venue.owner)?;
        let facility = facilities::find_by_finnish_name(db, owner, &venue.name)
            .await?
            .ok_or_else(|| bad_data(format!("no facility {}", venue.name)))?;
        venues.push(json!({ "facilityId": facility.to_string(), "attendees": venue.attendees }));
    }
    let created = api
        .run(
            "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }",
            json!({ "input": {
                "organiserId": organiser.to_string(),
                "start": format!("{day}T{}", event.when.start),
                "end": format!("{day}T{}", event.when.end),
                "recurrence": event.recurrence,
                "venues": venues,
                "publish": true,
                "details": event.details,
            }}),
        )
        .await?;
    let id = id_of(&created, &["createEvent", "id"])?.to_string();
    for cohost in &event.cohosts {
        let organisation = organisation_id(&cohost.key)?.to_string();
        api.run(
            "mutation($e: ID!, $o: ID!) { inviteCohost(eventId: $e, organisationId: $o) { status } }",
            json!({ "e": id, "o": organisation }),
        )
        .await?;
        if let Some(answer) = &cohost.answer {
            api.run(
                "mutation($e: ID!, $o: ID!, $a: Boolean!) { answerCohostInvitation(eventId: $e, organisationId: $o, accept: $a) { status } }",
                json!({ "e": id, "o": organisation, "a": answer == "ACCEPTED" }),
            )
            .await?;
        }
    }
    if let Some(reason) = &event.cancel {
        api.run(
            "mutation($id: ID!, $reason: String!) { cancelEvent(id: $id, reason: $reason) { status } }",
            json!({ "id": id, "reason": reason }),
        )
        .await?;
    }
    Ok(true)
}

/// A fresh API token for the demo coordinator, so a new user can try mutations.
pub async fn coordinator_token(state: &AppState) -> AppResult<String> {
    let data: DemoData = serde_json::from_str(DATA).map_err(|e| bad_data(e.to_string()))?;
    let email = data
        .users
        .iter()
        .find(|u| u.coordinator)
        .map(|u| u.email.clone())
        .ok_or_else(|| bad_data("no coordinator user"))?;
    let user = users::find_or_create_user(
        &state.db,
        users::NewUser {
            email: EmailAddress::parse("email", &email)?,
            name: None,
            language: Language::Fi,
            coordinator: true,
        },
    )
    .await?;
    let (_, secret) = users::create_token(&state.db, user.id, "demo").await?;
    Ok(secret)
}
