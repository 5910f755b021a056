//! Types shared by several areas: localized text, municipalities, ids.
use async_graphql::{ID, InputObject, SimpleObject};

use super::enums::Language;
use crate::domain::localized::LocalizedText as DomainText;
use crate::domain::municipality::Municipality as DomainMunicipality;
use crate::domain::validation::ValidationError;

/// Text in Finnish, Swedish and English; missing languages are null.
#[derive(SimpleObject)]
#[graphql(name = "LocalizedText")]
pub struct LocalizedTextOutput {
    /// Suomeksi.
    pub fi: Option<String>,
    /// På svenska.
    pub sv: Option<String>,
    /// In English.
    pub en: Option<String>,
}

impl From<&DomainText> for LocalizedTextOutput {
    fn from(text: &DomainText) -> Self {
        use crate::domain::localized::Language as L;
        Self {
            fi: text.get(L::Fi).map(str::to_string),
            sv: text.get(L::Sv).map(str::to_string),
            en: text.get(L::En).map(str::to_string),
        }
    }
}

/// Text in Finnish, Swedish and English; give at least one where the text is required.
#[derive(InputObject, Clone, Default)]
pub struct LocalizedTextInput {
    /// Suomeksi.
    pub fi: Option<String>,
    /// På svenska.
    pub sv: Option<String>,
    /// In English.
    pub en: Option<String>,
}

impl LocalizedTextInput {
    /// Text that must exist in at least one language.
    pub fn required(self, field: &str, max_chars: usize) -> Result<DomainText, ValidationError> {
        DomainText::required(field, self.fi, self.sv, self.en, max_chars)
    }

    /// Text that may be missing.
    pub fn optional(self) -> DomainText {
        DomainText::optional(self.fi, self.sv, self.en)
    }
}

/// Picks the text in the given language, falling back to any that exists.
pub fn best_text(text: &DomainText, language: Option<Language>) -> Option<String> {
    let language = language.map_or(crate::domain::localized::Language::Fi, Into::into);
    text.best(language).map(str::to_string)
}

/// A municipality of Päijät-Häme.
#[derive(SimpleObject, Clone)]
pub struct Municipality {
    /// Statistics Finland code, e.g. `098`.
    pub code: String,
    /// Finnish name.
    pub name_fi: String,
    /// Swedish name.
    pub name_sv: String,
}

impl From<&DomainMunicipality> for Municipality {
    fn from(m: &DomainMunicipality) -> Self {
        Self {
            code: m.code.clone(),
            name_fi: m.name_fi.clone(),
            name_sv: m.name_sv.clone(),
        }
    }
}

/// Parses a GraphQL `ID` into a database id; `field` names the argument.
pub fn parse_id(field: &str, id: &ID) -> Result<i64, ValidationError> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ValidationError::new(field, "INVALID_ID", "not an id"))
}

/// Reading municipalities.
#[derive(Default)]
pub struct MunicipalityQuery;

#[async_graphql::Object]
impl MunicipalityQuery {
    /// The municipalities of Päijät-Häme, by Finnish name.
    async fn municipalities(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Vec<Municipality>> {
        Ok(super::context::state(ctx)?
            .municipalities
            .all()
            .iter()
            .map(Municipality::from)
            .collect())
    }
}
