//! The `json` target under AFL: the properties are in `kyoten_fuzz::targets::json` (also run,
//! without coverage guidance, by the test suite's short fuzz run: tests/fuzz_smoke.rs).
fn main() {
    kyoten_fuzz::init();
    afl::fuzz!(|data: &[u8]| kyoten_fuzz::targets::json::run(data));
}
