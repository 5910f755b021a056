//! Typed identifiers, so an organisation id cannot be passed as a facility id.
use std::fmt;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// Identifies an organisation.
    OrganisationId,
    /// Identifies a user.
    UserId,
    /// Identifies a facility.
    FacilityId,
    /// Identifies an API token.
    ApiTokenId,
    /// Identifies an event.
    EventId,
);
