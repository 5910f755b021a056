//! Values read from a database row, kept while the row's `updated_at` stays the same.
use std::hash::Hash;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::kept::Kept;

/// The most entries kept; past it the cache starts over.
const CAPACITY: usize = 10_000;

/// Values by key, each with the `updated_at` of the row it was read for. A caller that
/// has just read a row's `updated_at` asks for the value of that version and gets it,
/// or nothing (never an older or newer version).
#[derive(Debug)]
pub struct StampedCache<K, V>(Kept<K, (DateTime<Utc>, Arc<V>)>);

impl<K: Eq + Hash, V> Default for StampedCache<K, V> {
    fn default() -> Self {
        Self(Kept::new(CAPACITY))
    }
}

impl<K: Eq + Hash, V> StampedCache<K, V> {
    /// The value kept for `key` as of the row version `stamp`.
    pub fn get(&self, key: &K, stamp: DateTime<Utc>) -> Option<Arc<V>> {
        self.0
            .get(key)
            .filter(|(kept, _)| *kept == stamp)
            .map(|(_, value)| value)
    }

    /// Keeps `value`, read from the row version `stamp` (or after it), for `key`.
    pub fn put(&self, key: K, stamp: DateTime<Utc>, value: Arc<V>) {
        self.0.put(key, (stamp, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_given_only_for_the_row_version_it_was_kept_for() {
        let cache = StampedCache::default();
        let (first, second) = (DateTime::UNIX_EPOCH, Utc::now());
        cache.put(1, first, Arc::new("old"));
        assert_eq!(cache.get(&1, first).as_deref(), Some(&"old"));
        assert_eq!(cache.get(&1, second), None);
        assert_eq!(cache.get(&2, first), None);
        cache.put(1, second, Arc::new("new"));
        assert_eq!(cache.get(&1, second).as_deref(), Some(&"new"));
        assert_eq!(cache.get(&1, first), None);
    }
}
