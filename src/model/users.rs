//! `users/<file>.yaml`: mobile workers, a list under `users:`.

use super::{Conv, Fields, Sp, top_list};
use crate::source::{FileId, Span};

/// A mobile worker.
#[derive(Debug, Clone)]
pub struct User {
    pub file: FileId,
    /// Unique in the project.
    pub username: Sp<String>,
    /// A key of `project.yaml` roles; a user with no role reaches every app.
    pub role: Option<Sp<String>>,
    /// Location codes.
    pub locations: Vec<Sp<String>>,
    /// Inactive users are not checked for membership (default true).
    pub is_active: bool,
    /// `role`, `locations` or `is_active` was reported: owner rules skip the user.
    pub doubt: bool,
    pub span: Span,
}

const KEYS: &[&str] = &["username", "role", "locations", "is_active"];

/// The users of a file, and whether its `users:` list was there to read.
pub fn convert(cx: &mut Conv<'_>, f: Fields<'_>) -> (Vec<User>, bool) {
    top_list(cx, f, "users", "a user", |cx, mut m, node| {
        let username = cx.required_string(&mut m, "username", "a user");
        let role = cx.opt_string(&mut m, "role");
        let locations = cx.string_list(&mut m, "locations");
        let is_active = cx.boolean(&mut m, "is_active").is_none_or(|b| b.value);
        cx.finish(m, KEYS);
        let doubt = cx.take_trouble().iter().any(|k| matches!(k.as_str(), "role" | "locations" | "is_active"));
        Some(User { file: cx.file, username: username?, role, locations, is_active, doubt, span: node.span.clone() })
    })
}
