//! C002: case types of sharing apps that nearly match.
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;

declare_rule! {
    /// ### What it does
    /// Compares the case types used by apps with case sharing on, and reports two
    /// spellings used by different apps that differ only by letter case, by `-`, `_`
    /// or space, by a plural `s` (`pregnancy` / `pregnancies`), or by an edit
    /// distance of 1–2 (`referral` / `referal`; for case types of up to 40
    /// characters). One diagnostic per pair of spellings, labelled at a use of each.
    ///
    /// ### Why is this bad
    /// Case lists are shared by exact case type: "make sure the case type matches
    /// between all the modules you want to share case lists" (CommCare wiki). HQ
    /// checks nothing, so a near miss silently splits the list in two.
    ///
    /// A check HQ does not have.
    ///
    /// ### Example
    /// ```yaml
    /// # apps/chw.yaml:    modules: [{name: Referrals, case_type: referral}]
    /// # apps/clinic.yaml:
    /// modules:
    ///   - {name: Referrals, case_type: Referral}
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// modules:
    ///   - {name: Referrals, case_type: referral}
    /// ```
    pub static RULE = "C002", "case-type-near-miss", Warning, Project, summary = "two apps with case sharing on use case types that differ only by case, `-`/`_`/space, a plural `s`, or an edit distance of 1–2";
}

struct Spelling<'p> {
    text: &'p str,
    flat: String,
    apps: BTreeSet<usize>,
    first: Place,
    app: &'p str,
}

/// Case types longer than this (in characters, once flattened) are compared by
/// case, separators and plural only: the edit neighbourhood grows with the square
/// of the length.
const MAX_EDIT_CHARS: usize = 40;

fn hash(v: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// Lowercase without `-`, `_` and spaces.
fn flat(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, '-' | '_' | ' ')).flat_map(char::to_lowercase).collect()
}

/// `flat` in the singular.
fn singular(flat: &str) -> String {
    if let Some(stem) = flat.strip_suffix("ies").filter(|s| s.chars().count() >= 2) {
        format!("{stem}y")
    } else if flat.ends_with('s') && !flat.ends_with("ss") && flat.chars().count() > 2 {
        flat[..flat.len() - 1].to_string()
    } else {
        flat.to_string()
    }
}

/// The string with up to two characters deleted, every way (SymSpell's neighbourhood):
/// two strings within edit distance 2 share one of these.
fn deletions(s: &str, out: &mut Vec<String>) {
    let chars: Vec<char> = s.chars().collect();
    out.push(s.to_string());
    for i in 0..chars.len() {
        let one: String = chars.iter().enumerate().filter(|(k, _)| *k != i).map(|(_, c)| c).collect();
        out.push(one);
        for j in i + 1..chars.len() {
            out.push(chars.iter().enumerate().filter(|(k, _)| *k != i && *k != j).map(|(_, c)| c).collect());
        }
    }
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    let mut spellings: Vec<Spelling> = Vec::new();
    let mut by_text: HashMap<&str, usize> = HashMap::new();
    for (i, facts) in ix.apps.iter().enumerate().filter(|(_, f)| f.app.case_sharing()) {
        for u in &facts.uses {
            let k = *by_text.entry(u.case_type).or_insert_with(|| {
                spellings.push(Spelling {
                    text: u.case_type,
                    flat: flat(u.case_type),
                    apps: BTreeSet::new(),
                    first: u.place(),
                    app: facts.app.id.as_str(),
                });
                spellings.len() - 1
            });
            spellings[k].apps.insert(i);
        }
    }
    // Candidate pairs: same singular form, or a shared deletion variant (hashed;
    // a collision only costs a comparison).
    let mut buckets: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut variants = Vec::new();
    for (k, s) in spellings.iter().enumerate() {
        buckets.entry(hash(('s', singular(&s.flat)))).or_default().push(k);
        let len = s.flat.chars().count();
        if (3..=MAX_EDIT_CHARS).contains(&len) {
            variants.clear();
            deletions(&s.flat, &mut variants);
            variants.sort_unstable();
            variants.dedup();
            for v in &variants {
                buckets.entry(hash(('d', v))).or_default().push(k);
            }
        }
    }
    let mut pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
    for members in buckets.values().filter(|m| m.len() > 1) {
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                pairs.insert((a.min(b), a.max(b)));
            }
        }
    }
    for (a, b) in pairs {
        let (sa, sb) = (&spellings[a], &spellings[b]);
        let near = singular(&sa.flat) == singular(&sb.flat) || {
            let d = strsim::levenshtein(&sa.flat, &sb.flat);
            (1..=2).contains(&d)
        };
        let other_apps = sa.apps.iter().any(|x| sb.apps.iter().any(|y| x != y));
        if !near || !other_apps {
            continue;
        }
        // Label the later spelling; the first one is the reference.
        out.push(
            Diagnostic::new(
                &RULE,
                sb.first.clone(),
                format!("case type `{}` in app `{}` nearly matches `{}` in app `{}`", sb.text, sb.app, sa.text, sa.app),
            )
            .label(format!("`{}`", sb.text))
            .also(sa.first.clone(), format!("`{}` here", sa.text))
            .help(format!("use one spelling in every app that shares these cases, e.g. `{}`", sa.text)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_and_case_forms_meet() {
        assert_eq!(singular(&flat("Pregnancies")), singular(&flat("pregnancy")));
        assert_eq!(singular(&flat("birth-visits")), singular(&flat("Birth_Visit")));
        assert_ne!(singular(&flat("class")), singular(&flat("clas")));
    }
}
