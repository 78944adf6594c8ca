//! `locations/<file>.yaml`: the location tree, a list under `locations:`.

use super::{Conv, Fields, Sp, top_list};
use crate::source::FileId;

/// A place in the organisation's hierarchy.
#[derive(Debug, Clone)]
pub struct Location {
    pub file: FileId,
    /// Unique in the project.
    pub code: Sp<String>,
    pub name: Option<Sp<String>>,
    /// A `location_types` name from project.yaml; `None` when it was reported.
    pub location_type: Option<Sp<String>>,
    /// The parent location's code.
    pub parent: Option<Sp<String>>,
}

const KEYS: &[&str] = &["code", "name", "type", "parent"];

/// The locations of a file, and whether its `locations:` list was there to read.
pub fn convert(cx: &mut Conv<'_>, f: Fields<'_>) -> (Vec<Location>, bool) {
    top_list(cx, f, "locations", "a location", |cx, mut m, _| {
        let code = cx.required_string(&mut m, "code", "a location");
        let name = cx.required_string(&mut m, "name", "a location");
        let location_type = cx.required_string(&mut m, "type", "a location");
        let parent = cx.opt_string(&mut m, "parent");
        cx.finish(m, KEYS);
        Some(Location { file: cx.file, code: code?, name, location_type, parent })
    })
}
