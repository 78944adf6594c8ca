//! `locations/<file>.yaml`: the location tree, a list under `locations:`.

use schemars::JsonSchema;

use super::{Conv, Fields, FormatVersion, Name, Sp, top_list};
use crate::source::FileId;

/// `locations/<file>.yaml`: the location tree.
#[derive(Debug, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "caseshare locations")]
pub struct LocationsFile {
    pub format_version: FormatVersion,
    /// The locations this file defines; codes are unique in the project.
    pub locations: Vec<Location>,
}

/// A place in the organisation's hierarchy.
#[derive(Debug, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    #[schemars(skip)]
    pub file: FileId,
    /// The location code, unique in the project.
    #[schemars(example = &"village-a")]
    pub code: Sp<Name>,
    /// The location's name, as HQ shows it.
    #[schemars(required, example = &"Village A")]
    pub name: Option<Sp<Name>>,
    /// A location type of project.yaml's `location_types`.
    #[serde(rename = "type")]
    #[schemars(required, example = &"village")]
    pub location_type: Option<Sp<Name>>,
    /// The code of the parent location, of the type's parent type.
    pub parent: Option<Sp<Name>>,
}

/// The keys of the file itself.
pub const FILE_KEYS: &[&str] = &["format_version", "locations"];
pub const KEYS: &[&str] = &["code", "name", "type", "parent"];

/// The locations of a file, and whether its `locations:` list was there to read.
pub fn convert(cx: &mut Conv<'_>, f: Fields<'_>) -> (Vec<Location>, bool) {
    top_list(cx, f, "locations", |cx, mut m| {
        let code = cx.required_string(&mut m, "code");
        let name = cx.required_string(&mut m, "name");
        let location_type = cx.required_string(&mut m, "type");
        let parent = cx.opt_string(&mut m, "parent");
        cx.finish(m, KEYS);
        Some(Location { file: cx.file, code: code?, name, location_type, parent })
    })
}
