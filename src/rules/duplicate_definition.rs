//! D001: two definitions with one name. The index keeps the first of each name
//! and records the others ([`crate::index::Index::duplicates`]).
use crate::diagnostic::Diagnostic;
use crate::index::Index;

declare_rule! {
    /// ### What it does
    /// Reports a second definition of a name that must be unique: two apps with one
    /// id, two modules or two forms with one id in an app, two groups with one name,
    /// two users with one username, two locations with one code, two location types
    /// with one name. Usernames and location codes are compared as HQ compares
    /// them: `David` and `david` are one username (HQ lowercases usernames and
    /// writes white space as `.`), `KSM-01` and `ksm-01` one site code. The second
    /// is labelled, with a related note at the first.
    /// "First" is by file path (byte order), then position; only the first takes
    /// part in the other checks.
    ///
    /// ### Why is this bad
    /// HQ matches groups and users by name on upload ("Your spreadsheet has multiple
    /// groups called ... and only the first was processed"): the second definition is
    /// dropped, with its members.
    ///
    /// caseshare agrees with HQ on usernames (`users/util.py:format_username`), site
    /// codes (looked up `site_code__iexact`) and group names; app, module and form ids
    /// are caseshare's own names, which HQ does not have.
    ///
    /// ### Example
    /// ```yaml
    /// format_version: 2
    /// groups:
    ///   - {name: Village A, case_sharing: true, members: [david]}
    ///   - {name: Village A, case_sharing: true, members: [maria]}
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// format_version: 2
    /// groups:
    ///   - {name: Village A, case_sharing: true, members: [david, maria]}
    /// ```
    pub static RULE = "D001", "duplicate-definition", Error, Project, summary = "two apps with one id, two modules or forms with one id in an app, two groups with one name, two users with one username, two locations with one code";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    for d in &ix.duplicates {
        let first_file = &ix.project.files[d.first.file].display;
        let message = if d.first_name == d.name {
            format!("{} `{}` is defined twice", d.what, d.name)
        } else {
            format!("{} `{}` is defined twice: HQ takes it and `{}` for one", d.what, d.name, d.first_name)
        };
        out.push(
            Diagnostic::new(&RULE, d.again.clone(), message)
                .label("defined again here")
                .also(
                    d.first.clone(),
                    if d.first.file == d.again.file {
                        "first defined here".to_string()
                    } else {
                        format!("first defined here, in {first_file}")
                    },
                )
                .help("rename or remove one of the two; only the first takes part in the other checks"),
        );
    }
}
