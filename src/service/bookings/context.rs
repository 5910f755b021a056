//! What checking and announcing a booking needs to know about its facility besides the
//! facility's row, and a cache of it: creating a booking should read nothing it read a
//! moment ago for the last one.
use std::sync::Arc;

use sea_orm::ConnectionTrait;

use super::occupancy;
use crate::domain::ids::{FacilityId, OrganisationId};
use crate::domain::municipality::Municipality;
use crate::domain::opening_hours::{DateException, WeeklyHours};
use crate::error::AppResult;
use crate::service::facilities::{self, Facility};
use crate::service::stamped_cache::StampedCache;
use crate::service::{municipalities, opening_hours};

/// A facility's opening hours, the units a booking of it holds, the organisations it has
/// invited to book, and its municipality.
#[derive(Debug, Clone)]
pub struct FacilityRules {
    /// Weekly opening hours.
    pub weekly: WeeklyHours,
    /// Dated closures and special hours.
    pub exceptions: Vec<DateException>,
    /// The facility and, if it is divisible, its parts.
    pub units: Vec<FacilityId>,
    /// Organisations invited to book it.
    pub invited: Vec<OrganisationId>,
    /// Its municipality, for messages.
    pub municipality: Option<Municipality>,
}

impl FacilityRules {
    /// Reads them.
    pub async fn load(db: &impl ConnectionTrait, facility: &Facility) -> AppResult<Self> {
        let id = facility.id;
        Ok(Self {
            weekly: opening_hours::weekly_hours_of(db, &[id])
                .await?
                .remove(&id)
                .unwrap_or_default(),
            exceptions: opening_hours::exceptions_of(db, &[id])
                .await?
                .remove(&id)
                .unwrap_or_default(),
            units: occupancy::units_of(db, id).await?,
            invited: facilities::invited_by_facility(db, &[id])
                .await?
                .into_iter()
                .map(|(_, organisation)| organisation)
                .collect(),
            municipality: municipalities::by_code(db, &facility.spec.municipality_code).await?,
        })
    }
}

/// Facility rules by facility, kept as long as the facility's row is unchanged: every
/// change of its hours, exceptions, parts or invitations also touches the row's
/// `updated_at`, which is what a cached entry is checked against.
#[derive(Debug, Default)]
pub struct RulesCache(StampedCache<FacilityId, FacilityRules>);

impl RulesCache {
    /// The rules of `facility` as its row (read just before) says they are now.
    pub async fn rules_of(
        &self,
        db: &impl ConnectionTrait,
        facility: &Facility,
    ) -> AppResult<Arc<FacilityRules>> {
        if let Some(rules) = self.0.get(&facility.id, facility.updated_at) {
            return Ok(rules);
        }
        // Read after the row: the rules are at least as new as the stamp they are kept under.
        let rules = Arc::new(FacilityRules::load(db, facility).await?);
        self.0.put(facility.id, facility.updated_at, rules.clone());
        Ok(rules)
    }
}
