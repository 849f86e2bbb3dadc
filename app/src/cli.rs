//! The `bocha` command.

use std::io::IsTerminal;

use clap::{Parser, Subcommand};

use crate::config::{Config, DatabaseArgs, MediaArgs};
use crate::services::pools::Pools;
use crate::startup::{self, App};
use crate::usecases::accounts::{self, PasswordPolicy, SignUp};
use crate::usecases::maintenance;
use eventstore::db::PoolSettings;

#[derive(Debug, Parser)]
#[command(name = "bocha", version, about = "A blog with private real-time chat")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database, then serve pages, API and the chat socket.
    // Boxed: the configuration is far larger than the other commands' arguments.
    Serve(Box<Config>),
    /// Bring the database schema up to date.
    Migrate(DatabaseArgs),
    /// Inspect or rebuild the read models.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Work with the event log.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Fill an empty database with a small living site (people, posts, comments, a chat) to
    /// explore; prints how to log in.
    Demo {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Redis URL (chat messages are announced to live sockets).
        #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
        redis_url: String,
        #[arg(long, env = "REDIS_PREFIX", default_value = "bocha")]
        redis_prefix: String,
        #[command(flatten)]
        media: MediaArgs,
    },
    /// Create a staff account. The password comes from BOCHA_PASSWORD or a prompt.
    Createsuperuser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
enum ProjectionsCommand {
    /// Each read model's checkpoint, the head of the log and how far behind each is.
    Status,
    /// Rebuild read models from the log while the site keeps serving, then swap them in.
    Rebuild {
        /// The read model to rebuild (see `status`).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        name: Option<String>,
        /// Rebuild every read model, in one pass over the log.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
enum EventsCommand {
    /// Write the events of one post, room or user as NDJSON to standard output.
    Export {
        #[command(flatten)]
        subject: maintenance::Subject,
    },
    /// Re-derive every event's hash chain and the log's Merkle tree and check them against every
    /// signed checkpoint; names the first event that does not match. With `--export`, check a
    /// downloaded history against a checkpoint instead, with no database.
    Verify {
        /// A history downloaded as NDJSON (from a post's or chat's history page, or your data).
        #[arg(long, requires = "checkpoint")]
        export: Option<std::path::PathBuf>,
        /// The checkpoint its proofs name, as `/api/log/checkpoints/{treeSize}` serves it.
        #[arg(long, requires = "export")]
        checkpoint: Option<std::path::PathBuf>,
        /// The id of the key the site publishes: the checkpoint must be signed by it.
        #[arg(long, requires = "export")]
        key: Option<String>,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(config) => App::build(*config).await?.run(shutdown_signal()).await,
        Command::Migrate(database) => {
            startup::database(&database, PoolSettings::unbounded(database.db_pool_size)).await?;
            tracing::info!("database is up to date");
            Ok(())
        }
        Command::Projections { command, database } => {
            let (pool, keyring) =
                startup::database(&database, PoolSettings::unbounded(database.db_pool_size)).await?;
            match command {
                ProjectionsCommand::Status => maintenance::status(&pool).await,
                ProjectionsCommand::Rebuild { name, all } => {
                    maintenance::rebuild(&pool, &keyring, if all { None } else { name.as_deref() }).await
                }
            }
        }
        Command::Events {
            command:
                EventsCommand::Verify {
                    export: Some(export),
                    checkpoint: Some(checkpoint),
                    key,
                },
            ..
        } => maintenance::verify_export(&export, &checkpoint, key.as_deref()),
        Command::Events { command, database } => {
            let (pool, keyring) =
                startup::database(&database, PoolSettings::unbounded(database.db_pool_size)).await?;
            match command {
                EventsCommand::Export { subject } => {
                    maintenance::export(&pool, &keyring, &subject, &mut std::io::stdout().lock()).await
                }
                EventsCommand::Verify { .. } => {
                    maintenance::verify(&pool, &database.signer()?.public()).await
                }
            }
        }
        Command::Demo {
            database,
            redis_url,
            redis_prefix,
            media,
        } => {
            let (pool, keyring) =
                startup::database(&database, PoolSettings::unbounded(database.db_pool_size)).await?;
            let commands = startup::commands(&pool, &keyring).await?;
            let redis = crate::services::redis::Redis::new(&redis_url, &redis_prefix)?;
            // The demo's requests are counted under keys of their own, which the site never
            // reads: filling a demo takes nothing from its people's daily allowance.
            let keys = crate::services::crypto::Keys::derive(&crate::services::crypto::random_token(32));
            let limits = crate::services::limits::Limits::new(redis.clone(), keys, 0, 0);
            let media = crate::media::Media::from_config(&media)?;
            let chats = crate::usecases::chat::Chats::new(
                commands.clone(),
                crate::live::Live::new(pool.clone(), keyring.clone(), redis),
                limits,
                media.clone(),
            );
            let demo = crate::usecases::demo::fill(crate::usecases::demo::Services {
                commands: &commands,
                passwords: &Pools::for_this_machine().passwords,
                chats: &chats,
                media: &media,
            })
            .await?;
            println!(
                "The demo site is ready. Start it with `bocha serve` and log in as {} with the password {}",
                demo.usernames.join(", "),
                demo.password
            );
            Ok(())
        }
        Command::Createsuperuser {
            username,
            email,
            database,
        } => {
            let password = read_password()?;
            let (pool, keyring) =
                startup::database(&database, PoolSettings::unbounded(database.db_pool_size)).await?;
            let commands = startup::commands(&pool, &keyring).await?;
            let input = SignUp {
                username: &username,
                email: &email,
                password: &password,
                staff: true,
                email_confirmed: true,
            };
            match accounts::sign_up(
                &commands,
                &Pools::for_this_machine().passwords,
                input,
                PasswordPolicy::Site,
                "createsuperuser",
            )
            .await
            {
                Ok(user) => {
                    tracing::info!(username = %user.username, "staff account created");
                    Ok(())
                }
                Err(err) => match err.into_form_errors() {
                    Ok(errors) => anyhow::bail!("{}", errors.summary()),
                    Err(err) => Err(err.into()),
                },
            }
        }
    }
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("BOCHA_PASSWORD") {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("set BOCHA_PASSWORD or run in a terminal to be asked for the password");
    }
    let password = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Password (again): ")?;
    if password != again {
        anyhow::bail!("the passwords do not match");
    }
    Ok(password)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
