use kyoten::contracts::DocumentType;
use kyoten::validation::Engine;
use std::time::Instant;
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
fn main() {
    let text = std::fs::read("conformance/vectors/registration/valid/full.json").unwrap();
    let v: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let engine = Engine::get();
    let n = 100000;
    for _ in 0..3 {
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(engine.validate(Some(DocumentType::Registration), &v));
        }
        println!("validate: {:?}", t.elapsed() / n);
    }
}
