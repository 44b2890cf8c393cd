//! Small shared utilities at the bottom of the dependency order, usable by every layer:
//! atomic file writes ([`fs`]), dates ([`date`]), HTML/XML/CSV escaping ([`escape`]) and
//! the CSV output dialect ([`csv`]), French numbers ([`number`]), system errors in French
//! ([`os_error`]), arrays of plain values held in memory or in place in a mapped file ([`slab`]),
//! values freed off the caller's path ([`drop_in_background`]).

pub mod csv;
pub mod date;
pub mod escape;
pub mod fs;
pub mod number;
pub mod os_error;
pub mod slab;

/// Drops `value` on a thread of its own (or here when no thread can be started): freeing
/// millions of small allocations, such as the records of a national load once packed, takes
/// a noticeable time that the caller need not wait for.
pub fn drop_in_background<T: Send + 'static>(value: T) {
    // A closure not run (spawn failed) drops its captures here.
    let _ = std::thread::Builder::new()
        .name("liberation".into())
        .spawn(move || drop(value));
}
