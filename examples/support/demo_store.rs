//! What the examples write with: the store, and the demo registration with its office.
use kyoten::store::organizations::{self, Organization};
use kyoten::store::{KekSource, Store};
use serde_json::Value;

/// The store at `url`, with the key-encryption key as `kyoten` takes it from the environment.
pub fn open(url: &str) -> Store {
    let kek = KekSource::from_settings(
        std::env::var_os("KYOTEN_KEY_ENCRYPTION_KEY_FILE").map(std::path::PathBuf::from),
    )
    .expect("key-encryption key");
    Store::open(url, kek).expect("database opens")
}

/// The demo registration (without its id) and the demo office that takes it.
#[allow(dead_code)] // not every example writes registrations
pub fn registration(store: &Store) -> (Value, Organization) {
    let mut template: Value =
        serde_json::from_str(&std::fs::read_to_string("demo/registration.json").unwrap()).unwrap();
    template.as_object_mut().unwrap().remove("registration_id");
    let office_id = template["received_by"]["organization_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let office = organizations::get(&mut store.conn().unwrap(), &office_id)
        .unwrap()
        .expect("the demo office (run `kyoten serve --demo` on the database first)");
    (template, office)
}
