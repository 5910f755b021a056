//! Text in Finnish, Swedish and English, the languages of the region.
use super::validation::ValidationError;
use strum::{AsRefStr, EnumString};

/// A language the service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString)]
#[strum(serialize_all = "lowercase")]
pub enum Language {
    /// Finnish (suomi).
    Fi,
    /// Swedish (svenska).
    Sv,
    /// English.
    En,
}

/// Text given in one or more of the three languages; empty strings count as missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalizedText {
    fi: Option<String>,
    sv: Option<String>,
    en: Option<String>,
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl LocalizedText {
    /// Text that may be missing in every language (e.g. a description).
    pub fn optional(fi: Option<String>, sv: Option<String>, en: Option<String>) -> Self {
        Self {
            fi: non_empty(fi),
            sv: non_empty(sv),
            en: non_empty(en),
        }
    }

    /// Text required in at least one language (e.g. a name), at most `max_chars` long.
    pub fn required(
        field: &str,
        fi: Option<String>,
        sv: Option<String>,
        en: Option<String>,
        max_chars: usize,
    ) -> Result<Self, ValidationError> {
        let text = Self::optional(fi, sv, en);
        if text.is_empty() {
            return Err(ValidationError::new(
                field,
                "TEXT_REQUIRED",
                "give the text in at least one of fi, sv, en",
            ));
        }
        for (lang, value) in text.entries() {
            if value.chars().count() > max_chars {
                return Err(ValidationError::new(
                    format!("{field}.{}", lang.as_ref()),
                    "TEXT_TOO_LONG",
                    format!("at most {max_chars} characters"),
                ));
            }
        }
        Ok(text)
    }

    /// True when no language has text.
    pub fn is_empty(&self) -> bool {
        self.fi.is_none() && self.sv.is_none() && self.en.is_none()
    }

    /// The text in one language, if given.
    pub fn get(&self, language: Language) -> Option<&str> {
        match language {
            Language::Fi => self.fi.as_deref(),
            Language::Sv => self.sv.as_deref(),
            Language::En => self.en.as_deref(),
        }
    }

    /// The text in `language`, else in Finnish, Swedish or English, whichever exists first.
    pub fn best(&self, language: Language) -> Option<&str> {
        self.get(language)
            .or(self.fi.as_deref())
            .or(self.sv.as_deref())
            .or(self.en.as_deref())
    }

    /// The given languages with their text.
    pub fn entries(&self) -> impl Iterator<Item = (Language, &str)> {
        [Language::Fi, Language::Sv, Language::En]
            .into_iter()
            .filter_map(|lang| self.get(lang).map(|text| (lang, text)))
    }

    /// Splits into the three optional columns (fi, sv, en).
    pub fn into_parts(self) -> (Option<String>, Option<String>, Option<String>) {
        (self.fi, self.sv, self.en)
    }
}

/// Builds the lower-cased text that text search matches against. Rust lower-cases
/// all of Unicode (Ä, Å, Ö), which SQLite's `lower()` does not.
pub fn search_text<'a>(texts: impl IntoIterator<Item = &'a LocalizedText>) -> String {
    texts
        .into_iter()
        .flat_map(|text| text.entries().map(|(_, value)| value.to_lowercase()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_needs_one_language() {
        let err = LocalizedText::required("name", Some("  ".into()), None, None, 10).unwrap_err();
        assert_eq!((err.field.as_str(), err.reason), ("name", "TEXT_REQUIRED"));
        let ok = LocalizedText::required("name", None, Some("Byhus".into()), None, 10).unwrap();
        assert_eq!(ok.best(Language::Fi), Some("Byhus"));
    }

    #[test]
    fn too_long_text_names_the_language() {
        let err = LocalizedText::required("name", Some("Kärkölän kylätalo".into()), None, None, 5)
            .unwrap_err();
        assert_eq!(err.field, "name.fi");
    }

    #[test]
    fn search_text_lower_cases_finnish_letters() {
        let name = LocalizedText::optional(Some("KÄRKÖLÄ".into()), Some("Åbo".into()), None);
        assert_eq!(search_text([&name]), "kärkölä\nåbo");
    }
}
