//! Batched look-ups of relations: one query per relation per request, whatever the page size.
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader as LoaderTrait;
use sea_orm::DatabaseConnection;

use crate::domain::ids::{EventId, FacilityId, OrganisationId, UserId};
use crate::domain::opening_hours::{DateException, WeeklyHours};
use crate::error::AppError;
use crate::service::organisations::{self, Organisation};
use crate::service::users::{self, Member, User};
use crate::service::{events, facilities, opening_hours};

/// Loads relations of one request in batches.
pub struct Loader {
    db: DatabaseConnection,
}

impl Loader {
    /// A loader over `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Key: the parts of a divisible facility.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartsOf(pub FacilityId);

/// Key: the weekly opening hours of a facility.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HoursOf(pub FacilityId);

/// Key: the dated exceptions of a facility.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExceptionsOf(pub FacilityId);

/// Loader errors are shared between the resolvers that waited for the batch.
pub type LoadError = Arc<AppError>;

/// Key: the members of an organisation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MembersOf(pub OrganisationId);

/// Key: the organisations invited to book a facility.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct InvitedTo(pub FacilityId);

impl LoaderTrait<OrganisationId> for Loader {
    type Value = Organisation;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[OrganisationId],
    ) -> Result<HashMap<OrganisationId, Organisation>, LoadError> {
        let rows = organisations::by_ids(&self.db, keys).await?;
        Ok(rows.into_iter().map(|o| (o.id, o)).collect())
    }
}

impl LoaderTrait<FacilityId> for Loader {
    type Value = facilities::Facility;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[FacilityId],
    ) -> Result<HashMap<FacilityId, facilities::Facility>, LoadError> {
        let rows = facilities::by_ids(&self.db, keys).await?;
        Ok(rows.into_iter().map(|f| (f.id, f)).collect())
    }
}

impl LoaderTrait<UserId> for Loader {
    type Value = User;
    type Error = LoadError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, User>, LoadError> {
        let rows = users::users_by_ids(&self.db, keys).await?;
        Ok(rows.into_iter().map(|u| (u.id, u)).collect())
    }
}

impl LoaderTrait<MembersOf> for Loader {
    type Value = Vec<Member>;
    type Error = LoadError;

    async fn load(&self, keys: &[MembersOf]) -> Result<HashMap<MembersOf, Vec<Member>>, LoadError> {
        let ids: Vec<_> = keys.iter().map(|k| k.0).collect();
        let mut map: HashMap<MembersOf, Vec<Member>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for member in users::members_of(&self.db, &ids).await? {
            map.entry(MembersOf(member.organisation_id))
                .or_default()
                .push(member);
        }
        Ok(map)
    }
}

impl LoaderTrait<InvitedTo> for Loader {
    type Value = Vec<OrganisationId>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[InvitedTo],
    ) -> Result<HashMap<InvitedTo, Vec<OrganisationId>>, LoadError> {
        let ids: Vec<_> = keys.iter().map(|k| k.0).collect();
        let mut map: HashMap<InvitedTo, Vec<OrganisationId>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for (facility, organisation) in facilities::invited_by_facility(&self.db, &ids).await? {
            map.entry(InvitedTo(facility))
                .or_default()
                .push(organisation);
        }
        Ok(map)
    }
}

impl LoaderTrait<PartsOf> for Loader {
    type Value = Vec<facilities::Facility>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[PartsOf],
    ) -> Result<HashMap<PartsOf, Vec<facilities::Facility>>, LoadError> {
        let ids: Vec<_> = keys.iter().map(|k| k.0).collect();
        let mut map: HashMap<PartsOf, Vec<facilities::Facility>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for (whole, part) in facilities::parts_of(&self.db, &ids).await? {
            map.entry(PartsOf(whole)).or_default().push(part);
        }
        Ok(map)
    }
}

impl LoaderTrait<HoursOf> for Loader {
    type Value = WeeklyHours;
    type Error = LoadError;

    async fn load(&self, keys: &[HoursOf]) -> Result<HashMap<HoursOf, WeeklyHours>, LoadError> {
        let ids: Vec<_> = keys.iter().map(|k| k.0).collect();
        let hours = opening_hours::weekly_hours_of(&self.db, &ids).await?;
        Ok(hours.into_iter().map(|(id, h)| (HoursOf(id), h)).collect())
    }
}

impl LoaderTrait<ExceptionsOf> for Loader {
    type Value = Vec<DateException>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[ExceptionsOf],
    ) -> Result<HashMap<ExceptionsOf, Vec<DateException>>, LoadError> {
        let ids: Vec<_> = keys.iter().map(|k| k.0).collect();
        let exceptions = opening_hours::exceptions_of(&self.db, &ids).await?;
        Ok(exceptions
            .into_iter()
            .map(|(id, e)| (ExceptionsOf(id), e))
            .collect())
    }
}

/// Key: the co-host invitations of an event.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CohostsOf(pub EventId);

/// Key: the venue bookings of an event.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VenueOf(pub EventId);

/// Key: the occurrences of an event.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct OccurrencesOf(pub EventId);

/// Each key's rows from a map by event, with an empty list for keys without rows.
fn per_event<K: Copy + Eq + std::hash::Hash, V>(
    keys: &[K],
    event: impl Fn(&K) -> EventId,
    mut rows: HashMap<EventId, Vec<V>>,
) -> HashMap<K, Vec<V>> {
    keys.iter()
        .map(|k| (*k, rows.remove(&event(k)).unwrap_or_default()))
        .collect()
}

impl LoaderTrait<CohostsOf> for Loader {
    type Value = Vec<events::Cohost>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[CohostsOf],
    ) -> Result<HashMap<CohostsOf, Vec<events::Cohost>>, LoadError> {
        let ids: Vec<_> = keys.iter().map(|k| k.0).collect();
        let rows = events::cohosts_of(&self.db, &ids).await?;
        Ok(per_event(keys, |k| k.0, rows))
    }
}

impl LoaderTrait<VenueOf> for Loader {
    type Value = Vec<events::VenueBooking>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[VenueOf],
    ) -> Result<HashMap<VenueOf, Vec<events::VenueBooking>>, LoadError> {
        let ids: Vec<_> = keys.iter().map(|k| k.0).collect();
        let rows = events::bookings_of(&self.db, &ids).await?;
        Ok(per_event(keys, |k| k.0, rows))
    }
}

impl LoaderTrait<OccurrencesOf> for Loader {
    type Value = Vec<events::Occurrence>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[OccurrencesOf],
    ) -> Result<HashMap<OccurrencesOf, Vec<events::Occurrence>>, LoadError> {
        let ids: Vec<_> = keys.iter().map(|k| k.0).collect();
        let rows = events::occurrences_of(&self.db, &ids, None).await?;
        Ok(per_event(keys, |k| k.0, rows))
    }
}

/// Turns a shared loader error into the service's error.
pub fn app_error(err: LoadError) -> AppError {
    Arc::try_unwrap(err).unwrap_or_else(|shared| AppError::internal(shared.to_string()))
}

/// Turns a shared loader error into a GraphQL error.
pub fn load_error(err: LoadError) -> async_graphql::Error {
    app_error(err).into()
}
