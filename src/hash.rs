//! Hash maps for names read from the project: foldhash instead of SipHash, still
//! seeded per process, so that crafted names cannot force collisions cheaply.

/// A hash map keyed by names from the project.
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// A hash set of names from the project.
pub type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
