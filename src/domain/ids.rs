//! The ids of the exchange's records as types, so that one kind of id cannot be passed where
//! another is meant (a handoff id as a registration id, a facility id as an organization id).
//! They wrap the text as it was given: an id that names nothing is answered like any unknown
//! id (404), whatever its shape, so the types do not check formats.

/// Declares an id type: a transparent wrapper of its text (in JSON, in a URL path, in the
/// database), with `as_str`, `Display` and conversions from text.
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(text: impl Into<String>) -> $name {
                $name(text.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> $name {
                $name(text)
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> $name {
                $name(text.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

id_type! {
    /// An organization of the exchange (for a facility, its 事業所番号).
    OrganizationId
}
id_type! {
    /// A registration (`reg_…`, assigned by the exchange).
    RegistrationId
}
id_type! {
    /// An emergency intake (`int_…`, assigned by the exchange).
    IntakeId
}
id_type! {
    /// The person a handoff is about, as provision records name them: a registration id
    /// (`reg_…`) or, for a person who never registered, an emergency intake id (`int_…`).
    CaseId
}
id_type! {
    /// A handoff (its packet's `handoff_id`, a UUID).
    HandoffId
}
id_type! {
    /// A facility record (the facility's 事業所番号, 10 digits).
    FacilityId
}
id_type! {
    /// A registered public key (its RFC 7638 thumbprint).
    KeyId
}

/// `bytes` random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut buf);
    hex::encode(buf)
}

/// An id that sorts by creation time: `prefix`, the milliseconds since 1970 (12 hex digits),
/// then `random_bytes` random bytes. New rows then land at the end of an index instead of
/// anywhere in it, so a commit of many rows touches few pages; ids stay unguessable.
pub fn time_ordered_id(prefix: &str, random_bytes: usize) -> String {
    let millis = chrono::Utc::now().timestamp_millis().max(0);
    format!("{prefix}{millis:012x}{}", random_hex(random_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_and_writes_as_its_bare_text() {
        let id: RegistrationId = serde_json::from_str("\"reg_0123\"").unwrap();
        assert_eq!(id.as_str(), "reg_0123");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"reg_0123\"");
        assert_eq!(id.to_string(), "reg_0123");
        assert!(id == *"reg_0123");
    }
}
