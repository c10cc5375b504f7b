//! Comparing what a target answered with what a step expects, and the scenario variables
//! the expectations and request bodies are written with.
use super::runner::{problem_hint, Response};
use super::scenario::{Check, Credentials, Expect};
use serde_json::Value;
use std::collections::BTreeMap;

pub(super) fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

pub(super) type Mismatch = (String, String);

pub(super) fn check_response(
    expect: &Expect,
    response: &Response,
    vars: &Vars,
) -> Result<(), Mismatch> {
    if let Some(status) = &expect.status {
        if !status.accepts(response.status) {
            return Err((
                format!("status {}", status.describe()),
                format!("status {}{}", response.status, problem_hint(response)),
            ));
        }
    }
    if let Some(expected) = &expect.content_type {
        let got = response
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(media_type)
            .unwrap_or_default();
        if got != media_type(expected) {
            return Err((
                format!("Content-Type {expected}"),
                format!("Content-Type {got}"),
            ));
        }
    }
    for (name, value) in &expect.headers {
        let expected = vars
            .text(value)
            .map_err(|e| ("a well-formed step".into(), e))?;
        let got = response
            .headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok());
        if got != Some(expected.as_str()) {
            return Err((
                format!("header {name}: {expected}"),
                got.map_or_else(
                    || format!("no header {name}"),
                    |g| format!("header {name}: {g}"),
                ),
            ));
        }
    }
    if expect.json.is_empty() {
        return Ok(());
    }
    let Some(body) = &response.json else {
        return Err(("a JSON body".into(), "a body that is not JSON".into()));
    };
    for check in &expect.json {
        check_json(check, body, vars)?;
    }
    Ok(())
}

/// Whether `list` is an array holding an element with every member of `wanted`.
fn holds_element(list: &Value, wanted: &Value) -> bool {
    list.as_array()
        .is_some_and(|items| items.iter().any(|item| has_members(item, wanted)))
}

/// Whether `item` has every member of `wanted` (an array member: at least its items).
fn has_members(item: &Value, wanted: &Value) -> bool {
    let (Some(item), Some(wanted)) = (item.as_object(), wanted.as_object()) else {
        return false;
    };
    wanted.iter().all(|(k, w)| match (item.get(k), w) {
        (Some(Value::Array(have)), Value::Array(want)) => want.iter().all(|x| have.contains(x)),
        (Some(v), w) => v == w,
        (None, _) => false,
    })
}

pub(super) fn check_json(check: &Check, body: &Value, vars: &Vars) -> Result<(), Mismatch> {
    let pointer = vars
        .text(&check.pointer)
        .map_err(|e| ("a well-formed step".to_owned(), e))?;
    let found = body.pointer(&pointer);
    let at = |what: String| format!("{pointer}: {what}");
    let shown = |v: Option<&Value>| v.map_or_else(|| "nothing".to_owned(), compact);
    let expand = |v: &Value, vars: &Vars| {
        vars.value(v)
            .map_err(|e| ("a well-formed step".to_owned(), e))
    };
    let wants_present = check.exists == Some(true) || check.absent == Some(false);
    if wants_present && found.is_none() {
        return Err((at("present".into()), at("absent".into())));
    }
    if check.absent == Some(true) || check.exists == Some(false) {
        if let Some(v) = found {
            return Err((at("absent".into()), at(compact(v))));
        }
    }
    if let Some(expected) = &check.equals {
        let expected = expand(expected, vars)?;
        if found != Some(&expected) {
            return Err((at(compact(&expected)), at(shown(found))));
        }
    }
    for (wanted, negate) in [(&check.contains, false), (&check.not_contains, true)] {
        let Some(element) = wanted else { continue };
        let element = expand(element, vars)?;
        let holds = match (found, &element) {
            (Some(Value::Array(items)), e) => items.contains(e),
            (Some(Value::String(s)), Value::String(e)) => s.contains(e.as_str()),
            _ => false,
        };
        if holds == negate {
            let verb = if negate {
                "not containing"
            } else {
                "containing"
            };
            return Err((
                at(format!("{verb} {}", compact(&element))),
                at(shown(found)),
            ));
        }
    }
    if let Some(members) = &check.has_element {
        let wanted = expand(&Value::Object(members.clone()), vars)?;
        if !found.is_some_and(|f| holds_element(f, &wanted)) {
            return Err((
                at(format!("an element with {}", compact(&wanted))),
                at(shown(found)),
            ));
        }
    }
    if let Some(options) = &check.one_of {
        let mut expanded = Vec::new();
        for o in options {
            expanded.push(expand(o, vars)?);
        }
        if !found.is_some_and(|f| expanded.contains(f)) {
            return Err((
                at(format!("one of {}", compact(&Value::Array(expanded)))),
                at(shown(found)),
            ));
        }
    }
    if let Some(length) = check.length {
        let got = found.and_then(Value::as_array).map(Vec::len);
        if got != Some(length) {
            return Err((
                at(format!("an array of {length}")),
                at(got.map_or_else(|| shown(found), |n| format!("an array of {n}"))),
            ));
        }
    }
    Ok(())
}

/// A value shown in a failure, cut short: checks look at ids, statuses and codes, but a body
/// may hold more, and a summary stays readable.
pub(super) fn compact(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 200 {
        let cut: String = text.chars().take(200).collect();
        format!("{cut}…")
    } else {
        text
    }
}

pub(super) fn capture(response: &Response, source: &str) -> Option<Value> {
    if let Some(name) = source.strip_prefix("header:") {
        return response
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| Value::String(v.to_owned()));
    }
    response.json.as_ref()?.pointer(source).cloned()
}

pub(super) fn pointer_parent<'a>(
    doc: &'a mut Value,
    pointer: &str,
) -> Result<(&'a mut Value, String), String> {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return Err(format!("{pointer} is not a JSON Pointer"));
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    let parent = doc
        .pointer_mut(parent)
        .ok_or_else(|| format!("nothing at {parent} in the body"))?;
    Ok((parent, last))
}

pub(super) fn set_pointer(doc: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    let (parent, last) = pointer_parent(doc, pointer)?;
    match parent {
        Value::Object(map) => {
            map.insert(last, value);
            Ok(())
        }
        Value::Array(items) => {
            if last == "-" {
                items.push(value);
                return Ok(());
            }
            let slot = last
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get_mut(i))
                .ok_or_else(|| format!("no element {pointer} in the body"))?;
            *slot = value;
            Ok(())
        }
        _ => Err(format!("{pointer}: the parent is not an object or array")),
    }
}

pub(super) fn remove_pointer(doc: &mut Value, pointer: &str) -> Result<(), String> {
    let (parent, last) = pointer_parent(doc, pointer)?;
    match parent {
        Value::Object(map) => {
            map.remove(&last);
            Ok(())
        }
        Value::Array(items) => match last.parse::<usize>() {
            Ok(i) if i < items.len() => {
                items.remove(i);
                Ok(())
            }
            _ => Err(format!("no element {pointer} in the body")),
        },
        _ => Err(format!("{pointer}: the parent is not an object or array")),
    }
}

/// Scenario variables: `org.<caller>`, `uuid`, `now`, `today`, `fiscal_year`, the scenario's
/// `vars` and everything captured so far.
#[derive(Clone)]
pub(super) struct Vars {
    values: BTreeMap<String, Value>,
}

impl Vars {
    pub(super) fn new(credentials: &Credentials) -> Vars {
        let values = credentials
            .iter()
            .map(|(caller, c)| {
                (
                    format!("org.{}", caller.name()),
                    Value::String(c.organization_id.clone()),
                )
            })
            .collect();
        Vars { values }
    }

    pub(super) fn set(&mut self, name: &str, value: Value) {
        self.values.insert(name.to_owned(), value);
    }

    pub(super) fn lookup(&self, name: &str) -> Result<Value, String> {
        let japan = chrono::FixedOffset::east_opt(9 * 3600).ok_or("no Japan offset")?;
        let now = chrono::Utc::now().with_timezone(&japan);
        match name {
            "uuid" => Ok(Value::String(crate::domain::handoff::new_id())),
            "now" => Ok(Value::String(
                now.to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            )),
            // A packet's expiry within any lifetime bound a target may set.
            "in_one_day" => Ok(Value::String(
                (now + chrono::Duration::days(1))
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            )),
            "today" => Ok(Value::String(now.format("%Y-%m-%d").to_string())),
            // The fiscal year (April to March, Japan) of today, as a number.
            "fiscal_year" => {
                use chrono::Datelike;
                let year = if now.month() >= 4 {
                    now.year()
                } else {
                    now.year() - 1
                };
                Ok(Value::from(year))
            }
            _ => self
                .values
                .get(name)
                .cloned()
                .ok_or_else(|| format!("unknown variable ${{{name}}}")),
        }
    }

    /// `${name}` replaced in a text (a non-string value is written as JSON).
    pub(super) fn text(&self, template: &str) -> Result<String, String> {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("unclosed ${{ in {template}"))?;
            match self.lookup(&after[..end])? {
                Value::String(s) => out.push_str(&s),
                other => out.push_str(&other.to_string()),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Substitution inside a JSON value; a string that is exactly `${name}` becomes the
    /// variable's value itself (an object, a number…).
    pub(super) fn value(&self, template: &Value) -> Result<Value, String> {
        Ok(match template {
            Value::String(s) => {
                let whole = s
                    .strip_prefix("${")
                    .and_then(|r| r.strip_suffix('}'))
                    .filter(|name| !name.contains("${") && !name.contains('}'));
                match whole {
                    Some(name) => self.lookup(name)?,
                    None => Value::String(self.text(s)?),
                }
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.value(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((self.text(k)?, self.value(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::scenario::Credential;
    use crate::conformance::scenario::{Caller, Credentials};
    use serde_json::json;

    fn vars() -> Vars {
        let mut credentials = Credentials::new();
        credentials.insert(
            Caller::Facility,
            Credential {
                organization_id: "0411200015".into(),
                api_key: "k".into(),
            },
        );
        let mut vars = Vars::new(&credentials);
        vars.set("doc", json!({"a": 1}));
        vars
    }

    #[test]
    fn variables_are_replaced_in_text_and_whole_strings_become_values() {
        let v = vars();
        assert_eq!(
            v.text("/v1/facilities/${org.facility}/vacancies").unwrap(),
            "/v1/facilities/0411200015/vacancies"
        );
        assert_eq!(
            v.value(&json!({"d": "${doc}", "s": "x${doc}"})).unwrap(),
            json!({"d": {"a": 1}, "s": "x{\"a\":1}"})
        );
        assert!(v.text("${nope}").is_err());
        assert!(v.text("${today").is_err());
        assert_eq!(v.text("${uuid}").unwrap().len(), 36);
    }

    #[test]
    fn body_edits_set_and_remove_members_by_pointer() {
        let mut doc = json!({"a": {"b": [1, 2]}, "c": 3});
        set_pointer(&mut doc, "/a/b/1", json!(9)).unwrap();
        set_pointer(&mut doc, "/a/new", json!("x")).unwrap();
        remove_pointer(&mut doc, "/c").unwrap();
        assert_eq!(doc, json!({"a": {"b": [1, 9], "new": "x"}}));
        assert!(set_pointer(&mut doc, "/zz/y", json!(1)).is_err());
    }

    #[test]
    fn json_checks_report_expected_and_got() {
        let v = vars();
        let body = json!({"status": "requested", "list": ["identity"]});
        let check: Check =
            serde_json::from_value(json!({"pointer": "/list", "contains": "household"})).unwrap();
        let (expected, got) = check_json(&check, &body, &v).unwrap_err();
        assert_eq!(expected, "/list: containing \"household\"");
        assert_eq!(got, "/list: [\"identity\"]");
        let check: Check =
            serde_json::from_value(json!({"pointer": "/gone", "equals": null})).unwrap();
        assert!(check_json(&check, &body, &v).is_err());
    }

    #[test]
    fn an_element_is_found_by_some_of_its_members() {
        let v = vars();
        let body = json!({"excluded": [
            {"facility_id": "0411200023", "reasons": ["no_vacancy"]},
            {"facility_id": "0411200015", "name": "x", "reasons": ["declined", "same_ward"]}
        ]});
        let check = |members: Value| -> Check {
            serde_json::from_value(json!({"pointer": "/excluded", "has_element": members})).unwrap()
        };
        let found = check(json!({"facility_id": "${org.facility}", "reasons": ["declined"]}));
        assert!(check_json(&found, &body, &v).is_ok());
        let missing = check(json!({"facility_id": "0411200023", "reasons": ["declined"]}));
        let (expected, _) = check_json(&missing, &body, &v).unwrap_err();
        assert!(
            expected.starts_with("/excluded: an element with"),
            "{expected}"
        );
    }
}
