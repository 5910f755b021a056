//! Turning [`AppError`] into GraphQL errors with a stable `extensions.code`.
use async_graphql::ErrorExtensions;

use crate::error::AppError;

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        if let AppError::Internal(cause) = self {
            tracing::error!(error = %cause, "internal error");
        }
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                AppError::Validation(v) => {
                    ext.set("field", v.field.as_str());
                    ext.set("reason", v.reason);
                }
                AppError::RuleViolations(violations) => {
                    if let Some(first) = violations.first() {
                        ext.set("field", first.field.as_str());
                        ext.set("reason", first.reason);
                    }
                    let list: Vec<async_graphql::Value> = violations
                        .iter()
                        .map(|v| {
                            async_graphql::value!({
                                "field": v.field.as_str(),
                                "reason": v.reason,
                                "message": v.message.as_str(),
                            })
                        })
                        .collect();
                    ext.set("violations", list);
                }
                AppError::BookingConflict { conflicts } => {
                    let list: Vec<async_graphql::Value> = conflicts
                        .iter()
                        .map(|c| {
                            async_graphql::value!({
                                "start": c.start().to_rfc3339(),
                                "end": c.end().to_rfc3339(),
                            })
                        })
                        .collect();
                    ext.set("conflicts", list);
                }
                AppError::Conflict {
                    field: Some(field), ..
                } => ext.set("field", field.as_str()),
                _ => {}
            }
        })
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

impl From<crate::domain::validation::ValidationError> for async_graphql::Error {
    fn from(err: crate::domain::validation::ValidationError) -> Self {
        AppError::from(err).extend()
    }
}
