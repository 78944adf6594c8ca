//! `locations/<file>.yaml`: the location tree, a list under `locations:`.

use super::{Conv, Fields, Sp};
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

/// The locations of a file, and whether its `locations:` list was there to read (when
/// not, names it may define are not reported as unknown elsewhere).
pub fn convert(cx: &mut Conv<'_>, mut f: Fields<'_>) -> (Vec<Location>, bool) {
    f.entry("format_version");
    if f.get("locations").is_none() {
        cx.missing(&f, "locations", "a locations file");
    }
    let complete = matches!(f.get("locations").map(|n| &n.value), Some(crate::yaml::Value::Seq(_)));
    let items = cx.list(&mut f, "locations");
    let mut out = Vec::with_capacity(items.len());
    for node in items {
        let Some(mut m) = cx.map(node, "a location") else {
            continue;
        };
        let code = cx.required_string(&mut m, "code", "a location");
        let name = cx.required_string(&mut m, "name", "a location");
        let location_type = cx.required_string(&mut m, "type", "a location");
        let parent = cx.opt_string(&mut m, "parent");
        cx.finish(m, KEYS);
        if let Some(code) = code {
            out.push(Location { file: cx.file, code, name, location_type, parent });
        }
    }
    cx.finish(f, &["format_version", "locations"]);
    (out, complete)
}
