//! Secrets in a spec: finding every secret field, and keeping stored secrets when a client sends
//! back the `"********"` placeholder it was shown.

use crate::protocol::{ConnectionSpec, Credentials, Secret, TlsConfig};

/// Every secret slot of a spec, with its JSON path.
pub fn secret_slots(spec: &mut ConnectionSpec) -> Vec<(String, &mut Option<Secret>)> {
    let mut slots = Vec::new();
    if let Some(kafka) = spec.kafka_cluster.as_mut() {
        credential_slots("kafka_cluster.credentials", kafka.credentials.as_mut(), &mut slots);
        tls_slots("kafka_cluster.ssl", kafka.ssl.as_mut(), &mut slots);
    }
    if let Some(registry) = spec.schema_registry.as_mut() {
        credential_slots("schema_registry.credentials", registry.credentials.as_mut(), &mut slots);
        tls_slots("schema_registry.ssl", registry.ssl.as_mut(), &mut slots);
    }
    slots
}

fn credential_slots<'a>(
    prefix: &str,
    credentials: Option<&'a mut Credentials>,
    slots: &mut Vec<(String, &'a mut Option<Secret>)>,
) {
    if let Some(c) = credentials {
        slots.push((format!("{prefix}.password"), &mut c.password));
        slots.push((format!("{prefix}.api_secret"), &mut c.api_secret));
        slots.push((format!("{prefix}.scram_password"), &mut c.scram_password));
        slots.push((format!("{prefix}.client_secret"), &mut c.client_secret));
    }
}

fn tls_slots<'a>(prefix: &str, tls: Option<&'a mut TlsConfig>, slots: &mut Vec<(String, &'a mut Option<Secret>)>) {
    let Some(tls) = tls else { return };
    if let Some(truststore) = tls.truststore.as_mut() {
        slots.push((format!("{prefix}.truststore.password"), &mut truststore.password));
    }
    if let Some(keystore) = tls.keystore.as_mut() {
        slots.push((format!("{prefix}.keystore.password"), &mut keystore.password));
        slots.push((format!("{prefix}.keystore.key_password"), &mut keystore.key_password));
    }
}

/// Replaces each `"********"` in `spec` with the secret stored at the same path in `stored`.
/// A placeholder with nothing stored behind it stays, and validation refuses it.
pub fn restore_masked(spec: &mut ConnectionSpec, stored: &ConnectionSpec) {
    let mut stored = stored.clone();
    let mut kept: Vec<(String, Secret)> = secret_slots(&mut stored)
        .into_iter()
        .filter_map(|(path, slot)| slot.take().map(|secret| (path, secret)))
        .collect();
    for (path, slot) in secret_slots(spec) {
        if slot.as_ref().is_some_and(Secret::is_mask) {
            if let Some(index) = kept.iter().position(|(kept_path, _)| *kept_path == path) {
                *slot = Some(kept.swap_remove(index).1);
            }
        }
    }
}

/// Every secret value in a spec, for tests that look for leaks.
pub fn exposed_values(spec: &ConnectionSpec) -> Vec<String> {
    let mut spec = spec.clone();
    secret_slots(&mut spec).into_iter().filter_map(|(_, slot)| slot.as_ref().map(|s| s.expose().to_string())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(value: serde_json::Value) -> ConnectionSpec {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn masked_secrets_keep_the_stored_value_and_new_values_win() {
        let stored = spec(json!({
            "name": "a", "type": "DIRECT",
            "kafka_cluster": {"bootstrap_servers": "h:1", "credentials": {"username": "u", "password": "old-pass"},
                "ssl": {"truststore": {"path": "/t", "password": "old-store"}}},
            "schema_registry": {"uri": "http://h", "credentials": {"api_key": "k", "api_secret": "old-secret"}}
        }));
        let mut sent = spec(json!({
            "name": "a", "type": "DIRECT",
            "kafka_cluster": {"bootstrap_servers": "h:1", "credentials": {"username": "u", "password": "********"},
                "ssl": {"truststore": {"path": "/t", "password": "new-store"}}},
            "schema_registry": {"uri": "http://h", "credentials": {"api_key": "k", "api_secret": "********"}}
        }));
        restore_masked(&mut sent, &stored);
        assert_eq!(exposed_values(&sent), vec!["old-pass", "new-store", "old-secret"]);
    }

    #[test]
    fn a_mask_with_nothing_stored_stays_for_validation_to_refuse() {
        let stored = spec(json!({"name": "a", "type": "DIRECT", "kafka_cluster": {"bootstrap_servers": "h:1"}}));
        let mut sent = spec(json!({"name": "a", "type": "DIRECT",
            "kafka_cluster": {"bootstrap_servers": "h:1", "credentials": {"username": "u", "password": "********"}}}));
        restore_masked(&mut sent, &stored);
        assert_eq!(exposed_values(&sent), vec!["********"]);
    }

    #[test]
    fn serializing_a_spec_never_shows_a_secret() {
        let stored = spec(json!({"name": "a", "type": "DIRECT",
            "kafka_cluster": {"bootstrap_servers": "h:1", "credentials": {"scram_username": "u", "scram_password": "p4ss",
                "hash_algorithm": "SCRAM_SHA_512"}}}));
        let text = serde_json::to_string(&stored).unwrap();
        assert!(!text.contains("p4ss"), "{text}");
        assert!(text.contains("\"scram_password\":\"********\""), "{text}");
        assert!(!format!("{stored:?}").contains("p4ss"));
    }
}
