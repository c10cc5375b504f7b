fn main() {
    let engine = kyoten::validation::Engine::get();
    for path in std::env::args().skip(1) {
        let raw = std::fs::read(&path).unwrap();
        let v = kyoten::contracts::json::parse_document(&raw).unwrap();
        let o = engine.validate(None, &v);
        let r = engine.render(&o, kyoten::validation::Lang::Ja, None);
        println!("{path}: {}", serde_json::to_string_pretty(&r).unwrap());
    }
}
