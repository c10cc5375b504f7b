//! Who may do what: the one access policy of the exchange. Every check of a caller's role goes
//! through [`Role::may`]; the "Who may do what" table of the README and of the specification
//! (docs/spec/api.md §1.3) is rendered from it ([`matrix_markdown`]; a test keeps them the
//! same), and the integration suite checks every cell against the running API.
use super::role::Role;

/// Something a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// List and read registrations, their history and matching candidates.
    ReadRegistrations,
    /// Submit a new registration.
    SubmitRegistration,
    /// Send a change notification, withdraw the consent, record a new consent.
    ChangeRegistration,
    /// Read a whole registration on the vital-interest basis, whatever its consent says.
    BreakGlassRead,
    /// Read and search facility records.
    ReadFacilities,
    /// Upload or update a facility record and its vacancies.
    WriteFacility,
    /// Read the access records and the provision records.
    ReadAccessRecords,
    /// Read the yearly operations report.
    ReadOperationsReport,
    /// Record an emergency intake for a person without a registration.
    RecordIntake,
    /// List and read emergency intakes and their candidates.
    ReadIntakes,
    /// Send a handoff on the person's consent.
    SendHandoff,
    /// Send a handoff on the vital-interest basis, without consent (break-glass).
    SendBreakGlass,
    /// See the handoffs between others and cancel an open one as a coordinator (the kikan, the
    /// hub and the city); senders and recipients see their own.
    CoordinateHandoffs,
    /// Assign or move the consultation office responsible for a registration.
    AssignOffice,
}

/// How the record asked about relates to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The caller's own: a registration it is the responsible office of (the office that took
    /// it, until another is assigned), its own facility record.
    Own,
    /// Anyone else's within the caller's municipal scope, or no record in particular.
    Other,
    /// A person of a municipality (or ward) outside the caller's scope (`domain::scope`).
    OutOfScope,
}

/// What the policy says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Allowed,
    /// The caller may see the record but not do this (403).
    Forbidden,
    /// The caller may not know the record exists (404).
    Hidden,
}

impl Access {
    pub fn allowed(self) -> bool {
        self == Access::Allowed
    }
}

impl Role {
    /// Whether a caller of this role may do `permission` to a record related to it as
    /// `relation`.
    pub fn may(self, permission: Permission, relation: Relation) -> Access {
        use Access::{Allowed, Forbidden, Hidden};
        use Permission::*;
        use Role::*;
        let own = relation == Relation::Own;
        if relation == Relation::OutOfScope {
            // Another municipality's people: not even their existence is shown; what is
            // written for them is refused.
            return match permission {
                ReadFacilities => Allowed,
                SubmitRegistration | RecordIntake | SendHandoff | SendBreakGlass
                | WriteFacility => Forbidden,
                ReadOperationsReport | ReadAccessRecords => Forbidden,
                _ => Hidden,
            };
        }
        match (permission, self) {
            (ReadRegistrations, City | Kikan | Hub) => Allowed,
            (ReadRegistrations, ConsultationOffice) if own => Allowed,
            (ReadRegistrations, ConsultationOffice | Facility) => Hidden,

            (SubmitRegistration, Kikan | Hub | ConsultationOffice) => Allowed,
            (SubmitRegistration, City | Facility) => Forbidden,

            (ChangeRegistration, Kikan | Hub) => Allowed,
            (ChangeRegistration, ConsultationOffice) if own => Allowed,
            (ChangeRegistration, City) => Forbidden,
            (ChangeRegistration, ConsultationOffice | Facility) => Hidden,

            (BreakGlassRead, City | Kikan | Hub) => Allowed,
            (BreakGlassRead, ConsultationOffice) if own => Forbidden,
            (BreakGlassRead, ConsultationOffice | Facility) => Hidden,

            (ReadFacilities, _) => Allowed,

            (WriteFacility, Facility) if own => Allowed,
            (WriteFacility, _) => Forbidden,

            (ReadAccessRecords, City | Kikan) => Allowed,
            (ReadAccessRecords, Hub | ConsultationOffice | Facility) => Forbidden,

            (ReadOperationsReport, City | Kikan | Hub) => Allowed,
            (ReadOperationsReport, ConsultationOffice | Facility) => Forbidden,

            (RecordIntake, City | Kikan | Hub | ConsultationOffice) => Allowed,
            (RecordIntake, Facility) => Forbidden,

            (ReadIntakes, City | Kikan | Hub) => Allowed,
            (ReadIntakes, ConsultationOffice) if own => Allowed,
            (ReadIntakes, ConsultationOffice | Facility) => Hidden,

            (SendHandoff, City | Kikan | Hub | ConsultationOffice) => Allowed,
            (SendHandoff, Facility) => Forbidden,

            (SendBreakGlass, City | Kikan | Hub) => Allowed,
            (SendBreakGlass, ConsultationOffice | Facility) => Forbidden,

            (CoordinateHandoffs, City | Kikan | Hub) => Allowed,
            (CoordinateHandoffs, ConsultationOffice | Facility) => Hidden,

            (AssignOffice, City | Kikan | Hub) => Allowed,
            (AssignOffice, ConsultationOffice) if own => Forbidden,
            (AssignOffice, ConsultationOffice | Facility) => Hidden,
        }
    }
}

/// Whether a sender of role `role` (as a packet names it) may send on the vital-interest basis.
pub fn may_send_break_glass(role: &str) -> bool {
    may(role, Permission::SendBreakGlass, Relation::Other).allowed()
}

/// Whether a caller whose role is stored as `role` may do `permission`; a role the exchange
/// does not know may do nothing (and sees no registration).
pub fn may(role: &str, permission: Permission, relation: Relation) -> Access {
    match Role::parse(role) {
        Some(r) => r.may(permission, relation),
        None => Access::Hidden,
    }
}

impl Permission {
    /// Every permission, in the order of the README table.
    pub const ALL: [Permission; 14] = [
        Permission::ReadRegistrations,
        Permission::SubmitRegistration,
        Permission::ChangeRegistration,
        Permission::BreakGlassRead,
        Permission::ReadFacilities,
        Permission::WriteFacility,
        Permission::ReadAccessRecords,
        Permission::ReadOperationsReport,
        Permission::RecordIntake,
        Permission::ReadIntakes,
        Permission::SendHandoff,
        Permission::SendBreakGlass,
        Permission::CoordinateHandoffs,
        Permission::AssignOffice,
    ];

    /// Its row in the README table.
    pub fn label(self) -> &'static str {
        match self {
            Permission::ReadRegistrations => {
                "list, search and read registrations, history, candidates, meetings"
            }
            Permission::SubmitRegistration => "submit a registration",
            Permission::ChangeRegistration => {
                "change notification, consent withdrawal, new consent, review, meeting record"
            }
            Permission::BreakGlassRead => "break-glass read of a whole registration",
            Permission::ReadFacilities => "read and search facility records",
            Permission::WriteFacility => "upload / update a facility record, vacancies",
            Permission::ReadAccessRecords => {
                "access and provision records (`GET /v1/audit`, `GET /v1/provisions`)"
            }
            Permission::ReadOperationsReport => "operations report",
            Permission::RecordIntake => "record an emergency intake (no registration)",
            Permission::ReadIntakes => "list and read emergency intakes, their candidates",
            Permission::SendHandoff => "send a handoff on the person's consent",
            Permission::SendBreakGlass => {
                "send a handoff on the vital-interest basis (break-glass, no consent)"
            }
            Permission::CoordinateHandoffs => {
                "see others' handoffs; cancel an open one as coordinator"
            }
            Permission::AssignOffice => "assign or move the responsible consultation office",
        }
    }

    /// How the table names the listing (and searching) this permission covers, if any. A
    /// role that may read none of these records gets 403 when it lists or searches them: there
    /// is no one record whose existence to hide.
    fn listing(self) -> Option<&'static str> {
        match self {
            Permission::ReadRegistrations => Some("list, search"),
            Permission::ReadIntakes => Some("list"),
            _ => None,
        }
    }
}

fn cell(role: Role, permission: Permission) -> String {
    let own = role.may(permission, Relation::Own);
    let other = role.may(permission, Relation::Other);
    let text = |a: Access| match a {
        Access::Allowed => "✓",
        Access::Forbidden => "403",
        Access::Hidden => "— (404)",
    };
    if let (Access::Hidden, Access::Hidden, Some(listing)) = (own, other, permission.listing()) {
        return format!("{listing}: 403; a single one: — (404)");
    }
    match (own, other) {
        (a, b) if a == b => text(a).to_owned(),
        (Access::Allowed, b) => format!("its own; others {}", text(b)),
        (a, b) => format!("its own {}; others {}", text(a), text(b)),
    }
}

/// The "Who may do what" table (README, docs/spec/api.md §1.3), rendered from the policy.
pub fn matrix_markdown() -> String {
    let roles = [
        Role::City,
        Role::Kikan,
        Role::Hub,
        Role::ConsultationOffice,
        Role::Facility,
    ];
    let mut out = String::from(
        "| | city | kikan | hub | consultation office | facility |\n|---|---|---|---|---|---|\n",
    );
    for permission in Permission::ALL {
        let cells: Vec<String> = roles.iter().map(|r| cell(*r, permission)).collect();
        out.push_str(&format!(
            "| {} | {} |\n",
            permission.label(),
            cells.join(" | ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consultation_office_reads_and_changes_only_the_registrations_it_took() {
        let office = Role::ConsultationOffice;
        for p in [
            Permission::ReadRegistrations,
            Permission::ChangeRegistration,
        ] {
            assert_eq!(office.may(p, Relation::Own), Access::Allowed);
            assert_eq!(office.may(p, Relation::Other), Access::Hidden);
        }
    }

    #[test]
    fn only_a_facility_writes_and_only_its_own_record() {
        for role in Role::ALL {
            let own = role.may(Permission::WriteFacility, Relation::Own);
            assert_eq!(own.allowed(), role == Role::Facility, "{role}");
            assert_eq!(
                role.may(Permission::WriteFacility, Relation::Other),
                Access::Forbidden
            );
        }
    }

    #[test]
    fn another_municipalitys_people_are_hidden_from_every_role_and_nothing_is_written_for_them() {
        for role in Role::ALL {
            for p in [
                Permission::ReadRegistrations,
                Permission::ChangeRegistration,
                Permission::BreakGlassRead,
                Permission::ReadIntakes,
                Permission::CoordinateHandoffs,
                Permission::AssignOffice,
            ] {
                assert_eq!(
                    role.may(p, Relation::OutOfScope),
                    Access::Hidden,
                    "{role:?} {p:?}"
                );
            }
            for p in [
                Permission::SubmitRegistration,
                Permission::RecordIntake,
                Permission::SendHandoff,
                Permission::SendBreakGlass,
            ] {
                assert_eq!(
                    role.may(p, Relation::OutOfScope),
                    Access::Forbidden,
                    "{role:?} {p:?}"
                );
            }
        }
    }

    #[test]
    fn the_city_sends_on_consent_and_only_the_coordinating_roles_send_without_it() {
        let send = |role: Role, p| role.may(p, Relation::Other).allowed();
        assert!(send(Role::City, Permission::SendHandoff));
        for role in Role::ALL {
            let coordinating = matches!(role, Role::City | Role::Kikan | Role::Hub);
            assert_eq!(
                send(role, Permission::SendBreakGlass),
                coordinating,
                "{role}"
            );
            assert_eq!(may_send_break_glass(role.as_str()), coordinating, "{role}");
        }
    }

    #[test]
    fn an_unknown_role_may_do_nothing() {
        for p in Permission::ALL {
            assert_eq!(may("auditor", p, Relation::Own), Access::Hidden);
        }
    }

    #[test]
    fn the_table_lists_each_permission_once() {
        let mut seen = std::collections::HashSet::new();
        assert!(Permission::ALL.iter().all(|p| seen.insert(p.label())));
    }
}
