//! Params decoding on arbitrary bytes: a spec decoded from any JSON, validated, merged with a
//! patch and given back its masked secrets must never panic, and a spec that validation accepts
//! must serialize without any secret in clear.
#![no_main]

use ide_sidecar::connections::{secrets, validation};
use ide_sidecar::protocol::{ConnectionSpec, CreateParams, PatchParams};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let _ = serde_json::from_value::<CreateParams>(value.clone());
    let _ = serde_json::from_value::<PatchParams>(value.clone());
    let Ok(mut spec) = serde_json::from_value::<ConnectionSpec>(value.clone()) else { return };
    let stored = spec.clone();
    let problems = validation::validate(&spec);
    secrets::restore_masked(&mut spec, &stored);
    let mut document = serde_json::to_value(&spec).expect("a spec serializes");
    json_patch::merge(&mut document, &value);
    if problems.is_empty() {
        // Every secret field of what a client is shown holds the mask and nothing else.
        let shown = serde_json::to_value(&stored).expect("a spec serializes");
        let shown: ConnectionSpec = serde_json::from_value(shown).expect("what is shown decodes");
        for secret in secrets::exposed_values(&shown) {
            assert_eq!(secret, ide_sidecar::protocol::MASK, "a secret was serialized");
        }
    }
});
