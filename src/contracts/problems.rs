//! The catalogue of problem types (`schemas/catalogue/problems.json`): every RFC 9457 problem
//! the API answers, with its status, when it is answered, and its cases, each with a title and
//! a detail in Japanese and English. The errors of the code (`problem::ApiError`) name a case
//! and its arguments; the words live here, beside the validation messages.
use super::ContractError;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Japanese and English.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub ja: String,
    pub en: String,
}

impl Texts {
    /// The text in English or Japanese.
    pub fn get(&self, english: bool) -> &str {
        if english {
            &self.en
        } else {
            &self.ja
        }
    }
}

/// One case of a problem type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub case: String,
    pub title: Texts,
    /// `{name}` is filled in with the case's argument of that name.
    pub detail: Texts,
}

/// One problem type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProblemType {
    /// The last segment of the type URI.
    #[serde(rename = "type")]
    pub slug: String,
    pub status: u16,
    /// When it is answered (English; the README's error table).
    pub when: String,
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "name")]
    _name: String,
    #[serde(rename = "version")]
    _version: String,
    #[serde(rename = "title")]
    _title: Texts,
    #[serde(rename = "description")]
    _description: Texts,
    base: String,
    types: Vec<ProblemType>,
}

/// The catalogue, indexed by case.
#[derive(Debug)]
pub struct Problems {
    /// The base of every type URI.
    pub base: String,
    pub types: Vec<ProblemType>,
    /// Case → (index of its type, index of the case in it).
    cases: BTreeMap<String, (usize, usize)>,
}

/// A case as the API renders it.
pub struct Found<'a> {
    pub problem: &'a ProblemType,
    pub case: &'a Case,
}

impl Problems {
    pub fn new(value: &Value) -> Result<Problems, ContractError> {
        let file: File = serde_json::from_value(value.clone())
            .map_err(|e| ContractError(format!("catalogue/problems.json: {e}")))?;
        let mut cases = BTreeMap::new();
        for (t, problem) in file.types.iter().enumerate() {
            for (c, case) in problem.cases.iter().enumerate() {
                if cases.insert(case.case.clone(), (t, c)).is_some() {
                    return Err(ContractError(format!(
                        "catalogue/problems.json: case {} twice",
                        case.case
                    )));
                }
            }
        }
        Ok(Problems {
            base: file.base,
            types: file.types,
            cases,
        })
    }

    pub fn case(&self, case: &str) -> Option<Found<'_>> {
        let &(t, c) = self.cases.get(case)?;
        let problem = &self.types[t];
        Some(Found {
            problem,
            case: &problem.cases[c],
        })
    }

    /// Every case, in the catalogue's order.
    pub fn cases(&self) -> impl Iterator<Item = &str> {
        self.types
            .iter()
            .flat_map(|t| t.cases.iter().map(|c| c.case.as_str()))
    }

    /// The README's table of problem types.
    pub fn markdown_table(&self) -> String {
        let mut out = String::from(
            "| type (`https://w3id.org/kyoten/problems/…`) | status | when |\n|---|---|---|\n",
        );
        for t in &self.types {
            out.push_str(&format!("| `{}` | {} | {} |\n", t.slug, t.status, t.when));
        }
        out
    }
}

/// `template` with each `{name}` replaced by its argument, in one pass (an argument's value is
/// never read as a template); braces that name no argument stay as they are.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let named = after.find('}').and_then(|close| {
            let name = &after[..close];
            let value = args.iter().find(|(n, _)| *n == name)?.1;
            Some((value, close))
        });
        match named {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn fill_replaces_named_arguments_once_and_leaves_other_braces() {
        let args = [("index", "2"), ("name", "{index}")];
        assert_eq!(
            fill("vacancies[{index}] {\"as_of\"?} /v1/{id} {name}", &args),
            "vacancies[2] {\"as_of\"?} /v1/{id} {index}"
        );
    }
}
