//! Kerberos (SASL GSSAPI) before the Kafka client: the keytab, kinit and Cyrus SASL's GSSAPI plugin.
//!
//! librdkafka logs in by running kinit with the keytab (`sasl.kerberos.kinit.cmd`, see `config`) when
//! a client is created and every minute after, but when kinit fails it only logs "exited with code
//! 1" and goes on to the broker, whose failure then hides the cause. So before a client is made for
//! a Kerberos connection, the sidecar runs the same kinit itself and explains what kinit said; the
//! keytab is checked at every check (a `stat`, and a read only when it changed: see
//! [`crate::backends::files`]), and only for Kerberos connections.

use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use super::explain;
use crate::backends::files::{self, FileRole, Problem};
use crate::connections::Outcome;
use crate::connections::{ValidCredentials, ValidKafkaCluster};

/// The principal and keytab of a Kerberos connection.
pub(super) struct Login {
    principal: String,
    keytab: String,
}

impl Login {
    /// The login of a spec with Kerberos credentials, `None` for every other spec.
    pub(super) fn of(target: &ValidKafkaCluster) -> Option<Self> {
        match &target.credentials {
            Some(ValidCredentials::Kerberos { principal, keytab_path, .. }) => {
                Some(Self { principal: principal.clone(), keytab: keytab_path.clone() })
            }
            _ => None,
        }
    }

    /// The keytab is a file that can be read within `limit`, and starts like a keytab (MIT
    /// format, version 1 or 2).
    pub(super) async fn check_keytab(&self, limit: Duration) -> Result<(), Outcome> {
        let keytab =
            files::read(FileRole::Keytab, &self.keytab, limit).await.map_err(|error| match &error.problem {
                Problem::Unreadable(io) => explain::keytab_unreadable(&self.keytab, io),
                _ => Outcome::failed(error.to_string(), error.is_transient()),
            })?;
        match keytab.get(..2) {
            Some([5, 1] | [5, 2]) => Ok(()),
            _ => Err(explain::not_a_keytab(&self.keytab)),
        }
    }

    /// Gets a ticket as librdkafka would (`kinit -k -t KEYTAB PRINCIPAL`, into the same ticket
    /// cache: `KRB5CCNAME` or the default one), within `limit`, and explains a failure.
    pub(super) async fn kinit(&self, limit: Duration) -> Result<(), Outcome> {
        let mut command = tokio::process::Command::new("kinit");
        command
            .args(["-k", "-t", &self.keytab, "--", &self.principal])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Err(explain::kinit_missing(&error)),
            Err(error) => {
                return Err(Outcome::failed(
                    format!("Cannot run kinit to log in as '{}': {error}", self.principal),
                    false,
                ))
            }
        };
        let stderr = child.stderr.take();
        let finished = async {
            let mut said = Vec::new();
            if let Some(mut stderr) = stderr {
                let _ = tokio::io::AsyncReadExt::read_to_end(&mut stderr, &mut said).await;
            }
            (child.wait().await, said)
        };
        match tokio::time::timeout(limit, finished).await {
            Err(_) => {
                // Killed, and reaped at once rather than left a zombie until tokio's next reap.
                let _ = child.start_kill();
                tokio::spawn(async move {
                    let _ = child.wait().await;
                });
                Err(explain::kinit_timed_out(&self.principal, limit, &krb5_conf()))
            }
            Ok((Err(error), _)) => Err(Outcome::failed(format!("kinit did not finish: {error}"), true)),
            Ok((Ok(status), _)) if status.success() => {
                tracing::debug!(principal = self.principal, "kinit got a Kerberos ticket");
                Ok(())
            }
            Ok((Ok(_), said)) => {
                Err(explain::kinit_failed(&self.principal, &self.keytab, &String::from_utf8_lossy(&said), &krb5_conf()))
            }
        }
    }
}

/// The Kerberos configuration file kinit and the GSSAPI library read, for messages.
fn krb5_conf() -> String {
    match std::env::var("KRB5_CONFIG") {
        Ok(path) if !path.is_empty() => format!("the Kerberos configuration '{path}' (KRB5_CONFIG)"),
        _ => "/etc/krb5.conf".to_string(),
    }
}

/// Cyrus SASL loads its plugins once, when librdkafka makes its first client: after that, this
/// tells whether the GSSAPI one is among them (it comes in its own package).
pub(super) fn check_gssapi_plugin() -> Result<(), Outcome> {
    static MECHANISMS: OnceLock<Vec<String>> = OnceLock::new();
    let mechanisms = match MECHANISMS.get() {
        Some(mechanisms) => mechanisms,
        None => {
            let listed = sasl_mechanisms();
            if listed.is_empty() {
                // Not initialised yet (or nothing at all): the broker will tell.
                return Ok(());
            }
            MECHANISMS.get_or_init(|| listed)
        }
    };
    if mechanisms.iter().any(|m| m == "GSSAPI") {
        Ok(())
    } else {
        Err(explain::gssapi_plugin_missing(&format!("(installed mechanisms: {})", mechanisms.join(", "))))
    }
}

/// The client mechanisms of the process's Cyrus SASL.
fn sasl_mechanisms() -> Vec<String> {
    // SAFETY: `sasl_global_listmech` returns NULL before `sasl_client_init` (which librdkafka calls
    // when it makes its first client), else a NULL-terminated array of static strings owned by
    // the library.
    unsafe {
        let list = sasl2_sys::sasl::sasl_global_listmech();
        if list.is_null() {
            return Vec::new();
        }
        let mut mechanisms = Vec::new();
        let mut index = 0;
        while !(*list.add(index)).is_null() {
            mechanisms.push(std::ffi::CStr::from_ptr(*list.add(index)).to_string_lossy().into_owned());
            index += 1;
        }
        mechanisms
    }
}
