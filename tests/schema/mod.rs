//! A JSON Schema subset validator, enough for the User schema extracted from Clerk's spec
//! (tests/data/user.schema.json) and the schemas of clerk-rl's own `--json` outputs
//! (docs/schema/*.json): type (one or a list), nullable (OpenAPI 3.0), enum, required,
//! properties, additionalProperties, items, minItems/maxItems, minimum, oneOf, allOf, and $ref
//! to `#/definitions/` or `#/$defs/`. `pattern` and `format` are not checked.

use serde_json::Value;

pub struct Schema {
    root: Value,
}

impl Schema {
    #[allow(dead_code)]
    /// A schema extracted by scripts/extract-user-schema.py (the text of the file).
    #[allow(dead_code)]
    pub fn load(text: &str) -> Self {
        Schema {
            root: serde_json::from_str(text).expect("the schema is JSON"),
        }
    }

    #[allow(dead_code)]
    pub fn user() -> Self {
        let text = include_str!("../data/user.schema.json");
        Schema {
            root: serde_json::from_str(text).expect("user.schema.json is JSON"),
        }
    }

    /// A schema of clerk-rl's own output, from docs/schema/NAME.json.
    #[allow(dead_code)]
    pub fn output(name: &str) -> Self {
        let path = format!("{}/docs/schema/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        Schema {
            root: serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}")),
        }
    }

    #[allow(dead_code)]
    pub fn root(&self) -> &Value {
        &self.root
    }

    /// Every violation, as `path: problem`.
    pub fn validate(&self, v: &Value) -> Vec<String> {
        let mut errs = Vec::new();
        self.check(&self.root, v, "$", &mut errs);
        errs
    }

    fn resolve<'a>(&'a self, s: &'a Value) -> &'a Value {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let (section, name) = r
                    .strip_prefix("#/definitions/")
                    .map(|n| ("definitions", n))
                    .or_else(|| r.strip_prefix("#/$defs/").map(|n| ("$defs", n)))
                    .unwrap_or_else(|| panic!("unsupported $ref {r}"));
                let target = &self.root[section][name];
                assert!(!target.is_null(), "missing definition {name}");
                self.resolve(target)
            }
            None => s,
        }
    }

    fn check(&self, schema: &Value, v: &Value, path: &str, errs: &mut Vec<String>) {
        let s = self.resolve(schema);
        if v.is_null() && s.get("nullable").and_then(Value::as_bool) == Some(true) {
            return;
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.check(sub, v, path, errs);
            }
        }
        if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
            let matching = one
                .iter()
                .filter(|sub| {
                    let mut e = Vec::new();
                    self.check(sub, v, path, &mut e);
                    e.is_empty()
                })
                .count();
            if matching != 1 {
                errs.push(format!(
                    "{path}: matches {matching} of the oneOf schemas, not 1"
                ));
            }
        }
        if let Some(t) = s.get("type") {
            let types: Vec<&str> = match t {
                Value::String(one) => vec![one.as_str()],
                Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                other => panic!("unsupported type {other}"),
            };
            let ok = types.iter().any(|t| match *t {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "boolean" => v.is_boolean(),
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                "null" => v.is_null(),
                other => panic!("unsupported type {other}"),
            });
            if !ok {
                errs.push(format!("{path}: {v} is not of type {t}"));
                return;
            }
        }
        if let (Some(min), Some(n)) = (s.get("minimum").and_then(Value::as_f64), v.as_f64())
            && n < min
        {
            errs.push(format!("{path}: {n} is under the minimum {min}"));
        }
        if let Some(arr) = v.as_array() {
            let len = arr.len() as u64;
            if s.get("minItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| len < m)
                || s.get("maxItems")
                    .and_then(Value::as_u64)
                    .is_some_and(|m| len > m)
            {
                errs.push(format!("{path}: {len} items, outside minItems/maxItems"));
            }
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array)
            && !e.contains(v)
        {
            errs.push(format!("{path}: {v} is not one of {e:?}"));
        }
        if let Some(obj) = v.as_object() {
            for r in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let r = r.as_str().unwrap();
                if !obj.contains_key(r) {
                    errs.push(format!("{path}: required field {r} is missing"));
                }
            }
            let props = s.get("properties").and_then(Value::as_object);
            for (k, val) in obj {
                let p = format!("{path}.{k}");
                match props.and_then(|p| p.get(k)) {
                    Some(ps) => self.check(ps, val, &p, errs),
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            errs.push(format!("{p}: not a property the schema allows"))
                        }
                        Some(extra @ Value::Object(_)) => self.check(extra, val, &p, errs),
                        _ => {}
                    },
                }
            }
        }
        if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
            for (i, item) in arr.iter().enumerate() {
                self.check(items, item, &format!("{path}[{i}]"), errs);
            }
        }
    }
}

/// Every object key in `v` (at any depth) that is not snake_case, with its path.
#[allow(dead_code)]
pub fn non_snake_keys(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                if !is_snake(k) {
                    out.push(format!("{path}.{k}"));
                }
                non_snake_keys(val, &format!("{path}.{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                non_snake_keys(item, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// `lower_case_words` joined by single underscores, digits allowed after the first letter.
#[allow(dead_code)]
pub fn is_snake(k: &str) -> bool {
    k.starts_with(|c: char| c.is_ascii_lowercase())
        && k.split('_').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}
