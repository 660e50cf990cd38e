//! TLS material from the spec's truststore and keystore, turned into PEM in memory.
//!
//! librdkafka reads PEM and PKCS12 files but not JKS, and reqwest wants PEM or PKCS12 bytes; so every
//! store (PEM, PKCS12 or JKS) is read here (through [`files`], the only IO) and handed on as PEM
//! strings, with keys decrypted in memory and never written to a file. Client configurations are
//! then built from that material without touching the file system. Failures say which file and
//! what to fix.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use openssl::pkcs12::Pkcs12;
use openssl::pkey::PKey;
use openssl::x509::X509;

use super::files::{self, FileError, FileRole, CACHE_IDLE_LIMIT};
use crate::connections::{ValidKeyStore, ValidTls, ValidTrustStore};
use crate::protocol::{Secret, StoreType};

/// Parsed stores of each kind (trust, identity) are kept up to this many bytes of PEM, the least
/// recently used dropped first, and dropped when unused for [`CACHE_IDLE_LIMIT`].
pub const PARSED_BUDGET_BYTES: usize = 16 * 1024 * 1024;

/// What the stores of a TLS configuration hold, ready for a client configuration.
#[derive(Default)]
pub struct TlsMaterial {
    /// From the truststore, when one is set (else the system's CAs are trusted).
    pub trust: Option<Arc<TrustMaterial>>,
    /// From the keystore, when one is set.
    pub identity: Option<Arc<IdentityMaterial>>,
}

/// The CA certificates to trust, as one PEM bundle.
pub struct TrustMaterial {
    pub ca_pem: String,
}

/// A client certificate chain and its unencrypted PKCS#8 private key, as PEM.
pub struct IdentityMaterial {
    pub chain_pem: String,
    /// Secret: it goes into a client configuration and nowhere else.
    pub key_pem: String,
}

/// Why a store could not be used. Every variant is a configuration problem (not transient).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("The {what} password is wrong for '{path}' ({detail})")]
    WrongPassword { what: &'static str, path: String, detail: String },
    #[error("The {what} '{path}' is not a {kind} store: {detail}; check its type (JKS, PKCS12 or PEM)")]
    WrongType { what: &'static str, path: String, kind: &'static str, detail: String },
    #[error("The {what} '{path}' holds no {missing}")]
    Empty { what: &'static str, path: String, missing: &'static str },
    #[error("A JKS {what} needs its password to be read: set {what}.password for '{path}'")]
    JksNeedsPassword { what: &'static str, path: String },
    #[error("The TLS stores could not be read: {detail}")]
    Unusable { detail: String },
}

const TRUSTSTORE: &str = "truststore";
const KEYSTORE: &str = "keystore";

impl StoreError {
    /// Whether trying again later may help (a file system that was slow to answer).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::File(error) if error.is_transient())
    }
}

/// Reads the stores `ssl` names, each within `limit` (see [`files`]), and parses them off the
/// async runtime (a PKCS12 key derivation is CPU work).
pub async fn load(ssl: &ValidTls, limit: Duration) -> Result<TlsMaterial, StoreError> {
    if ssl.truststore.is_none() && ssl.keystore.is_none() {
        return Ok(TlsMaterial::default());
    }
    let trust_bytes = async {
        match &ssl.truststore {
            Some(store) => files::read(FileRole::Truststore, &store.path, limit).await.map(Some),
            None => Ok(None),
        }
    };
    let identity_bytes = async {
        match &ssl.keystore {
            Some(store) => files::read(FileRole::Keystore, &store.path, limit).await.map(Some),
            None => Ok(None),
        }
    };
    let (trust_bytes, identity_bytes) = tokio::try_join!(trust_bytes, identity_bytes)?;
    let (truststore, keystore) = (ssl.truststore.clone(), ssl.keystore.clone());
    let parsed = tokio::task::spawn_blocking(move || {
        static TRUSTED: LazyLock<Parsed<TrustMaterial>> = LazyLock::new(Parsed::default);
        static IDENTITIES: LazyLock<Parsed<IdentityMaterial>> = LazyLock::new(Parsed::default);
        let trust = match (&truststore, trust_bytes) {
            (Some(store), Some(bytes)) => {
                let key = parse_key(TRUSTSTORE, store.store_type, [store.password.as_ref(), None], &bytes);
                Some(TRUSTED.get_or_parse(key, || trust_material(store, &bytes))?)
            }
            _ => None,
        };
        let identity = match (&keystore, identity_bytes) {
            (Some(store), Some(bytes)) => {
                let passwords = [store.password.as_ref(), store.key_password.as_ref()];
                let key = parse_key(KEYSTORE, store.store_type, passwords, &bytes);
                Some(IDENTITIES.get_or_parse(key, || identity_material(store, &bytes))?)
            }
            _ => None,
        };
        Ok(TlsMaterial { trust, identity })
    });
    match parsed.await {
        Ok(material) => material,
        Err(error) => Err(StoreError::Unusable { detail: error.to_string() }),
    }
}

/// What a parse depends on: the kind of store, its type, its passwords and its contents, as one
/// digest (the passwords are not kept).
fn parse_key(kind: &str, store_type: StoreType, passwords: [Option<&Secret>; 2], bytes: &[u8]) -> [u8; 32] {
    let mut hasher = openssl::sha::Sha256::new();
    hasher.update(kind.as_bytes());
    hasher.update(format!("/{store_type:?}").as_bytes());
    for secret in passwords {
        let value = secret.map(Secret::expose);
        hasher.update(&[u8::from(value.is_some())]);
        hasher.update(&(value.unwrap_or_default().len() as u64).to_le_bytes());
        hasher.update(value.unwrap_or_default().as_bytes());
    }
    hasher.update(bytes);
    hasher.finish()
}

/// The size of parsed material, for [`PARSED_BUDGET_BYTES`].
trait Footprint {
    fn bytes(&self) -> usize;
}

impl Footprint for TrustMaterial {
    fn bytes(&self) -> usize {
        self.ca_pem.len()
    }
}

impl Footprint for IdentityMaterial {
    fn bytes(&self) -> usize {
        self.chain_pem.len() + self.key_pem.len()
    }
}

/// Stores parsed so far, by [`parse_key`]: a store checked again, or named by many specs, is
/// parsed once (reading a PKCS12 or JKS store derives keys from its password, which is CPU work).
/// Failures are not kept.
struct Parsed<T> {
    entries: Mutex<HashMap<[u8; 32], Entry<T>>>,
}

/// Parsed material and when it was last used.
type Entry<T> = (Arc<T>, Instant);

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Self { entries: Mutex::default() }
    }
}

impl<T: Footprint> Parsed<T> {
    fn get_or_parse(&self, key: [u8; 32], parse: impl FnOnce() -> Result<T, StoreError>) -> Result<Arc<T>, StoreError> {
        if let Some((material, used)) = self.lock().get_mut(&key) {
            *used = Instant::now();
            return Ok(material.clone());
        }
        let material = Arc::new(parse()?);
        let mut entries = self.lock();
        let now = Instant::now();
        entries.retain(|_, (_, used)| now.duration_since(*used) < CACHE_IDLE_LIMIT);
        let mut total: usize = entries.values().map(|(material, _)| material.bytes()).sum();
        while total + material.bytes() > PARSED_BUDGET_BYTES {
            let Some(oldest) = entries.iter().min_by_key(|(_, (_, used))| *used).map(|(key, _)| *key) else { break };
            total -= entries.remove(&oldest).map_or(0, |(material, _)| material.bytes());
        }
        entries.insert(key, (material.clone(), now));
        Ok(material)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<[u8; 32], Entry<T>>> {
        // Every section leaves the map consistent, so a poisoned lock is still usable.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn password(secret: Option<&Secret>) -> &str {
    secret.map_or("", Secret::expose)
}

/// Parses a truststore of any supported type from its file's contents.
pub fn trust_material(store: &ValidTrustStore, bytes: &[u8]) -> Result<TrustMaterial, StoreError> {
    let path = store.path.as_str();
    let certificates = match store.store_type {
        StoreType::Pem => X509::stack_from_pem(bytes).map_err(|error| wrong_type(TRUSTSTORE, path, "PEM", error))?,
        StoreType::Pkcs12 => {
            let parsed = parse_pkcs12(TRUSTSTORE, path, bytes, password(store.password.as_ref()))?;
            parsed.ca.map(|stack| stack.into_iter().collect()).unwrap_or_default()
        }
        StoreType::Jks => {
            let keystore = load_jks(TRUSTSTORE, path, bytes, store.password.as_ref())?;
            let mut certificates = Vec::new();
            for alias in keystore.aliases() {
                let der = match keystore.get_trusted_certificate_entry(&alias) {
                    Ok(entry) => entry.certificate.content,
                    Err(_) => continue,
                };
                let certificate = X509::from_der(&der).map_err(|error| wrong_type(TRUSTSTORE, path, "JKS", error))?;
                certificates.push(certificate);
            }
            certificates
        }
    };
    if certificates.is_empty() {
        return Err(StoreError::Empty { what: TRUSTSTORE, path: path.to_string(), missing: "certificate" });
    }
    Ok(TrustMaterial { ca_pem: to_pem(&certificates) })
}

/// Parses a keystore of any supported type from its file's contents: the client certificate
/// chain and its key.
pub fn identity_material(store: &ValidKeyStore, bytes: &[u8]) -> Result<IdentityMaterial, StoreError> {
    let path = store.path.as_str();
    let store_password = password(store.password.as_ref());
    // The key password defaults to the store password, as Java's tools do.
    let key_password = store.key_password.as_ref().map_or(store_password, Secret::expose);
    let (chain, key) = match store.store_type {
        StoreType::Pem => {
            let chain = X509::stack_from_pem(bytes).map_err(|error| wrong_type(KEYSTORE, path, "PEM", error))?;
            let key = PKey::private_key_from_pem_passphrase(bytes, key_password.as_bytes()).map_err(|error| {
                if String::from_utf8_lossy(bytes).contains("ENCRYPTED") {
                    StoreError::WrongPassword { what: "key", path: path.to_string(), detail: error.to_string() }
                } else {
                    StoreError::Empty { what: KEYSTORE, path: path.to_string(), missing: "readable private key" }
                }
            })?;
            (chain, key)
        }
        StoreType::Pkcs12 => {
            let parsed = parse_pkcs12(KEYSTORE, path, bytes, store_password)?;
            let key = parsed.pkey.ok_or_else(|| StoreError::Empty {
                what: KEYSTORE,
                path: path.to_string(),
                missing: "private key",
            })?;
            let mut chain: Vec<X509> = parsed.cert.into_iter().collect();
            chain.extend(parsed.ca.map(|stack| stack.into_iter().collect::<Vec<_>>()).unwrap_or_default());
            (chain, key)
        }
        StoreType::Jks => {
            let keystore = load_jks(KEYSTORE, path, bytes, store.password.as_ref())?;
            let alias =
                keystore.aliases().into_iter().find(|alias| keystore.is_private_key_entry(alias)).ok_or_else(|| {
                    StoreError::Empty { what: KEYSTORE, path: path.to_string(), missing: "private key" }
                })?;
            let entry = keystore.get_private_key_entry(&alias, key_password.as_bytes()).map_err(|error| {
                StoreError::WrongPassword { what: "key", path: path.to_string(), detail: error.to_string() }
            })?;
            let key = PKey::private_key_from_pkcs8(&entry.private_key)
                .map_err(|error| wrong_type(KEYSTORE, path, "JKS", error))?;
            let chain = entry
                .certificate_chain
                .iter()
                .map(|certificate| X509::from_der(&certificate.content))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| wrong_type(KEYSTORE, path, "JKS", error))?;
            (chain, key)
        }
    };
    if chain.is_empty() {
        return Err(StoreError::Empty { what: KEYSTORE, path: path.to_string(), missing: "certificate" });
    }
    let key_pem = key
        .private_key_to_pem_pkcs8()
        .map_err(|error| wrong_type(KEYSTORE, path, "usable key", error))
        .map(|pem| String::from_utf8_lossy(&pem).into_owned())?;
    Ok(IdentityMaterial { chain_pem: to_pem(&chain), key_pem })
}

fn parse_pkcs12(
    what: &'static str,
    path: &str,
    bytes: &[u8],
    password: &str,
) -> Result<openssl::pkcs12::ParsedPkcs12_2, StoreError> {
    let pkcs12 = Pkcs12::from_der(bytes).map_err(|error| wrong_type(what, path, "PKCS12", error))?;
    pkcs12.parse2(password).map_err(|error| {
        let detail = error.to_string();
        if detail.contains("mac verify") || detail.contains("MAC") {
            StoreError::WrongPassword { what, path: path.to_string(), detail: "the integrity check failed".into() }
        } else {
            StoreError::WrongPassword { what, path: path.to_string(), detail }
        }
    })
}

fn load_jks(
    what: &'static str,
    path: &str,
    bytes: &[u8],
    password: Option<&Secret>,
) -> Result<jks::KeyStore, StoreError> {
    let Some(password) = password else {
        return Err(StoreError::JksNeedsPassword { what, path: path.to_string() });
    };
    let mut keystore = jks::KeyStore::new();
    keystore.load(bytes, password.expose().as_bytes()).map_err(|error| match error {
        jks::KeyStoreError::InvalidDigest => {
            StoreError::WrongPassword { what, path: path.to_string(), detail: "the integrity check failed".into() }
        }
        other => wrong_type(what, path, "JKS", other),
    })?;
    Ok(keystore)
}

fn wrong_type(what: &'static str, path: &str, kind: &'static str, error: impl std::fmt::Display) -> StoreError {
    StoreError::WrongType { what, path: path.to_string(), kind, detail: error.to_string() }
}

fn to_pem(certificates: &[X509]) -> String {
    certificates
        .iter()
        .filter_map(|certificate| certificate.to_pem().ok())
        .map(|pem| String::from_utf8_lossy(&pem).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    fn truststore(name: &str, store_type: StoreType, password: Option<&str>) -> ValidTrustStore {
        ValidTrustStore { path: fixture(name), password: password.map(Secret::new), store_type }
    }

    fn keystore(
        name: &str,
        store_type: StoreType,
        password: Option<&str>,
        key_password: Option<&str>,
    ) -> ValidKeyStore {
        ValidKeyStore {
            path: fixture(name),
            password: password.map(Secret::new),
            store_type,
            key_password: key_password.map(Secret::new),
        }
    }

    /// Through [`load`], as the checks do.
    async fn trusted(store: ValidTrustStore) -> Result<Arc<TrustMaterial>, StoreError> {
        let ssl = ValidTls { truststore: Some(store), ..Default::default() };
        Ok(load(&ssl, Duration::from_secs(2)).await?.trust.expect("a truststore gives trust material"))
    }

    async fn identity(store: ValidKeyStore) -> Result<Arc<IdentityMaterial>, StoreError> {
        let ssl = ValidTls { keystore: Some(store), ..Default::default() };
        Ok(load(&ssl, Duration::from_secs(2)).await?.identity.expect("a keystore gives an identity"))
    }

    #[tokio::test]
    async fn every_truststore_type_yields_the_test_ca() {
        let expected = X509::from_pem(&std::fs::read(fixture("ca.pem")).unwrap()).unwrap().to_pem().unwrap();
        let expected = String::from_utf8(expected).unwrap();
        for store in [
            truststore("ca.pem", StoreType::Pem, None),
            truststore("truststore.p12", StoreType::Pkcs12, Some("changeit")),
            truststore("truststore.jks", StoreType::Jks, Some("changeit")),
        ] {
            let path = store.path.clone();
            let material = trusted(store).await.unwrap_or_else(|e| panic!("{path:?}: {e}"));
            assert_eq!(material.ca_pem, expected, "{path:?}");
        }
    }

    #[tokio::test]
    async fn every_keystore_type_yields_the_client_certificate_and_key() {
        for store in [
            keystore("keystore.pem", StoreType::Pem, None, Some("keypass")),
            keystore("keystore.p12", StoreType::Pkcs12, Some("changeit"), None),
            keystore("keystore.jks", StoreType::Jks, Some("changeit"), None),
        ] {
            let path = store.path.clone();
            let material = identity(store).await.unwrap_or_else(|e| panic!("{path:?}: {e}"));
            let leaf = X509::from_pem(material.chain_pem.as_bytes()).unwrap();
            assert!(format!("{:?}", leaf.subject_name()).contains("client"), "{path:?}");
            let key = PKey::private_key_from_pem(material.key_pem.as_bytes()).unwrap();
            assert!(leaf.public_key().unwrap().public_eq(&key), "the key matches the certificate: {path:?}");
        }
    }

    #[tokio::test]
    async fn store_problems_name_the_file_and_the_fix() {
        let message =
            |result: Result<Arc<TrustMaterial>, StoreError>| result.err().map(|e| e.to_string()).unwrap_or_default();
        let missing = message(trusted(truststore("nope.pem", StoreType::Pem, None)).await);
        assert!(missing.starts_with("Cannot read the truststore") && missing.contains("nope.pem"), "{missing}");
        let wrong = message(trusted(truststore("truststore.jks", StoreType::Jks, Some("wrong"))).await);
        assert!(wrong.starts_with("The truststore password is wrong"), "{wrong}");
        let wrong = message(trusted(truststore("truststore.p12", StoreType::Pkcs12, Some("wrong"))).await);
        assert!(wrong.starts_with("The truststore password is wrong"), "{wrong}");
        let mislabelled = message(trusted(truststore("ca.pem", StoreType::Jks, Some("changeit"))).await);
        assert!(mislabelled.contains("is not a JKS store"), "{mislabelled}");
        let no_password = message(trusted(truststore("truststore.jks", StoreType::Jks, None)).await);
        assert!(no_password.contains("needs its password"), "{no_password}");
        let key = identity(keystore("keystore.pem", StoreType::Pem, None, Some("wrong"))).await.err().unwrap();
        assert!(key.to_string().starts_with("The key password is wrong"), "{key}");
        let key = identity(keystore("keystore.p12", StoreType::Pkcs12, Some("wrong"), None)).await.err().unwrap();
        assert!(key.to_string().starts_with("The keystore password is wrong"), "{key}");
    }

    #[tokio::test]
    async fn a_store_is_parsed_once_for_the_same_contents_and_passwords_only() {
        let store = |password| truststore("truststore.p12", StoreType::Pkcs12, Some(password));
        let first = trusted(store("changeit")).await.unwrap();
        let again = trusted(store("changeit")).await.unwrap();
        assert!(Arc::ptr_eq(&first, &again), "parsed once");
        // Another password is another parse, and this one fails: the cache never vouches for it.
        let wrong = trusted(store("wrong")).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(wrong.starts_with("The truststore password is wrong"), "{wrong}");
        let keys = |password| identity(keystore("keystore.pem", StoreType::Pem, None, Some(password)));
        assert!(keys("keypass").await.is_ok());
        assert!(keys("wrong").await.is_err(), "the key password is part of what was parsed");
    }
}
