//! The shared store on disk (`initializationOptions.store`): non-secret state in one JSON file
//! written atomically under an exclusive file lock, secrets in the OS keychain. No knowledge of the
//! connection manager: `connections::shared` decides what to store and applies what others stored.
//!
//! - `<directory>/state.json`: [`StateFile`], mode 0600 in a 0700 directory. Written to a temp file
//!   in the same directory, fsynced, then renamed over the old one (and the directory fsynced), so a
//!   reader or a crash sees the old file or the new one, never half of one.
//! - `<directory>/state.lock`: readers take it shared, writers exclusive (read-modify-write).
//! - `<directory>/refresh-<hex id>.lock`: held by the one process refreshing a session's tokens.
//!
//! Locks are OS file locks (`flock`): they die with the process that held them.

mod keychain;

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

pub use keychain::Keychain;

use crate::protocol::UserInfo;

/// The format of `state.json` this build reads and writes; a newer one is moved aside.
pub const FORMAT: u32 = 1;
const STATE: &str = "state.json";
const TEMP_PREFIX: &str = ".state.json.tmp-";

/// `state.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct StateFile {
    pub format: u32,
    /// Grows with every write: what a reader compares to know something changed.
    pub generation: u64,
    /// In creation order.
    pub connections: Vec<StoredConnection>,
    /// Confluent Cloud sessions, by connection id.
    pub sessions: BTreeMap<String, StoredSession>,
}

/// A connection as stored: its spec with every secret masked, and where the secrets were.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StoredConnection {
    pub id: String,
    /// Changes with every write of this connection; the keychain entry carries the same one.
    pub etag: String,
    /// The spec as a client would see it (secrets as `"********"`).
    pub spec: serde_json::Value,
    /// The JSON paths of the secrets held in the keychain.
    #[serde(default)]
    pub secrets: Vec<String>,
}

/// A Confluent Cloud session's non-secret half; the tokens are in the keychain.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StoredSession {
    /// A UUID for this sign-in: a new sign-in is another session.
    pub session: String,
    /// Grows each time the tokens change (a refresh); the keychain entry carries the same one.
    pub generation: u64,
    /// The end of the absolute lifetime, in seconds since the epoch.
    pub ends_at: u64,
    /// When the current tokens were issued, in seconds since the epoch.
    pub tokens_at: u64,
    pub requires_authentication_at: String,
    pub user: UserInfo,
    #[serde(default)]
    pub organization_id: Option<String>,
}

/// A session's tokens, as the keychain holds them.
#[derive(Clone, Serialize, Deserialize)]
pub struct SessionSecrets {
    pub session: String,
    pub generation: u64,
    pub refresh_token: String,
    pub control_plane: String,
    pub data_plane: String,
}

/// A connection's secrets, as the keychain holds them.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ConnectionSecrets {
    pub etag: String,
    pub secrets: BTreeMap<String, String>,
}

/// What identifies one version of `state.json` on disk without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    inode: u64,
    modified: Option<SystemTime>,
    len: u64,
}

/// What reading `state.json` found.
pub enum Read {
    Missing,
    Found(StateFile),
    /// Not JSON of this format, or a newer format: why, and whether it is newer.
    Bad {
        why: String,
    },
}

/// The store's directory and the keychain (when one answers).
pub struct Disk {
    directory: PathBuf,
    keychain: Option<Keychain>,
    /// Why there is no keychain, said once.
    no_keychain: Option<String>,
}

pub fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The default directory: `$XDG_STATE_HOME/ide-sidecar`, else `~/.local/state/ide-sidecar`.
pub fn default_directory() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME").map(PathBuf::from).filter(|path| path.is_absolute());
    let state = state.or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/state")))?;
    Some(state.join("ide-sidecar"))
}

impl Disk {
    /// Creates the directory (0700) if needed and asks the keychain whether it answers.
    pub fn open(directory: &Path) -> std::io::Result<Self> {
        create_private_dir(directory)?;
        let directory = directory.canonicalize()?;
        let (keychain, no_keychain) = match Keychain::probe(&directory) {
            Ok(keychain) => (Some(keychain), None),
            Err(why) => (None, Some(why)),
        };
        Ok(Self { directory, keychain, no_keychain })
    }

    pub fn directory(&self) -> &Path {
        &self.directory
    }

    pub fn keychain(&self) -> Option<&Keychain> {
        self.keychain.as_ref()
    }

    /// Why no keychain answered, when none did.
    pub fn no_keychain(&self) -> Option<&str> {
        self.no_keychain.as_deref()
    }

    fn state_path(&self) -> PathBuf {
        self.directory.join(STATE)
    }

    /// Opens (creating) a lock file. A directory deleted meanwhile (a wipe) is created again: the
    /// store then reads as empty.
    fn lock_file(&self, name: &str) -> std::io::Result<File> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        private_mode(&mut options);
        match options.open(self.directory.join(name)) {
            Err(error) if error.kind() == ErrorKind::NotFound => {
                create_private_dir(&self.directory)?;
                options.open(self.directory.join(name))
            }
            result => result,
        }
    }

    /// The version of `state.json` on disk now (`None` when there is none).
    pub fn stamp(&self) -> Option<Stamp> {
        let metadata = std::fs::metadata(self.state_path()).ok()?;
        Some(Stamp { inode: inode(&metadata), modified: metadata.modified().ok(), len: metadata.len() })
    }

    /// Runs `read` on `state.json` under the shared lock (no write happens meanwhile).
    pub fn read_with<T>(&self, read: impl FnOnce(Read) -> T) -> std::io::Result<T> {
        let lock = self.lock_file("state.lock")?;
        flock(&lock, Lock::Shared)?;
        let found = self.read_state();
        Ok(read(found))
    }

    fn read_state(&self) -> Read {
        let text = match std::fs::read(self.state_path()) {
            Ok(text) => text,
            Err(error) if error.kind() == ErrorKind::NotFound => return Read::Missing,
            Err(error) => return Read::Bad { why: format!("it cannot be read ({error})") },
        };
        #[derive(Deserialize)]
        struct Version {
            format: u32,
        }
        match serde_json::from_slice::<Version>(&text) {
            Ok(Version { format }) if format > FORMAT => {
                return Read::Bad { why: format!("it has format {format}, newer than this sidecar's {FORMAT}") }
            }
            Ok(_) => {}
            Err(error) => return Read::Bad { why: format!("it is not valid JSON ({error})") },
        }
        match serde_json::from_slice::<StateFile>(&text) {
            Ok(state) => Read::Found(state),
            Err(error) => Read::Bad { why: format!("it does not have the expected shape ({error})") },
        }
    }

    /// Read-modify-write under the exclusive lock: `change` gets the state as it is on disk (empty
    /// when there is none; a bad file is moved aside first) and may change it, and the keychain
    /// with it. When it returns true the state is written with the next generation.
    pub fn modify(&self, change: impl FnOnce(&mut StateFile) -> bool) -> std::io::Result<StateFile> {
        let lock = self.lock_file("state.lock")?;
        flock(&lock, Lock::Exclusive)?;
        self.remove_temp_files();
        let mut state = match self.read_state() {
            Read::Found(state) => state,
            Read::Missing => StateFile::default(),
            Read::Bad { why } => {
                self.move_aside(&why)?;
                StateFile::default()
            }
        };
        if change(&mut state) {
            state.format = FORMAT;
            state.generation += 1;
            self.write_state(&state)?;
        }
        Ok(state)
    }

    /// Moves a bad `state.json` aside (never deletes it), under the exclusive lock.
    pub fn move_aside_if_bad(&self) -> std::io::Result<()> {
        let lock = self.lock_file("state.lock")?;
        flock(&lock, Lock::Exclusive)?;
        if let Read::Bad { why } = self.read_state() {
            self.move_aside(&why)?;
        }
        Ok(())
    }

    fn move_aside(&self, why: &str) -> std::io::Result<()> {
        let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let aside = self.directory.join(format!("state.json.unreadable-{stamp}"));
        std::fs::rename(self.state_path(), &aside)?;
        tracing::warn!(
            file = %self.state_path().display(),
            moved_to = %aside.display(),
            "the shared store's state file could not be used ({why}): moved aside, the store starts empty"
        );
        Ok(())
    }

    /// Temp files left by a writer that died mid-write; only called under the exclusive lock, when
    /// no writer is mid-write.
    fn remove_temp_files(&self) {
        let Ok(entries) = std::fs::read_dir(&self.directory) else { return };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                tracing::info!(file = %entry.path().display(), "removing a partial write left by a sidecar that stopped");
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    fn write_state(&self, state: &StateFile) -> std::io::Result<()> {
        let temp =
            self.directory.join(format!("{TEMP_PREFIX}{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        private_mode(&mut options);
        let result = (|| {
            let mut file = options.open(&temp)?;
            file.write_all(&serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?)?;
            file.sync_all()?;
            std::fs::rename(&temp, self.state_path())?;
            File::open(&self.directory)?.sync_all()
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result
    }

    /// Takes the refresh lock of connection `id`, waiting while another process holds it.
    pub async fn refresh_lock(&self, id: &str) -> std::io::Result<File> {
        let hex: String = id.bytes().map(|byte| format!("{byte:02x}")).collect();
        let file = self.lock_file(&format!("refresh-{hex}.lock"))?;
        let mut said = false;
        loop {
            match flock(&file, Lock::TryExclusive) {
                Ok(()) => return Ok(file),
                Err(error) if error.kind() == ErrorKind::WouldBlock => {
                    if !said {
                        tracing::debug!(connection = id, "another process is refreshing this session: waiting");
                        said = true;
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await
                }
                Err(error) => return Err(error),
            }
        }
    }
}

enum Lock {
    Shared,
    Exclusive,
    /// Exclusive, or `WouldBlock` at once.
    TryExclusive,
}

/// An advisory `flock` on `file`, released when the file is closed (or its process dies).
/// (`File::lock` does the same from Rust 1.89; this crate still builds with 1.85.)
#[cfg(unix)]
fn flock(file: &File, lock: Lock) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    let operation = match lock {
        Lock::Shared => libc::LOCK_SH,
        Lock::Exclusive => libc::LOCK_EX,
        Lock::TryExclusive => libc::LOCK_EX | libc::LOCK_NB,
    };
    loop {
        // SAFETY: flock on a descriptor this `File` owns for the whole call.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return Ok(());
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Without `flock` (not Unix) the store relies on its atomic renames alone.
#[cfg(not(unix))]
fn flock(_: &File, _: Lock) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn create_private_dir(directory: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(directory)?;
    std::fs::set_permissions(directory, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn create_private_dir(directory: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(directory)
}

#[cfg(unix)]
fn private_mode(options: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.mode(0o600);
}

#[cfg(not(unix))]
fn private_mode(_: &mut OpenOptions) {}

#[cfg(unix)]
fn inode(metadata: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(metadata)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(dir: &Path) -> Disk {
        Disk { directory: dir.to_path_buf(), keychain: None, no_keychain: Some("test".into()) }
    }

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ide-sidecar-store-{}", uuid::Uuid::new_v4().simple()));
        create_private_dir(&dir).unwrap();
        dir
    }

    #[test]
    fn writes_are_atomic_private_and_numbered() {
        let dir = temp_dir();
        let disk = disk(&dir);
        let written = disk.modify(|state| {
            state.connections.push(StoredConnection {
                id: "a".into(),
                etag: "e".into(),
                spec: serde_json::json!({}),
                secrets: vec![],
            });
            true
        });
        assert_eq!(written.unwrap().generation, 1);
        let again = disk.modify(|_| true).unwrap();
        assert_eq!((again.generation, again.connections.len(), again.format), (2, 1, FORMAT));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(STATE)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn concurrent_read_modify_writes_lose_nothing() {
        let dir = temp_dir();
        let writers: Vec<_> = (0..4)
            .map(|writer| {
                let dir = dir.clone();
                std::thread::spawn(move || {
                    // Each its own `Disk`, as separate processes have: only the file lock orders them.
                    let disk = disk(&dir);
                    for n in 0..25 {
                        disk.modify(|state| {
                            state.connections.push(StoredConnection {
                                id: format!("{writer}-{n}"),
                                etag: String::new(),
                                spec: serde_json::json!({}),
                                secrets: vec![],
                            });
                            true
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let state = disk(&dir).modify(|_| false).unwrap();
        assert_eq!((state.connections.len(), state.generation), (100, 100));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_bad_or_newer_file_is_moved_aside_and_a_partial_write_is_ignored() {
        let dir = temp_dir();
        let disk = disk(&dir);
        disk.modify(|_| true).unwrap();
        std::fs::write(dir.join(format!("{TEMP_PREFIX}1-x")), "{\"format\": 1, \"genera").unwrap();
        assert!(matches!(disk.read_with(|read| matches!(read, Read::Found(_))), Ok(true)));
        assert_eq!(disk.modify(|_| false).unwrap().generation, 1, "the partial write is not the state");
        assert!(!dir.join(format!("{TEMP_PREFIX}1-x")).exists());
        std::fs::write(dir.join(STATE), "{\"format\": 99}").unwrap();
        assert!(disk.read_with(|read| matches!(read, Read::Bad { .. })).unwrap());
        assert_eq!(disk.modify(|_| true).unwrap().generation, 1);
        let aside: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|entry| entry.file_name().to_string_lossy().starts_with("state.json.unreadable-"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(std::fs::read_to_string(aside[0].path()).unwrap(), "{\"format\": 99}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
