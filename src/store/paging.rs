//! Keyset paging, written once for every list: a page is the rows after the last one of the
//! previous page by key, so pages stay stable while rows are added and no offset is scanned.
//! A list query fetches one row more than the page holds; [`Page::cut`] keeps the page and
//! tells from the extra row whether another page follows.

/// Where a page starts — after the row with this key — and how many rows it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<String>,
    pub size: i64,
}

impl PageRequest {
    /// A page of `size` rows after `after` (an empty key is the first page).
    pub fn new(after: Option<String>, size: i64) -> PageRequest {
        PageRequest {
            after: after.filter(|a| !a.is_empty()),
            size,
        }
    }

    /// How many rows a page query fetches: one more than the page, to know whether another
    /// follows.
    pub fn fetch(&self) -> i64 {
        self.size.saturating_add(1)
    }
}

/// One page of a list, and the key to continue after when another page follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_after: Option<String>,
}

impl<T> Page<T> {
    /// The page of `rows` (fetched with [`PageRequest::fetch`]): cut to the page size, with
    /// the key of its last row when more rows were found.
    pub fn cut(mut rows: Vec<T>, request: &PageRequest, key: impl Fn(&T) -> String) -> Page<T> {
        let size = usize::try_from(request.size).unwrap_or(0);
        let next_after = if rows.len() > size {
            rows.truncate(size);
            rows.last().map(key)
        } else {
            None
        };
        Page {
            items: rows,
            next_after,
        }
    }

    /// The same page with each row turned into what the caller shows.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_after: self.next_after,
        }
    }
}

/// The first part of a page query over `$table`, whose rows are kept in the order of the time
/// column `$at` and then `id`: the rows as `$Row`, at most `$page.fetch()`, boxed so that
/// filters can be added, and, when `$page.after` names a row, only the rows after it. `None`
/// when `$page.after` names a row that does not exist.
macro_rules! page_in_time_order {
    ($conn:expr, $table:ident, $Row:ty, $at:ident, $page:expr) => {{
        use diesel::prelude::*;
        let page: &$crate::store::paging::PageRequest = $page;
        let q = $table::table
            .select(<$Row>::as_select())
            .order(($table::$at, $table::id))
            .limit(page.fetch())
            .into_boxed::<<$crate::store::DbConnection as diesel::Connection>::Backend>();
        match &page.after {
            None => Some(q),
            Some(after) => $table::table
                .find(after)
                .select($table::$at)
                .first::<chrono::NaiveDateTime>($conn)
                .optional()?
                .map(|at| {
                    q.filter(
                        $table::$at
                            .gt(at)
                            .or($table::$at.eq(at).and($table::id.gt(after.clone()))),
                    )
                }),
        }
    }};
}
pub(crate) use page_in_time_order;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_with_a_row_beyond_it_is_cut_and_names_its_last_key() {
        let request = PageRequest::new(None, 2);
        let page = Page::cut(vec![1, 2, 3], &request, |n| n.to_string());
        assert_eq!(page.items, [1, 2]);
        assert_eq!(page.next_after.as_deref(), Some("2"));
    }

    #[test]
    fn the_last_page_has_no_key_to_continue_after() {
        let request = PageRequest::new(Some("2".into()), 2);
        let page = Page::cut(vec![3, 4], &request, |n| n.to_string());
        assert_eq!(page.items, [3, 4]);
        assert_eq!(page.next_after, None);
        assert_eq!(request.fetch(), 3);
    }

    #[test]
    fn an_empty_key_is_the_first_page() {
        assert_eq!(PageRequest::new(Some(String::new()), 5).after, None);
    }
}
