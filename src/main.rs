fn main() -> std::process::ExitCode {
    kyoten::cli::main()
}
