//! Arrays of plain values held either in memory or in place in a memory-mapped file.
//!
//! The snapshot written by `maillage instantane` is laid out so that the server uses its arrays
//! (actor records, text, tree nodes, postings) where they lie in the file, without parsing or
//! copying them: start-up is then the time to map the file and check it, and the pages are
//! shared by every process that maps the same file. A [`Slab`] is one such array: built in
//! memory from a `Vec` (when indexing files or editing partners) or viewed in a mapped file
//! (when serving a snapshot). Both dereference to a slice, so the code that queries an index
//! never knows where its arrays live.
//!
//! A pass over every value of a mapped array (a check at opening) reads it through the file
//! ([`Mapped::read_chunks`], [`Slab::find`]) rather than through the map: the pages go through
//! the page cache, shared by every process, without being mapped into this one, so that the
//! resident memory of a server that has just opened a snapshot is what it actually uses, not
//! the whole file.
//!
//! Element types are plain data ([`bytemuck::Pod`]): fixed size, no pointers, every bit
//! pattern valid, so that reading them from a file is sound. The file's sections are aligned
//! to [`ALIGN`] bytes so that any such element type can be viewed in place.
//!
//! ```
//! use std::sync::Arc;
//! use maillage::util::slab::{Mapped, Slab};
//! let owned: Slab<u32> = Slab::from(vec![3, 1, 4]);
//! assert_eq!(&owned[..], &[3, 1, 4]);
//!
//! // The same values viewed in a mapped file.
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("slab.bin");
//! std::fs::write(&path, owned.as_bytes()).unwrap();
//! let map = Arc::new(Mapped::open(&path).unwrap());
//! let viewed: Slab<u32> = Slab::mapped(&map, 0..12).unwrap();
//! assert_eq!(viewed, owned);
//! assert_eq!(viewed.heap_bytes(), 0);
//! ```

use std::ops::{Deref, Range};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use bytemuck::Pod;

/// Alignment of every array in a mapped file: enough for any element type (`f64`, `u64`…).
pub const ALIGN: usize = 8;

/// Bytes read at a time by [`Mapped::read_chunks`] and [`Slab::find`]: small enough to stay in
/// the processor's cache between the read and the pass over it.
pub const CHUNK: usize = 1 << 18;

/// A read-only memory map of a whole file, with the file kept open to read it without the map.
pub struct Mapped {
    map: memmap2::Mmap,
    file: std::fs::File,
}

impl Mapped {
    /// Maps `path` read-only.
    pub fn open(path: &Path) -> std::io::Result<Mapped> {
        let file = std::fs::File::open(path)?;
        // SAFETY: the map is read-only. Changing the file while it is mapped would change
        // the values under the readers; `maillage instantane` never does that (it writes a new
        // file and renames it over the old one, so a mapped file keeps its content).
        let map = unsafe { memmap2::Mmap::map(&file) }?;
        Ok(Mapped { map, file })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// A copy of the bytes `range` of the file, read through the file like
    /// [`Mapped::read_chunks`]. Panics when `range` is outside the file.
    pub fn read(&self, range: Range<usize>) -> Vec<u8> {
        let mut out = vec![0; range.len()];
        if !out.is_empty() {
            let _ = self.read_chunks(range, &mut out, |_| Ok::<(), ()>(()));
        }
        out
    }

    /// Calls `f` on the bytes `range` of the file, read `buf.len()` bytes at a time into `buf`
    /// through the file (`pread`), not through the map: the pages go through the page cache
    /// without being mapped into this process (see the module docs). Stops at the first error
    /// of `f`. Should a read fail, the piece is taken from the map. Panics when `range` is
    /// outside the file or `buf` is empty.
    pub fn read_chunks<E>(
        &self,
        range: Range<usize>,
        buf: &mut [u8],
        mut f: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        assert!(range.end <= self.map.len() && !buf.is_empty());
        let mut at = range.start;
        while at < range.end {
            let n = buf.len().min(range.end - at);
            let piece = &mut buf[..n];
            if self.file.read_exact_at(piece, at as u64).is_err() {
                piece.copy_from_slice(&self.map[at..at + n]);
            }
            f(piece)?;
            at += n;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Mapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mapped({} bytes)", self.map.len())
    }
}

/// Why a range of a mapped file cannot be viewed as an array.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SlabError {
    #[error("section {start}..{end} hors du fichier ({len} octets)")]
    OutOfFile {
        start: usize,
        end: usize,
        len: usize,
    },
    #[error("section {start}..{end} mal alignée ou de taille non multiple de {size} octets")]
    Misaligned {
        start: usize,
        end: usize,
        size: usize,
    },
}

enum Inner<T: Pod> {
    Owned(Vec<T>),
    Mapped {
        map: Arc<Mapped>,
        start: usize,
        len: usize,
    },
}

/// An array of plain values, in memory or in place in a mapped file (see the module docs).
pub struct Slab<T: Pod> {
    inner: Inner<T>,
}

impl<T: Pod> Slab<T> {
    /// Views the bytes `range` of `map` as an array of `T`. The range must lie in the file,
    /// start at a multiple of `T`'s alignment and hold a whole number of `T`.
    pub fn mapped(map: &Arc<Mapped>, range: Range<usize>) -> Result<Slab<T>, SlabError> {
        let (start, end, len) = (range.start, range.end, map.bytes().len());
        if start > end || end > len {
            return Err(SlabError::OutOfFile { start, end, len });
        }
        let size = std::mem::size_of::<T>();
        let count = match bytemuck::try_cast_slice::<u8, T>(&map.bytes()[range]) {
            Ok(values) => values.len(),
            Err(_) => return Err(SlabError::Misaligned { start, end, size }),
        };
        Ok(Slab {
            inner: Inner::Mapped {
                map: Arc::clone(map),
                start,
                len: count,
            },
        })
    }

    /// The values as bytes, as written in a file.
    pub fn as_bytes(&self) -> &[u8] {
        bytemuck::cast_slice(self)
    }

    /// Bytes this array holds on the heap: none when it lies in a mapped file.
    pub fn heap_bytes(&self) -> usize {
        match &self.inner {
            Inner::Owned(v) => v.capacity() * std::mem::size_of::<T>(),
            Inner::Mapped { .. } => 0,
        }
    }

    /// Whether the values lie in a mapped file.
    pub fn is_mapped(&self) -> bool {
        matches!(self.inner, Inner::Mapped { .. })
    }

    /// The first value (with its position) for which `pred` holds. A mapped array is read
    /// through its file, not its map ([`Mapped::read_chunks`]): a check of every value at
    /// opening leaves the pages out of the process's resident memory.
    pub fn find(&self, pred: impl Fn(&T) -> bool) -> Option<(usize, T)> {
        let (map, start, len) = match &self.inner {
            Inner::Owned(v) => return v.iter().position(pred).map(|i| (i, v[i])),
            Inner::Mapped { map, start, len } => (map, *start, *len),
        };
        if len == 0 {
            return None;
        }
        let size = std::mem::size_of::<T>();
        // A buffer of `T`, so that every piece read into it is aligned for `T`.
        let mut buf =
            vec![<T as bytemuck::Zeroable>::zeroed(); (CHUNK / size.max(1)).clamp(1, len)];
        let mut seen = 0;
        let found = map.read_chunks(
            start..start + len * size,
            bytemuck::cast_slice_mut(&mut buf),
            |bytes| {
                let values: &[T] = bytemuck::cast_slice(bytes);
                match values.iter().position(&pred) {
                    Some(i) => Err((seen + i, values[i])),
                    None => {
                        seen += values.len();
                        Ok(())
                    }
                }
            },
        );
        found.err()
    }

    /// The values at `range` (positions, not bytes) as an array of their own: in place in
    /// the same map when mapped, copied when in memory. Panics when out of range, as slicing.
    pub fn slice(&self, range: Range<usize>) -> Slab<T> {
        let count = self[range.clone()].len();
        match &self.inner {
            Inner::Owned(v) => Slab::from(v[range].to_vec()),
            Inner::Mapped { map, start, .. } => Slab {
                inner: Inner::Mapped {
                    map: Arc::clone(map),
                    start: start + range.start * std::mem::size_of::<T>(),
                    len: count,
                },
            },
        }
    }
}

impl<T: Pod> Deref for Slab<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match &self.inner {
            Inner::Owned(v) => v,
            Inner::Mapped { map, start, len } => {
                let bytes = &map.bytes()[*start..*start + len * std::mem::size_of::<T>()];
                // Checked in `Slab::mapped`: in the file, aligned, a whole number of `T`.
                bytemuck::cast_slice(bytes)
            }
        }
    }
}

impl<T: Pod> AsRef<[T]> for Slab<T> {
    fn as_ref(&self) -> &[T] {
        self
    }
}

impl<T: Pod> From<Vec<T>> for Slab<T> {
    fn from(v: Vec<T>) -> Self {
        Slab {
            inner: Inner::Owned(v),
        }
    }
}

impl<T: Pod> Default for Slab<T> {
    fn default() -> Self {
        Slab::from(Vec::new())
    }
}

impl<T: Pod> Clone for Slab<T> {
    fn clone(&self) -> Self {
        match &self.inner {
            Inner::Owned(v) => Slab::from(v.clone()),
            Inner::Mapped { map, start, len } => Slab {
                inner: Inner::Mapped {
                    map: Arc::clone(map),
                    start: *start,
                    len: *len,
                },
            },
        }
    }
}

impl<T: Pod + PartialEq> PartialEq for Slab<T> {
    fn eq(&self, other: &Self) -> bool {
        self[..] == other[..]
    }
}

impl<T: Pod + std::fmt::Debug> std::fmt::Debug for Slab<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = if self.is_mapped() { "mapped" } else { "owned" };
        write!(f, "Slab({place}, {} values)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(bytes: &[u8]) -> (tempfile::TempDir, Arc<Mapped>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        std::fs::write(&path, bytes).unwrap();
        let map = Arc::new(Mapped::open(&path).unwrap());
        (dir, map)
    }

    #[test]
    fn a_mapped_range_reads_the_values_written() {
        let values: Vec<f64> = vec![1.5, -2.25, 43.9289];
        let mut bytes = vec![0u8; 8];
        bytes.extend_from_slice(bytemuck::cast_slice(&values));
        let (_dir, map) = file_with(&bytes);
        let s: Slab<f64> = Slab::mapped(&map, 8..32).unwrap();
        assert_eq!(&s[..], &values[..]);
        assert!(s.is_mapped());
        assert_eq!(s.clone(), Slab::from(values.clone()));
        let part = s.slice(1..3);
        assert!(part.is_mapped());
        assert_eq!(&part[..], &values[1..3]);
        assert_eq!(&Slab::from(values.clone()).slice(0..2)[..], &values[..2]);
        assert!(s.slice(3..3).is_empty());
        // `find` reads the file and answers as on the slice, mapped or owned.
        assert_eq!(s.find(|v| *v < 0.0), Some((1, -2.25)));
        assert_eq!(part.find(|v| *v > 40.0), Some((1, 43.9289)));
        assert_eq!(
            Slab::from(values.clone()).find(|v| *v > 40.0),
            Some((2, 43.9289))
        );
        assert_eq!(s.find(|v| *v > 100.0), None);
        assert_eq!(s.slice(3..3).find(|_| true), None);
    }

    #[test]
    fn find_reads_an_array_longer_than_a_chunk() {
        let values: Vec<u32> = (0..(CHUNK as u32 / 2)).collect();
        let (_dir, map) = file_with(bytemuck::cast_slice(&values));
        let s: Slab<u32> = Slab::mapped(&map, 0..values.len() * 4).unwrap();
        let last = values.len() - 1;
        assert_eq!(s.find(|&v| v as usize == last), Some((last, last as u32)));
        assert_eq!(
            s.find(|&v| v == (CHUNK / 4) as u32 + 3),
            Some((CHUNK / 4 + 3, (CHUNK / 4 + 3) as u32))
        );
        assert_eq!(s.find(|&v| v > last as u32), None);
        let mut sum = 0u64;
        let mut buf = vec![0u8; 1000];
        map.read_chunks(8..values.len() * 4, &mut buf, |b| {
            sum += b.len() as u64;
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(sum, values.len() as u64 * 4 - 8);
        assert_eq!(map.read(4..12), map.bytes()[4..12]);
        assert!(map.read(8..8).is_empty());
    }

    /// Resident KiB of this process's mapping of `path` (from `/proc/self/smaps`).
    fn resident_kib(path: &Path) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let name = path.to_str().unwrap();
        let mut inside = false;
        let mut kib = 0;
        for line in smaps.lines() {
            if line.contains('-') && line.split_whitespace().count() >= 5 {
                inside = line.ends_with(name);
            } else if let (true, Some(v)) = (inside, line.strip_prefix("Rss:")) {
                kib += v
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .unwrap();
            }
        }
        kib
    }

    #[test]
    fn a_pass_over_a_mapped_array_leaves_its_pages_out_of_the_process() {
        let values: Vec<u64> = (0..1u64 << 20).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        std::fs::write(&path, bytemuck::cast_slice(&values)).unwrap();
        let map = Arc::new(Mapped::open(&path).unwrap());
        let s: Slab<u64> = Slab::mapped(&map, 0..8 << 20).unwrap();
        assert_eq!(s.find(|&v| v == 1 << 19), Some((1 << 19, 1 << 19)));
        assert_eq!(s.find(|&v| v > 1 << 20), None);
        assert_eq!(resident_kib(&path), 0);
        // Reading through the map makes the pages resident: what the pass above avoids.
        assert_eq!(s.iter().sum::<u64>(), (1u64 << 20) * ((1 << 20) - 1) / 2);
        assert!(resident_kib(&path) >= 8 << 10);
    }

    #[test]
    fn ranges_outside_the_file_or_misaligned_are_refused() {
        let (_dir, map) = file_with(&[0u8; 24]);
        assert_eq!(
            Slab::<u64>::mapped(&map, 16..32).unwrap_err(),
            SlabError::OutOfFile {
                start: 16,
                end: 32,
                len: 24
            }
        );
        assert!(matches!(
            Slab::<u64>::mapped(&map, 4..12),
            Err(SlabError::Misaligned { .. })
        ));
        assert!(matches!(
            Slab::<u64>::mapped(&map, 8..20),
            Err(SlabError::Misaligned { .. })
        ));
        assert_eq!(Slab::<u64>::mapped(&map, 8..24).unwrap().len(), 2);
    }
}
