//! What the exchange reads out of an address: the ward (区) of a designated city, used to list
//! registrations and to count them in the yearly report.
use serde_json::Value;

/// The 20 designated cities (政令指定都市), the only cities with administrative wards.
const DESIGNATED_CITIES: [&str; 20] = [
    "札幌市",
    "仙台市",
    "さいたま市",
    "千葉市",
    "横浜市",
    "川崎市",
    "相模原市",
    "新潟市",
    "静岡市",
    "浜松市",
    "名古屋市",
    "京都市",
    "大阪市",
    "堺市",
    "神戸市",
    "岡山市",
    "広島市",
    "北九州市",
    "福岡市",
    "熊本市",
];

/// The ward of an address: the `…区` that ends `city` (「仙台市青葉区」, 「千代田区」), or that
/// starts `line` when `city` is the designated city alone (「仙台市」 + 「青葉区…」).
pub fn ward(address: &Value) -> Option<String> {
    let city = address.get("city").and_then(Value::as_str).unwrap_or("");
    if let Some(stem) = city.strip_suffix('区') {
        let name = stem.rsplit('市').next().unwrap_or(stem);
        if !name.is_empty() {
            return Some(format!("{name}区"));
        }
    }
    let line = address.get("line").and_then(Value::as_str)?;
    if !DESIGNATED_CITIES.contains(&city) {
        return None;
    }
    // Ward names are 1–4 characters before 区 (青葉, 宮城野, 中, 東).
    let head: String = line.chars().take(5).collect();
    let end = head.find('区')?;
    (end > 0).then(|| head[..end + '区'.len_utf8()].to_owned())
}

#[cfg(test)]
mod tests {
    use super::ward;
    use serde_json::json;

    #[test]
    fn a_ward_in_the_city_field_is_found() {
        assert_eq!(
            ward(&json!({"city": "仙台市青葉区", "line": "一番町1-1"})).as_deref(),
            Some("青葉区")
        );
        assert_eq!(
            ward(&json!({"city": "千代田区", "line": "1"})).as_deref(),
            Some("千代田区")
        );
    }

    #[test]
    fn a_ward_at_the_start_of_the_street_line_is_found() {
        assert_eq!(
            ward(&json!({"city": "仙台市", "line": "宮城野区架空町1-2"})).as_deref(),
            Some("宮城野区")
        );
    }

    #[test]
    fn a_city_without_wards_has_no_ward() {
        assert_eq!(
            ward(&json!({"city": "松江市", "line": "架空町9番10号"})),
            None
        );
        assert_eq!(
            ward(&json!({"city": "松江市", "line": "東区画整理地1"})),
            None
        );
        assert_eq!(ward(&json!({"line": "青葉区1"})), None);
    }
}
