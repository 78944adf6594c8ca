//! How HQ compares names: two usernames, or two location site codes, that fold
//! alike are one in HQ. Usernames without `@` are lowercased with white space as
//! `.` (`users/util.py:format_username`); site codes are lowercased on upload and
//! looked up with `site_code__iexact`. Group names, roles, apps and case types are
//! compared as written.
//!
//! Both return the name itself, without allocating, when it is already folded
//! (nearly always): the index folds every username and code it reads.

use std::borrow::Cow;

/// A username as HQ keeps it: trimmed; without `@`, white space runs as one `.`
/// and lowercase. A mobile worker's full username, `maria@<domain>.commcarehq.org`,
/// is `maria` (`users/util.py:raw_username`; a project's users are all of its
/// one domain). Any other address is kept as it is.
pub fn username(name: &str) -> Cow<'_, str> {
    let plain = |b: u8| !(b.is_ascii_uppercase() || b.is_ascii_whitespace() || b >= 0x80 || b == b'@');
    if name.bytes().all(plain) {
        return Cow::Borrowed(name);
    }
    let raw = name.trim();
    if let Some((local, host)) = raw.rsplit_once('@') {
        const HQ: &str = ".commcarehq.org";
        let mobile = host.len() > HQ.len()
            && host.is_char_boundary(host.len() - HQ.len())
            && host[host.len() - HQ.len()..].eq_ignore_ascii_case(HQ);
        if mobile && !local.is_empty() && !local.contains('@') {
            return Cow::Owned(username(local).into_owned());
        }
        return Cow::Borrowed(raw);
    }
    Cow::Owned(raw.split_whitespace().collect::<Vec<_>>().join(".").to_lowercase())
}

/// A location site code as HQ keeps it: lowercase.
pub fn site_code(code: &str) -> Cow<'_, str> {
    if code.bytes().all(|b| !(b.is_ascii_uppercase() || b >= 0x80)) {
        return Cow::Borrowed(code);
    }
    Cow::Owned(code.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_fold_as_hq_folds_them() {
        assert_eq!(username("david"), "david");
        assert!(matches!(username("david"), Cow::Borrowed(_)));
        assert_eq!(username("David"), "david");
        assert_eq!(username(" Amina  B "), "amina.b");
        assert_eq!(username("Amina@demo.commcarehq.org"), "amina");
        assert_eq!(username("amina@Demo.CommCareHQ.org"), "amina");
        assert_eq!(username("Amina@example.org"), "Amina@example.org");
        assert_eq!(username("@demo.commcarehq.org"), "@demo.commcarehq.org");
        assert_eq!(username("ÉLISE"), "élise");
    }

    #[test]
    fn site_codes_fold_to_lowercase() {
        assert_eq!(site_code("s1"), "s1");
        assert!(matches!(site_code("s1"), Cow::Borrowed(_)));
        assert_eq!(site_code("S1"), "s1");
        assert_eq!(site_code("Kisumu-Ä"), "kisumu-ä");
    }
}
