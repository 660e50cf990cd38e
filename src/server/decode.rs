//! Params decoding: JSON values to the protocol's types, with the JSON path of whatever does not fit
//! and without echoing the value itself.

use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::Result;

use super::errors::invalid_params;
use crate::protocol::{ConnectionSpec, ErrorDetail, InitializationOptions};

pub(super) fn detail(source: &str, detail: impl Into<String>) -> ErrorDetail {
    ErrorDetail { source: source.into(), detail: detail.into() }
}

/// Decodes params, naming the JSON path of the first field that does not fit.
/// Absent or `null` params (what pygls and eglot send for a method without params) count as `{}`.
pub(super) fn decode<P: DeserializeOwned>(params: Value) -> Result<P> {
    let params = if params.is_null() { json!({}) } else { params };
    if !params.is_object() {
        return Err(invalid_params(vec![detail("", "Params must be a JSON object")]));
    }
    decode_at(params)
}

/// Deserializes `value`, naming the JSON path (relative to `value`) of the first field that does not fit.
fn decode_at<P: DeserializeOwned>(value: Value) -> Result<P> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let message = without_values(&error.inner().to_string());
        // serde names a missing field in the message, at its parent's path; point at the field.
        let path = match message.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
            Some(field) if path == "." => field.to_string(),
            Some(field) => format!("{path}.{field}"),
            None if path == "." => String::new(),
            None => path,
        };
        invalid_params(vec![detail(&path, message)])
    })
}

/// serde's message without the value that did not fit: it may be a secret sent with the wrong type
/// (a password as a number), or megabytes long. The kind of value stays ("invalid type: integer,
/// expected a string"); other quoted names (an unknown variant) are cut to a short prefix.
fn without_values(message: &str) -> String {
    const QUOTED_MAX: usize = 40;
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        let Some(rest) = message.strip_prefix(prefix) else { continue };
        let (kind, after) = match rest.find(['`', '"']) {
            Some(open) if !rest[..open].contains(',') => {
                let quote = rest.as_bytes()[open] as char;
                match closing_quote(&rest[open + 1..], quote) {
                    Some(close) => (rest[..open].trim_end(), &rest[open + 1 + close + 1..]),
                    None => (rest[..open].trim_end(), ""),
                }
            }
            _ => return message.to_string(),
        };
        return format!("{prefix}{kind}{after}");
    }
    // Elsewhere serde quotes names in backticks: keep each to a short prefix.
    let mut out = String::with_capacity(message.len().min(512));
    for (index, part) in message.split('`').enumerate() {
        if index > 0 {
            out.push('`');
        }
        if index % 2 == 1 && part.chars().count() > QUOTED_MAX {
            out.extend(part.chars().take(QUOTED_MAX));
            out.push_str("...");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Where a quoted value ends: the first `quote` not escaped by a backslash.
fn closing_quote(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (index, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == quote => return Some(index),
            _ => {}
        }
    }
    None
}

/// Decodes a spec; paths are relative to the spec, as validation's are.
pub(super) fn decode_spec(value: Value) -> Result<ConnectionSpec> {
    if !value.is_object() {
        return Err(invalid_params(vec![detail("", "The spec must be a JSON object")]));
    }
    decode_at(value)
}

pub(super) fn decode_options(value: Value) -> Result<InitializationOptions> {
    let options: InitializationOptions = decode_at(value)?;
    let problems: Vec<ErrorDetail> =
        options.problems().into_iter().map(|(path, message)| detail(&path, message)).collect();
    if problems.is_empty() {
        Ok(options)
    } else {
        Err(invalid_params(problems))
    }
}

/// Takes the spec out of params so that its errors are reported with spec-relative paths.
pub(super) fn split_spec(mut params: Value, field: &str) -> Result<(ConnectionSpec, Value)> {
    if params.is_null() {
        params = json!({});
    }
    let Some(object) = params.as_object_mut() else {
        return Err(invalid_params(vec![detail("", "Params must be a JSON object")]));
    };
    let Some(spec) = object.remove(field) else {
        return Err(invalid_params(vec![detail(field, format!("The {field} is required"))]));
    };
    object.insert(field.into(), json!({}));
    Ok((decode_spec(spec)?, params))
}
