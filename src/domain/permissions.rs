//! Who may do what: the rules as plain functions over an [`Actor`].
use std::collections::HashMap;

use super::ids::{OrganisationId, UserId};
use super::localized::Language;
use super::organisation::Role;

/// The person behind a request, with their memberships.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user.
    pub user_id: UserId,
    /// The user's email address, where messages to them go.
    pub email: String,
    /// The user's name.
    pub name: String,
    /// The user's preferred language.
    pub language: Language,
    /// The region's NGO coordinator: reads everything, manages organisations.
    pub coordinator: bool,
    /// The user's role in each organisation they belong to.
    pub memberships: HashMap<OrganisationId, Role>,
}

/// What a request may do: anonymous visitors read published data only.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Access(Option<Actor>);

impl Access {
    /// Access of an anonymous visitor.
    pub fn anonymous() -> Self {
        Self(None)
    }

    /// Access of a signed-in user.
    pub fn user(actor: Actor) -> Self {
        Self(Some(actor))
    }

    /// The signed-in user, if any.
    pub fn actor(&self) -> Option<&Actor> {
        self.0.as_ref()
    }

    /// True for the region's coordinator.
    pub fn is_coordinator(&self) -> bool {
        self.0.as_ref().is_some_and(|a| a.coordinator)
    }

    /// The user's role in `organisation`, if a member.
    pub fn role_in(&self, organisation: OrganisationId) -> Option<Role> {
        self.0
            .as_ref()
            .and_then(|a| a.memberships.get(&organisation).copied())
    }

    fn has_role(&self, organisation: OrganisationId, at_least: Role) -> bool {
        self.is_coordinator() || self.role_in(organisation).is_some_and(|r| r >= at_least)
    }

    /// Creating organisations is the coordinator's task.
    pub fn can_create_organisation(&self) -> bool {
        self.is_coordinator()
    }

    /// Editing an organisation and its members: its admins and the coordinator.
    pub fn can_manage_organisation(&self, organisation: OrganisationId) -> bool {
        self.has_role(organisation, Role::Admin)
    }

    /// Creating and changing facilities: the owner's admins and facility managers.
    pub fn can_manage_facilities_of(&self, owner: OrganisationId) -> bool {
        self.has_role(owner, Role::FacilityManager)
    }

    /// Seeing unpublished facilities and private contact details of the owner's facilities.
    pub fn can_see_private_facility_data(&self, owner: OrganisationId) -> bool {
        self.is_coordinator() || self.role_in(owner).is_some()
    }

    /// Booking in the name of `organisation`: any member, and the coordinator.
    pub fn can_book_for(&self, organisation: OrganisationId) -> bool {
        self.has_role(organisation, Role::Booker)
    }

    /// Approving, rejecting and cancelling any booking of the owner's facilities.
    pub fn can_manage_bookings_at(&self, owner: OrganisationId) -> bool {
        self.has_role(owner, Role::FacilityManager)
    }

    /// Seeing a booking's private details: the booking organisation's members, the
    /// facility owner's members and the coordinator.
    pub fn can_see_booking_of(&self, booker: OrganisationId, owner: OrganisationId) -> bool {
        self.is_coordinator() || self.role_in(booker).is_some() || self.role_in(owner).is_some()
    }

    /// Following the organisation's bookings, and those of its facilities, in full in a
    /// private calendar feed: its members and the coordinator.
    pub fn can_follow_calendar_of(&self, organisation: OrganisationId) -> bool {
        self.is_coordinator() || self.role_in(organisation).is_some()
    }

    /// Creating events in the name of `organisation` and working on them: its members.
    pub fn can_host_for(&self, organisation: OrganisationId) -> bool {
        self.has_role(organisation, Role::Booker)
    }

    /// Answering an invitation to co-host an event: the invited organisation's admins.
    pub fn can_answer_for(&self, organisation: OrganisationId) -> bool {
        self.has_role(organisation, Role::Admin)
    }

    /// Seeing the follow-up of cooperation across the region: the coordinator.
    pub fn can_see_cooperation_report(&self) -> bool {
        self.is_coordinator()
    }

    /// Seeing the organisation's member list.
    pub fn can_see_members_of(&self, organisation: OrganisationId) -> bool {
        self.is_coordinator() || self.role_in(organisation).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(org: i64, role: Role) -> Access {
        Access::user(Actor {
            user_id: UserId(1),
            email: "a@example.org".into(),
            name: "A".into(),
            language: Language::Fi,
            coordinator: false,
            memberships: HashMap::from([(OrganisationId(org), role)]),
        })
    }

    #[test]
    fn booker_cannot_manage_facilities() {
        let booker = member(7, Role::Booker);
        assert!(!booker.can_manage_facilities_of(OrganisationId(7)));
        assert!(booker.can_see_private_facility_data(OrganisationId(7)));
    }

    #[test]
    fn manager_manages_only_own_organisation() {
        let manager = member(7, Role::FacilityManager);
        assert!(manager.can_manage_facilities_of(OrganisationId(7)));
        assert!(!manager.can_manage_facilities_of(OrganisationId(8)));
        assert!(!manager.can_manage_organisation(OrganisationId(7)));
    }

    #[test]
    fn bookers_book_for_their_own_organisation_only() {
        let booker = member(7, Role::Booker);
        assert!(booker.can_book_for(OrganisationId(7)));
        assert!(!booker.can_book_for(OrganisationId(8)));
        assert!(!booker.can_manage_bookings_at(OrganisationId(7)));
        assert!(booker.can_see_booking_of(OrganisationId(7), OrganisationId(9)));
        assert!(!booker.can_see_booking_of(OrganisationId(8), OrganisationId(9)));
        assert!(member(9, Role::FacilityManager).can_manage_bookings_at(OrganisationId(9)));
    }

    #[test]
    fn coordinator_does_everything_and_anonymous_nothing() {
        let coordinator = Access::user(Actor {
            user_id: UserId(1),
            email: "a@example.org".into(),
            name: "A".into(),
            language: Language::Fi,
            coordinator: true,
            memberships: HashMap::new(),
        });
        assert!(coordinator.can_create_organisation());
        assert!(coordinator.can_manage_facilities_of(OrganisationId(99)));
        let anonymous = Access::anonymous();
        assert!(!anonymous.can_see_private_facility_data(OrganisationId(1)));
        assert!(!anonymous.can_create_organisation());
    }
}
