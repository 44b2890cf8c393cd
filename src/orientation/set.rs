//! The loaded procedures: from a folder of `*.toml` files, or the demo ones embedded in the
//! binary. Reloading keeps, for every file that became broken, the version already in memory.
//!
//! ```
//! let dir = maillage::index::Directory::build(maillage::sources::demo::dataset().unwrap());
//! let (set, problems) = maillage::orientation::ProcedureSet::demo(&dir);
//! assert!(problems.iter().all(|p| !p.is_error()), "{problems:?}");
//! assert_eq!(set.len(), 3);
//! assert!(set.get("perte-autonomie-domicile").unwrap().sample);
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::check::{check, check_set};
use super::procedure::{parse, Problem, Procedure};
use crate::index::Directory;

/// The demo procedures, compiled into the binary.
pub const DEMO_FILES: [(&str, &str); 3] = [
    (
        "perte-autonomie-domicile.toml",
        include_str!("../../procedures/perte-autonomie-domicile.toml"),
    ),
    (
        "sans-medecin-traitant.toml",
        include_str!("../../procedures/sans-medecin-traitant.toml"),
    ),
    (
        "souffrance-psychique-adolescent.toml",
        include_str!("../../procedures/souffrance-psychique-adolescent.toml"),
    ),
];

/// The commented template of the format (valid against the demo data).
pub const TEMPLATE: &str = include_str!("../../procedures/MODELE.toml");

/// Where a set was loaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Nothing loaded.
    None,
    /// The demo procedures embedded in the binary.
    Embedded,
    /// A folder of procedure files.
    Folder(PathBuf),
}

/// Procedures in id order, with where they came from.
#[derive(Debug, Clone)]
pub struct ProcedureSet {
    procedures: Vec<Arc<Procedure>>,
    origin: Origin,
    /// Problems of the last load (errors and warnings).
    problems: Vec<Problem>,
}

/// A file that could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error(
        "{path}: lecture impossible : {}",
        crate::util::os_error::describe(source)
    )]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: dossier sans aucun fichier de procédure .toml")]
    Empty { path: String },
}

impl ProcedureSet {
    /// No procedure.
    pub fn empty() -> ProcedureSet {
        ProcedureSet {
            procedures: Vec::new(),
            origin: Origin::None,
            problems: Vec::new(),
        }
    }

    /// The embedded demo procedures, checked against `dir`.
    pub fn demo(dir: &Directory) -> (ProcedureSet, Vec<Problem>) {
        let files: Vec<(String, String)> = DEMO_FILES
            .iter()
            .map(|(n, t)| (format!("procedures/{n}"), t.to_string()))
            .collect();
        let (mut set, problems) = from_texts(files, dir, None);
        set.origin = Origin::Embedded;
        (set, problems)
    }

    /// Loads every `*.toml` file of a folder (not recursive; names starting with `_` or
    /// `MODELE` are skipped). A file with errors is left out, or, when `previous` holds a
    /// version of it, that version is kept; every problem is returned.
    pub fn load_folder(
        folder: &Path,
        dir: &Directory,
        previous: Option<&ProcedureSet>,
    ) -> Result<(ProcedureSet, Vec<Problem>), SetError> {
        let files = read_folder(folder)?;
        let (mut set, problems) = from_texts(files, dir, previous);
        set.origin = Origin::Folder(folder.to_path_buf());
        Ok((set, problems))
    }

    /// Loads procedure files given one by one (for `maillage procedures verifier FILE…`).
    pub fn load_files(
        paths: &[PathBuf],
        dir: &Directory,
    ) -> Result<(ProcedureSet, Vec<Problem>), SetError> {
        let mut files = Vec::new();
        for p in paths {
            let text = std::fs::read_to_string(p).map_err(|source| SetError::Io {
                path: p.display().to_string(),
                source,
            })?;
            files.push((p.display().to_string(), text));
        }
        Ok(from_texts(files, dir, None))
    }

    /// Reloads from the same origin, keeping the working version of any broken file.
    /// An embedded or empty set reloads to itself.
    pub fn reload(&self, dir: &Directory) -> Result<(ProcedureSet, Vec<Problem>), SetError> {
        match &self.origin {
            Origin::Folder(f) => ProcedureSet::load_folder(f, dir, Some(self)),
            Origin::Embedded => {
                let (set, problems) = ProcedureSet::demo(dir);
                Ok((set, problems))
            }
            Origin::None => Ok((self.clone(), Vec::new())),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Procedure> {
        self.procedures
            .binary_search_by(|p| p.id.as_str().cmp(id))
            .ok()
            .map(|i| self.procedures[i].as_ref())
    }

    /// Every procedure, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Procedure> {
        self.procedures.iter().map(Arc::as_ref)
    }

    pub fn len(&self) -> usize {
        self.procedures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.procedures.is_empty()
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Problems found by the load that made this set.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

fn read_folder(folder: &Path) -> Result<Vec<(String, String)>, SetError> {
    let io = |path: &Path, source| SetError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|e| io(folder, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('_') && !name.to_uppercase().starts_with("MODELE")
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(SetError::Empty {
            path: folder.display().to_string(),
        });
    }
    paths
        .into_iter()
        .map(|p| {
            std::fs::read_to_string(&p)
                .map(|t| (p.display().to_string(), t))
                .map_err(|e| io(&p, e))
        })
        .collect()
}

/// Parses and checks files, keeping previous versions of broken files.
fn from_texts(
    files: Vec<(String, String)>,
    dir: &Directory,
    previous: Option<&ProcedureSet>,
) -> (ProcedureSet, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut good: Vec<Procedure> = Vec::new();
    let mut broken: Vec<String> = Vec::new();
    for (name, text) in &files {
        match parse(text, name) {
            Ok(p) => {
                let found = check(&p, dir);
                let bad = found.iter().any(Problem::is_error);
                problems.extend(found);
                if bad {
                    broken.push(name.clone());
                } else {
                    good.push(p);
                }
            }
            Err(e) => {
                problems.extend(e);
                broken.push(name.clone());
            }
        }
    }
    // Set-level checks: a procedure in conflict with an earlier one is left out.
    let refs: Vec<&Procedure> = good.iter().collect();
    let set_problems = check_set(&refs, dir);
    let conflicting: Vec<String> = set_problems
        .iter()
        .filter(|p| p.is_error())
        .map(|p| p.file.clone())
        .collect();
    problems.extend(set_problems);
    good.retain(|p| !conflicting.contains(&p.file));
    broken.extend(conflicting);

    let mut kept: Vec<Arc<Procedure>> = good.into_iter().map(Arc::new).collect();
    if let Some(prev) = previous {
        let by_file: HashMap<&str, &Arc<Procedure>> = prev
            .procedures
            .iter()
            .map(|p| (p.file.as_str(), p))
            .collect();
        for name in &broken {
            if let Some(old) = by_file.get(name.as_str()) {
                if kept.iter().all(|p| p.id != old.id) {
                    problems.push(Problem::warning(
                        name,
                        1,
                        format!(
                            "fichier en erreur : la version précédente de « {} » (version {}) reste en service",
                            old.id, old.version
                        ),
                    ));
                    kept.push(Arc::clone(old));
                }
            }
        }
    }
    kept.sort_by(|a, b| a.id.cmp(&b.id));
    (
        ProcedureSet {
            procedures: kept,
            origin: Origin::None,
            problems: problems.clone(),
        },
        problems,
    )
}
