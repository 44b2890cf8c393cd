//! System (input/output) errors in French, in one place: the kind of the error, and the
//! system's own text only when the kind says nothing more precise (without the repeated
//! English « (os error N) »).
//!
//! ```
//! use std::io::{Error, ErrorKind};
//! use maillage::util::os_error::describe;
//! assert_eq!(describe(&Error::from(ErrorKind::PermissionDenied)), "permission refusée");
//! assert_eq!(describe(&Error::from_raw_os_error(2)), "fichier ou dossier introuvable");
//! ```

use std::io::{Error, ErrorKind};

/// A French description of a system error.
pub fn describe(e: &Error) -> String {
    let known = match e.kind() {
        ErrorKind::NotFound => "fichier ou dossier introuvable",
        ErrorKind::PermissionDenied => "permission refusée",
        ErrorKind::AlreadyExists => "le fichier existe déjà",
        ErrorKind::IsADirectory => "c'est un dossier, pas un fichier",
        ErrorKind::NotADirectory => "un élément du chemin n'est pas un dossier",
        ErrorKind::DirectoryNotEmpty => "le dossier n'est pas vide",
        ErrorKind::ReadOnlyFilesystem => "système de fichiers en lecture seule",
        ErrorKind::StorageFull => "disque plein",
        ErrorKind::QuotaExceeded => "quota de disque dépassé",
        ErrorKind::FileTooLarge => "fichier trop volumineux",
        ErrorKind::InvalidFilename => "nom de fichier invalide",
        ErrorKind::CrossesDevices => "déplacement impossible entre deux disques",
        ErrorKind::ResourceBusy => "ressource occupée",
        ErrorKind::InvalidData => "données invalides",
        ErrorKind::UnexpectedEof => "fin de fichier inattendue",
        ErrorKind::OutOfMemory => "mémoire insuffisante",
        ErrorKind::AddrInUse => "adresse déjà utilisée (un autre programme écoute sur ce port ?)",
        ErrorKind::AddrNotAvailable => "adresse non disponible sur cette machine",
        ErrorKind::ConnectionRefused => "connexion refusée",
        ErrorKind::ConnectionReset => "connexion interrompue par l'autre côté",
        ErrorKind::ConnectionAborted => "connexion abandonnée",
        ErrorKind::NotConnected => "non connecté",
        ErrorKind::BrokenPipe => "sortie fermée (tube rompu)",
        ErrorKind::TimedOut => "délai dépassé",
        ErrorKind::Interrupted => "opération interrompue",
        ErrorKind::HostUnreachable => "hôte injoignable",
        ErrorKind::NetworkUnreachable => "réseau injoignable",
        ErrorKind::NetworkDown => "réseau indisponible",
        ErrorKind::WouldBlock => "opération qui bloquerait",
        ErrorKind::Unsupported => "opération non prise en charge",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    match e.raw_os_error() {
        Some(24) => "trop de fichiers ouverts".to_string(),
        Some(n) => {
            let text = e.to_string();
            let text = text
                .trim_end_matches(&format!(" (os error {n})"))
                .to_string();
            format!("erreur du système n° {n} ({text})")
        }
        None => format!("erreur d'entrée-sortie : {e}"),
    }
}
