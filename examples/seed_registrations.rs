//! Fills a database with N registrations of varied names, readings, birth dates and phones,
//! taken by the demo office, for the person-search benchmark (scripts/bench-search.sh). Every
//! registration goes through the store's own create (version, access record, search keys).
//! Also writes target/bench/search-bodies.txt: search bodies (one JSON per line) that find
//! people who exist, by reading prefix, full reading and birth date, name as written, and
//! phone.
//! With MUNICIPALITIES, the registrations are spread over that many municipalities of one
//! prefecture (the first is the demo's, Sendai), as a prefecture-wide deployment holds them.
//! usage: cargo run --release --example seed_registrations -- DATABASE_URL N [MUNICIPALITIES]
#![allow(clippy::unwrap_used)] // a development tool: a panic here is its error report
use kyoten::store::registrations::{self, NewRegistration};

use serde_json::{json, Value};
use std::io::Write;

/// Common family names (kanji, reading) and given names, so that a city-sized set has the
/// many namesakes a real one has.
const FAMILY: [(&str, &str); 20] = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("清水", "シミズ"),
];
const GIVEN: [(&str, &str); 16] = [
    ("太郎", "タロウ"),
    ("花子", "ハナコ"),
    ("一郎", "イチロウ"),
    ("優子", "ユウコ"),
    ("健太", "ケンタ"),
    ("美咲", "ミサキ"),
    ("翔", "ショウ"),
    ("陽菜", "ヒナ"),
    ("大輔", "ダイスケ"),
    ("恵", "メグミ"),
    ("誠", "マコト"),
    ("愛", "アイ"),
    ("悠真", "ユウマ"),
    ("結衣", "ユイ"),
    ("蓮", "レン"),
    ("葵", "アオイ"),
];

#[path = "support/demo_store.rs"]
mod demo_store;
#[path = "support/lcg.rs"]
mod lcg;
#[path = "support/municipalities.rs"]
mod municipalities;
use lcg::Lcg;

struct Person {
    family: (&'static str, &'static str),
    given: (&'static str, &'static str),
    birth_date: String,
    mobile: String,
}

fn person(i: u64, rng: &mut Lcg) -> Person {
    let family = FAMILY[rng.next(FAMILY.len() as u64) as usize];
    let given = GIVEN[rng.next(GIVEN.len() as u64) as usize];
    let birth = chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap()
        + chrono::Days::new(rng.next(365 * 80));
    Person {
        family,
        given,
        birth_date: birth.to_string(),
        mobile: format!("090-{:04}-{:04}", (i / 10_000) % 10_000, i % 10_000),
    }
}

fn document(template: &Value, p: &Person, municipality: &str) -> Value {
    let mut doc = template.clone();
    doc.as_object_mut().unwrap().remove("registration_id");
    doc["municipality_code"] = json!(municipality);
    if doc["registrant"]["address"]
        .get("municipality_code")
        .is_some()
    {
        doc["registrant"]["address"]["municipality_code"] = json!(municipality);
    }
    doc["registrant"]["name"] = json!({
        "family": p.family.0, "given": p.given.0,
        "family_kana": p.family.1, "given_kana": p.given.1
    });
    doc["registrant"]["birth_date"] = json!(p.birth_date);
    doc["registrant"]["phones"] = json!({"mobile": p.mobile});
    doc
}

/// Search bodies that find people of the set: each kind of search a coordinator makes.
fn bodies(people: &[Person]) -> Vec<String> {
    let mut out = Vec::new();
    for (n, p) in people.iter().enumerate() {
        let hiragana: String = p
            .family
            .1
            .chars()
            .map(|c| char::from_u32(c as u32 - 0x60).unwrap_or(c))
            .collect();
        let body = match n % 4 {
            // A family name in hiragana and the birth date.
            0 => json!({"name": hiragana, "birth_date": p.birth_date}),
            // The whole reading, half a name typed in katakana with a long-vowel mark.
            1 => json!({"name": format!("{} {}", p.family.1, p.given.1).replace("ウ", "ー")}),
            // The name as written and the birth date.
            2 => {
                json!({"name": format!("{} {}", p.family.0, p.given.0), "birth_date": p.birth_date})
            }
            // The phone.
            _ => json!({"phone": p.mobile}),
        };
        let mut body = body;
        body["purpose"] = json!("emergency_acceptance");
        out.push(body.to_string());
    }
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .expect("usage: seed_registrations DATABASE_URL N");
    let n: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let store = demo_store::open(&url);
    let (template, office) = demo_store::registration(&store);
    let m: usize = args.next().and_then(|m| m.parse().ok()).unwrap_or(1);
    let codes = municipalities::codes(m.max(1));
    let mut rng = Lcg(7);
    let people: Vec<Person> = (0..n).map(|i| person(i, &mut rng)).collect();
    let started = std::time::Instant::now();
    // Two writers: on PostgreSQL two connections write at once; on SQLite the documents are
    // made beside the one writer.
    std::thread::scope(|scope| {
        for part in 0..2 {
            let (store, office, template, codes) = (&store, &office, &template, &codes);
            let people = &people;
            scope.spawn(move || {
                for (c, chunk) in people.chunks(1000).enumerate().skip(part).step_by(2) {
                    let docs: Vec<Value> = chunk
                        .iter()
                        .enumerate()
                        .map(|(k, p)| document(template, p, &codes[(c * 1000 + k) % codes.len()]))
                        .collect();
                    let office = office.clone();
                    store
                        .write(move |conn| {
                            // One transaction a thousand (on PostgreSQL each create would commit
                            // alone).
                            diesel::Connection::transaction(conn, |conn| {
                                for doc in docs {
                                    registrations::create(
                                        conn,
                                        &office,
                                        NewRegistration::new(doc),
                                    )?;
                                }
                                Ok::<_, kyoten::store::StoreError>(())
                            })
                        })
                        .unwrap();
                }
            });
        }
    });
    eprintln!(
        "{n} registrations in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // A thousand searches spread over the people of the first municipality (the demo's).
    let own: Vec<Person> = people.into_iter().step_by(codes.len()).collect();
    let step = (own.len() / 1000).max(1);
    let sample: Vec<Person> = own.into_iter().step_by(step).take(1000).collect();
    std::fs::create_dir_all("target/bench").unwrap();
    let mut f = std::fs::File::create("target/bench/search-bodies.txt").unwrap();
    for body in bodies(&sample) {
        writeln!(f, "{body}").unwrap();
    }
}
