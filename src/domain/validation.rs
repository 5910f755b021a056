//! The error every domain constructor returns when a value is not acceptable.
use std::fmt;

/// An input value that broke a rule, with the input field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The input field at fault, as the API names it (`businessId`, `capacity`, …).
    pub field: String,
    /// A stable machine-readable reason, e.g. `INVALID_BUSINESS_ID`.
    pub reason: &'static str,
    /// A human-readable explanation in English.
    pub message: String,
}

impl ValidationError {
    /// Builds an error for `field` with a stable `reason`.
    pub fn new(field: impl Into<String>, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason,
            message: message.into(),
        }
    }

    /// Prefixes the field with the path of the input object that holds it.
    pub fn within(mut self, parent: &str) -> Self {
        self.field = format!("{parent}.{}", self.field);
        self
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}
