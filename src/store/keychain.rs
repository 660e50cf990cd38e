//! The OS keychain through the `keyring` crate (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows). Every item has the service `ide-sidecar` and a user name that
//! starts with the store's directory, so stores in different directories never see each other's
//! secrets. Calls block (D-Bus round trips): callers run them off the async runtime.

use std::path::Path;

use keyring::{Entry, Error};

pub const SERVICE: &str = "ide-sidecar";

/// The keychain of one store directory.
pub struct Keychain {
    prefix: String,
}

impl Keychain {
    /// A keychain that answers: a lookup of an item that does not exist must come back as "none".
    pub fn probe(directory: &Path) -> Result<Self, String> {
        let keychain = Self { prefix: directory.display().to_string() };
        match keychain.get("probe") {
            Ok(_) => Ok(keychain),
            Err(why) => Err(why),
        }
    }

    fn entry(&self, name: &str) -> Result<Entry, String> {
        Entry::new(SERVICE, &format!("{}|{name}", self.prefix)).map_err(describe)
    }

    /// The item `name` (such as `connection/<id>`), if there is one.
    pub fn get(&self, name: &str) -> Result<Option<String>, String> {
        match self.entry(name)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(Error::NoEntry) => Ok(None),
            Err(error) => Err(describe(error)),
        }
    }

    pub fn set(&self, name: &str, value: &str) -> Result<(), String> {
        self.entry(name)?.set_password(value).map_err(describe)
    }

    pub fn delete(&self, name: &str) -> Result<(), String> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(Error::NoEntry) => Ok(()),
            Err(error) => Err(describe(error)),
        }
    }
}

/// The keychain's error in words; never a secret (the crate's errors carry none).
fn describe(error: Error) -> String {
    match error {
        Error::PlatformFailure(inner) | Error::NoStorageAccess(inner) => inner.to_string(),
        other => other.to_string(),
    }
}
