//! Small-count masking (statistical secrecy), as the Assurance Maladie does: a published count
//! between 1 and 4 is replaced by « < 5 », and so is any figure derived from it (a density would
//! give the count back).
//!
//! ```
//! use maillage::analysis::masking::{Masked, SMALL_COUNT_LIMIT};
//! assert_eq!(SMALL_COUNT_LIMIT, 5);
//! assert_eq!(Masked::count(3, true).to_string(), "< 5");
//! assert_eq!(Masked::count(3, false).to_string(), "3");
//! assert_eq!(Masked::count(0, true).to_string(), "0");
//! ```

use std::fmt;

use serde::{Serialize, Serializer};

/// Counts strictly below this (and above zero) are masked when masking is on.
pub const SMALL_COUNT_LIMIT: u64 = 5;

/// True when `count` must be masked.
pub fn is_small(count: u64, masking: bool) -> bool {
    masking && count > 0 && count < SMALL_COUNT_LIMIT
}

/// A published figure: a value, or masked for small counts. Serialises as a number, or the
/// string `"< 5"` when masked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Masked<T> {
    Value(T),
    Small,
}

impl Masked<u64> {
    pub fn count(count: u64, masking: bool) -> Masked<u64> {
        if is_small(count, masking) {
            Masked::Small
        } else {
            Masked::Value(count)
        }
    }
}

impl<T: Copy> Masked<T> {
    /// A figure derived from `count`: masked when the count is.
    pub fn derived(value: T, count: u64, masking: bool) -> Masked<T> {
        if is_small(count, masking) {
            Masked::Small
        } else {
            Masked::Value(value)
        }
    }

    pub fn value(&self) -> Option<T> {
        match self {
            Masked::Value(v) => Some(*v),
            Masked::Small => None,
        }
    }
}

impl<T: Serialize> Serialize for Masked<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Masked::Value(v) => v.serialize(s),
            Masked::Small => s.serialize_str("< 5"),
        }
    }
}

impl<T: fmt::Display> fmt::Display for Masked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Masked::Value(v) => v.fmt(f),
            Masked::Small => f.write_str("< 5"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_one_to_four_only() {
        let shown: Vec<String> = (0..7).map(|n| Masked::count(n, true).to_string()).collect();
        assert_eq!(shown, ["0", "< 5", "< 5", "< 5", "< 5", "5", "6"]);
        assert_eq!(Masked::derived(2.5, 4, true), Masked::Small);
        assert_eq!(Masked::derived(2.5, 4, false), Masked::Value(2.5));
        assert_eq!(
            serde_json::to_string(&Masked::count(2, true)).unwrap(),
            "\"< 5\""
        );
        assert_eq!(
            serde_json::to_string(&Masked::count(12, true)).unwrap(),
            "12"
        );
    }
}
