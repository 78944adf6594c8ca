//! A004: child/extension relationships between case types form a cycle.
use std::collections::{HashMap, HashSet};

use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;
use crate::model::Relationship;

declare_rule! {
    /// ### What it does
    /// Follows every `opens` entry with `relationship: child` or `extension` (the new
    /// case's parent is a case of the module's type) across all apps, and reports a
    /// cycle of case types: `a` under `b` under `a`. A case type under itself
    /// (a household member of a household member) is not a cycle.
    ///
    /// ### Why is this bad
    /// Case list parent selection between these types never ends, and the phone
    /// refuses cases that index each other in a cycle (commcare-core's
    /// `CasePurgeFilter`).
    ///
    /// caseshare is stricter than HQ: HQ builds such apps; its "circular" check is
    /// on the chain of modules that select a parent case
    /// (`app_manager/util.py:module_case_hierarchy_has_circular_reference`), not on
    /// case types.
    ///
    /// ### Example
    /// ```yaml
    /// modules:
    ///   - name: Mothers
    ///     case_type: mother
    ///     forms: [{name: Add child, requires: case, opens: [{case_type: child}]}]
    ///   - name: Children
    ///     case_type: child
    ///     forms: [{name: Add mother, requires: case, opens: [{case_type: mother}]}]
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// modules:
    ///   - name: Mothers
    ///     case_type: mother
    ///     forms: [{name: Add child, requires: case, opens: [{case_type: child}]}]
    ///   - name: Children
    ///     case_type: child
    ///     forms: [{name: Visit, requires: case}]
    /// ```
    pub static RULE = "A004", "case-hierarchy-cycle", Error, Project, summary = "child/extension relationships between case types form a cycle";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    // child type → [(parent type, where the relationship is declared)]
    let mut edges: HashMap<&str, Vec<(&str, Place)>> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for facts in &ix.apps {
        for c in &facts.creations {
            let (Some(child), Some(parent)) = (c.case_type, c.module_case_type) else {
                continue;
            };
            if c.relationship == Relationship::None || child == parent {
                continue;
            }
            let span = c.opens.case_type.as_ref().map_or(c.opens.span.clone(), |t| t.span());
            let list = edges.entry(child).or_default();
            if list.is_empty() {
                order.push(child);
            }
            if !list.iter().any(|(p, _)| *p == parent) {
                list.push((parent, Place::new(facts.app.file, span)));
            }
        }
    }
    let mut done: HashSet<&str> = HashSet::new();
    // Case types already in a reported cycle: a tangle of cycles is one mistake.
    let mut reported: HashSet<&str> = HashSet::new();
    for &start in &order {
        if done.contains(start) {
            continue;
        }
        // Depth-first walk; each type is entered once over all walks.
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        let mut on_path: HashSet<&str> = HashSet::from([start]);
        while let Some(&(node, next)) = path.last() {
            let succ = edges.get(node).and_then(|e| e.get(next));
            let Some((parent, _)) = succ else {
                on_path.remove(node);
                done.insert(node);
                path.pop();
                continue;
            };
            if let Some(top) = path.last_mut() {
                top.1 += 1;
            }
            if on_path.contains(parent) {
                let from = path.iter().position(|(n, _)| n == parent).unwrap_or(0);
                let cycle = &path[from..];
                if cycle.iter().all(|(n, _)| !reported.contains(n)) {
                    reported.extend(cycle.iter().map(|(n, _)| *n));
                    report(out, &edges, cycle);
                }
            } else if !done.contains(parent) {
                on_path.insert(parent);
                path.push((parent, 0));
            }
        }
    }
}

fn report(out: &mut Vec<Diagnostic>, edges: &HashMap<&str, Vec<(&str, Place)>>, cycle: &[(&str, usize)]) {
    // Each (node, next) in the cycle used edge `next - 1` to reach the following node.
    let steps: Vec<(&str, &str, &Place)> = cycle
        .iter()
        .filter_map(|(n, next)| {
            edges.get(n).and_then(|e| e.get(next.wrapping_sub(1))).map(|(p, place)| (*n, *p, place))
        })
        .collect();
    let Some(&(first_child, first_parent, first_place)) = steps.first() else {
        return;
    };
    let mut names: Vec<&str> = steps.iter().map(|s| s.0).collect();
    names.push(first_child);
    let mut d = Diagnostic::new(&RULE, first_place.clone(), format!("case types form a cycle: {}", names.join(" → ")))
        .label(format!("`{first_child}` opened as a child of `{first_parent}`"))
        .help(
            "break the cycle: open one of these cases with `relationship: none`, or from a module of another case type",
        );
    for &(child, parent, place) in &steps[1..] {
        d = d.also(place.clone(), format!("`{child}` opened as a child of `{parent}`"));
    }
    out.push(d);
}
