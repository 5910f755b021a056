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
