//! Organization ids. A consent provision names its recipients by role code or by organization
//! id, and reads a value equal to a role code as the role (every organization with that role).
//! So an organization may not be called like a role, or it could be given what the consent
//! grants a whole role, or miss what it grants that one organization. A facility is known by
//! its 事業所番号.
use super::role::Role;

/// Ids no organization may have: the role codes, and the wildcard.
pub const RESERVED: [&str; 6] = [
    "city",
    "kikan",
    "hub",
    "consultation_office",
    "facility",
    "*",
];

/// The shape of an organization id other than a facility's, for documentation.
pub const ID_PATTERN: &str = "^[a-z0-9][a-z0-9-]{1,63}$";
/// The shape of a facility's organization id (its 事業所番号).
pub const FACILITY_ID_PATTERN: &str = "^[0-9]{10}$";

/// Why an organization id is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("the organization id {0:?} is reserved: consent provisions read it as a role, not as one organization")]
    Reserved(&'static str),
    #[error("a facility's organization id is its 10-digit 事業所番号 (facility number)")]
    NotAFacilityNumber,
    #[error("an organization id is 2 to 64 characters, lower-case letters a-z, digits and '-', starting with a letter or digit")]
    Malformed,
}

/// Checks that `id` may name a new organization with `role`: not reserved; a facility's the
/// ten digits of its 事業所番号 ([`FACILITY_ID_PATTERN`]); any other [`ID_PATTERN`].
pub fn check_id(id: &str, role: Role) -> Result<(), IdError> {
    if let Some(reserved) = RESERVED.iter().find(|r| **r == id) {
        return Err(IdError::Reserved(reserved));
    }
    if role == Role::Facility {
        return if id.len() == 10 && id.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err(IdError::NotAFacilityNumber)
        };
    }
    let first_ok = id
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok = id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if first_ok && rest_ok && (2..=64).contains(&id.len()) {
        Ok(())
    } else {
        Err(IdError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_role_code_is_an_organization_id_whatever_the_role() {
        for role in Role::ALL {
            for r in Role::ALL {
                assert_eq!(
                    check_id(r.as_str(), role),
                    Err(IdError::Reserved(r.as_str()))
                );
            }
            assert_eq!(check_id("*", role), Err(IdError::Reserved("*")));
        }
    }

    #[test]
    fn a_facility_is_known_by_its_ten_digit_number_only() {
        assert_eq!(check_id("0411200015", Role::Facility), Ok(()));
        for id in [
            "041120001",
            "04112000150",
            "office-a",
            "０４１１２０００１５",
        ] {
            assert_eq!(
                check_id(id, Role::Facility),
                Err(IdError::NotAFacilityNumber),
                "{id}"
            );
        }
    }

    #[test]
    fn other_ids_are_lower_case_letters_digits_and_hyphens() {
        for id in ["office-a", "city-041009", "0411200023", "k1"] {
            assert_eq!(check_id(id, Role::ConsultationOffice), Ok(()), "{id}");
        }
        let long = "a".repeat(65);
        for id in [
            "",
            "x",
            "-office",
            "Office-A",
            "office_a",
            "office.a",
            "office a",
            "事業所",
            &long,
        ] {
            assert_eq!(
                check_id(id, Role::ConsultationOffice),
                Err(IdError::Malformed),
                "{id}"
            );
        }
        assert_eq!(check_id(&"a".repeat(64), Role::Hub), Ok(()));
    }
}
