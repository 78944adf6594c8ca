//! Hash maps for names read from the project: foldhash instead of SipHash, still
//! seeded per process, so that crafted names cannot force collisions cheaply.

/// A hash map keyed by names from the project.
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// A hash set of names from the project.
pub type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

use std::hash::BuildHasher;

/// Positions in a list, found by the name of the item there: a hash table that
/// stores only the 4-byte position (the names stay in the list), where a map
/// from name to position would store a 16-byte name reference beside each. For
/// half a million users that is 5 MB instead of 26.
#[derive(Debug, Default, Clone)]
pub struct NameTable {
    table: hashbrown::HashTable<u32>,
    state: foldhash::fast::RandomState,
}

impl NameTable {
    pub fn with_capacity(n: usize) -> NameTable {
        NameTable { table: hashbrown::HashTable::with_capacity(n), state: Default::default() }
    }

    /// The position of `name`; `key` gives the name at a position (as the table
    /// compares names: folded, for names HQ folds).
    pub fn find<K: AsRef<str>>(&self, name: &str, key: impl Fn(u32) -> K) -> Option<u32> {
        let hash = self.state.hash_one(name);
        self.table.find(hash, |&i| key(i).as_ref() == name).copied()
    }

    /// The position of `name` if it is there; else records it at `position`
    /// (`None`). One hash either way.
    pub fn find_or_insert<K: AsRef<str>>(&mut self, name: &str, position: u32, key: impl Fn(u32) -> K) -> Option<u32> {
        let hash = self.state.hash_one(name);
        let state = &self.state;
        match self.table.entry(hash, |&i| key(i).as_ref() == name, |&i| state.hash_one(key(i).as_ref())) {
            hashbrown::hash_table::Entry::Occupied(o) => Some(*o.get()),
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(position);
                None
            }
        }
    }

    /// Records `name` at `position` (the name must not be there yet).
    pub fn insert<K: AsRef<str>>(&mut self, name: &str, position: u32, key: impl Fn(u32) -> K) {
        let hash = self.state.hash_one(name);
        let state = &self.state;
        self.table.insert_unique(hash, position, |&i| state.hash_one(key(i).as_ref()));
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}
