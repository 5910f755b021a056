//! TEMPORARY until the domain booking rules land.
use super::validation::ValidationError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMinutes {
    pub min_duration: Option<u32>,
    pub max_duration: Option<u32>,
    pub slot_granularity: u32,
    pub min_notice: Option<u32>,
    pub max_advance_days: Option<u32>,
    pub buffer_before: u32,
    pub buffer_after: u32,
    pub approval_required: bool,
    pub cancellation_notice: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRules(RuleMinutes);

impl BookingRules {
    #[allow(clippy::too_many_arguments)]
    pub fn from_minutes(
        min_duration: Option<u32>,
        max_duration: Option<u32>,
        slot_granularity: u32,
        min_notice: Option<u32>,
        max_advance_days: Option<u32>,
        buffer_before: u32,
        buffer_after: u32,
        approval_required: bool,
        cancellation_notice: Option<u32>,
    ) -> Result<Self, ValidationError> {
        Ok(Self(RuleMinutes {
            min_duration,
            max_duration,
            slot_granularity,
            min_notice,
            max_advance_days,
            buffer_before,
            buffer_after,
            approval_required,
            cancellation_notice,
        }))
    }
    pub fn to_minutes(&self) -> RuleMinutes {
        self.0.clone()
    }
}
