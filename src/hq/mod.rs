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
    #[error(transparent)]
    Project(#[from] crate::Error),
    #[error(
        "`{0}`: the import must change members there, but cannot edit the layout of its `members` lists; write each as `[a, b]` or one `- name` a line"
    )]
    MembersLayout(String),
    #[error(
        "the import writes {what}s to `{file}`, but {} of its {what}s {} defined in other files already: {}{}; move {} into `{file}`, or remove {}, and import again",
        found.len(), if found.len() == 1 { "is" } else { "are" },
        found.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
        if found.len() > 5 { format!(" and {} more", found.len() - 5) } else { String::new() },
        if found.len() == 1 { "it" } else { "them" }, if found.len() == 1 { "it" } else { "them" }
    )]
    DefinedElsewhere { file: &'static str, what: &'static str, found: Vec<String> },
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
        // Two apps of one run named alike (HQ allows it) get two files.
        let stems = (1..).map(|n| if n == 1 { imported.slug.clone() } else { format!("{}-{n}", imported.slug) });
        let rel = stems
            .map(|stem| format!("apps/{stem}.yaml"))
            .find(|rel| out.changes.iter().all(|c| c.rel != *rel))
            .unwrap_or_default();
        if rel != format!("apps/{}.yaml", imported.slug) {
            out.notes.push(format!(
                "note: {}: another app of this import is named alike, so this one is written to `{rel}`",
                file.display()
            ));
        }
        out.changes.push(planned(project, &rel, imported.yaml)?);
    }
    out.changes.retain(changes_something);
    Ok(out)
}

/// An HQ bulk user workbook to `users/hq-users.yaml` and `groups/hq-groups.yaml`,
/// as HQ's upload takes it: a group a row names must be in the workbook's
/// `groups` sheet or in `groups/`, and each row replaces that user's groups, in
/// other groups files too.
pub fn import_users(file: &Path, project: &Path) -> Result<Import, HqError> {
    let len = std::fs::metadata(file).map_err(|source| HqError::Read { path: file.to_path_buf(), source })?.len();
    bounds::file_size(len, bounds::MAX_WORKBOOK_BYTES)
        .map_err(|source| HqError::OverCap { path: file.to_path_buf(), source })?;
    let bytes = std::fs::read(file).map_err(|source| HqError::Read { path: file.to_path_buf(), source })?;
    let domain = project_domain(project);
    let (existing, texts, elsewhere) = project_groups(project)?;
    let names: Vec<&str> = existing.iter().map(|g| g.group.name.as_str()).collect();
    let sheets = users::read_xlsx_in(&bytes, domain.as_deref(), &names)
        .map_err(|source| HqError::Workbook { path: file.to_path_buf(), source })?;
    let mut notes: Vec<String> = sheets
        .left_out
        .iter()
        .map(|c| format!("note: column {c} has no place in the definitions and is left out"))
        .chain(sheets.notes.iter().map(|n| format!("note: {n}")))
        .collect();
    notes.push(
        "note: as in HQ's upload, each row replaces that user's groups with those of its `group` columns \
         (a row with none takes the user out of every group)"
            .to_string(),
    );
    // A user of the workbook defined in another file would be defined twice
    // (D001): the import writes its users to one file of its own.
    let twice = sheets.users.iter().filter_map(|u| {
        elsewhere.get(crate::fold::username(&u.username).as_ref()).map(|f| (u.username.as_str(), f.as_str()))
    });
    not_defined_elsewhere(HQ_USERS_FILE, "user", twice)?;
    let plan = users::plan_groups(&sheets, &existing);
    let source = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
    let (users, groups) = users::to_yaml_planned(&sheets, &source, &plan);
    let mut changes =
        vec![planned(project, HQ_USERS_FILE, users)?, planned(project, users::IMPORT_GROUPS_FILE, groups)?];
    let mut files: Vec<&str> = plan.elsewhere.iter().map(|c| c.file.as_str()).collect();
    files.dedup();
    for rel in files {
        let edits: Vec<&users::MemberChange> = plan.elsewhere.iter().filter(|c| c.file == rel).collect();
        let text = texts.iter().find(|(f, _)| f == rel).map(|(_, t)| t.as_str()).unwrap_or_default();
        let after = users::member_edits(text, &edits).ok_or_else(|| HqError::MembersLayout(rel.to_string()))?;
        changes.push(planned(project, rel, after)?);
        for c in edits {
            for m in &c.remove {
                notes.push(format!("note: `{m}` leaves group `{}` ({rel}): their row does not name it", c.group));
            }
            for m in &c.add {
                notes.push(format!("note: `{m}` joins group `{}` ({rel}), as their row names it", c.group));
            }
        }
    }
    for (group, rel) in &plan.defined_elsewhere {
        // HQ's upload sets each listed group's settings from its row: one
        // that differs from the file's is told, not kept silently.
        let row = sheets.groups.iter().find(|g| g.name == *group);
        let there = existing.iter().find(|e| e.group.name == *group && e.file == *rel);
        if let (Some(row), Some(there)) = (row, there) {
            let yes_no = |b: bool| if b { "yes" } else { "no" };
            for (what, key, sheet, file) in [
                ("case sharing", "case_sharing", row.case_sharing, there.group.case_sharing),
                ("reporting", "reporting", row.reporting, there.group.reporting),
            ] {
                if sheet != file {
                    notes.push(format!(
                        "warning: group `{group}`: the sheet says {what} {}, as HQ's upload will set it, but `{rel}` says {}; \
                         the import keeps the file's: set `{key}: {sheet}` there to match HQ",
                        yes_no(sheet),
                        yes_no(file)
                    ));
                }
            }
        }
        notes.push(format!(
            "note: group `{group}` of sheet `groups` is defined in `{rel}`: its members there follow the rows, \
             its settings there are kept"
        ));
    }
    changes.retain(changes_something);
    Ok(Import { changes, notes })
}

/// Refuses an import whose `what`s (name, the other file that defines it)
/// other files define already: it writes them to `file`, which would define
/// them twice (D001).
fn not_defined_elsewhere<'a>(
    file: &'static str,
    what: &'static str,
    twice: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), HqError> {
    let mut twice: Vec<(&str, &str)> = twice.collect();
    if twice.is_empty() {
        return Ok(());
    }
    twice.sort_by_key(|&(_, f)| f);
    Err(HqError::DefinedElsewhere { file, what, found: twice.iter().map(|(n, f)| format!("`{n}` ({f})")).collect() })
}

/// The texts of a project's groups files: (path relative to the root, text).
type GroupsTexts = Vec<(String, String)>;

/// The users the project defines outside the file an import writes them to:
/// each username as HQ folds it, and its file.
type UsersElsewhere = std::collections::HashMap<String, String>;

/// The groups the project at `project` defines (none when it has no
/// `project.yaml` yet), the texts of its groups files, and its users defined
/// outside `users/hq-users.yaml`.
fn project_groups(project: &Path) -> Result<(Vec<users::ProjectGroup>, GroupsTexts, UsersElsewhere), HqError> {
    if !project.join("project.yaml").is_file() {
        return Ok((Vec::new(), Vec::new(), UsersElsewhere::new()));
    }
    let config = crate::config::Config::load(project)?;
    // Read whole (not streamed): the texts of the groups files are edited.
    let (loaded, _, _) = crate::load::load(crate::read::read_project(project, project, &config));
    if loaded.kind_failed(FileKind::Groups) || loaded.kind_failed(FileKind::Users) {
        return Err(HqError::NotLoaded("users or groups"));
    }
    let groups = loaded
        .groups
        .iter()
        .map(|g| users::ProjectGroup {
            group: users::GroupRow {
                id: g.id.as_ref().map(|i| i.value.to_string()),
                name: g.name.value.to_string(),
                case_sharing: g.case_sharing(),
                reporting: g.reporting,
            },
            members: g.members.iter().map(|m| m.value.to_string()).collect(),
            file: loaded.files[g.file].rel.clone(),
        })
        .collect();
    let texts = loaded
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Groups)
        .map(|f| (f.rel.clone(), f.text.to_string()))
        .collect();
    let users = loaded
        .users
        .iter()
        .map(|u| (crate::fold::username(&u.username.value).into_owned(), loaded.files[u.file].rel.clone()))
        .filter(|(_, rel)| rel != HQ_USERS_FILE)
        .collect();
    Ok((groups, texts, users))
}

/// A workbook `export hq-users` writes, and what the user must know of it.
#[derive(Debug)]
pub struct UsersExport {
    pub bytes: Vec<u8>,
    pub users: usize,
    pub groups: usize,
    /// What to do before uploading it, one line each.
    pub notes: Vec<String>,
}

/// The project's users and groups as an HQ bulk user workbook.
pub fn export_users(project: &Project) -> Result<UsersExport, HqError> {
    if project.kind_failed(FileKind::Users) || project.kind_failed(FileKind::Groups) {
        return Err(HqError::NotLoaded("users or groups"));
    }
    let sheets = users::from_project(project);
    let bytes = users::write_xlsx(&sheets)
        .map_err(|source| HqError::Workbook { path: PathBuf::from("the workbook"), source })?;
    Ok(UsersExport {
        bytes,
        users: sheets.users.len(),
        groups: sheets.groups.len(),
        notes: users::export_notes(&sheets),
    })
}

/// The file an import of HQ's bulk user workbook writes the users to.
pub const HQ_USERS_FILE: &str = "users/hq-users.yaml";

/// The file an import of HQ's bulk location workbook writes the locations to.
pub const HQ_LOCATIONS_FILE: &str = "locations/hq-locations.yaml";

/// An HQ bulk location workbook to `locations/hq-locations.yaml` and the
/// `location_types` of `project.yaml` (which must be there).
pub fn import_locations(file: &Path, project: &Path) -> Result<Import, HqError> {
    let len = std::fs::metadata(file).map_err(|source| HqError::Read { path: file.to_path_buf(), source })?.len();
    bounds::file_size(len, bounds::MAX_WORKBOOK_BYTES)
        .map_err(|source| HqError::OverCap { path: file.to_path_buf(), source })?;
    let project_yaml = project.join("project.yaml");
    let text = match crate::read::within(project, &project_yaml) {
        Ok(Some(bytes)) => String::from_utf8(bytes).map_err(|_| HqError::ProjectYaml {
            path: project_yaml.clone(),
            source: locations::ProjectYamlError::NotLoaded,
        })?,
        Ok(None) => return Err(HqError::NoProject(project.to_path_buf())),
        Err(source) => return Err(HqError::Read { path: project_yaml, source }),
    };
    let bytes = std::fs::read(file).map_err(|source| HqError::Read { path: file.to_path_buf(), source })?;
    let sheets =
        locations::read_xlsx(&bytes).map_err(|source| HqError::Workbook { path: file.to_path_buf(), source })?;
    // A location of the workbook defined in another file would be defined
    // twice (D001): the import writes its locations to one file of its own.
    // Only the locations files are read for it, not the whole project.
    let config = crate::config::Config::load(project)?;
    let mut listing = crate::read::list(project, project, &config);
    listing.entries.retain(|(e, _)| e.kind == FileKind::Locations && e.rel != HQ_LOCATIONS_FILE);
    let (defined, _, _) = crate::load::load_listing(listing);
    let elsewhere: std::collections::HashMap<String, &str> = defined
        .locations
        .iter()
        .map(|l| (crate::fold::site_code(&l.code.value).into_owned(), defined.files[l.file].rel.as_str()))
        .collect();
    let twice =
        sheets.locations.iter().filter_map(|l| elsewhere.get(l.site_code.as_str()).map(|f| (l.site_code.as_str(), *f)));
    not_defined_elsewhere(HQ_LOCATIONS_FILE, "location", twice)?;
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
    let bytes = crate::read::within(project, &project.join("project.yaml")).ok()??;
    let text = String::from_utf8(bytes).ok()?;
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
    Change::to(project, abs.clone(), rel, display, after).map_err(|source| HqError::Read { path: abs, source })
}

/// A new sheet of `book` named `name`, with `headers` in its first row.
pub(crate) fn headed_sheet<'b>(
    book: &'b mut rust_xlsxwriter::Workbook,
    name: &str,
    headers: impl IntoIterator<Item = impl AsRef<str>>,
) -> Result<&'b mut rust_xlsxwriter::Worksheet, rust_xlsxwriter::XlsxError> {
    let sheet = book.add_worksheet_with_low_memory()?;
    sheet.set_name(name)?;
    for (c, h) in headers.into_iter().enumerate() {
        sheet.write_string(0, c as u16, h.as_ref())?;
    }
    Ok(sheet)
}
