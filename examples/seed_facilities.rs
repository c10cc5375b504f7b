//! Fills a database with N facility capability records of varied services, groups, medical
//! care, wards and vacancy times, for the facility-search benchmark (scripts/bench-exchange.sh).
//! With MUNICIPALITIES, the records are spread over that many municipalities of one prefecture
//! (their address's municipality; the first is the demo's, Sendai).
//! usage: cargo run --release --example seed_facilities -- DATABASE_URL N [MUNICIPALITIES]
#![allow(clippy::unwrap_used)] // a development tool: a panic here is its error report
use kyoten::domain::facility::FacilityRecord;
use kyoten::domain::role::Role;
use kyoten::store::{facilities, organizations};
use serde_json::{json, Value};

const WARDS: [&str; 5] = ["青葉区", "宮城野区", "若林区", "太白区", "泉区"];
const SERVICES: [&str; 5] = [
    "short_stay",
    "daily_life_care",
    "group_home",
    "home_care",
    "short_stay",
];
const MEDICAL: [&str; 6] = [
    "suction",
    "tube_feeding",
    "ventilator",
    "oxygen",
    "catheter",
    "insulin",
];

#[path = "support/demo_store.rs"]
mod demo_store;
#[path = "support/lcg.rs"]
mod lcg;
#[path = "support/municipalities.rs"]
mod municipalities;
use lcg::Lcg;

fn record(i: u64, rng: &mut Lcg, municipality: &str) -> Value {
    let id = format!("09{:08}", i);
    let now = chrono::Utc::now() - chrono::TimeDelta::minutes(rng.next(60 * 24 * 10) as i64);
    let as_of = now
        .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let services: Vec<Value> = (0..1 + rng.next(2))
        .map(|_| {
            let t = SERVICES[rng.next(SERVICES.len() as u64) as usize];
            let capacity = 1 + rng.next(20) as u32;
            let medical: Vec<&str> = MEDICAL.iter().copied().filter(|_| rng.chance(25)).collect();
            let mut s = json!({
                "service_type": t,
                "capacity": capacity,
                "vacancies": rng.next(u64::from(capacity) + 1),
                "vacancy_as_of": as_of,
                "targets": ["physical", "intellectual"],
                "medical_care": medical,
                "behavioral_support": rng.chance(40),
            });
            if t == "short_stay" {
                s["variant"] = json!(if rng.chance(15) { "medical" } else { "welfare" });
            }
            if t == "home_care" {
                // A home-visit service has no capacity: it states whether it can respond today.
                let free = s["vacancies"] != 0;
                let s = s.as_object_mut().unwrap();
                s.remove("capacity");
                s.remove("vacancies");
                s.remove("vacancy_as_of");
                s.insert(
                    "availability".into(),
                    json!({"can_respond_today": free, "as_of": as_of}),
                );
            }
            s
        })
        .collect();
    // Two services of one type and variant would be one service twice: keep the first.
    let mut seen = Vec::new();
    let services: Vec<Value> = services
        .into_iter()
        .filter(|s| {
            let k = (s["service_type"].clone(), s["variant"].clone());
            let fresh = !seen.contains(&k);
            seen.push(k);
            fresh
        })
        .collect();
    let registered = rng.chance(20);
    let room = registered && rng.chance(30);
    let answers: Vec<bool> = [70, 50, 30, 60, 40]
        .iter()
        .map(|p| rng.chance(*p))
        .collect();
    json!({
        "document_type": "facility",
        "schema_version": "1.0.0",
        "facility_id": id,
        "name": format!("見本施設 {i}"),
        "operator_name": "社会福祉法人 架空会",
        "address": {"postal_code": "980-0000", "prefecture": "04", "municipality_code": municipality, "city": "仙台市", "line": "架空町1番"},
        "ward": WARDS[(i % 5) as usize],
        "contact": {"phone": "022-000-0000"},
        "services": services,
        "hub_registration": {
            "registered": registered,
            "functions": if registered { json!(["emergency_response"]) } else { json!([]) },
            "emergency_room": room
        },
        "emergency_acceptance": {
            "has_vacancy_capacity": answers[0],
            "has_accepted_emergency": answers[1],
            "has_accepted_new_without_prior_info": answers[2],
            "willing_emergency": answers[3],
            "willing_new_without_prior_info": answers[4],
            "lead_time": "within_days",
            "barriers": []
        }
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: seed_facilities DATABASE_URL N");
    let n: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let store = demo_store::open(&url);
    let m: usize = args.next().and_then(|m| m.parse().ok()).unwrap_or(1);
    let codes = municipalities::codes(m.max(1));
    let mut rng = Lcg(42);
    let batch = 500;
    for start in (0..n).step_by(batch) {
        let docs: Vec<Value> = (start..(start + batch as u64).min(n))
            .map(|i| record(i, &mut rng, &codes[i as usize % codes.len()]))
            .collect();
        store
            .write(move |conn| {
                for doc in docs {
                    let rec: FacilityRecord = serde_json::from_value(doc.clone()).unwrap();
                    let (org, _) = organizations::add(
                        conn,
                        Some(&rec.facility_id),
                        &rec.name,
                        Role::Facility,
                    )?;
                    facilities::put(conn, &org, &rec, doc, None)?;
                }
                Ok(())
            })
            .expect("records stored");
    }
    eprintln!("{n} facility records stored");
}
