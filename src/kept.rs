//! A bounded map of values read or worked out once and kept for reuse: the facility
//! and rules caches, the zones' VTIMEZONEs, the parsed GraphQL queries.
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{RwLock, RwLockReadGuard};

/// Values by key, at most `capacity` of them; past it, all are dropped and the map fills
/// again.
#[derive(Debug)]
pub struct Kept<K, V> {
    map: RwLock<HashMap<K, V>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> Kept<K, V> {
    /// An empty map that keeps at most `capacity` values.
    pub fn new(capacity: usize) -> Self {
        Self {
            map: RwLock::default(),
            capacity,
        }
    }

    /// The value kept for `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.read().get(key).cloned()
    }

    /// Keeps `value` for `key`.
    pub fn put(&self, key: K, value: V) {
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(key, value);
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<K, V>> {
        self.map.read().unwrap_or_else(|p| p.into_inner())
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.read().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_its_capacity_the_map_starts_over() {
        let kept = Kept::new(2);
        kept.put("a", 1);
        kept.put("b", 2);
        assert_eq!((kept.get("a"), kept.get("b")), (Some(1), Some(2)));
        kept.put("c", 3);
        assert_eq!((kept.get("a"), kept.get("c")), (None, Some(3)));
    }
}
