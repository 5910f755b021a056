//! The municipalities of the region, looked up by code or name.
use super::validation::ValidationError;

/// A municipality: its Statistics Finland code and names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Municipality {
    /// Three-digit code, e.g. `098` for Hollola.
    pub code: String,
    /// Finnish name.
    pub name_fi: String,
    /// Swedish name.
    pub name_sv: String,
}

/// All municipalities the service knows, loaded once from the database at start.
#[derive(Debug, Clone, Default)]
pub struct MunicipalityDirectory(Vec<Municipality>);

impl MunicipalityDirectory {
    /// A directory of the given municipalities, sorted by Finnish name.
    pub fn new(mut municipalities: Vec<Municipality>) -> Self {
        municipalities.sort_by(|a, b| a.name_fi.cmp(&b.name_fi));
        Self(municipalities)
    }

    /// Every municipality, by Finnish name.
    pub fn all(&self) -> &[Municipality] {
        &self.0
    }

    /// The municipality with this code.
    pub fn by_code(&self, code: &str) -> Option<&Municipality> {
        self.0.iter().find(|m| m.code == code)
    }

    /// Finds a municipality by code or by its Finnish or Swedish name, ignoring case.
    pub fn resolve(&self, field: &str, key: &str) -> Result<&Municipality, ValidationError> {
        let wanted = key.trim().to_lowercase();
        self.0
            .iter()
            .find(|m| {
                m.code == wanted
                    || m.name_fi.to_lowercase() == wanted
                    || m.name_sv.to_lowercase() == wanted
            })
            .ok_or_else(|| {
                ValidationError::new(
                    field,
                    "UNKNOWN_MUNICIPALITY",
                    format!("no municipality has the code or name {key:?}"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> MunicipalityDirectory {
        MunicipalityDirectory::new(vec![
            Municipality {
                code: "398".into(),
                name_fi: "Lahti".into(),
                name_sv: "Lahtis".into(),
            },
            Municipality {
                code: "316".into(),
                name_fi: "Kärkölä".into(),
                name_sv: "Kärkölä".into(),
            },
        ])
    }

    #[test]
    fn resolves_code_and_names_in_any_case() {
        let d = directory();
        assert_eq!(d.resolve("m", "398").unwrap().name_fi, "Lahti");
        assert_eq!(d.resolve("m", "LAHTIS").unwrap().code, "398");
        assert_eq!(d.resolve("m", "KÄRKÖLÄ").unwrap().code, "316");
        assert_eq!(
            d.resolve("m", "Turku").unwrap_err().reason,
            "UNKNOWN_MUNICIPALITY"
        );
    }
}
