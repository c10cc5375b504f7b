//! A municipal scope (`domain::scope`) as a query condition on a table with
//! `municipality_code` and `ward` columns.

/// `$q` (a boxed query on `$table`) kept to the people `$scope` covers: the rows of its whole
/// municipalities and of its wards (`municipality/ward`); unchanged for the whole deployment.
macro_rules! within_scope {
    ($q:expr, $table:ident, $scope:expr) => {{
        use diesel::prelude::*;
        let scope: &$crate::domain::scope::Scope = $scope;
        match scope.for_query() {
            None => $q,
            Some((whole, wards)) => $q.filter(
                $table::municipality_code
                    .eq_any(whole)
                    .or($table::municipality_code
                        .concat("/")
                        .concat($table::ward.assume_not_null())
                        .eq_any(wards)),
            ),
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
        let (whole, wards): (&Vec<String>, &Vec<String>) = ($whole, $wards);
        let registered = registrations::table.select(registrations::id).filter(
            registrations::municipality_code.eq_any(whole.clone()).or(
                registrations::municipality_code
                    .concat("/")
                    .concat(registrations::ward.assume_not_null())
                    .eq_any(wards.clone()),
            ),
        );
        let taken = emergency_intakes::table
            .select(emergency_intakes::id)
            .filter(
                emergency_intakes::municipality_code
                    .eq_any(whole.clone())
                    .or(emergency_intakes::municipality_code
                        .concat("/")
                        .concat(emergency_intakes::ward.assume_not_null())
                        .eq_any(wards.clone())),
            );
        $column.eq_any(registered).or($column.eq_any(taken))
    }};
}
pub(crate) use person_within;
