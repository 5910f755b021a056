//! HTTP endpoints besides GraphQL: the follow-up report as CSV and public event pages.
//! Errors keep their stable code, here as the HTTP status and a plain-text body.
pub mod event_page;
pub mod reports;

use poem::http::{HeaderMap, StatusCode, header};
use poem::{IntoResponse, Response};

use crate::domain::permissions::{Access, Actor};
use crate::error::AppError;
use crate::graphql::context::AppState;
use crate::service::users;

/// The HTTP status of an error.
pub fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Validation(_) | AppError::RuleViolations(_) => StatusCode::BAD_REQUEST,
        AppError::Conflict { .. } | AppError::BookingConflict { .. } => StatusCode::CONFLICT,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An error as a response: its status, and `CODE: message` (field included) as text.
pub fn error_response(err: AppError) -> Response {
    if let AppError::Internal(cause) = &err {
        tracing::error!(error = %cause, "internal error");
    }
    let status = status_of(&err);
    let body = format!("{}: {}\n", err.code(), err);
    (status, body)
        .with_content_type("text/plain; charset=utf-8")
        .into_response()
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The signed-in user of a request, or `UNAUTHENTICATED`.
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Access, AppError> {
    let token = bearer_token(headers).ok_or(AppError::Unauthenticated)?;
    let actor: Actor = users::authenticate(&state.db, token).await?;
    Ok(Access::user(actor))
}
