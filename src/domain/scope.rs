//! Municipal scope: the municipalities (and, in a designated city, the wards) an organization
//! coordinates for. One deployment may serve a whole prefecture; a city, its kikan and its hubs
//! see only the people of their own municipalities. An organization without a scope serves the
//! whole deployment (a deployment for one city, or a prefecture-level coordinator).
//!
//! Written as text `041009,041017/青葉区`: municipality codes (全国地方公共団体コード, six
//! digits), each alone (the whole municipality) or with `/` and one ward's name.

/// One area of a scope: a municipality, or one ward of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Area {
    pub municipality: String,
    pub ward: Option<String>,
}

/// Where an organization may see people. `Everywhere` is the whole deployment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    Everywhere,
    Areas(Vec<Area>),
}

/// Why a scope's text is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("`{0}` is not a six-digit municipality code (optionally followed by /<ward>)")]
    NotAnArea(String),
    #[error("a scope names at least one municipality")]
    Empty,
}

impl Scope {
    /// Reads a scope's text (see the module); `None` or empty text is `Everywhere`.
    pub fn parse(text: Option<&str>) -> Result<Scope, ScopeError> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(Scope::Everywhere);
        };
        let mut areas = Vec::new();
        for item in text.split(',').map(str::trim) {
            let (code, ward) = match item.split_once('/') {
                Some((code, ward)) => (code.trim(), Some(ward.trim())),
                None => (item, None),
            };
            let code_ok = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
            let ward_ok = ward.is_none_or(|w| !w.is_empty() && !w.contains(['/', ',']));
            if !code_ok || !ward_ok {
                return Err(ScopeError::NotAnArea(item.to_owned()));
            }
            areas.push(Area {
                municipality: code.to_owned(),
                ward: ward.map(str::to_owned),
            });
        }
        if areas.is_empty() {
            return Err(ScopeError::Empty);
        }
        areas.sort();
        areas.dedup();
        Ok(Scope::Areas(areas))
    }

    /// The stored text (`None` for everywhere).
    pub fn to_text(&self) -> Option<String> {
        match self {
            Scope::Everywhere => None,
            Scope::Areas(areas) => Some(
                areas
                    .iter()
                    .map(|a| match &a.ward {
                        Some(w) => format!("{}/{w}", a.municipality),
                        None => a.municipality.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        }
    }

    /// Whether a person of `municipality` (living in `ward`, if known) is within the scope. A
    /// ward-scoped organization does not see a person whose ward is not known.
    pub fn covers(&self, municipality: &str, ward: Option<&str>) -> bool {
        match self {
            Scope::Everywhere => true,
            Scope::Areas(areas) => areas.iter().any(|a| {
                a.municipality == municipality && a.ward.as_deref().is_none_or(|w| Some(w) == ward)
            }),
        }
    }

    /// For a query: the whole municipalities, and the wards as `municipality/ward`; `None`
    /// for everywhere (no condition).
    pub fn for_query(&self) -> Option<(Vec<String>, Vec<String>)> {
        match self {
            Scope::Everywhere => None,
            Scope::Areas(areas) => {
                let (whole, wards): (Vec<&Area>, Vec<&Area>) =
                    areas.iter().partition(|a| a.ward.is_none());
                Some((
                    whole.iter().map(|a| a.municipality.clone()).collect(),
                    wards
                        .iter()
                        .filter_map(|a| Some(format!("{}/{}", a.municipality, a.ward.as_ref()?)))
                        .collect(),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_scope_is_the_whole_deployment() {
        for text in [None, Some(""), Some("  ")] {
            let scope = Scope::parse(text).unwrap();
            assert_eq!(scope, Scope::Everywhere);
            assert!(scope.covers("131016", None));
            assert_eq!(scope.to_text(), None);
            assert_eq!(scope.for_query(), None);
        }
    }

    #[test]
    fn a_municipality_covers_all_its_wards_and_a_ward_only_itself() {
        let scope = Scope::parse(Some("041009/青葉区, 042021")).unwrap();
        assert!(scope.covers("041009", Some("青葉区")));
        assert!(!scope.covers("041009", Some("泉区")));
        assert!(
            !scope.covers("041009", None),
            "an unknown ward is not assumed"
        );
        assert!(scope.covers("042021", None));
        assert!(scope.covers("042021", Some("どこか")));
        assert!(!scope.covers("131016", None));
        assert_eq!(scope.to_text().as_deref(), Some("041009/青葉区,042021"));
        assert_eq!(
            scope.for_query(),
            Some((vec!["042021".to_owned()], vec!["041009/青葉区".to_owned()]))
        );
    }

    #[test]
    fn text_that_names_no_municipality_is_refused() {
        for bad in [
            "4100",
            "041009/",
            "04100a",
            "041009/青葉区/x",
            ",",
            "041009,,042021",
        ] {
            assert!(Scope::parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
