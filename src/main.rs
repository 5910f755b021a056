//! The `yhteistila` command: serve the API, migrate, print the schema, seed demo data, issue tokens.
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;
use yhteistila::config::Config;
use yhteistila::domain::contact::EmailAddress;
use yhteistila::domain::localized::Language;
use yhteistila::error::AppResult;
use yhteistila::server::Application;
use yhteistila::service::{database, users};

#[derive(Parser)]
#[command(
    name = "yhteistila",
    version,
    about = "Space and event cooperation for Päijät-Häme"
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    /// Log lines as human-readable text or as JSON objects.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the HTTP server (the default).
    Serve {
        /// Loads the Päijät-Häme demo data first and prints a coordinator token.
        #[arg(long)]
        demo: bool,
    },
    /// Applies database migrations and exits.
    Migrate,
    /// Prints the GraphQL schema (SDL).
    Schema,
    /// Loads the Päijät-Häme demo data (idempotent).
    SeedDemo,
    /// Manages API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issues an API token for a user (created if new) and prints it once.
    Create {
        /// The user's email address.
        #[arg(long)]
        email: String,
        /// The user's name, for a new user.
        #[arg(long)]
        name: Option<String>,
        /// Makes a new user the region's NGO coordinator.
        #[arg(long)]
        coordinator: bool,
        /// A name for the token.
        #[arg(long, default_value = "cli")]
        token_name: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // One access-log line per request costs a few percent of throughput on large
    // pages; it is opt-in (RUST_LOG=info). Errors and start-up are logged by default.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,poem::middleware::tracing_mw=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            if let yhteistila::error::AppError::Internal(cause) = &err {
                eprintln!("cause: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> AppResult<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Schema => {
            print!("{}", yhteistila::graphql::sdl());
            Ok(())
        }
        Command::Migrate => {
            let db = database::connect(&config.database_url, 1, Default::default()).await?;
            database::migrate(&db).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::SeedDemo => {
            let app = Application::build(&config).await?;
            let summary = yhteistila::demo::seed(app.state()).await?;
            println!("{summary}");
            Ok(())
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    email,
                    name,
                    coordinator,
                    token_name,
                },
        } => {
            let db = database::connect(&config.database_url, 1, Default::default()).await?;
            database::migrate(&db).await?;
            let user = users::find_or_create_user(
                &db,
                users::NewUser {
                    email: EmailAddress::parse("email", &email)?,
                    name,
                    language: Language::Fi,
                    coordinator,
                },
            )
            .await?;
            let (_, secret) = users::create_token(&db, user.id, &token_name).await?;
            println!("{secret}");
            Ok(())
        }
        Command::Serve { demo } => {
            let app = Application::build(&config).await?;
            let addr = app.local_addr()?;
            if demo {
                let summary = yhteistila::demo::seed(app.state()).await?;
                println!("{summary}");
                let token = yhteistila::demo::coordinator_token(&app.state()).await?;
                println!("Coordinator token for trying mutations: {token}");
            }
            println!("GraphiQL: {}/graphql", config.base_url(addr));
            app.run_until(shutdown_signal())
                .await
                .map_err(yhteistila::error::AppError::internal)
        }
    }
}

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
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
