//! Keyset paging of records kept in time order (access records, provision records): a page is
//! the rows after the last one of the previous page by (`at`, `id`), so pages stay stable while
//! records are added, and no offset is scanned. Written once for both tables.

/// The first part of a page query over `$table` (which has `at` and `id`): the rows as `$Row`,
/// in time order, at most `$limit`, boxed so that filters can be added, and, when `$after`
/// (an `&Option<String>`) names a row, only the rows after it. `None` when `$after` names a row
/// that does not exist.
macro_rules! page_in_time_order {
    ($conn:expr, $table:ident, $Row:ty, $after:expr, $limit:expr) => {{
        use diesel::prelude::*;
        let q = $table::table
            .select(<$Row>::as_select())
            .order(($table::at, $table::id))
            .limit($limit)
            .into_boxed::<<$crate::store::DbConnection as diesel::Connection>::Backend>();
        match $after {
            None => Some(q),
            Some(after) => $table::table
                .find(after)
                .select($table::at)
                .first::<chrono::NaiveDateTime>($conn)
                .optional()?
                .map(|at| {
                    q.filter(
                        $table::at
                            .gt(at)
                            .or($table::at.eq(at).and($table::id.gt(after.clone()))),
                    )
                }),
        }
    }};
}
pub(crate) use page_in_time_order;
