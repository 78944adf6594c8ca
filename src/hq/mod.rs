//! CommCare HQ interop: app source exports to `apps/*.yaml` ([`app`]), the
//! bulk user workbook to and from `users/` and `groups/` ([`users`]), and the
//! bulk location workbook to and from `locations/` and project.yaml's
//! `location_types` ([`locations`]). The functions here read the inputs and plan
//! the files as [`Change`]s; the writer writes them.

pub mod app;
pub mod bounds;
pub mod locations;
pub mod users;

use std::path::{Path, PathBuf};

use crate::project::Project;
use crate::source::FileKind;
use crate::write::Change;

/// Why an import or export could not be done.
#[derive(Debug, thiserror::Error)]
pub enum HqError {
    #[error("cannot read `{}`: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("`{}`: {source}", path.display())]
    App { path: PathBuf, source: app::ImportError },
    #[error("`{}`: {source}", path.display())]
    Workbook { path: PathBuf, source: users::WorkbookError },
    #[error("`{}`: {source}", path.display())]
    OverCap { path: PathBuf, source: bounds::OverCap },
    #[error("some {0} files do not load; run `caseshare check` and fix them first")]
    NotLoaded(&'static str),
    #[error("no `project.yaml` in `{}`: the location types go into it; create the project first (`caseshare init`)", .0.display())]
    NoProject(PathBuf),
    #[error("`{}`: {source}", path.display())]
    ProjectYaml { path: PathBuf, source: locations::ProjectYamlError },
    /// Why the project cannot be written as HQ's workbook, one line each.
    #[error("cannot export the locations:\n{}", .0.join("\n"))]
    Unexportable(Vec<String>),
}

/// What an import plans, and what the user should know about it.
#[derive(Debug)]
pub struct Import {
    pub changes: Vec<Change>,
    /// Warnings and notes, one line each.
    pub notes: Vec<String>,
}

/// HQ app source exports to `apps/<slug>.yaml` under `project`.
pub fn import_apps(files: &[PathBuf], project: &Path) -> Result<Import, HqError> {
    let mut out = Import { changes: Vec::new(), notes: Vec::new() };
    for file in files {
        let len = std::fs::metadata(file).map_err(|source| HqError::Read { path: file.clone(), source })?.len();
        bounds::file_size(len, bounds::MAX_APP_EXPORT_BYTES)
            .map_err(|source| HqError::OverCap { path: file.clone(), source })?;
        let text = std::fs::read_to_string(file).map_err(|source| HqError::Read { path: file.clone(), source })?;
        let source = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
        let imported = app::import(&text, &source).map_err(|source| HqError::App { path: file.clone(), source })?;
        out.notes.extend(imported.warnings.iter().map(|w| format!("warning: {}: {w}", file.display())));
        let rel = format!("apps/{}.yaml", imported.slug);
        out.changes.push(planned(project, &rel, imported.yaml)?);
    }
    out.changes.retain(changes_something);
    Ok(out)
}

/// An HQ bulk user workbook to `users/hq-users.yaml` and `groups/hq-groups.yaml`.
pub fn import_users(file: &Path, project: &Path) -> Result<Import, HqError> {
    let len = std::fs::metadata(file).map_err(|source| HqError::Read { path: file.to_path_buf(), source })?.len();
    bounds::file_size(len, bounds::MAX_WORKBOOK_BYTES)
        .map_err(|source| HqError::OverCap { path: file.to_path_buf(), source })?;
    let bytes = std::fs::read(file).map_err(|source| HqError::Read { path: file.to_path_buf(), source })?;
    let domain = project_domain(project);
    let sheets = users::read_xlsx_for(&bytes, domain.as_deref())
        .map_err(|source| HqError::Workbook { path: file.to_path_buf(), source })?;
    let notes = sheets
        .left_out
        .iter()
        .map(|c| format!("note: column {c} has no place in the definitions and is left out"))
        .collect();
    let source = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
    let (users, groups) = users::to_yaml(&sheets, &source);
    let mut changes =
        vec![planned(project, "users/hq-users.yaml", users)?, planned(project, "groups/hq-groups.yaml", groups)?];
    changes.retain(changes_something);
    Ok(Import { changes, notes })
}

/// The project's users and groups as an HQ bulk user workbook, with the numbers
/// of users and groups in it.
pub fn export_users(project: &Project) -> Result<(Vec<u8>, usize, usize), HqError> {
    if project.kind_failed(FileKind::Users) || project.kind_failed(FileKind::Groups) {
        return Err(HqError::NotLoaded("users or groups"));
    }
    let sheets = users::from_project(project);
    let bytes = users::write_xlsx(&sheets)
        .map_err(|source| HqError::Workbook { path: PathBuf::from("the workbook"), source })?;
    Ok((bytes, sheets.users.len(), sheets.groups.len()))
}

/// The file an import of HQ's bulk location workbook writes the locations to.
pub const HQ_LOCATIONS_FILE: &str = "locations/hq-locations.yaml";

/// An HQ bulk location workbook to `locations/hq-locations.yaml` and the
/// `location_types` of `project.yaml` (which must be there).
pub fn import_locations(file: &Path, project: &Path) -> Result<Import, HqError> {
    let len = std::fs::metadata(file).map_err(|source| HqError::Read { path: file.to_path_buf(), source })?.len();
    bounds::file_size(len, bounds::MAX_WORKBOOK_BYTES)
        .map_err(|source| HqError::OverCap { path: file.to_path_buf(), source })?;
    let project_yaml = project.join("project.yaml");
    let text = match std::fs::read(&project_yaml) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| HqError::ProjectYaml {
            path: project_yaml.clone(),
            source: locations::ProjectYamlError::NotLoaded,
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(HqError::NoProject(project.to_path_buf())),
        Err(source) => return Err(HqError::Read { path: project_yaml, source }),
    };
    let bytes = std::fs::read(file).map_err(|source| HqError::Read { path: file.to_path_buf(), source })?;
    let sheets =
        locations::read_xlsx(&bytes).map_err(|source| HqError::Workbook { path: file.to_path_buf(), source })?;
    let notes = sheets.left_out.iter().map(|l| format!("note: {l}")).collect();
    let source = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
    let mut changes = vec![planned(project, HQ_LOCATIONS_FILE, locations::to_yaml(&sheets, &source))?];
    let with_types = locations::with_location_types(&text, &locations::type_defs(&sheets))
        .map_err(|source| HqError::ProjectYaml { path: project_yaml, source })?;
    if let Some(after) = with_types {
        changes.push(planned(project, "project.yaml", after)?);
    }
    changes.retain(changes_something);
    Ok(Import { changes, notes })
}

/// The project's location types and locations as an HQ bulk location workbook.
#[derive(Debug)]
pub struct LocationsExport {
    pub bytes: Vec<u8>,
    pub types: usize,
    pub locations: usize,
    /// Notes for the user, one line each.
    pub notes: Vec<String>,
}

/// The project's location types and locations as an HQ bulk location workbook.
pub fn export_locations(project: &Project) -> Result<LocationsExport, HqError> {
    if project.def.is_none() || project.kind_failed(FileKind::Project) || project.kind_failed(FileKind::Locations) {
        return Err(HqError::NotLoaded("project or locations"));
    }
    let (sheets, notes) = locations::from_project(project).map_err(HqError::Unexportable)?;
    let bytes = locations::write_xlsx(&sheets)
        .map_err(|source| HqError::Workbook { path: PathBuf::from("the workbook"), source })?;
    Ok(LocationsExport { bytes, types: sheets.types.len(), locations: sheets.locations.len(), notes })
}

/// The project space (`domain`) of the project at `project`, when its
/// `project.yaml` names one.
fn project_domain(project: &Path) -> Option<String> {
    let text = std::fs::read_to_string(project.join("project.yaml")).ok()?;
    let root = crate::yaml::parse(&text).ok()?;
    let entries = root.as_map()?;
    entries.iter().find(|(k, _)| k.as_str() == Some("domain")).and_then(|(_, v)| v.as_str()).map(str::to_string)
}

fn changes_something(c: &Change) -> bool {
    c.before.as_deref() != Some(c.after.as_str())
}

/// The change that writes `rel` under `project`, shown as that path.
fn planned(project: &Path, rel: &str, after: String) -> Result<Change, HqError> {
    let abs = project.join(rel);
    let display = abs.display().to_string();
    Change::to(abs.clone(), rel, display, after).map_err(|source| HqError::Read { path: abs, source })
}
