//! The one atomic write: a temporary file in the target's folder, written and synced
//! (`fsync`), renamed over the target, then the folder synced so that the rename itself is
//! durable. A reader (or a crash) sees either the old file or the whole new one, never a
//! half-written file; on error the temporary file is removed and the target is untouched.
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("maillage-doc-atomic-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("a.txt");
//! maillage::util::fs::write_atomic(&path, b"un").unwrap();
//! maillage::util::fs::write_atomic(&path, b"deux").unwrap();
//! assert_eq!(std::fs::read(&path).unwrap(), b"deux");
//! assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file left");
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes the temporary files of concurrent writers in one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The temporary path next to `path` (same folder, so that the rename stays on one file
/// system): `.<name>.<pid>.<n>.tmp`, hidden and unique to this process and call.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "fichier".into(), |n| n.to_string_lossy().into_owned());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Syncs the folder holding `path`, making a rename into it durable.
pub fn sync_parent(path: &Path) -> std::io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

/// Replaces `path` atomically with a file that `produce` creates at the temporary path it is
/// given (e.g. a database copy). The temporary file is then synced, renamed over `path` and
/// the folder synced. `io_err` turns the I/O errors of these steps into the caller's error
/// (they concern `path`). On any error the temporary file is removed.
pub fn replace_atomic<T, E>(
    path: &Path,
    io_err: impl Fn(std::io::Error) -> E,
    produce: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    let tmp = temp_path(path);
    let result = produce(&tmp).and_then(|v| {
        File::open(&tmp)
            .and_then(|f| f.sync_all())
            .and_then(|()| std::fs::rename(&tmp, path))
            .and_then(|()| sync_parent(path))
            .map_err(&io_err)?;
        Ok(v)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `path` atomically through a buffered writer given to `write` (for large or streamed
/// content). See [`replace_atomic`] for `io_err`.
pub fn write_atomic_with<T, E>(
    path: &Path,
    io_err: impl Fn(std::io::Error) -> E,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T, E>,
) -> Result<T, E> {
    replace_atomic(path, &io_err, |tmp| {
        let file = File::create(tmp).map_err(&io_err)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let v = write(&mut out)?;
        let file = out.into_inner().map_err(|e| io_err(e.into_error()))?;
        file.sync_all().map_err(&io_err)?;
        Ok(v)
    })
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |e| e, |w| w.write_all(bytes))
}

/// Creates `path` empty, readable and writable by its owner only (mode 0600 on Unix), unless
/// it exists already (then it is left as it is). For files holding secrets or private data:
/// the partner base and its backups.
pub fn create_private(path: &Path) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    match o.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("maillage-util-fs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn failed_write_keeps_old_content_and_leaves_no_temporary() {
        let dir = scratch("fail");
        let path = dir.join("rapport.html");
        write_atomic(&path, b"ancien").unwrap();
        let r: Result<(), String> = write_atomic_with(
            &path,
            |e| e.to_string(),
            |w| {
                w.write_all(b"nouveau, a moitie")
                    .map_err(|e| e.to_string())?;
                Err("interrompu".into())
            },
        );
        assert_eq!(r.unwrap_err(), "interrompu");
        assert_eq!(std::fs::read(&path).unwrap(), b"ancien");
        assert_eq!(entries(&dir), vec!["rapport.html"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_folder_is_an_error_naming_nothing_written() {
        let dir = scratch("missing");
        let path = dir.join("absent").join("x.csv");
        let e = write_atomic(&path, b"x").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        assert!(entries(&dir).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn concurrent_writers_never_expose_a_partial_file() {
        let dir = scratch("concurrent");
        let path = dir.join("c.bin");
        let sizes = [10_000usize, 200_000, 1_000_000];
        std::thread::scope(|s| {
            for (t, &n) in sizes.iter().enumerate() {
                let path = path.clone();
                s.spawn(move || {
                    for _ in 0..5 {
                        write_atomic(&path, &vec![t as u8; n]).unwrap();
                    }
                });
            }
            s.spawn(|| {
                for _ in 0..50 {
                    if let Ok(b) = std::fs::read(&path) {
                        let whole = sizes
                            .iter()
                            .enumerate()
                            .any(|(t, &n)| b.len() == n && b.iter().all(|&x| x == t as u8));
                        assert!(whole, "partial file of {} bytes", b.len());
                    }
                }
            });
        });
        assert_eq!(entries(&dir), vec!["c.bin"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn replace_with_a_produced_file() {
        let dir = scratch("replace");
        let path = dir.join("base.sqlite");
        let n = replace_atomic(
            &path,
            |e| e,
            |tmp| {
                assert_eq!(tmp.parent(), path.parent());
                std::fs::write(tmp, b"copie")?;
                Ok::<_, std::io::Error>(5)
            },
        )
        .unwrap();
        assert_eq!(n, 5);
        assert_eq!(std::fs::read(&path).unwrap(), b"copie");
        assert_eq!(entries(&dir), vec!["base.sqlite"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
