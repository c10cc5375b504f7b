//! A municipal scope (`domain::scope`) as a query condition on a table with
//! `municipality_code` and `ward` columns.

/// The condition that a row's place — `$municipality` and `$ward`, as non-null text — is one of
/// `$whole` municipalities or `$wards` (`municipality/ward`). The one spelling of a scope in
/// SQL; the macros below and the handoff queries use it.
macro_rules! place_within {
    ($municipality:expr, $ward:expr, $whole:expr, $wards:expr) => {{
        use diesel::prelude::*;
        let (whole, wards): (&Vec<String>, &Vec<String>) = ($whole, $wards);
        $municipality.eq_any(whole.clone()).or($municipality
            .concat("/")
            .concat($ward)
            .eq_any(wards.clone()))
    }};
}
pub(crate) use place_within;

/// The condition that a handoff is about a person of `$whole` municipalities or `$wards` (its
/// place is stored with it, nullable).
macro_rules! handoff_within {
    ($whole:expr, $wards:expr) => {{
        use $crate::store::schema::handoffs;
        $crate::store::scoping::place_within!(
            handoffs::municipality_code.assume_not_null(),
            handoffs::ward.assume_not_null(),
            $whole,
            $wards
        )
    }};
}
pub(crate) use handoff_within;

/// `$q` (a boxed query on `$table`) kept to the people `$scope` covers: the rows of its whole
/// municipalities and of its wards; unchanged for the whole deployment.
macro_rules! within_scope {
    ($q:expr, $table:ident, $scope:expr) => {{
        use diesel::prelude::*;
        let scope: &$crate::domain::scope::Scope = $scope;
        match scope.for_query() {
            None => $q,
            Some((whole, wards)) => $q.filter($crate::store::scoping::place_within!(
                $table::municipality_code,
                $table::ward.assume_not_null(),
                &whole,
                &wards
            )),
        }
    }};
}
pub(crate) use within_scope;

/// The condition `$column` (a person's id: a registration's or an intake's) names a person of
/// one of `$whole` municipalities or `$wards` (`municipality/ward`).
macro_rules! person_within {
    ($column:expr, $whole:expr, $wards:expr) => {{
        use diesel::prelude::*;
        use $crate::store::schema::{emergency_intakes, registrations};
        let registered = registrations::table.select(registrations::id).filter(
            $crate::store::scoping::place_within!(
                registrations::municipality_code,
                registrations::ward.assume_not_null(),
                $whole,
                $wards
            ),
        );
        let taken = emergency_intakes::table
            .select(emergency_intakes::id)
            .filter($crate::store::scoping::place_within!(
                emergency_intakes::municipality_code,
                emergency_intakes::ward.assume_not_null(),
                $whole,
                $wards
            ));
        $column.eq_any(registered).or($column.eq_any(taken))
    }};
}
pub(crate) use person_within;
