//! "Did you mean" over large name sets without comparing every pair: a name and
//! a typo meet when one of them, or each, less one character, reads as the
//! other (symmetric delete, case left out). Two names within edit distance 2
//! that differ by a single edit on each side always meet; the candidates are
//! then ranked by edit distance and Jaro-Winkler similarity (strsim).
//!
//! The typos are few and the names many (half a million usernames): the typos'
//! variants are what is indexed, and the names pass by once, each hashed with
//! its one-character deletions in one sweep (a polynomial hash modulo the
//! prime 2^61 − 1 with a base drawn per run, prefix and suffix: modulo 2^64,
//! Thue–Morse strings collide whatever the base), so that nothing is built per
//! name. An index of the names' variants
//! took 240 MB and 1.3 s on the `huge` benchmark project for one unknown member;
//! the sweep takes neither memory nor more than a few tens of milliseconds.

use std::hash::BuildHasher;

use crate::hash::Map;

/// Names longer than this are only matched case-insensitively.
const MAX_INDEXED_CHARS: usize = 64;

/// The words of the queries' filter (64 × 64 bits).
const FILTER_WORDS: usize = 64;

/// The polynomial hash's modulus: the Mersenne prime 2^61 − 1.
const MODULUS: u64 = (1 << 61) - 1;

/// `a · b` modulo [`MODULUS`] (both below it).
fn mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    let r = ((p as u64) & MODULUS) + ((p >> 61) as u64);
    if r >= MODULUS { r - MODULUS } else { r }
}

/// `a + b` modulo [`MODULUS`] (both below it).
fn add(a: u64, b: u64) -> u64 {
    let r = a + b;
    if r >= MODULUS { r - MODULUS } else { r }
}

/// The hashes of a name's variants: the name in lowercase and, unless it is
/// longer than [`MAX_INDEXED_CHARS`], each of its one-character deletions.
struct Variants {
    /// The polynomial's base, drawn per run below the modulus, so that names
    /// cannot be made to collide ahead of time.
    base: u64,
    chars: Vec<u32>,
    /// `prefix[i]`: the hash of the first `i` characters.
    prefix: Vec<u64>,
    /// `suffix[i]`: the hash of the characters from `i` on; `power[k]` is base^k.
    suffix: Vec<u64>,
    power: Vec<u64>,
    out: Vec<u64>,
}

impl Variants {
    fn new() -> Variants {
        let base = foldhash::fast::RandomState::default().hash_one(0x6e65_6172_u64) % (MODULUS - 256) + 256;
        Variants { base, chars: Vec::new(), prefix: Vec::new(), suffix: Vec::new(), power: vec![1], out: Vec::new() }
    }

    /// The number of characters of `name` in lowercase.
    fn lowered_len(name: &str) -> usize {
        if name.is_ascii() { name.len() } else { name.chars().flat_map(char::to_lowercase).count() }
    }

    /// A hash of `len` characters whose polynomial is `h`, spread over the bits.
    fn finish(h: u64, len: usize) -> u64 {
        // splitmix64's finalizer over the polynomial and the length.
        let mut z = h ^ (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The variants of `name` (a variant may come twice: `aab` less either `a`).
    fn of(&mut self, name: &str) -> &[u64] {
        self.chars.clear();
        if name.is_ascii() {
            self.chars.extend(name.bytes().map(|b| u32::from(b.to_ascii_lowercase())));
        } else {
            self.chars.extend(name.chars().flat_map(char::to_lowercase).map(u32::from));
        }
        let n = self.chars.len();
        while self.power.len() <= n {
            let last = self.power[self.power.len() - 1];
            self.power.push(mul(last, self.base));
        }
        self.prefix.clear();
        self.prefix.push(0);
        for &c in &self.chars {
            let last = self.prefix[self.prefix.len() - 1];
            self.prefix.push(add(mul(last, self.base), u64::from(c) + 1));
        }
        self.out.clear();
        self.out.push(Self::finish(self.prefix[n], n));
        if n <= MAX_INDEXED_CHARS {
            self.suffix.clear();
            self.suffix.resize(n + 1, 0);
            for i in (0..n).rev() {
                self.suffix[i] = add(mul(u64::from(self.chars[i]) + 1, self.power[n - 1 - i]), self.suffix[i + 1]);
            }
            for skip in 0..n {
                // The characters before `skip`, shifted up past those after it.
                let h = add(mul(self.prefix[skip], self.power[n - 1 - skip]), self.suffix[skip + 1]);
                self.out.push(Self::finish(h, n - 1));
            }
        }
        &self.out
    }
}

/// For each query, the nearest of `names` other than the query itself, if one
/// is within edit distance 2: the names are read once, whatever the number of
/// queries.
pub fn nearest_each<'a>(names: impl IntoIterator<Item = &'a str>, queries: &[&str]) -> Vec<Option<&'a str>> {
    let mut best: Vec<Option<(usize, f64, &'a str)>> = vec![None; queries.len()];
    if queries.is_empty() {
        return Vec::new();
    }
    let mut variants = Variants::new();
    let lowered: Vec<String> = queries.iter().map(|q| q.to_lowercase()).collect();
    let mut by_variant: Map<u64, Vec<u32>> = Map::default();
    // The queries' variants as bits of a small filter, which most of the
    // names' variants fail before any lookup in the map.
    let mut filter = [0u64; FILTER_WORDS];
    let bit = |v: u64| ((v >> 58) as usize % FILTER_WORDS, 1u64 << (v & 63));
    // A name meets a query only if their lengths differ by one at most.
    let mut lengths: Vec<bool> = Vec::new();
    for (i, q) in queries.iter().enumerate() {
        for &v in variants.of(q) {
            let list = by_variant.entry(v).or_default();
            // Once per query (a variant may come twice).
            if list.last() != Some(&(i as u32)) {
                list.push(i as u32);
            }
            let (word, mask) = bit(v);
            filter[word] |= mask;
        }
        let n = Variants::lowered_len(q);
        if lengths.len() < n + 2 {
            lengths.resize(n + 2, false);
        }
        lengths[n.saturating_sub(1)..=n + 1].iter_mut().for_each(|l| *l = true);
    }
    let mut met: Vec<u32> = Vec::new();
    for name in names {
        if !lengths.get(Variants::lowered_len(name)).copied().unwrap_or(false) {
            continue;
        }
        met.clear();
        for &v in variants.of(name) {
            let (word, mask) = bit(v);
            if filter[word] & mask != 0 {
                met.extend(by_variant.get(&v).into_iter().flatten());
            }
        }
        if met.is_empty() {
            continue;
        }
        met.sort_unstable();
        met.dedup();
        let lower = name.to_lowercase();
        for &q in &met {
            let q = q as usize;
            if name == queries[q] {
                continue;
            }
            // A name longer than the indexed length meets a query only as the
            // same name in lowercase (its deletions are not indexed): compared
            // as such, not by edit distance, whose cost is the product of the
            // lengths (a crafted collision must cost no more than a compare).
            let long = [&lowered[q], &lower].iter().any(|s| s.chars().nth(MAX_INDEXED_CHARS).is_some());
            if long && lowered[q] != lower {
                continue;
            }
            let d = if long { 0 } else { strsim::levenshtein(&lowered[q], &lower) };
            if d > 2 {
                continue;
            }
            let jw = strsim::jaro_winkler(&lowered[q], &lower);
            let better = match best[q] {
                None => true,
                Some((bd, bj, bn)) => d < bd || (d == bd && (jw > bj || (jw == bj && name < bn))),
            };
            if better {
                best[q] = Some((d, jw, name));
            }
        }
    }
    best.into_iter().map(|b| b.map(|(_, _, n)| n)).collect()
}

/// The nearest of `names` to `query` ([`nearest_each`] for one query).
pub fn nearest<'a>(names: impl IntoIterator<Item = &'a str>, query: &str) -> Option<&'a str> {
    nearest_each(names, &[query]).pop().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_typos() {
        let names = ["david", "maria", "joseph", "village-a", "Émile"];
        let queries = ["davd", "Maria", "mraia", "vilage-a", "zebra", "david", "emile", "ÉMILE"];
        assert_eq!(
            nearest_each(names, &queries),
            [Some("david"), Some("maria"), Some("maria"), Some("village-a"), None, None, Some("Émile"), Some("Émile")]
        );
        assert_eq!(nearest(names, "josep"), Some("joseph"));
        // Past the indexed length, only the same name in another case is near.
        let long = "a".repeat(70);
        assert_eq!(nearest([long.as_str()], &"A".repeat(70)), Some(long.as_str()));
        assert_eq!(nearest([long.as_str()], &format!("{}b", "a".repeat(69))), None);
        assert_eq!(nearest_each(names, &[]), Vec::<Option<&str>>::new());
    }

    /// The variants as strings, as the index of names' variants made them.
    fn string_variants(name: &str) -> Vec<String> {
        let lower: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
        let mut out = vec![lower.iter().collect::<String>()];
        if lower.len() <= MAX_INDEXED_CHARS {
            for skip in 0..lower.len() {
                out.push(lower.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, c)| c).collect());
            }
        }
        out
    }

    /// Every pair compared: the names a query meets by their variants as
    /// strings, ranked as [`nearest_each`] ranks them.
    fn brute<'a>(names: &[&'a str], query: &str) -> Option<&'a str> {
        let qv = string_variants(query);
        let q = query.to_lowercase();
        let mut best: Option<(usize, f64, &str)> = None;
        for &name in names {
            if name == query || !string_variants(name).iter().any(|v| qv.contains(v)) {
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
        best.map(|(_, _, n)| n)
    }

    proptest! {
        /// The sweep finds what comparing every pair finds.
        #[test]
        fn the_sweep_finds_what_every_pair_finds(
            names in proptest::collection::vec("[abcAB\u{c9}\u{e9}\u{130}]{0,6}", 0..40),
            queries in proptest::collection::vec("[abcAB\u{c9}\u{e9}\u{130}]{0,6}", 1..8),
        ) {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
            let want: Vec<Option<&str>> = queries.iter().map(|q| brute(&names, q)).collect();
            prop_assert_eq!(nearest_each(names.iter().copied(), &queries), want);
        }
    }
}
