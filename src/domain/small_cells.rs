//! Small cells (小さいセルの秘匿): a published table must not single out a person. In the
//! operations report, a count of people or of what happened to them (registrations, intakes,
//! searches, handoffs, stays) that is above zero and below the threshold is shown as `<3` (for
//! the default threshold of 3), as statistical offices publish; a zero is shown (it singles out
//! no one). Counts of facilities are not suppressed: a facility is an organization whose
//! registration as a hub is public.
//!
//! Complementary suppression: in a breakdown (by ward, by outcome …) where exactly one cell is
//! hidden, the smallest other non-zero cell is hidden too, so the hidden one cannot be worked
//! out from the item's total. The days of emergency-room stays are hidden whenever the number of
//! stays is (one person's stay would show its length).
//!
//! Not covered: differences between two reports (another year, another municipality of the
//! same scope) — a published table is one report.
use serde_json::{Map, Value};

/// The report's items (`section.item`) that count people or what happened to them.
pub const PERSON_ITEMS: [&str; 21] = [
    "registrations.new",
    "registrations.changed",
    "registrations.withdrawn",
    "registrations.active_at_end",
    "registrations.new_by_ward",
    "registrations.new_by_reason",
    "intakes.received",
    "intakes.by_ward",
    "intakes.by_situation",
    "intakes.registered_since",
    "facilities.hub_contracted_users_by_service_type",
    "facilities.emergency_room_people",
    "facilities.emergency_room_days",
    "matching.requests",
    "matching.intake_requests",
    "handoffs.sent",
    "handoffs.emergency_cases",
    "handoffs.admitted_cases_by_service_type",
    "handoffs.by_outcome",
    "handoffs.by_purpose",
    "handoffs.break_glass",
];

/// What a hidden cell says: `<3` for the threshold 3.
pub fn hidden(threshold: u32) -> String {
    format!("<{threshold}")
}

/// Hides the small person counts of `figures` (the report's sections, each a map of items) in
/// place. A threshold of 0 or 1 hides nothing.
pub fn suppress(figures: &mut Value, threshold: u32) {
    if threshold <= 1 {
        return;
    }
    let Some(sections) = figures.as_object_mut() else {
        return;
    };
    for (section, items) in sections.iter_mut() {
        let Some(items) = items.as_object_mut() else {
            continue;
        };
        let stays_hidden = items
            .get("emergency_room_people")
            .and_then(Value::as_i64)
            .is_some_and(|n| is_small(n, threshold));
        for (item, value) in items.iter_mut() {
            if !PERSON_ITEMS.contains(&format!("{section}.{item}").as_str()) {
                continue;
            }
            match value {
                Value::Object(cells) => suppress_breakdown(cells, threshold),
                Value::Number(n) => {
                    let n = n.as_i64().unwrap_or(0);
                    let days_of_a_hidden_stay =
                        item == "emergency_room_days" && stays_hidden && n > 0;
                    if is_small(n, threshold) || days_of_a_hidden_stay {
                        *value = Value::String(hidden(threshold));
                    }
                }
                _ => {}
            }
        }
    }
}

fn is_small(n: i64, threshold: u32) -> bool {
    n > 0 && n < i64::from(threshold)
}

/// One breakdown: its small cells hidden, and one more if only one was.
fn suppress_breakdown(cells: &mut Map<String, Value>, threshold: u32) {
    let count = |v: &Value| v.as_i64().unwrap_or(0);
    let small: Vec<String> = cells
        .iter()
        .filter(|(_, v)| is_small(count(v), threshold))
        .map(|(k, _)| k.clone())
        .collect();
    let complement = if small.len() == 1 {
        cells
            .iter()
            .filter(|(k, v)| **k != small[0] && count(v) > 0)
            .min_by_key(|(_, v)| count(v))
            .map(|(k, _)| k.clone())
    } else {
        None
    };
    for key in small.iter().chain(&complement) {
        cells.insert(key.clone(), Value::String(hidden(threshold)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_person_count_of_one_or_two_is_shown_as_below_three_and_zero_stays_zero() {
        let mut figures = json!({
            "registrations": {"new": 2, "changed": 0, "withdrawn": 1, "active_at_end": 3},
            "facilities": {"total": 1, "hub_registered": 2, "emergency_room_people": 5},
        });
        suppress(&mut figures, 3);
        assert_eq!(
            figures,
            json!({
                "registrations": {"new": "<3", "changed": 0, "withdrawn": "<3", "active_at_end": 3},
                "facilities": {"total": 1, "hub_registered": 2, "emergency_room_people": 5},
            })
        );
    }

    #[test]
    fn a_breakdown_with_one_hidden_cell_hides_its_smallest_other_cell_too() {
        let mut figures = json!({"handoffs": {
            "sent": 12,
            "by_outcome": {"admitted": 7, "declined": 4, "expired": 1, "cancelled": 0},
            "by_purpose": {"emergency_admission": 10, "short_stay": 2, "other": 0},
        }});
        suppress(&mut figures, 3);
        assert_eq!(
            figures["handoffs"]["by_outcome"],
            json!({"admitted": 7, "declined": "<3", "expired": "<3", "cancelled": 0}),
            "12 − 7 − 4 would give the hidden 1"
        );
        assert_eq!(
            figures["handoffs"]["by_purpose"],
            json!({"emergency_admission": "<3", "short_stay": "<3", "other": 0})
        );
    }

    #[test]
    fn two_hidden_cells_need_no_third() {
        let mut figures = json!({"intakes": {"by_ward": {"a": 1, "b": 2, "c": 9}}});
        suppress(&mut figures, 3);
        assert_eq!(
            figures["intakes"]["by_ward"],
            json!({"a": "<3", "b": "<3", "c": 9})
        );
    }

    #[test]
    fn the_days_of_a_hidden_stay_are_hidden_and_a_threshold_of_one_hides_nothing() {
        let stay = json!({"facilities": {"emergency_room_people": 1, "emergency_room_days": 14}});
        let mut hidden_stay = stay.clone();
        suppress(&mut hidden_stay, 3);
        assert_eq!(hidden_stay["facilities"]["emergency_room_days"], "<3");
        let mut shown = stay.clone();
        suppress(&mut shown, 1);
        assert_eq!(shown, stay);
    }

    #[test]
    fn the_threshold_is_the_operators_and_names_the_hidden_cell() {
        let mut figures = json!({"handoffs": {"break_glass": 4}});
        suppress(&mut figures, 5);
        assert_eq!(figures["handoffs"]["break_glass"], "<5");
    }
}
