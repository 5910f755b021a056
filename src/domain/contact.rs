//! Contact details: email addresses, phone numbers, web addresses, contact persons.
use super::validation::ValidationError;

/// An email address in the `local@domain` form, without spaces or control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Checks the address; `field` names the input field at fault.
    pub fn parse(field: &str, input: &str) -> Result<Self, ValidationError> {
        let value = input.trim();
        let valid = value.len() <= 254
            && !value
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c))
            && value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if valid {
            Ok(Self(value.to_lowercase()))
        } else {
            Err(ValidationError::new(
                field,
                "INVALID_EMAIL",
                "not an email address",
            ))
        }
    }

    /// The address as text (lower-cased).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number: digits with optional `+`, spaces, hyphens and parentheses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Checks the number; `field` names the input field at fault.
    pub fn parse(field: &str, input: &str) -> Result<Self, ValidationError> {
        let value = input.trim();
        let digits = value.chars().filter(char::is_ascii_digit).count();
        let allowed = value
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()".contains(c));
        if allowed && (5..=20).contains(&digits) {
            Ok(Self(value.to_string()))
        } else {
            Err(ValidationError::new(
                field,
                "INVALID_PHONE",
                "not a phone number",
            ))
        }
    }

    /// The number as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An http(s) web address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAddress(String);

impl WebAddress {
    /// Checks the address; `field` names the input field at fault.
    pub fn parse(field: &str, input: &str) -> Result<Self, ValidationError> {
        let value = input.trim();
        let rest = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"));
        match rest {
            Some(rest)
                if !rest.is_empty()
                    && value.len() <= 2000
                    && !value.chars().any(|c| c.is_whitespace() || c.is_control()) =>
            {
                Ok(Self(value.to_string()))
            }
            _ => Err(ValidationError::new(
                field,
                "INVALID_URL",
                "give an http:// or https:// address",
            )),
        }
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The person to ask about a facility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPerson {
    /// Full name.
    pub name: String,
    /// Email address, if given.
    pub email: Option<EmailAddress>,
    /// Phone number, if given.
    pub phone: Option<PhoneNumber>,
    /// Whether anonymous visitors may see the email and phone.
    pub public: bool,
}

/// Checks a required single-line text: trimmed, non-empty, at most `max_chars`.
pub fn required_line(
    field: &str,
    input: &str,
    max_chars: usize,
) -> Result<String, ValidationError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(ValidationError::new(field, "REQUIRED", "must not be empty"));
    }
    if value.chars().count() > max_chars || value.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "INVALID_TEXT",
            format!("one line of at most {max_chars} characters"),
        ));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            EmailAddress::parse("e", " Liisa@Example.FI ")
                .unwrap()
                .as_str(),
            "liisa@example.fi"
        );
        for bad in [
            "liisa",
            "@example.fi",
            "liisa@example",
            "li isa@example.fi",
            "a@b.fi\r\nBcc: x@y.fi",
        ] {
            assert_eq!(
                EmailAddress::parse("e", bad).unwrap_err().reason,
                "INVALID_EMAIL",
                "{bad}"
            );
        }
    }

    #[test]
    fn phones_and_urls() {
        assert!(PhoneNumber::parse("p", "+358 40 123 4567").is_ok());
        assert!(PhoneNumber::parse("p", "call me").is_err());
        assert!(WebAddress::parse("w", "https://example.fi/kylatalo").is_ok());
        assert!(WebAddress::parse("w", "javascript:alert(1)").is_err());
    }

    #[test]
    fn lines_reject_control_characters() {
        assert_eq!(
            required_line("name", "  ", 10).unwrap_err().reason,
            "REQUIRED"
        );
        assert_eq!(
            required_line("name", "a\nb", 10).unwrap_err().reason,
            "INVALID_TEXT"
        );
    }
}
