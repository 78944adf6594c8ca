//! A005: a module whose forms use cases but which has no case type.
use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;
use crate::model::Requires;

declare_rule! {
    /// ### What it does
    /// Reports a module with no `case_type` (a survey module) whose forms follow up
    /// cases (`requires: case`), update cases, or open cases.
    ///
    /// ### Why is this bad
    /// HQ refuses to build it: "uses cases but doesn't have a case type defined".
    ///
    /// caseshare agrees with HQ (`app_manager/helpers/validators.py`:
    /// `ModuleBaseValidator.get_case_errors`).
    ///
    /// ### Example
    /// ```yaml
    /// modules:
    ///   - name: Pregnancy
    ///     forms:
    ///       - {name: Register pregnancy, opens: [{}]}
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// modules:
    ///   - name: Pregnancy
    ///     case_type: pregnancy
    ///     forms:
    ///       - {name: Register pregnancy, opens: [{}]}
    /// ```
    pub static RULE = "A005", "module-without-case-type", Error, Project, summary = "a module whose forms open or update cases but which has no case type";
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    for facts in &ix.apps {
        let app = facts.app;
        for m in &facts.modules_in_order {
            if facts.module_case_type(m).is_some() || m.source_module.is_some() {
                continue;
            }
            let offending = m.forms.iter().find_map(|f| {
                if f.requires == Requires::Case {
                    return Some((f.span.clone(), "this form follows up a case".to_string()));
                }
                if let Some(u) = f.updates.first() {
                    return Some((u.span(), "this form updates cases".to_string()));
                }
                f.opens.first().map(|o| (o.span.clone(), "this form opens a case".to_string()))
            });
            if let Some((span, why)) = offending {
                let at = m.name.as_ref().map_or(m.span.clone(), |n| n.span());
                out.push(
                    Diagnostic::new(
                        &RULE,
                        Place::new(app.file, at),
                        format!("module `{}` uses cases but has no case type", m.id.value),
                    )
                    .label("no `case_type`")
                    .also(Place::new(app.file, span), why)
                    .help("add `case_type:` to the module"),
                );
            }
        }
    }
}
