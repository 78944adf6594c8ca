//! `users/<file>.yaml`: mobile workers, a list under `users:`.

use schemars::JsonSchema;

use super::{Conv, Fields, FormatVersion, Name, Sp, top_list};
use crate::source::FileId;

/// `users/<file>.yaml`: mobile workers.
#[derive(Debug, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "caseshare users")]
pub struct UsersFile {
    pub format_version: FormatVersion,
    /// The mobile workers this file defines; usernames are unique in the project.
    pub users: Vec<User>,
}

/// A mobile worker.
#[derive(Debug, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = super::Optional(&["locations", "is_active"]))]
pub struct User {
    #[schemars(skip)]
    pub file: FileId,
    /// The username, unique in the project.
    #[schemars(example = &"david")]
    pub username: Sp<Name>,
    /// The HQ user id (`user_id` in HQ's bulk user workbook), if known: with it,
    /// the workbook of `caseshare export hq-users` updates the user in HQ.
    // Boxed: few users carry one, and every user pays for the field's size (on
    // the huge benchmark, 16 MB unboxed and 30 MB more peak memory in all).
    pub id: Option<Box<Sp<Name>>>,
    /// A role of project.yaml's `roles`; a user with no role can reach every app.
    #[schemars(example = &"chw")]
    pub role: Option<Sp<Name>>,
    /// Codes of the locations the user is assigned to.
    pub locations: Box<[Sp<Name>]>,
    /// Inactive users are not checked for case sharing membership.
    #[schemars(extend("default" = true))]
    pub is_active: bool,
    /// `role`, `locations` or `is_active` was reported: owner rules skip the user.
    #[schemars(skip)]
    pub doubt: bool,
}

/// The keys of the file itself.
pub const FILE_KEYS: &[&str] = &["format_version", "users"];
pub const KEYS: &[&str] = &["username", "id", "role", "locations", "is_active"];

/// The users of a file, and whether its `users:` list was there to read.
pub fn convert(cx: &mut Conv<'_>, f: Fields<'_>) -> (Vec<User>, bool) {
    top_list(cx, f, "users", |cx, mut m| {
        let username = cx.required_string(&mut m, "username");
        let id = cx.opt_string(&mut m, "id").map(Box::new);
        let role = cx.opt_string(&mut m, "role");
        let locations = cx.string_list(&mut m, "locations");
        let is_active = cx.boolean(&mut m, "is_active").is_none_or(|b| b.value);
        cx.finish(m, KEYS);
        let doubt = cx.take_trouble().iter().any(|k| matches!(k.as_str(), "role" | "locations" | "is_active"));
        Some(User {
            file: cx.file,
            username: username?,
            id,
            role,
            locations: locations.into_boxed_slice(),
            is_active,
            doubt,
        })
    })
}

#[cfg(test)]
mod tests {
    /// A project holds one per user (half a million on the benchmark's huge
    /// project): a field that every user pays for shows here first. Past 128 KB,
    /// a file's list of 1,000 users also leaves mimalloc's binned sizes, which cost
    /// the huge check 30 MB once (an unboxed HQ user id).
    #[test]
    fn a_user_stays_small() {
        assert!(std::mem::size_of::<super::User>() <= 96, "{} bytes", std::mem::size_of::<super::User>());
    }
}
