//! L002: a location's parent is not of its type's parent type.
use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;

declare_rule! {
    /// ### What it does
    /// Checks each location against the hierarchy of `location_types`: its parent
    /// must be of its type's parent type; a location of a top-level type has no
    /// parent, and one of a lower type must have a parent.
    ///
    /// ### Why is this bad
    /// HQ rejects such a location tree on upload, and descendants seen through
    /// `view_descendants` would not be the ones intended.
    ///
    /// caseshare agrees with HQ
    /// (`locations/bulk_management.py:LocationTreeValidator._validate_location_tree`).
    ///
    /// ### Example
    /// ```yaml
    /// # village's parent type is district
    /// locations:
    ///   - {code: village-a, name: Village A, type: village}
    ///   - {code: village-b, name: Village B, type: village, parent: village-a}
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// locations:
    ///   - {code: district-1, name: District 1, type: district}
    ///   - {code: village-a, name: Village A, type: village, parent: district-1}
    /// ```
    pub static RULE = "L002", "location-parent-type", Error, Project, summary = "a location's parent is not of its type's parent type";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    for l in &ix.locations {
        let Some(ty) = l.location_type.as_ref().and_then(|t| ix.location_types.get(t.as_str())) else {
            continue;
        };
        let expected = ty.parent.as_ref().map(|p| p.as_str());
        let code = l.code.as_str();
        let ty_name = ty.name.as_str();
        match (&l.parent, expected) {
            (None, None) => {}
            (None, Some(p)) => out.push(
                Diagnostic::new(
                    &RULE,
                    Place::new(l.file, l.code.span()),
                    format!("location `{code}` of type `{ty_name}` has no parent"),
                )
                .label(format!("needs a parent of type `{p}`"))
                .also(Place::new(ix.def.file, ty.name.span()), format!("type `{ty_name}` has parent type `{p}`"))
                .help(format!("add `parent:` with the code of a `{p}` location")),
            ),
            (Some(parent), expected) => {
                let Some(parent_loc) = ix.location(parent.as_str()) else {
                    continue;
                };
                let Some(actual) = parent_loc.location_type.as_ref().map(|t| t.as_str()) else {
                    continue;
                };
                if Some(actual) == expected {
                    continue;
                }
                let (label, help) = match expected {
                    Some(p) => {
                        (format!("parent of type `{actual}`, not `{p}`"), format!("choose a parent of type `{p}`"))
                    }
                    None => (
                        format!("type `{ty_name}` is a top level type"),
                        "remove `parent`, or give the type a parent type".to_string(),
                    ),
                };
                out.push(
                    Diagnostic::new(
                        &RULE,
                        Place::new(l.file, parent.span()),
                        format!(
                            "location `{code}` of type `{ty_name}` has parent `{}` of type `{actual}`",
                            parent.value
                        ),
                    )
                    .label(label)
                    .also(Place::new(ix.def.file, ty.name.span()), format!("type `{ty_name}` is defined here"))
                    .help(help),
                );
            }
        }
    }
}
