//! `groups/<file>.yaml`: groups, a list under `groups:`.

use schemars::JsonSchema;

use super::{Conv, Fields, FormatVersion, Name, Sp, top_list};
use crate::source::FileId;
use crate::yaml::{Node, Value};

/// `groups/<file>.yaml`: groups of users.
#[derive(Debug, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "caseshare groups")]
pub struct GroupsFile {
    pub format_version: FormatVersion,
    /// The groups this file defines; group names are unique in the project.
    pub groups: Vec<Group>,
}

/// A group of users; with case sharing on, its members share one case list.
#[derive(Debug, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::Optional(&["reporting", "members"]))]
pub struct Group {
    #[schemars(skip)]
    pub file: FileId,
    /// The group's name, unique in the project.
    #[schemars(example = &"Village A")]
    pub name: Sp<Name>,
    /// The HQ group id, if known.
    pub id: Option<Sp<Name>>,
    /// The group setting "Case Sharing": members share one case list. A user who
    /// creates cases with an automatic owner must be in exactly one such group
    /// (or case-owning location).
    #[schemars(extend("default" = false))]
    pub case_sharing: Option<Sp<bool>>,
    /// Whether HQ's reports use the group.
    #[schemars(extend("default" = true))]
    pub reporting: bool,
    /// Usernames of the members.
    #[schemars(example = ["david", "maria"])]
    pub members: Vec<Sp<Name>>,
    /// `members` (or an entry of it) was reported: the scalars written there, users
    /// whose membership is in doubt.
    #[schemars(skip)]
    pub members_doubt: Option<Vec<String>>,
    /// `case_sharing` was reported (mistyped or misspelt).
    #[schemars(skip)]
    pub case_sharing_doubt: bool,
}

impl Group {
    pub fn case_sharing(&self) -> bool {
        self.case_sharing.as_ref().is_some_and(|s| s.value)
    }
}

/// The keys of the file itself.
pub const FILE_KEYS: &[&str] = &["format_version", "groups"];
pub const KEYS: &[&str] = &["name", "id", "case_sharing", "reporting", "members"];

/// The groups of a file, and whether its `groups:` list was there to read.
pub fn convert(cx: &mut Conv<'_>, f: Fields<'_>) -> (Vec<Group>, bool) {
    top_list(cx, f, "groups", |cx, mut m| {
        let name = cx.required_string(&mut m, "name");
        let id = cx.opt_string(&mut m, "id");
        let case_sharing = cx.boolean(&mut m, "case_sharing");
        let reporting = cx.boolean(&mut m, "reporting").is_none_or(|b| b.value);
        let members_node = m.get("members").or_else(|| m.misspelt("members", KEYS));
        let members = cx.string_list(&mut m, "members");
        cx.finish(m, KEYS);
        let trouble = cx.take_trouble();
        let members_doubt = trouble.iter().any(|k| k == "members").then(|| scalars(members_node, cx.text));
        let case_sharing_doubt = trouble.iter().any(|k| k == "case_sharing");
        Some(Group {
            file: cx.file,
            name: name?,
            id,
            case_sharing,
            reporting,
            members,
            members_doubt,
            case_sharing_doubt,
        })
    })
}

/// The scalars written in a node (a misshapen `members`), as usernames.
fn scalars(node: Option<&Node>, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack: Vec<&Node> = node.into_iter().collect();
    while let Some(n) = stack.pop() {
        match &n.value {
            Value::Seq(items) => stack.extend(items),
            Value::Map(entries) => stack.extend(entries.iter().flat_map(|(k, v)| [k, v])),
            Value::Str(s) => out.push(s.clone()),
            Value::Null => {}
            _ => out.push(n.source(text).trim().to_string()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::convert;
    use crate::model::Conv;
    use crate::source::FileId;

    /// A project holds tens of thousands of groups: a group's members take the
    /// room they need, not what a growing vector reserved.
    #[test]
    fn members_take_the_room_they_need() {
        let members: Vec<String> = (0..10).map(|i| format!("user{i:06}")).collect();
        let text = format!("format_version: 2\ngroups:\n  - name: Village 0\n    members: [{}]\n", members.join(", "));
        let root = crate::yaml::parse(&text).unwrap();
        let mut cx = Conv::new(FileId(0), &text);
        let fields = cx.map(&root).unwrap();
        let (groups, complete) = convert(&mut cx, fields);
        assert!(complete);
        let got = &groups[0].members;
        assert_eq!(got.iter().map(|m| m.value.as_str()).collect::<Vec<_>>(), members);
        assert_eq!(got.capacity(), got.len());
    }
}
