//! Embeds every file under `schemas/` into the binary, so the published contracts, the
//! validator and the OpenAPI document are built from one set of files.
use std::{env, fs, path::Path};

fn collect(dir: &Path, root: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("read schemas dir")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            let rel = path
                .strip_prefix(root)
                .expect("a file found under schemas/ is under schemas/")
                .to_string_lossy()
                .replace('\\', "/");
            out.push(format!(
                "({rel:?}, include_str!({abs:?})),",
                abs = path
                    .canonicalize()
                    .expect("an existing file has a canonical path")
                    .to_string_lossy()
            ));
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    println!("cargo:rerun-if-changed=schemas");
    let mut files = Vec::new();
    if root.exists() {
        collect(&root, &root, &mut files);
        for dir in walk_dirs(&root) {
            println!("cargo:rerun-if-changed={}", dir.display());
        }
    }
    let code = format!(
        "/// Every file under `schemas/`, as (relative path, contents).\npub static FILES: &[(&str, &str)] = &[\n{}\n];\n",
        files.join("\n")
    );
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts"))
        .join("embedded_schemas.rs");
    fs::write(out, code).expect("the build script writes into OUT_DIR");
}

fn walk_dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs = vec![dir.to_path_buf()];
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            dirs.extend(walk_dirs(&path));
        } else {
            dirs.push(path);
        }
    }
    dirs
}
