//! "Did you mean" over large name sets without comparing every pair: names are
//! indexed by their one-character deletions (symmetric delete), so a typo finds
//! its candidates by hash lookups. Two names within edit distance 2 that differ
//! by a single edit on each side always meet; the candidates are then ranked by
//! edit distance and Jaro-Winkler similarity (strsim).

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// Names longer than this are only matched case-insensitively.
const MAX_INDEXED_CHARS: usize = 64;

pub struct NearIndex<'a> {
    names: Vec<&'a str>,
    by_variant: HashMap<u64, Vec<u32>>,
}

fn hash(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// The lowercase name and each of its one-character deletions, hashed.
fn variants(name: &str, out: &mut Vec<u64>) {
    out.clear();
    let lower: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    let whole: String = lower.iter().collect();
    out.push(hash(&whole));
    if lower.len() <= MAX_INDEXED_CHARS {
        let mut s = String::with_capacity(whole.len());
        for skip in 0..lower.len() {
            s.clear();
            s.extend(lower.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, c)| c));
            out.push(hash(&s));
        }
    }
    out.sort_unstable();
    out.dedup();
}

impl<'a> NearIndex<'a> {
    pub fn new(names: impl IntoIterator<Item = &'a str>) -> Self {
        let names: Vec<&str> = names.into_iter().collect();
        let mut by_variant: HashMap<u64, Vec<u32>> = HashMap::new();
        let mut buf = Vec::new();
        for (i, n) in names.iter().enumerate() {
            variants(n, &mut buf);
            for v in &buf {
                by_variant.entry(*v).or_default().push(i as u32);
            }
        }
        NearIndex { names, by_variant }
    }

    /// The nearest name other than `query` itself, if one is within edit distance 2.
    pub fn nearest(&self, query: &str) -> Option<&'a str> {
        let mut buf = Vec::new();
        variants(query, &mut buf);
        let q = query.to_lowercase();
        let mut best: Option<(usize, f64, &str)> = None;
        for v in &buf {
            for &i in self.by_variant.get(v).into_iter().flatten() {
                let name = self.names[i as usize];
                if name == query {
                    continue;
                }
                let lower = name.to_lowercase();
                let d = strsim::levenshtein(&q, &lower);
                if d > 2 {
                    continue;
                }
                let jw = strsim::jaro_winkler(&q, &lower);
                let better = match best {
                    None => true,
                    Some((bd, bj, bn)) => d < bd || (d == bd && (jw > bj || (jw == bj && name < bn))),
                };
                if better {
                    best = Some((d, jw, name));
                }
            }
        }
        best.map(|(_, _, n)| n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos() {
        let ix = NearIndex::new(["david", "maria", "joseph", "village-a"]);
        assert_eq!(ix.nearest("davd"), Some("david"));
        assert_eq!(ix.nearest("Maria"), Some("maria"));
        assert_eq!(ix.nearest("mraia"), Some("maria"));
        assert_eq!(ix.nearest("vilage-a"), Some("village-a"));
        assert_eq!(ix.nearest("zebra"), None);
        assert_eq!(ix.nearest("david"), None);
    }
}
