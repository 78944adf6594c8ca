//! L001: location types or locations form a parent cycle.
use std::borrow::Cow;
use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Place};
use crate::fold;
use crate::index::Index;
use crate::source::{FileId, Span};

declare_rule! {
    /// ### What it does
    /// Follows `parent` from every location type in `project.yaml` and from every
    /// location, and reports each cycle once.
    ///
    /// ### Why is this bad
    /// A hierarchy with a cycle has no top: HQ rejects the upload, and case owners
    /// below a `view_descendants` level cannot be counted.
    ///
    /// For location types caseshare agrees with HQ
    /// (`locations/bulk_management.py:LocationTreeValidator._validate_types_tree`:
    /// "Location Type '…' has a parentage that loops"). HQ has no check for a cycle of
    /// locations, which cannot pass L002 in an acyclic type tree; caseshare reports it
    /// all the same, once.
    ///
    /// ### Example
    /// ```yaml
    /// location_types:
    ///   - {name: district, parent: village}
    ///   - {name: village, parent: district}
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// location_types:
    ///   - {name: district}
    ///   - {name: village, parent: district}
    /// ```
    pub static RULE = "L001", "location-cycle", Error, Project, summary = "location types or locations form a parent cycle";
}

/// A node of a parent graph: its name as written, where its `parent` is
/// written, the parent as written and as compared (site codes fold as in HQ).
struct Link<'a> {
    name: &'a str,
    file: FileId,
    parent_span: Span,
    parent: &'a str,
    parent_key: Cow<'a, str>,
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    // First definitions only (D001 reports the others).
    let types: Vec<(Cow<str>, Link)> = ix
        .def
        .location_types
        .iter()
        .filter(|t| ix.location_types.get(t.name.as_str()).is_some_and(|first| std::ptr::eq(*first, *t)))
        .filter_map(|t| {
            let p = t.parent.as_ref()?;
            let link = Link {
                name: t.name.as_str(),
                file: ix.def.file,
                parent_span: p.span(),
                parent: p.as_str(),
                parent_key: Cow::Borrowed(p.as_str()),
            };
            Some((Cow::Borrowed(t.name.as_str()), link))
        })
        .collect();
    report_cycles(out, "location types", &types);
    let locations: Vec<(Cow<str>, Link)> = ix
        .locations
        .iter()
        .filter_map(|l| {
            let p = l.parent.as_ref()?;
            let link = Link {
                name: l.code.as_str(),
                file: l.file,
                parent_span: p.span(),
                parent: p.as_str(),
                parent_key: fold::site_code(p.as_str()),
            };
            Some((fold::site_code(l.code.as_str()), link))
        })
        .collect();
    report_cycles(out, "locations", &locations);
}

fn report_cycles(out: &mut Vec<Diagnostic>, what: &str, links: &[(Cow<str>, Link)]) {
    let by_name: HashMap<&str, &Link> = links.iter().map(|(n, l)| (&**n, l)).collect();
    // 0 = unseen, 1 = on the current walk, 2 = done.
    let mut state: HashMap<&str, u8> = HashMap::with_capacity(links.len());
    for (start, _) in links {
        if state.contains_key(&**start) {
            continue;
        }
        let mut walk: Vec<&str> = Vec::new();
        let mut cur: &str = start;
        loop {
            match state.get(cur) {
                Some(1) => {
                    let from = walk.iter().position(|n| *n == cur).unwrap_or(0);
                    report(out, what, &walk[from..], &by_name);
                    break;
                }
                Some(_) => break,
                None => {}
            }
            state.insert(cur, 1);
            walk.push(cur);
            match by_name.get(cur) {
                Some(link) => cur = &link.parent_key,
                None => break,
            }
        }
        for n in walk {
            state.insert(n, 2);
        }
    }
}

fn report(out: &mut Vec<Diagnostic>, what: &str, cycle: &[&str], by_name: &HashMap<&str, &Link>) {
    let Some(first) = cycle.first().and_then(|n| by_name.get(n)) else {
        return;
    };
    let mut names: Vec<&str> = cycle.iter().map(|n| by_name.get(n).map_or(*n, |l| l.name)).collect();
    names.push(names[0]);
    let mut d = Diagnostic::new(
        &RULE,
        Place::new(first.file, first.parent_span.clone()),
        format!("{what} form a parent cycle: {}", names.join(" → ")),
    )
    .label(format!("`{}` has parent `{}`", first.name, first.parent))
    .help("remove one `parent` so the hierarchy has a top");
    for n in &cycle[1..] {
        if let Some(link) = by_name.get(n) {
            let also = format!("`{}` has parent `{}`", link.name, link.parent);
            d = d.also(Place::new(link.file, link.parent_span.clone()), also);
        }
    }
    out.push(d);
}
