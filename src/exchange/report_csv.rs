//! The operations report as CSV for a spreadsheet: UTF-8 with a byte order mark (so Excel reads
//! the Japanese as such), one figure per row — the item, its breakdown (a ward, a reason, a
//! group … or empty), the value — with the item's Japanese and English names beside its key.
use super::reports::OperationsReport;
use serde_json::Value;

/// Japanese and English names of the report's items, by their key (`section.item`).
const LABELS: [(&str, &str, &str); 37] = [
    ("registrations.new", "新規登録数", "New registrations"),
    (
        "registrations.changed",
        "変更届の数",
        "Change notifications",
    ),
    (
        "registrations.withdrawn",
        "同意撤回の数",
        "Consents withdrawn",
    ),
    (
        "registrations.active_at_end",
        "年度末の登録者数",
        "Registrations in force at the year's end",
    ),
    (
        "registrations.new_by_ward",
        "新規登録数（区別）",
        "New registrations by ward",
    ),
    (
        "registrations.new_by_reason",
        "新規登録数（理由別）",
        "New registrations by reason",
    ),
    (
        "intakes.received",
        "事前情報のない新規ケースの受付数",
        "Emergency intakes",
    ),
    ("intakes.by_ward", "受付数（区別）", "Intakes by ward"),
    (
        "intakes.by_situation",
        "受付数（状況別）",
        "Intakes by situation",
    ),
    (
        "intakes.registered_since",
        "受付後に登録した数",
        "Intakes registered since",
    ),
    ("facilities.total", "事業所数", "Facility records"),
    (
        "facilities.hub_by_service_type",
        "拠点登録事業所数（サービス別）",
        "Hub facilities by service type",
    ),
    (
        "facilities.hub_by_function_and_service_type",
        "拠点登録事業所数（機能・サービス別）",
        "Hub facilities by function and service type",
    ),
    (
        "facilities.hub_contracted_users_by_service_type",
        "拠点登録事業所の利用契約者数（サービス別）",
        "Contracted users of hub facilities by service type",
    ),
    (
        "facilities.by_hub_function",
        "拠点登録事業所数（機能別）",
        "Hub facilities by function",
    ),
    (
        "facilities.hub_registered",
        "拠点登録事業所数",
        "Hub-registered facilities",
    ),
    (
        "facilities.with_emergency_room",
        "緊急時の居室を持つ事業所数",
        "Facilities with an emergency room",
    ),
    (
        "facilities.emergency_room_people",
        "緊急用居室の利用人数（延べ）",
        "Stays in emergency rooms",
    ),
    (
        "facilities.emergency_room_days",
        "緊急用居室の利用日数（延べ）",
        "Days emergency rooms were in use",
    ),
    (
        "facilities.by_service_type",
        "事業所数（サービス別）",
        "Facilities by service type",
    ),
    (
        "facilities.short_stay_total",
        "短期入所事業所数",
        "Short-stay facilities",
    ),
    (
        "facilities.short_stay_answered",
        "アンケート回答事業所数（短期入所）",
        "Short-stay facilities that answered the survey",
    ),
    (
        "facilities.short_stay_response_rate",
        "アンケート回答率（短期入所、%）",
        "Survey response rate (short stay, %)",
    ),
    (
        "facilities.short_stay_by_survey_group",
        "回答事業所数（A〜C群別）",
        "Answering short-stay facilities by survey group",
    ),
    (
        "facilities.short_stay_survey_share",
        "回答事業所に占める割合（A〜C群別、%）",
        "Share of answering short-stay facilities by survey group (%)",
    ),
    (
        "matching.requests",
        "受入れ先候補の照会数（登録者）",
        "Candidate searches (registered)",
    ),
    (
        "matching.intake_requests",
        "受入れ先候補の照会数（新規ケース）",
        "Candidate searches (intakes)",
    ),
    (
        "handoffs.sent",
        "受入調整パケットの送信数",
        "Handoff packets sent",
    ),
    (
        "handoffs.emergency_cases",
        "緊急対応の件数（人数）",
        "Emergency cases (people)",
    ),
    (
        "handoffs.admitted_cases_by_service_type",
        "受入れに至った緊急対応の件数（依頼したサービス別）",
        "Emergency cases admitted, by service requested",
    ),
    (
        "handoffs.by_outcome",
        "パケット数（結果別）",
        "Packets by outcome",
    ),
    (
        "handoffs.by_purpose",
        "パケット数（目的別）",
        "Packets by purpose",
    ),
    (
        "handoffs.break_glass",
        "同意によらない提供の数",
        "Sent on the vital-interest basis",
    ),
    ("fiscal_year", "年度", "Fiscal year"),
    ("period", "期間", "Period"),
    ("area", "対象の市町村", "Municipalities covered"),
    (
        "small_cell_threshold",
        "秘匿の基準（1以上この数未満の人数・件数は「<この数」と表示）",
        "Person counts from 1 up to below this are shown as <this number",
    ),
];

fn label(key: &str) -> (&'static str, &'static str) {
    LABELS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(("", ""), |(_, ja, en)| (*ja, *en))
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The report as CSV bytes, starting with the UTF-8 byte order mark.
pub fn operations_csv(report: &OperationsReport) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    out.write_record(["項目", "内訳", "値", "key", "item"])?;
    let (ja, en) = label("fiscal_year");
    out.write_record([ja, "", &report.fiscal_year.to_string(), "fiscal_year", en])?;
    let (ja, en) = label("period");
    let period = format!("{}/{}", report.from, report.to);
    out.write_record([ja, "", &period, "period", en])?;
    let (ja, en) = label("area");
    out.write_record([ja, "", &report.area, "area", en])?;
    let (ja, en) = label("small_cell_threshold");
    let threshold = report.small_cell_threshold.to_string();
    out.write_record([ja, "", &threshold, "small_cell_threshold", en])?;
    for (section, items) in &report.figures {
        for (item, value) in items.as_object().into_iter().flatten() {
            let key = format!("{section}.{item}");
            let (ja, en) = label(&key);
            match value {
                Value::Object(breakdown) => {
                    for (part, n) in breakdown {
                        out.write_record([ja, part, &text(n), &key, en])?;
                    }
                }
                other => out.write_record([ja, "", &text(other), &key, en])?,
            }
        }
    }
    out.into_inner().map_err(|e| e.into_error().into())
}
