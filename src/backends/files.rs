//! The files a spec names (truststores, keystores, Kerberos keytabs), read safely: regular files
//! only, at most [`MAX_FILE_BYTES`], off the async runtime within a time limit, and once per change
//! of the file rather than at every check.
//!
//! A path in a spec can name anything: a FIFO (opening one waits for a writer, reading it waits for
//! data), a device that never ends (`/dev/zero`), the sidecar's own stdin or stdout (the editor's
//! protocol stream), or a file far larger than any store. Each is refused by its type or size
//! before a byte is read, and no read runs on a runtime worker: a read that hangs anyway (a stuck
//! network file system) holds one thread of the blocking pool, and later reads of the same path
//! wait for that one instead of starting another.

use std::collections::HashMap;
use std::fs::{FileType, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use futures::future::{BoxFuture, FutureExt, Shared};

use crate::connections::human_duration;

/// The largest file read as a store or keytab: 4 MiB. Real ones are a few kB (a truststore with
/// every public CA is about 250 kB); a larger file is the wrong file.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Contents no check has asked for in this long are dropped from the cache.
pub const CACHE_IDLE_LIMIT: Duration = Duration::from_secs(10 * 60);

/// The cache holds at most this many bytes of contents, dropping the least recently used first.
pub const CACHE_BUDGET_BYTES: usize = 16 * 1024 * 1024;

/// What a file is for, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileRole {
    Truststore,
    Keystore,
    Keytab,
}

impl FileRole {
    fn noun(self) -> &'static str {
        match self {
            Self::Truststore => "truststore",
            Self::Keystore => "keystore",
            Self::Keytab => "keytab",
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Self::Truststore | Self::Keystore => "a PEM, PKCS12 or JKS file",
            Self::Keytab => "a keytab file",
        }
    }
}

/// Why a file could not be read, whatever it was for.
#[derive(Clone, Debug)]
pub enum Problem {
    /// The path names something other than a regular file (`a directory`, `a pipe (FIFO)`...).
    NotAFile(&'static str),
    /// More than [`MAX_FILE_BYTES`].
    TooLarge,
    Unreadable(Arc<std::io::Error>),
    /// The read did not finish within this time.
    TimedOut(Duration),
}

/// A file a spec names could not be read. Never holds the file's contents.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{}", self.describe())]
pub struct FileError {
    pub role: FileRole,
    pub path: String,
    pub problem: Problem,
}

impl FileError {
    /// Whether trying again later may help (a file system that was slow to answer).
    pub fn is_transient(&self) -> bool {
        matches!(self.problem, Problem::TimedOut(_))
    }

    fn describe(&self) -> String {
        let (noun, path, expected) = (self.role.noun(), &self.path, self.role.expected());
        match &self.problem {
            Problem::NotAFile(kind) => {
                format!("The {noun} '{path}' is {kind}, not a file: give the path of {expected}")
            }
            Problem::TooLarge => format!(
                "The {noun} '{path}' is larger than {} MiB, far more than a {noun} holds: give the path of {expected}",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            Problem::Unreadable(error) => format!("Cannot read the {noun} '{path}': {error}"),
            Problem::TimedOut(limit) => format!(
                "Reading the {noun} '{path}' did not finish within {}: check the file and the file system it is on",
                human_duration(*limit)
            ),
        }
    }
}

/// Reads the file at `path` for `role`, within `limit`, from the process's cache when the file has
/// not changed (see [`Files`]).
pub async fn read(role: FileRole, path: &str, limit: Duration) -> Result<Arc<[u8]>, FileError> {
    static FILES: OnceLock<Files> = OnceLock::new();
    let files = FILES.get_or_init(|| Files::new(MAX_FILE_BYTES));
    files.read(path, limit).await.map_err(|problem| FileError { role, path: path.to_string(), problem })
}

type Reading = Shared<BoxFuture<'static, Result<Arc<[u8]>, Problem>>>;

/// Files read so far, and the reads under way.
///
/// A file is read again only when its identity (device and inode), size or modification time
/// changed since it was last read: every read starts with a `stat`, which is cheap, and opens the
/// file only then. So a file replaced or edited in place is picked up at the next check, while an
/// unchanged one is read once.
pub struct Files {
    /// The largest file read, in bytes.
    cap: u64,
    cache: Mutex<Cache>,
    /// One read per path at a time: later callers share it (single flight). The blocking task
    /// removes its own entry when it ends, so a read that hangs keeps one thread, not one per check.
    reading: Mutex<HashMap<String, Reading>>,
}

impl Files {
    pub fn new(cap: u64) -> Self {
        Self { cap, cache: Mutex::default(), reading: Mutex::default() }
    }

    async fn read(&'static self, path: &str, limit: Duration) -> Result<Arc<[u8]>, Problem> {
        let reading = {
            let mut reading = lock(&self.reading);
            match reading.get(path) {
                Some(under_way) => under_way.clone(),
                None => {
                    let owned = path.to_string();
                    let task = tokio::task::spawn_blocking(move || {
                        let result = self.read_blocking(&owned);
                        lock(&self.reading).remove(&owned);
                        result
                    });
                    let shared = async move {
                        task.await.unwrap_or_else(|error| {
                            Err(Problem::Unreadable(Arc::new(std::io::Error::other(format!(
                                "the read stopped: {error}"
                            )))))
                        })
                    }
                    .boxed()
                    .shared();
                    reading.insert(path.to_string(), shared.clone());
                    shared
                }
            }
        };
        tokio::time::timeout(limit, reading).await.unwrap_or(Err(Problem::TimedOut(limit)))
    }

    /// Blocking: the cached contents if the file is unchanged, else the file read anew.
    fn read_blocking(&self, path: &str) -> Result<Arc<[u8]>, Problem> {
        let unreadable = |error| Problem::Unreadable(Arc::new(error));
        // The type and size from the path first: opening a FIFO would wait for a writer.
        let metadata = std::fs::metadata(path).map_err(unreadable)?;
        self.refuse(&metadata)?;
        if let Some(bytes) = lock(&self.cache).fresh(path, Stamp::of(&metadata)) {
            return Ok(bytes);
        }
        // Without blocking, in case the path names a FIFO by now; then the type of what was
        // actually opened decides.
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .map_err(unreadable)?;
        let metadata = file.metadata().map_err(unreadable)?;
        self.refuse(&metadata)?;
        // At most one byte more than allowed, whatever the size said: files in /proc say 0, and a
        // file can grow while it is read.
        let mut bytes = Vec::with_capacity(metadata.len() as usize + 1);
        file.take(self.cap + 1).read_to_end(&mut bytes).map_err(unreadable)?;
        if bytes.len() as u64 > self.cap {
            return Err(Problem::TooLarge);
        }
        let bytes: Arc<[u8]> = bytes.into();
        tracing::debug!(path, bytes = bytes.len(), "read a file the spec names");
        lock(&self.cache).insert(path, Stamp::of(&metadata), bytes.clone());
        Ok(bytes)
    }

    fn refuse(&self, metadata: &Metadata) -> Result<(), Problem> {
        if let Some(kind) = not_a_file(metadata.file_type()) {
            return Err(Problem::NotAFile(kind));
        }
        if metadata.len() > self.cap {
            return Err(Problem::TooLarge);
        }
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every section leaves the maps consistent, so a poisoned lock is still usable.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a path names when it is not a regular file, for messages.
fn not_a_file(file_type: FileType) -> Option<&'static str> {
    match file_type {
        t if t.is_file() => None,
        t if t.is_dir() => Some("a directory"),
        t if t.is_fifo() => Some("a pipe (FIFO)"),
        t if t.is_char_device() => Some("a character device"),
        t if t.is_block_device() => Some("a block device"),
        t if t.is_socket() => Some("a socket"),
        _ => Some("something other than a regular file"),
    }
}

/// What tells that a file changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    device: u64,
    inode: u64,
    len: u64,
    modified: (i64, i64),
}

impl Stamp {
    fn of(metadata: &Metadata) -> Self {
        Self {
            device: metadata.dev(),
            inode: metadata.ino(),
            len: metadata.len(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
        }
    }
}

/// File contents by path, bounded by [`CACHE_BUDGET_BYTES`] and [`CACHE_IDLE_LIMIT`].
#[derive(Default)]
struct Cache {
    entries: HashMap<String, Entry>,
}

struct Entry {
    stamp: Stamp,
    bytes: Arc<[u8]>,
    used: Instant,
}

impl Cache {
    /// The contents of `path` if they were read from the file as it is now.
    fn fresh(&mut self, path: &str, stamp: Stamp) -> Option<Arc<[u8]>> {
        let now = Instant::now();
        self.entries.retain(|_, entry| now.duration_since(entry.used) < CACHE_IDLE_LIMIT);
        let entry = self.entries.get_mut(path).filter(|entry| entry.stamp == stamp)?;
        entry.used = now;
        Some(entry.bytes.clone())
    }

    fn insert(&mut self, path: &str, stamp: Stamp, bytes: Arc<[u8]>) {
        self.entries.remove(path);
        let mut total: usize = self.entries.values().map(|entry| entry.bytes.len()).sum();
        while total + bytes.len() > CACHE_BUDGET_BYTES {
            let Some(oldest) = self.entries.iter().min_by_key(|(_, entry)| entry.used).map(|(path, _)| path.clone())
            else {
                break;
            };
            total -= self.entries.remove(&oldest).map_or(0, |entry| entry.bytes.len());
        }
        self.entries.insert(path.to_string(), Entry { stamp, bytes, used: Instant::now() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_secs(2);

    fn files(cap: u64) -> &'static Files {
        Box::leak(Box::new(Files::new(cap)))
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ide-sidecar-files-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn a_file_is_read_once_while_unchanged_and_again_when_it_changes() {
        let files = files(MAX_FILE_BYTES);
        let dir = scratch("cache");
        let path = dir.join("ca.pem");
        let name = path.to_str().unwrap();
        std::fs::write(&path, b"first").unwrap();
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert_eq!(&*files.read(name, LIMIT).await.unwrap(), b"first");

        // Rewritten in place with the same size and modification time: not read again.
        std::fs::write(&path, b"other").unwrap();
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(modified).unwrap();
        assert_eq!(&*files.read(name, LIMIT).await.unwrap(), b"first", "an unchanged file is not read again");

        // A new modification time, or a new size, is a change.
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(modified + LIMIT).unwrap();
        assert_eq!(&*files.read(name, LIMIT).await.unwrap(), b"other");
        std::fs::write(&path, b"longer one").unwrap();
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(modified + LIMIT).unwrap();
        assert_eq!(&*files.read(name, LIMIT).await.unwrap(), b"longer one");
        // So is another file renamed over it (another inode), even with the same size and time.
        let other = dir.join("new.pem");
        std::fs::write(&other, b"renamed!!!").unwrap();
        std::fs::File::options().write(true).open(&other).unwrap().set_modified(modified + LIMIT).unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(&*files.read(name, LIMIT).await.unwrap(), b"renamed!!!");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn what_is_not_a_regular_file_is_refused_by_type_before_it_is_opened() {
        let files = files(MAX_FILE_BYTES);
        let dir = scratch("types");
        let fifo = dir.join("fifo");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let socket = dir.join("socket");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let cases = [
            (fifo.to_str().unwrap(), "a pipe (FIFO)"),
            (dir.to_str().unwrap(), "a directory"),
            ("/dev/zero", "a character device"),
            ("/dev/null", "a character device"),
            (socket.to_str().unwrap(), "a socket"),
        ];
        for (path, kind) in cases {
            let problem = files.read(path, LIMIT).await.unwrap_err();
            assert!(matches!(problem, Problem::NotAFile(k) if k == kind), "{path}: {problem:?}");
        }
        let message = FileError {
            role: FileRole::Truststore,
            path: "/tmp/x".into(),
            problem: Problem::NotAFile("a pipe (FIFO)"),
        };
        assert_eq!(
            message.to_string(),
            "The truststore '/tmp/x' is a pipe (FIFO), not a file: give the path of a PEM, PKCS12 or JKS file"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn no_more_than_the_cap_is_read_even_when_the_size_says_less() {
        let files = files(64);
        // Files in /proc say they are empty and are not.
        assert_eq!(std::fs::metadata("/proc/self/maps").unwrap().len(), 0);
        assert!(matches!(files.read("/proc/self/maps", LIMIT).await, Err(Problem::TooLarge)));
        let dir = scratch("cap");
        let big = dir.join("big");
        std::fs::File::create(&big).unwrap().set_len(65).unwrap();
        assert!(matches!(files.read(big.to_str().unwrap(), LIMIT).await, Err(Problem::TooLarge)));
        std::fs::File::create(&big).unwrap().set_len(64).unwrap();
        assert_eq!(files.read(big.to_str().unwrap(), LIMIT).await.unwrap().len(), 64);
        let message = FileError { role: FileRole::Keytab, path: "/k".into(), problem: Problem::TooLarge };
        assert!(message.to_string().contains("larger than 4 MiB"), "{message}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_cache_keeps_to_its_budget_dropping_the_least_recently_used() {
        let mut cache = Cache::default();
        let stamp = Stamp { device: 1, inode: 1, len: 0, modified: (0, 0) };
        let chunk = || -> Arc<[u8]> { vec![0; CACHE_BUDGET_BYTES / 3].into() };
        for path in ["a", "b", "c"] {
            cache.insert(path, stamp, chunk());
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(cache.fresh("a", stamp).is_some());
        cache.insert("d", stamp, chunk());
        assert!(cache.fresh("b", stamp).is_none(), "the least recently used went first");
        assert!(["a", "c", "d"].iter().all(|path| cache.fresh(path, stamp).is_some()));
        assert!(cache.entries.values().map(|entry| entry.bytes.len()).sum::<usize>() <= CACHE_BUDGET_BYTES);
    }
}
