//! Writes the facility vectors that give the valid vectors every prefecture code. A facility
//! record has one address and so one prefecture, so the 47 codes need one facility vector each:
//! for every prefecture that no other valid facility vector is in, this writes
//! `conformance/vectors/facility/valid/prefecture_{code}.json`, the minimal facility record
//! (`valid/minimal.json`) moved to that prefecture's capital, and lists it in the facility
//! `manifest.json` (sorted among the valid vectors, with the warnings `valid/minimal.json` has).
//! A `prefecture_*.json` whose prefecture a hand-written vector now covers is removed.
//! `tests/api/vector_coverage.rs` checks the result.
//! usage: cargo run --example gen_coverage_vectors
#![allow(clippy::unwrap_used)] // a development tool: a panic here is its error report
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every prefecture: code, capital (the city in the address), the capital's local government
/// code without its check digit, the first three digits of a postal code there and the area
/// code of a phone number there.
const PREFECTURES: [(&str, &str, &str, &str, &str); 47] = [
    ("01", "札幌市", "01100", "060", "011"),
    ("02", "青森市", "02201", "030", "017"),
    ("03", "盛岡市", "03201", "020", "019"),
    ("04", "仙台市", "04100", "980", "022"),
    ("05", "秋田市", "05201", "010", "018"),
    ("06", "山形市", "06201", "990", "023"),
    ("07", "福島市", "07201", "960", "024"),
    ("08", "水戸市", "08201", "310", "029"),
    ("09", "宇都宮市", "09201", "320", "028"),
    ("10", "前橋市", "10201", "371", "027"),
    ("11", "さいたま市", "11100", "330", "048"),
    ("12", "千葉市", "12100", "260", "043"),
    ("13", "千代田区", "13101", "100", "03"),
    ("14", "横浜市", "14100", "220", "045"),
    ("15", "新潟市", "15100", "950", "025"),
    ("16", "富山市", "16201", "930", "076"),
    ("17", "金沢市", "17201", "920", "076"),
    ("18", "福井市", "18201", "910", "0776"),
    ("19", "甲府市", "19201", "400", "055"),
    ("20", "長野市", "20201", "380", "026"),
    ("21", "岐阜市", "21201", "500", "058"),
    ("22", "静岡市", "22100", "420", "054"),
    ("23", "名古屋市", "23100", "460", "052"),
    ("24", "津市", "24201", "514", "059"),
    ("25", "大津市", "25201", "520", "077"),
    ("26", "京都市", "26100", "600", "075"),
    ("27", "大阪市", "27100", "530", "06"),
    ("28", "神戸市", "28100", "650", "078"),
    ("29", "奈良市", "29201", "630", "0742"),
    ("30", "和歌山市", "30201", "640", "073"),
    ("31", "鳥取市", "31201", "680", "0857"),
    ("32", "松江市", "32201", "690", "0852"),
    ("33", "岡山市", "33100", "700", "086"),
    ("34", "広島市", "34100", "730", "082"),
    ("35", "山口市", "35203", "753", "083"),
    ("36", "徳島市", "36201", "770", "088"),
    ("37", "高松市", "37201", "760", "087"),
    ("38", "松山市", "38201", "790", "089"),
    ("39", "高知市", "39201", "780", "088"),
    ("40", "福岡市", "40130", "810", "092"),
    ("41", "佐賀市", "41201", "840", "0952"),
    ("42", "長崎市", "42201", "850", "095"),
    ("43", "熊本市", "43100", "860", "096"),
    ("44", "大分市", "44201", "870", "097"),
    ("45", "宮崎市", "45201", "880", "0985"),
    ("46", "鹿児島市", "46201", "890", "099"),
    ("47", "那覇市", "47201", "900", "098"),
];

const BASE: &str = "valid/minimal.json";
const PREFIX: &str = "valid/prefecture_";

/// One entry of a vector manifest, its members in the order the manifests write them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    file: String,
    description: String,
    valid: bool,
    errors: Vec<String>,
    warnings: Vec<String>,
    spec: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    locations: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning_locations: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    xml_locations: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    xml_warning_locations: Option<Vec<String>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    document_type: String,
    vectors: Vec<Entry>,
}

fn manifest_text(m: &Manifest) -> String {
    serde_json::to_string_pretty(m).expect("manifest serializes") + "\n"
}

/// The 6-digit local government code: the 5 digits and the check digit
/// (11 − Σ digit × weight mod 11) mod 10 with weights 6, 5, 4, 3, 2.
fn municipality_code(five: &str) -> String {
    let sum: u32 = five
        .chars()
        .zip([6, 5, 4, 3, 2])
        .map(|(c, w)| c.to_digit(10).expect("digits") * w)
        .sum();
    format!("{five}{}", (11 - sum % 11) % 10)
}

/// A phone number of 10 digits, all of them after the area code 0.
fn phone(area: &str) -> String {
    format!("{area}-{}-0000", "0".repeat(6 - area.len()))
}

/// `text` with `from` replaced by `to`, where `from` must occur exactly once.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "{BASE} no longer holds {from:?} exactly once; update this generator"
    );
    text.replacen(from, to, 1)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("conformance/vectors/facility");
    let manifest_path = dir.join("manifest.json");
    let text = read(&manifest_path);
    let mut manifest: Manifest = serde_json::from_str(&text).expect("manifest.json parses");
    assert_eq!(
        manifest_text(&manifest),
        text,
        "manifest.json is not in the form this generator writes it back in"
    );

    let names: Value =
        serde_json::from_str(&read(&root.join("schemas/codelists/prefectures.json")))
            .expect("prefectures.json parses");
    let english = |code: &str| -> String {
        names["codes"]
            .as_array()
            .expect("codes")
            .iter()
            .find(|c| c["code"] == code)
            .and_then(|c| c["en"].as_str())
            .unwrap_or_else(|| panic!("prefecture {code} not in prefectures.json"))
            .to_owned()
    };

    // The prefectures the other valid JSON facility vectors are in.
    let mut covered = BTreeSet::new();
    for v in &manifest.vectors {
        if v.valid && v.file.ends_with(".json") && !v.file.starts_with(PREFIX) {
            let doc: Value = serde_json::from_str(&read(&dir.join(&v.file))).expect("vector");
            if let Some(code) = doc["address"]["prefecture"].as_str() {
                covered.insert(code.to_owned());
            }
        }
    }

    let base_entry = manifest
        .vectors
        .iter()
        .find(|v| v.file == BASE)
        .unwrap_or_else(|| panic!("{BASE} is not in the manifest"))
        .clone();
    let base = read(&dir.join(BASE));
    let base_doc: Value = serde_json::from_str(&base).expect("base vector parses");
    let base_prefecture = base_doc["address"]["prefecture"]
        .as_str()
        .expect("prefecture");
    let base_facility_id = base_doc["facility_id"].as_str().expect("facility_id");
    let (_, base_city, _, base_postal, base_area) = PREFECTURES
        .iter()
        .find(|p| p.0 == base_prefecture)
        .expect("the base vector's prefecture");

    let mut written = Vec::new();
    for (code, city, five, postal, area) in PREFECTURES {
        if covered.contains(code) {
            continue;
        }
        let mut doc = replace_once(
            &base,
            &format!("\"facility_id\": \"{base_facility_id}\""),
            &format!("\"facility_id\": \"{code}{}\"", &base_facility_id[2..]),
        );
        doc = replace_once(
            &doc,
            &format!("\"postal_code\": \"{base_postal}-0000\""),
            &format!("\"postal_code\": \"{postal}-0000\""),
        );
        doc = replace_once(
            &doc,
            &format!("\"prefecture\": \"{base_prefecture}\",\n"),
            &format!(
                "\"prefecture\": \"{code}\",\n    \"municipality_code\": \"{}\",\n",
                municipality_code(five)
            ),
        );
        doc = replace_once(
            &doc,
            &format!("\"city\": \"{base_city}\""),
            &format!("\"city\": \"{city}\""),
        );
        doc = replace_once(
            &doc,
            &format!("\"phone\": \"{}\"", phone(base_area)),
            &format!("\"phone\": \"{}\"", phone(area)),
        );
        let file = format!("{PREFIX}{code}.json");
        std::fs::write(dir.join(&file), doc).expect("vector written");
        written.push(Entry {
            file,
            description: format!(
                "{BASE} moved to {city}, {} (prefecture code {code}), one of the facilities \
                 through which the valid vectors together use every prefecture code; it expects \
                 the same warnings as {BASE}.",
                english(code)
            ),
            ..base_entry.clone()
        });
    }

    // Drop the series' old entries and files, then list the new ones among the valid vectors,
    // which come first in the manifest, sorted by file.
    let keep: BTreeSet<String> = written.iter().map(|e| e.file.clone()).collect();
    for entry in std::fs::read_dir(dir.join("valid")).expect("valid/") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let file = format!("valid/{name}");
        if file.starts_with(PREFIX) && !keep.contains(&file) {
            std::fs::remove_file(dir.join(&file)).expect("old vector removed");
        }
    }
    manifest.vectors.retain(|v| !v.file.starts_with(PREFIX));
    let valid_run = manifest
        .vectors
        .iter()
        .take_while(|v| v.file.starts_with("valid/"))
        .count();
    let rest = manifest.vectors.split_off(valid_run);
    manifest.vectors.extend(written.iter().cloned());
    manifest.vectors.sort_by(|a, b| a.file.cmp(&b.file));
    manifest.vectors.extend(rest);
    std::fs::write(&manifest_path, manifest_text(&manifest)).expect("manifest written");
    println!(
        "wrote {} facility vectors for the prefectures no other valid vector is in",
        written.len()
    );
}
