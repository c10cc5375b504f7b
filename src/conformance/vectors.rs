//! The vectors the runner posts to the validation endpoint, read from every
//! `conformance/vectors/*/manifest.json`.
use super::{parse, LoadError};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// What a vector expects.
#[derive(Debug, Clone)]
pub enum Expected {
    /// A report with this verdict and these sorted message ids.
    Verdict {
        valid: bool,
        errors: Vec<String>,
        warnings: Vec<String>,
        /// JSON Pointers that must each be the `instance_location` of an error.
        locations: Vec<String>,
    },
    /// A body that is not a document: this status and RFC 9457 problem type.
    Problem { status: u16, problem_type: String },
}

/// One vector to post to the validation endpoint.
#[derive(Debug, Clone)]
pub struct VectorCase {
    /// `vectors/<folder>/<file>`.
    pub id: String,
    pub file: PathBuf,
    pub document_type: String,
    pub content_type: String,
    pub description: String,
    pub spec: String,
    pub expected: Expected,
}

#[derive(Deserialize)]
struct Manifest {
    #[serde(default)]
    document_type: Option<String>,
    vectors: Vec<ManifestEntry>,
}

#[derive(Deserialize)]
struct ManifestEntry {
    file: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    valid: Option<bool>,
    #[serde(default)]
    errors: Vec<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    problem_type: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    document_type: Option<String>,
    #[serde(default)]
    spec: Option<String>,
    #[serde(default)]
    locations: Vec<String>,
}

/// Every vector of `dir/*/manifest.json` that the validation endpoint can check: entries with
/// an expected verdict (`valid`) or an expected refusal (`status`). Folders without a manifest
/// and entries of other kinds (signed packets, keys) are left to their own tools.
pub fn load_vectors(dir: &Path) -> Result<Vec<VectorCase>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let mut folders: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    folders.sort();
    let mut cases = Vec::new();
    for folder in folders {
        let manifest_path = folder.join("manifest.json");
        let manifest: Manifest = parse(&manifest_path)?;
        let folder_name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for entry in manifest.vectors {
            let expected = match (entry.valid, entry.status, entry.problem_type) {
                (Some(valid), _, _) => {
                    let (mut errors, mut warnings) = (entry.errors, entry.warnings);
                    errors.sort();
                    warnings.sort();
                    Expected::Verdict {
                        valid,
                        errors,
                        warnings,
                        locations: entry.locations,
                    }
                }
                (None, Some(status), Some(problem_type)) => Expected::Problem {
                    status,
                    problem_type,
                },
                _ => continue,
            };
            let Some(document_type) = entry.document_type.or(manifest.document_type.clone()) else {
                return Err(LoadError::Format {
                    path: manifest_path.display().to_string(),
                    message: format!("{}: no document_type", entry.file),
                });
            };
            let file = folder.join(&entry.file);
            let xml = file.extension().is_some_and(|e| e == "xml");
            let content_type = entry.content_type.unwrap_or_else(|| {
                if xml {
                    "application/xml"
                } else {
                    "application/json"
                }
                .to_owned()
            });
            cases.push(VectorCase {
                id: format!("vectors/{folder_name}/{}", entry.file),
                file,
                document_type,
                content_type,
                description: entry.description,
                spec: entry
                    .spec
                    .unwrap_or_else(|| "docs/spec/validation.md §2".into()),
                expected,
            });
        }
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn vectors_are_read_from_every_manifest_and_entries_of_other_kinds_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let write = |folder: &str, manifest: Value| {
            std::fs::create_dir(dir.path().join(folder)).unwrap();
            std::fs::write(
                dir.path().join(folder).join("manifest.json"),
                manifest.to_string(),
            )
            .unwrap();
        };
        write(
            "registration",
            json!({"document_type": "registration", "vectors": [
                {"file": "invalid/b.xml", "valid": false, "errors": ["KY-B", "KY-A"],
                 "warnings": [], "locations": ["/x"]}]}),
        );
        write(
            "malformed",
            json!({"vectors": [{"file": "d.json", "status": 400, "document_type": "facility",
                                "problem_type": "https://w3id.org/kyoten/problems/duplicate-key"}]}),
        );
        write(
            "signed",
            json!({"keys": "keys/jwks.json", "vectors": [{"file": "a.jws", "verdict": "valid"}]}),
        );
        let cases = load_vectors(dir.path()).unwrap();
        let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "vectors/malformed/d.json",
                "vectors/registration/invalid/b.xml"
            ]
        );
        assert_eq!(cases[1].content_type, "application/xml");
        assert!(matches!(
            &cases[1].expected,
            Expected::Verdict { errors, locations, .. } if errors == &["KY-A", "KY-B"] && locations == &["/x"]
        ));
        assert_eq!(cases[0].document_type, "facility");
    }
}
