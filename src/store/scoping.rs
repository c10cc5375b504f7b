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
