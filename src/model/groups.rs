//! `groups/<file>.yaml`: groups, a list under `groups:`.

use super::{Conv, Fields, Sp};
use crate::source::{FileId, Span};

/// A group of users; with case sharing on, its members share one case list.
#[derive(Debug, Clone)]
pub struct Group {
    pub file: FileId,
    /// Unique in the project.
    pub name: Sp<String>,
    /// The HQ group id, if known.
    pub id: Option<Sp<String>>,
    /// The group setting "Case Sharing" (default false).
    pub case_sharing: Option<Sp<bool>>,
    pub reporting: bool,
    /// Usernames.
    pub members: Vec<Sp<String>>,
    pub span: Span,
}

impl Group {
    pub fn case_sharing(&self) -> bool {
        self.case_sharing.as_ref().is_some_and(|s| s.value)
    }
}

const KEYS: &[&str] = &["name", "id", "case_sharing", "reporting", "members"];

pub fn convert(cx: &mut Conv<'_>, mut f: Fields<'_>) -> Vec<Group> {
    f.entry("format_version");
    if f.get("groups").is_none() {
        cx.missing(&f, "groups", "a groups file");
    }
    let items = cx.list(&mut f, "groups");
    let mut out = Vec::with_capacity(items.len());
    for node in items {
        let Some(mut m) = cx.map(node, "a group") else { continue };
        let name = cx.required_string(&mut m, "name", "a group");
        let id = cx.opt_string(&mut m, "id");
        let case_sharing = cx.boolean(&mut m, "case_sharing");
        let reporting = cx.boolean(&mut m, "reporting").is_none_or(|b| b.value);
        let members = cx.string_list(&mut m, "members");
        cx.finish(m, KEYS);
        if let Some(name) = name {
            out.push(Group {
                file: cx.file,
                name,
                id,
                case_sharing,
                reporting,
                members,
                span: node.span.clone(),
            });
        }
    }
    cx.finish(f, &["format_version", "groups"]);
    out
}
