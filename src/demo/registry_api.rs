//! The test registry's REST API: an in-memory Confluent Schema Registry written from Confluent's public
//! "Schema Registry API reference" (docs.confluent.io), for the calls the sidecar and Confluent's own
//! clients make. Paths, query parameters, bodies, error codes and messages follow the reference:
//! `{"error_code":40401,"message":"Subject 'x' not found."}`, soft deletes before permanent ones, one
//! id per distinct schema across subjects, `schemaType` left out for Avro.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::rules;

/// An answer: the HTTP status and the JSON body.
pub type Answer = (u16, String);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Reference {
    name: String,
    subject: String,
    version: i32,
}

#[derive(Clone, Debug)]
struct StoredSchema {
    id: u32,
    schema_type: String,
    /// The text as first registered (Confluent answers its own canonical form; clients take either).
    text: String,
    canonical: String,
    references: Vec<Reference>,
}

#[derive(Clone, Debug)]
struct Version {
    version: i32,
    id: u32,
    deleted: bool,
}

#[derive(Clone, Debug, Default)]
struct Subject {
    versions: Vec<Version>,
}

/// Everything the registry holds.
#[derive(Debug)]
pub struct Registry {
    schemas: Vec<StoredSchema>,
    subjects: BTreeMap<String, Subject>,
    global: String,
    subject_levels: BTreeMap<String, String>,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            schemas: Vec::new(),
            subjects: BTreeMap::new(),
            global: "BACKWARD".into(),
            subject_levels: BTreeMap::new(),
        }
    }
}

fn error(status: u16, code: u32, message: impl Into<String>) -> Answer {
    (status, json!({"error_code": code, "message": message.into()}).to_string())
}

fn ok(body: Value) -> Answer {
    (200, body.to_string())
}

fn subject_not_found(subject: &str) -> Answer {
    error(404, 40401, format!("Subject '{subject}' not found."))
}

fn version_not_found(version: &str) -> Answer {
    error(404, 40402, format!("Version {version} not found."))
}

/// A request as the registry sees it: method, decoded path segments, query and body.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub body: &'a [u8],
}

/// Which version a path names.
enum Wanted {
    Latest,
    Number(i32),
}

fn parse_version(text: &str) -> Result<Wanted, Answer> {
    match text {
        "latest" | "-1" => Ok(Wanted::Latest),
        _ => match text.parse::<i32>() {
            Ok(number) if number > 0 => Ok(Wanted::Number(number)),
            _ => Err(error(
                422,
                42202,
                format!("The specified version '{text}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""),
            )),
        },
    }
}

/// A register, lookup or compatibility body: `{schema, schemaType?, references?}`.
struct Candidate {
    schema_type: String,
    text: String,
    references: Vec<Reference>,
}

impl Registry {
    /// Answers one request.
    pub fn answer(&mut self, request: &Request<'_>) -> Answer {
        let (path, query) = request.path.split_once('?').unwrap_or((request.path, ""));
        let query: BTreeMap<String, String> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(key), decode(value))
            })
            .collect();
        let flag = |name: &str| query.get(name).is_some_and(|value| value.eq_ignore_ascii_case("true"));
        let segments: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        match (request.method, segments.as_slice()) {
            ("GET", ["schemas", "types"]) => ok(json!(["JSON", "PROTOBUF", "AVRO"])),
            ("GET", ["subjects"]) => {
                let prefix = query.get("subjectPrefix").map(String::as_str).unwrap_or_default();
                let deleted = flag("deleted");
                let names: Vec<&String> = self
                    .subjects
                    .iter()
                    .filter(|(name, subject)| {
                        name.starts_with(prefix) && subject.versions.iter().any(|v| deleted || !v.deleted)
                    })
                    .map(|(name, _)| name)
                    .collect();
                ok(json!(names))
            }
            ("GET", ["subjects", subject, "versions"]) => {
                let deleted = flag("deleted");
                match self.live_subject(subject, deleted) {
                    Ok(found) => {
                        let versions: Vec<i32> =
                            found.versions.iter().filter(|v| deleted || !v.deleted).map(|v| v.version).collect();
                        ok(json!(versions))
                    }
                    Err(answer) => answer,
                }
            }
            ("GET", ["subjects", subject, "versions", version]) => {
                match self.version(subject, version, flag("deleted")) {
                    Ok(found) => ok(self.describe(subject, &found, true)),
                    Err(answer) => answer,
                }
            }
            ("GET", ["subjects", subject, "versions", version, "schema"]) => {
                match self.version(subject, version, flag("deleted")) {
                    Ok(found) => (200, self.schema(found.id).text.clone()),
                    Err(answer) => answer,
                }
            }
            ("POST", ["subjects", subject, "versions"]) => match self.candidate(request.body) {
                Ok(candidate) => self.register(subject, candidate),
                Err(answer) => answer,
            },
            ("POST", ["subjects", subject]) => match self.candidate(request.body) {
                Ok(candidate) => self.lookup(subject, &candidate, flag("deleted")),
                Err(answer) => answer,
            },
            ("DELETE", ["subjects", subject]) => self.delete_subject(subject, flag("permanent")),
            ("DELETE", ["subjects", subject, "versions", version]) => {
                self.delete_version(subject, version, flag("permanent"))
            }
            ("GET", ["schemas", "ids", id]) => match self.by_id(id) {
                Ok(schema) => {
                    let mut body = json!({"schema": schema.text});
                    describe_type_and_references(&mut body, schema);
                    ok(body)
                }
                Err(answer) => answer,
            },
            ("GET", ["schemas", "ids", id, "versions"]) => match self.by_id(id) {
                Ok(schema) => {
                    let id = schema.id;
                    let deleted = flag("deleted");
                    let pairs: Vec<Value> = self
                        .subjects
                        .iter()
                        .flat_map(|(name, subject)| {
                            subject
                                .versions
                                .iter()
                                .filter(move |v| v.id == id && (deleted || !v.deleted))
                                .map(move |v| json!({"subject": name, "version": v.version}))
                        })
                        .collect();
                    ok(json!(pairs))
                }
                Err(answer) => answer,
            },
            ("GET", ["schemas", "ids", id, "subjects"]) => match self.by_id(id) {
                Ok(schema) => {
                    let id = schema.id;
                    let names: Vec<&String> = self
                        .subjects
                        .iter()
                        .filter(|(_, subject)| subject.versions.iter().any(|v| v.id == id && !v.deleted))
                        .map(|(name, _)| name)
                        .collect();
                    ok(json!(names))
                }
                Err(answer) => answer,
            },
            ("POST", ["compatibility", "subjects", subject, "versions", version]) => {
                match self.candidate(request.body) {
                    Ok(candidate) => self.compatibility(subject, version, &candidate, flag("verbose")),
                    Err(answer) => answer,
                }
            }
            ("GET", ["config"]) => ok(json!({"compatibilityLevel": self.global})),
            ("PUT", ["config"]) => match level_of(request.body) {
                Ok(level) => {
                    self.global = level.clone();
                    ok(json!({"compatibility": level}))
                }
                Err(answer) => answer,
            },
            ("GET", ["config", subject]) => match self.subject_levels.get(*subject) {
                Some(level) => ok(json!({"compatibilityLevel": level})),
                None if flag("defaultToGlobal") => ok(json!({"compatibilityLevel": self.global})),
                None => error(
                    404,
                    40408,
                    format!("Subject '{subject}' does not have subject-level compatibility configured"),
                ),
            },
            ("PUT", ["config", subject]) => match level_of(request.body) {
                Ok(level) => {
                    self.subject_levels.insert(subject.to_string(), level.clone());
                    ok(json!({"compatibility": level}))
                }
                Err(answer) => answer,
            },
            ("DELETE", ["config", subject]) => match self.subject_levels.remove(*subject) {
                Some(level) => ok(json!({"compatibilityLevel": level})),
                None => subject_not_found(subject),
            },
            (_, ["schemas", "types"] | ["subjects", ..] | ["schemas", ..] | ["config", ..] | ["compatibility", ..]) => {
                error(405, 405, "HTTP 405 Method Not Allowed")
            }
            _ => error(404, 404, "HTTP 404 Not Found"),
        }
    }

    fn schema(&self, id: u32) -> &StoredSchema {
        &self.schemas[id as usize - 1]
    }

    /// A subject with at least one version (a soft-deleted one only when `deleted`).
    fn live_subject(&self, name: &str, deleted: bool) -> Result<&Subject, Answer> {
        self.subjects
            .get(name)
            .filter(|subject| subject.versions.iter().any(|v| deleted || !v.deleted))
            .ok_or_else(|| subject_not_found(name))
    }

    fn version(&self, subject: &str, version: &str, deleted: bool) -> Result<Version, Answer> {
        let wanted = parse_version(version)?;
        let found = self.live_subject(subject, deleted)?;
        let mut live = found.versions.iter().filter(|v| deleted || !v.deleted);
        match wanted {
            Wanted::Latest => live.next_back().cloned().ok_or_else(|| subject_not_found(subject)),
            Wanted::Number(number) => {
                live.into_iter().find(|v| v.version == number).cloned().ok_or_else(|| version_not_found(version))
            }
        }
    }

    fn by_id(&self, id: &str) -> Result<&StoredSchema, Answer> {
        let not_found = || error(404, 40403, format!("Schema {id} not found"));
        let id: u32 = id.parse().map_err(|_| not_found())?;
        // An id stays readable while some version (even a soft-deleted one) still holds it.
        let held = self.subjects.values().any(|subject| subject.versions.iter().any(|v| v.id == id));
        if !held {
            return Err(not_found());
        }
        Ok(self.schema(id))
    }

    /// A subject's version as `GET /subjects/{s}/versions/{v}` answers it.
    fn describe(&self, subject: &str, version: &Version, with_schema: bool) -> Value {
        let schema = self.schema(version.id);
        let mut body = json!({"subject": subject, "version": version.version, "id": version.id});
        if with_schema {
            body["schema"] = json!(schema.text);
        }
        describe_type_and_references(&mut body, schema);
        body
    }

    fn candidate(&self, body: &[u8]) -> Result<Candidate, Answer> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|error| self::error(400, 400, format!("Unexpected character or end of input: {error}")))?;
        let Some(text) = value.get("schema").and_then(Value::as_str) else {
            return Err(error(422, 42201, "Empty schema"));
        };
        let schema_type = value.get("schemaType").and_then(Value::as_str).unwrap_or("AVRO").to_ascii_uppercase();
        if let Some(why) = rules::invalid(&schema_type, text) {
            return Err(error(422, 42201, format!("Invalid schema: {why}")));
        }
        let mut references = Vec::new();
        for reference in value.get("references").and_then(Value::as_array).into_iter().flatten() {
            let field = |name: &str| reference.get(name).and_then(Value::as_str).map(str::to_string);
            let (Some(name), Some(subject), Some(version)) =
                (field("name"), field("subject"), reference.get("version").and_then(Value::as_i64))
            else {
                return Err(error(422, 42201, "Invalid schema: a reference has a name, a subject and a version"));
            };
            let version = i32::try_from(version).unwrap_or(-1);
            let found = self.version(&subject, &version.to_string(), false).is_ok();
            if !found {
                return Err(error(
                    422,
                    42201,
                    format!("Invalid schema: the reference '{name}' names version {version} of subject '{subject}', which does not exist"),
                ));
            }
            references.push(Reference { name, subject, version });
        }
        if schema_type == "PROTOBUF" {
            for import in rules::proto_imports(text) {
                if !references.iter().any(|reference| reference.name == import) {
                    return Err(error(
                        422,
                        42201,
                        format!("Invalid schema: the import '{import}' has no reference of that name"),
                    ));
                }
            }
        }
        Ok(Candidate { schema_type, text: text.to_string(), references })
    }

    /// The id of a schema equal to `candidate`, if one is stored.
    fn existing_id(&self, candidate: &Candidate) -> Option<u32> {
        let canonical = rules::canonical(&candidate.schema_type, &candidate.text);
        self.schemas
            .iter()
            .find(|s| {
                s.schema_type == candidate.schema_type
                    && s.canonical == canonical
                    && s.references == candidate.references
            })
            .map(|s| s.id)
    }

    fn level(&self, subject: &str) -> &str {
        self.subject_levels.get(subject).unwrap_or(&self.global)
    }

    fn register(&mut self, subject: &str, candidate: Candidate) -> Answer {
        let existing = self.existing_id(&candidate);
        let versions = self.subjects.get(subject).map(|s| s.versions.clone()).unwrap_or_default();
        if let Some(id) = existing {
            if versions.iter().any(|v| v.id == id && !v.deleted) {
                return ok(json!({"id": id}));
            }
        }
        let live: Vec<&Version> = versions.iter().filter(|v| !v.deleted).collect();
        let older: Vec<rules::Earlier<'_>> = live
            .iter()
            .map(|v| {
                let schema = self.schema(v.id);
                rules::Earlier { version: v.version, schema_type: &schema.schema_type, text: &schema.text }
            })
            .collect();
        let problems = rules::problems(self.level(subject), &candidate.schema_type, &candidate.text, &older);
        if !problems.is_empty() {
            return error(
                409,
                409,
                format!(
                    "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
                    problems.join(", ")
                ),
            );
        }
        let id = existing.unwrap_or_else(|| {
            let id = self.schemas.len() as u32 + 1;
            self.schemas.push(StoredSchema {
                id,
                canonical: rules::canonical(&candidate.schema_type, &candidate.text),
                schema_type: candidate.schema_type,
                text: candidate.text,
                references: candidate.references,
            });
            id
        });
        let entry = self.subjects.entry(subject.to_string()).or_default();
        let version = entry.versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
        entry.versions.push(Version { version, id, deleted: false });
        ok(json!({"id": id}))
    }

    fn lookup(&self, subject: &str, candidate: &Candidate, deleted: bool) -> Answer {
        let found = match self.live_subject(subject, deleted) {
            Ok(found) => found,
            Err(answer) => return answer,
        };
        let id = self.existing_id(candidate);
        match found.versions.iter().rev().find(|v| Some(v.id) == id && (deleted || !v.deleted)) {
            Some(version) => ok(self.describe(subject, version, true)),
            None => error(404, 40403, "Schema not found"),
        }
    }

    fn compatibility(&self, subject: &str, version: &str, candidate: &Candidate, verbose: bool) -> Answer {
        let against = match self.version(subject, version, false) {
            Ok(against) => against,
            Err(answer) => return answer,
        };
        let schema = self.schema(against.id);
        let older = [rules::Earlier { version: against.version, schema_type: &schema.schema_type, text: &schema.text }];
        // The level's direction counts; against one version, transitive is the same as not.
        let level = self.level(subject).trim_end_matches("_TRANSITIVE");
        let problems = rules::problems(level, &candidate.schema_type, &candidate.text, &older);
        let mut body = json!({"is_compatible": problems.is_empty()});
        if verbose {
            body["messages"] = json!(problems);
        }
        ok(body)
    }

    fn delete_subject(&mut self, name: &str, permanent: bool) -> Answer {
        let Some(subject) = self.subjects.get_mut(name) else { return subject_not_found(name) };
        let soft_deleted = subject.versions.iter().all(|v| v.deleted);
        if permanent {
            if !soft_deleted {
                return error(
                    404,
                    40405,
                    format!("Subject '{name}' was not deleted first before being permanently deleted"),
                );
            }
            let versions: Vec<i32> = subject.versions.iter().map(|v| v.version).collect();
            self.subjects.remove(name);
            self.subject_levels.remove(name);
            return ok(json!(versions));
        }
        if soft_deleted {
            return error(
                404,
                40404,
                format!("Subject '{name}' was soft deleted.Set permanent=true to delete permanently"),
            );
        }
        let mut deleted = Vec::new();
        for version in subject.versions.iter_mut().filter(|v| !v.deleted) {
            version.deleted = true;
            deleted.push(version.version);
        }
        ok(json!(deleted))
    }

    fn delete_version(&mut self, name: &str, version: &str, permanent: bool) -> Answer {
        let wanted = match parse_version(version) {
            Ok(wanted) => wanted,
            Err(answer) => return answer,
        };
        let Some(subject) = self.subjects.get_mut(name) else { return subject_not_found(name) };
        let index = match wanted {
            Wanted::Latest => subject.versions.iter().rposition(|v| !v.deleted),
            Wanted::Number(number) => subject.versions.iter().position(|v| v.version == number),
        };
        let Some(index) = index else { return version_not_found(version) };
        let found = subject.versions[index].clone();
        match (permanent, found.deleted) {
            (false, true) => error(
                404,
                40406,
                format!(
                    "Subject '{name}' Version {} was soft deleted.Set permanent=true to delete permanently",
                    found.version
                ),
            ),
            (true, false) => error(
                404,
                40407,
                format!(
                    "Subject '{name}' Version {} was not deleted first before being permanently deleted",
                    found.version
                ),
            ),
            (false, false) => {
                subject.versions[index].deleted = true;
                ok(json!(found.version))
            }
            (true, true) => {
                subject.versions.remove(index);
                if subject.versions.is_empty() {
                    self.subjects.remove(name);
                }
                ok(json!(found.version))
            }
        }
    }
}

/// Adds `schemaType` (left out for Avro, as the real registry does) and `references` (when any).
fn describe_type_and_references(body: &mut Value, schema: &StoredSchema) {
    if schema.schema_type != "AVRO" {
        body["schemaType"] = json!(schema.schema_type);
    }
    if !schema.references.is_empty() {
        body["references"] = schema
            .references
            .iter()
            .map(|r| json!({"name": r.name, "subject": r.subject, "version": r.version}))
            .collect();
    }
}

/// The level of a `PUT /config` body `{"compatibility": "FULL"}`, checked.
fn level_of(body: &[u8]) -> Result<String, Answer> {
    let invalid = || {
        error(
            422,
            42203,
            "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive",
        )
    };
    let value: Value = serde_json::from_slice(body).map_err(|_| invalid())?;
    let level = value.get("compatibility").and_then(Value::as_str).ok_or_else(invalid)?.to_ascii_uppercase();
    if rules::LEVELS.contains(&level.as_str()) {
        Ok(level)
    } else {
        Err(invalid())
    }
}

/// Percent-decoding of a path segment or query part (`+` is a space in a query).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).ok();
                match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        index += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(registry: &mut Registry, method: &str, path: &str, body: Value) -> (u16, Value) {
        let body = if body.is_null() { Vec::new() } else { body.to_string().into_bytes() };
        let (status, text) = registry.answer(&Request { method, path, body: &body });
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    #[test]
    fn same_schema_same_id_and_soft_before_permanent_delete() {
        let mut registry = Registry::default();
        let schema = json!({"schema": "{\"type\": \"string\"}"});
        assert_eq!(call(&mut registry, "POST", "/subjects/a/versions", schema.clone()), (200, json!({"id": 1})));
        assert_eq!(call(&mut registry, "POST", "/subjects/a/versions", schema.clone()), (200, json!({"id": 1})));
        assert_eq!(call(&mut registry, "POST", "/subjects/b%2Dx/versions", schema), (200, json!({"id": 1})));
        assert_eq!(call(&mut registry, "GET", "/subjects", Value::Null).1, json!(["a", "b-x"]));
        assert_eq!(call(&mut registry, "DELETE", "/subjects/a?permanent=true", Value::Null).1["error_code"], 40405);
        assert_eq!(call(&mut registry, "DELETE", "/subjects/a", Value::Null), (200, json!([1])));
        assert_eq!(call(&mut registry, "DELETE", "/subjects/a", Value::Null).1["error_code"], 40404);
        assert_eq!(call(&mut registry, "GET", "/subjects?deleted=true", Value::Null).1, json!(["a", "b-x"]));
        assert_eq!(call(&mut registry, "DELETE", "/subjects/a?permanent=true", Value::Null), (200, json!([1])));
        assert_eq!(call(&mut registry, "GET", "/subjects/a/versions", Value::Null).1["error_code"], 40401);
        assert_eq!(call(&mut registry, "GET", "/subjects/b-x/versions/x", Value::Null).1["error_code"], 42202);
        assert_eq!(call(&mut registry, "GET", "/schemas/ids/9", Value::Null).1["error_code"], 40403);
    }
}
