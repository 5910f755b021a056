//! The Finnish business ID (Y-tunnus) with its check digit.
use super::validation::ValidationError;

/// A Y-tunnus such as `0112038-9`: seven digits, a hyphen and a check digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessId(String);

const WEIGHTS: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];

impl BusinessId {
    /// Parses and checks a Y-tunnus; surrounding white space is ignored.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let invalid = |message: &str| {
            ValidationError::new("businessId", "INVALID_BUSINESS_ID", message.to_string())
        };
        let value = input.trim();
        let (body, check) = value
            .split_once('-')
            .ok_or_else(|| invalid("a business ID has the form 1234567-8"))?;
        if body.len() != 7 || check.len() != 1 || !value.is_ascii() {
            return Err(invalid("a business ID has the form 1234567-8"));
        }
        let digits: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
        let check = check.chars().next().and_then(|c| c.to_digit(10));
        let (7, Some(check)) = (digits.len(), check) else {
            return Err(invalid("a business ID has the form 1234567-8"));
        };
        let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
        let expected = match sum % 11 {
            0 => 0,
            1 => return Err(invalid("no valid business ID has these seven digits")),
            r => 11 - r,
        };
        if check != expected {
            return Err(invalid("the check digit of the business ID does not match"));
        }
        Ok(Self(value.to_string()))
    }

    /// The business ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ids_with_a_matching_check_digit() {
        // Remainders 10, 9 and 0: check digits 1, 2 and 0.
        for id in ["0245491-1", "0245437-2", " 1572860-0 "] {
            assert!(BusinessId::parse(id).is_ok(), "{id}");
        }
    }

    #[test]
    fn rejects_wrong_check_digit_and_shape() {
        for id in [
            "0245491-4",
            "245491-1",
            "02454911",
            "0245491-",
            "abcdefg-1",
            "0245491-11",
        ] {
            let err = BusinessId::parse(id).unwrap_err();
            assert_eq!(err.field, "businessId");
            assert_eq!(err.reason, "INVALID_BUSINESS_ID");
        }
    }

    #[test]
    fn rejects_digits_whose_remainder_is_one() {
        // 6 * 2 = 12, and 12 mod 11 = 1: no check digit can make this valid.
        let err = BusinessId::parse("0000006-0").unwrap_err();
        assert_eq!(err.reason, "INVALID_BUSINESS_ID");
    }
}
