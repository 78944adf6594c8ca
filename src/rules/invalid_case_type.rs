//! A003: a case type HQ does not accept.
use crate::diagnostic::{Diagnostic, Place};
use crate::index::Index;
use crate::model::{ModuleKind, Name, Sp};
use crate::source::FileId;

declare_rule! {
    /// ### What it does
    /// Reports a case type that does not match `^[\w-]+$` (letters, digits, `_`, `-`),
    /// or `commcare-user` (the user case) as the case type of a module, or opened by
    /// a form, outside an advanced module. Checked wherever a case type is written:
    /// modules, `opens`, `updates` and `shared_case_types` (any form may update the
    /// user case, as HQ's `usercase_update` does).
    ///
    /// ### Why is this bad
    /// HQ rejects such case types (`CASE_TYPE_REGEX` in app_manager); the user case
    /// `commcare-user` can only be loaded by advanced modules.
    ///
    /// caseshare agrees with HQ (`app_manager/util.py:is_valid_case_type`, enforced when
    /// a module's case type is set).
    ///
    /// ### Example
    /// ```yaml
    /// modules:
    ///   - name: Pregnancy
    ///     case_type: pregnant woman
    /// ```
    ///
    /// ### Use instead
    /// ```yaml
    /// modules:
    ///   - name: Pregnancy
    ///     case_type: pregnant_woman
    /// ```
    pub static RULE = "A003", "invalid-case-type", Error, Project, summary = "a case type not matching `^[\\w-]+$`, or `commcare-user` outside an advanced module";
}

/// Whether HQ accepts the string as a case type (`^[\w-]+$`, Unicode `\w`).
pub fn valid_case_type(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

pub(super) fn check(ix: &Index, out: &mut Vec<Diagnostic>) {
    for facts in &ix.apps {
        let file = facts.app.file;
        for m in &facts.modules_in_order {
            if let Some(ct) = &m.case_type {
                report(out, file, ct, m.kind == ModuleKind::Advanced);
            }
        }
        for (m, f) in &facts.forms {
            for ct in f.opens.iter().filter_map(|o| o.case_type.as_ref()) {
                report(out, file, ct, m.kind == ModuleKind::Advanced);
            }
            // HQ lets any form update the user case (`usercase_update`).
            for ct in &f.updates {
                report(out, file, ct, true);
            }
        }
    }
    for s in &ix.def.shared_case_types {
        report(out, ix.def.file, &s.case_type, true);
    }
}

fn report(out: &mut Vec<Diagnostic>, file: FileId, ct: &Sp<Name>, advanced: bool) {
    if !valid_case_type(&ct.value) {
        let fixed: String =
            ct.value.trim().chars().map(|c| if c.is_alphanumeric() || c == '-' { c } else { '_' }).collect();
        out.push(
            Diagnostic::new(
                &RULE,
                Place::new(file, ct.span()),
                format!("case type `{}` has characters HQ does not allow", ct.value),
            )
            .label("only letters, digits, `_` and `-`")
            .help(format!("rename it, e.g. `{fixed}`, in every app that uses it")),
        );
    } else if ct.value == "commcare-user" && !advanced {
        out.push(
            Diagnostic::new(
                &RULE,
                Place::new(file, ct.span()),
                "case type `commcare-user` is the user case, allowed only in advanced modules",
            )
            .label("outside an advanced module")
            .help("use `kind: advanced` for this module, or another case type"),
        );
    }
}
