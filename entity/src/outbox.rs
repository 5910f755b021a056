//! A message waiting in the outbox, being sent, sent, or parked as failed.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub recipient_email: String,
    pub recipient_name: Option<String>,
    pub language: String,
    /// JSON of what the message tells, as of the change that caused it.
    pub payload: String,
    pub booking_id: Option<i64>,
    pub series_id: Option<i64>,
    pub event_id: Option<i64>,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// Filled in when the message is first composed.
    pub subject: Option<String>,
    /// Not sent before this.
    pub due_at: DateTimeUtc,
    /// Unique where set: a message that is written at most once.
    #[sea_orm(unique)]
    pub dedup_key: Option<String>,
    /// The worker that holds the row until `claimed_until`.
    pub claimed_by: Option<String>,
    pub claimed_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
