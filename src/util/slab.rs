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
use std::path::Path;
use std::sync::Arc;

use bytemuck::Pod;

/// Alignment of every array in a mapped file: enough for any element type (`f64`, `u64`…).
pub const ALIGN: usize = 8;

/// A read-only memory map of a whole file.
pub struct Mapped {
    map: memmap2::Mmap,
}

impl Mapped {
    /// Maps `path` read-only.
    pub fn open(path: &Path) -> std::io::Result<Mapped> {
        let file = std::fs::File::open(path)?;
        // SAFETY: the map is read-only. Changing the file while it is mapped would change
        // the values under the readers; `maillage instantane` never does that (it writes a new
        // file and renames it over the old one, so a mapped file keeps its content).
        let map = unsafe { memmap2::Mmap::map(&file) }?;
        Ok(Mapped { map })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map
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
