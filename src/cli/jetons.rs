//! `maillage jetons` (`tokens`): access tokens of the API, created, listed, revoked.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

use maillage::store::cli::{self as lib, TokensCmd};

use super::BaseArg;

#[derive(Debug, Args)]
pub struct JetonsArgs {
    #[command(subcommand)]
    cmd: JetonsCmd,
}

#[derive(Debug, Subcommand)]
enum JetonsCmd {
    /// Crée un jeton et l'affiche une seule fois.
    #[command(alias = "create")]
    Creer {
        /// Nom de la personne ou de l'outil (affiché dans l'historique).
        #[arg(long)]
        nom: String,
        /// lecteur, editeur ou admin.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        base: BaseArg,
    },
    /// Liste les jetons (jamais leur valeur).
    #[command(alias = "list")]
    Lister {
        #[command(flatten)]
        base: BaseArg,
    },
    /// Révoque un jeton (numéro ou nom).
    #[command(alias = "revoke")]
    Revoquer {
        jeton: String,
        #[command(flatten)]
        base: BaseArg,
    },
}

pub fn run(args: JetonsArgs) -> Result<ExitCode> {
    let cmd = match args.cmd {
        JetonsCmd::Creer { nom, role, base } => TokensCmd::Creer {
            nom,
            role,
            base: base.base,
        },
        JetonsCmd::Lister { base } => TokensCmd::Lister { base: base.base },
        JetonsCmd::Revoquer { jeton, base } => TokensCmd::Revoquer {
            jeton,
            base: base.base,
        },
    };
    Ok(ExitCode::from(lib::run_tokens(
        cmd,
        &mut std::io::stdout(),
    )?))
}
