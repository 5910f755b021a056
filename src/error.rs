//! The one error type of the service, with a stable code per variant.
use crate::domain::validation::ValidationError;

/// Every way a request can fail. The code of each variant is part of the API.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid credentials were given where they are required (`UNAUTHENTICATED`).
    #[error("sign in with a valid API token")]
    Unauthenticated,
    /// The user may not do this (`FORBIDDEN`).
    #[error("{0}")]
    Forbidden(&'static str),
    /// The thing does not exist or is not visible to the user (`NOT_FOUND`).
    #[error("{entity} {id} was not found")]
    NotFound {
        /// What was looked for, e.g. `facility`.
        entity: &'static str,
        /// The id that was asked for.
        id: String,
    },
    /// An input value broke a rule (`VALIDATION`, with the field and a reason).
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A booking broke one or more of the facility's rules (`VALIDATION`, with
    /// the first violation's field and reason, and all of them in `violations`).
    #[error("the booking breaks the facility's rules: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    RuleViolations(Vec<ValidationError>),
    /// The requested time overlaps bookings that hold it (`CONFLICT`, with the
    /// taken intervals in `conflicts`, without their private details).
    #[error("the time is already booked")]
    BookingConflict {
        /// The blocked intervals that overlap the request.
        conflicts: Vec<crate::domain::time_range::TimeRange>,
    },
    /// The change collides with existing data (`CONFLICT`).
    #[error("{message}")]
    Conflict {
        /// What collided, in words a user understands.
        message: String,
        /// The field at fault, when one is.
        field: Option<String>,
    },
    /// Anything else; logged, never shown in detail (`INTERNAL`).
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// The stable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::Validation(_) | Self::RuleViolations(_) => "VALIDATION",
            Self::Conflict { .. } | Self::BookingConflict { .. } => "CONFLICT",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// A not-found error for `entity` with `id`.
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// The error of one item of a list input, at `item` (e.g. `ids[2]`): the field `own`
    /// (the item itself) becomes `item`, any other field is placed inside it.
    pub fn at_field(self, own: &str, item: &str) -> Self {
        let place = |field: String| {
            if field == own {
                item.to_string()
            } else {
                format!("{item}.{field}")
            }
        };
        match self {
            Self::Validation(mut v) => {
                v.field = place(v.field);
                Self::Validation(v)
            }
            Self::RuleViolations(violations) => Self::RuleViolations(
                violations
                    .into_iter()
                    .map(|mut v| {
                        v.field = place(v.field);
                        v
                    })
                    .collect(),
            ),
            Self::Conflict { message, field } => Self::Conflict {
                message,
                field: Some(field.map_or_else(|| item.to_string(), place)),
            },
            other => other,
        }
    }

    /// An internal error from any cause; the cause is logged, not shown.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::internal(err)
    }
}

/// Result of the service layer.
pub type AppResult<T> = Result<T, AppError>;
