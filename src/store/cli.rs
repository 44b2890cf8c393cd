//! The store's commands: `partenaires`, `jetons`, `sauvegarde`, `restaurer`. Plain options and
//! run functions ([`run_partners`], [`run_tokens`], [`run_backup`], [`run_restore`]); the binary
//! parses the command line (`src/cli/`) and calls them. Every message is in French.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::import::ImportError;
use super::{backup, export, Author, Role, Store, StoreError, Validator};
use crate::sources::SourceError;

/// Default base file, in the working directory.
pub const DEFAULT_BASE: &str = "maillage.sqlite";

/// Errors of the store commands.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Load(#[from] crate::pipeline::LoadError),
    #[error("{0}")]
    Import(String),
    #[error("{path} : {}", crate::util::os_error::describe(source))]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
}

impl From<ImportError> for CliError {
    fn from(e: ImportError) -> CliError {
        match e {
            ImportError::Store(s) => CliError::Store(s),
            ImportError::File(d) => CliError::Import(d),
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// `maillage partenaires …`
#[derive(Debug)]
pub enum PartnersCmd {
    /// Imports a partner CSV file into the base (one transaction).
    Importer {
        /// The CSV file (format of data/partenaires-modele.csv).
        fichier: PathBuf,
        /// Preview only: reports added, changed, unchanged and rejected rows, writes nothing.
        apercu: bool,
        /// The partner base.
        base: PathBuf,
        /// Data directory for validation (kinds, communes); `None`: the demo.
        data: Option<PathBuf>,
    },
    /// Exports the partner directory.
    Exporter {
        format: ExportFormat,
        /// Output file; `None`: `out`.
        sortie: Option<PathBuf>,
        /// Includes the private fields (direct line, internal notes).
        prive: bool,
        /// Includes archived partners.
        archives: bool,
        base: PathBuf,
        data: Option<PathBuf>,
    },
}

/// Export formats of `partenaires exporter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Geojson,
    Hsds,
}

/// `maillage jetons …`
#[derive(Debug)]
pub enum TokensCmd {
    /// Creates a token and prints it once.
    Creer {
        /// Name of the person or tool (shown in the history).
        nom: String,
        /// `lecteur`, `editeur` or `admin`.
        role: String,
        base: PathBuf,
    },
    /// Lists the tokens (never their value).
    Lister { base: PathBuf },
    /// Revokes a token (number or name).
    Revoquer { jeton: String, base: PathBuf },
}

/// The server's validator for the data of `--data` (same kinds, communes and place resolver).
pub fn validator(data: Option<&Path>) -> Result<Validator, CliError> {
    let dir = crate::pipeline::directory(data, &mut std::io::sink())?;
    Ok(Validator::for_directory(&dir))
}

/// Runs `maillage partenaires …`; returns the process exit code (1 when rows were rejected).
pub fn run_partners(cmd: PartnersCmd, out: &mut dyn Write) -> Result<u8, CliError> {
    match cmd {
        PartnersCmd::Importer {
            fichier,
            apercu,
            base,
            data,
        } => {
            let bytes = std::fs::read(&fichier).map_err(io_err(&fichier))?;
            let v = validator(data.as_deref())?;
            let store = Store::open(&base)?;
            let name = fichier.display().to_string();
            let r = store.import_partners(&v, &bytes, &name, !apercu, &Author::cli())?;
            let w = |out: &mut dyn Write, s: String| {
                writeln!(out, "{s}").map_err(io_err(Path::new("sortie")))
            };
            w(
                out,
                format!(
                    "{} : {} ajouté(s), {} modifié(s), {} inchangé(s), {} rejeté(s){}",
                    name,
                    r.added.len(),
                    r.changed.len(),
                    r.unchanged.len(),
                    r.rejected.len(),
                    if r.applied {
                        format!(" ; enregistré dans {}", base.display())
                    } else {
                        " ; aperçu : rien n'a été écrit".into()
                    }
                ),
            )?;
            for a in &r.added {
                w(out, format!("  + ligne {} : {} ({})", a.line, a.nom, a.id))?;
            }
            for c in &r.changed {
                w(
                    out,
                    format!(
                        "  ~ ligne {} : {} ({}) : {}{}",
                        c.line,
                        c.nom,
                        c.id,
                        c.fields.join(", "),
                        if c.restores { " ; restauré" } else { "" }
                    ),
                )?;
            }
            for rej in &r.rejected {
                w(out, format!("  ✗ {rej}"))?;
            }
            for n in &r.notes {
                w(out, format!("  remarque : {n}"))?;
            }
            Ok(u8::from(!r.rejected.is_empty()))
        }
        PartnersCmd::Exporter {
            format,
            sortie,
            prive,
            archives,
            base,
            data,
        } => {
            let store = Store::open(&base)?;
            let partners = store.partners(archives)?;
            let mut buf = Vec::new();
            match format {
                ExportFormat::Csv => export::write_csv(&partners, prive, &mut buf)
                    .map_err(io_err(Path::new("export")))?,
                ExportFormat::Geojson => {
                    let v = validator(data.as_deref())?;
                    buf = export::geojson(&partners, &v, prive)
                        .to_string()
                        .into_bytes();
                }
                ExportFormat::Hsds => {
                    let v = validator(data.as_deref())?;
                    buf = serde_json::to_vec_pretty(&export::hsds(&partners, &v))
                        .map_err(|e| CliError::Usage(e.to_string()))?;
                }
            }
            deliver_export(sortie.as_deref(), &buf, partners.len(), out)?;
            Ok(0)
        }
    }
}

/// Writes an export of `count` partners to `sortie` (atomically, with a message on the error
/// output) or, without a file, to `out`.
pub fn deliver_export(
    sortie: Option<&Path>,
    buf: &[u8],
    count: usize,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match sortie {
        Some(path) => {
            write_atomic(path, buf)?;
            eprintln!("{count} partenaire(s) exporté(s) dans {}", path.display());
        }
        None => out.write_all(buf).map_err(io_err(Path::new("sortie")))?,
    }
    Ok(())
}

/// Writes a file atomically (see [`crate::util::fs`]).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    crate::util::fs::write_atomic(path, bytes).map_err(io_err(path))
}

/// Runs `maillage jetons …`.
pub fn run_tokens(cmd: TokensCmd, out: &mut dyn Write) -> Result<u8, CliError> {
    let w =
        |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(io_err(Path::new("sortie")));
    match cmd {
        TokensCmd::Creer { nom, role, base } => {
            let role = Role::parse(&role).ok_or_else(|| {
                CliError::Usage(format!(
                    "rôle « {role} » inconnu : lecteur, editeur ou admin attendu"
                ))
            })?;
            if nom.trim().is_empty() {
                return Err(CliError::Usage("--nom ne peut pas être vide".into()));
            }
            let store = Store::open(&base)?;
            let (info, secret) = store.create_token(nom.trim(), role)?;
            eprintln!(
                "Jeton n° {} « {} » ({}) créé dans {}. Copiez-le maintenant : il ne sera plus jamais affiché.",
                info.id,
                info.name,
                role.id(),
                base.display()
            );
            w(out, secret)?;
            Ok(0)
        }
        TokensCmd::Lister { base } => {
            let store = Store::open(&base)?;
            let list = store.tokens()?;
            w(
                out,
                format!(
                    "{:>4}  {:<30} {:<8} {:<21} {}",
                    "n°", "nom", "rôle", "créé le", "état"
                ),
            )?;
            for t in &list {
                w(
                    out,
                    format!(
                        "{:>4}  {:<30} {:<8} {:<21} {}",
                        t.id,
                        t.name,
                        t.role.id(),
                        t.created_at,
                        t.revoked_at
                            .as_ref()
                            .map(|r| format!("révoqué le {r}"))
                            .unwrap_or_else(|| "actif".into())
                    ),
                )?;
            }
            w(out, format!("{} jeton(s)", list.len()))?;
            Ok(0)
        }
        TokensCmd::Revoquer { jeton, base } => {
            let store = Store::open(&base)?;
            let t = store.revoke_token(&jeton)?;
            w(
                out,
                format!(
                    "jeton n° {} « {} » révoqué ; ses sessions sont fermées",
                    t.id, t.name
                ),
            )?;
            Ok(0)
        }
    }
}

/// Runs `maillage sauvegarde --sortie F`.
pub fn run_backup(base: &Path, dest: &Path, out: &mut dyn Write) -> Result<u8, CliError> {
    if !base.exists() {
        return Err(CliError::Usage(format!(
            "base {} introuvable",
            base.display()
        )));
    }
    let store = Store::open(base)?;
    store.backup_to(dest)?;
    writeln!(
        out,
        "sauvegarde de {} écrite dans {}",
        base.display(),
        dest.display()
    )
    .map_err(io_err(Path::new("sortie")))?;
    Ok(0)
}

/// Runs `maillage restaurer F`.
pub fn run_restore(file: &Path, base: &Path, out: &mut dyn Write) -> Result<u8, CliError> {
    if !file.exists() {
        return Err(CliError::Usage(format!(
            "sauvegarde {} introuvable",
            file.display()
        )));
    }
    let s = backup::restore(file, base)?;
    writeln!(
        out,
        "{} restaurée dans {} : {} partenaire(s), {} jeton(s), {} ligne(s) d'historique. Redémarrez « maillage servir » s'il tournait.",
        file.display(),
        base.display(),
        s.partners,
        s.tokens,
        s.history
    )
    .map_err(io_err(Path::new("sortie")))?;
    Ok(0)
}
