//! JSON Pointer look-up without allocation. `serde_json::Value::pointer` builds a `String` per
//! reference token to unescape `~0`/`~1`; the pointers kyoten's rules use are fixed and never
//! contain `~`, so the validator walks them directly (escaped tokens still work, slowly).
use serde_json::Value;

pub fn get<'v>(value: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.contains('~') {
        return value.pointer(pointer);
    }
    let mut node = value;
    for token in pointer.split('/').skip(1) {
        node = match node {
            Value::Object(map) => map.get(token)?,
            Value::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn agrees_with_serde_json_pointer() {
        let v = json!({"a": {"b": [10, {"c": true}]}, "x/y": 1, "m~n": 2, "": 3});
        for p in [
            "", "/a", "/a/b/0", "/a/b/1/c", "/a/b/2", "/a/z", "/x~1y", "/m~0n", "/", "/a/b/x",
        ] {
            assert_eq!(get(&v, p), v.pointer(p), "{p}");
        }
    }
}
