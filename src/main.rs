/// Validation allocates many small strings and maps; mimalloc serves them faster than the
/// system allocator (measured in BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kyoten::cli::main()
}
