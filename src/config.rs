//! Configuration from command-line flags and the environment.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Where the service keeps its data and how it is reached.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database URL: `sqlite://file.db?mode=rwc` (embedded default) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://yhteistila.db?mode=rwc"
    )]
    pub database_url: String,
    /// Address the HTTP server listens on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen_addr: SocketAddr,
    /// The public base URL of the service, used in links (defaults to http://LISTEN_ADDR).
    #[arg(long, env = "PUBLIC_BASE_URL")]
    pub public_base_url: Option<String>,
    /// IANA time zone of new facilities.
    #[arg(long, env = "DEFAULT_TIMEZONE", default_value = "Europe/Helsinki")]
    pub default_timezone: chrono_tz::Tz,
    /// Largest accepted request body in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,
    /// Largest database connection pool.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 16)]
    pub database_max_connections: u32,
    /// How many days back calendar feeds reach.
    #[arg(long, env = "FEED_DAYS_BACK", default_value_t = 90)]
    pub feed_days_back: u32,
    /// How many days ahead calendar feeds reach (548 is about 18 months).
    #[arg(long, env = "FEED_DAYS_AHEAD", default_value_t = 548)]
    pub feed_days_ahead: u32,
    /// How many days a cancelled item stays in feeds (as STATUS:CANCELLED).
    #[arg(long, env = "FEED_CANCELLED_DAYS", default_value_t = 30)]
    pub feed_cancelled_days: u32,
    /// How often subscribers are asked to refetch a feed, in minutes.
    #[arg(long, env = "FEED_REFRESH_MINUTES", default_value_t = 60)]
    pub feed_refresh_minutes: u32,
    /// How mail is sent.
    #[command(flatten)]
    pub mail: MailConfig,
}

/// How the mail worker sends the outbox. Durations are written like `30s`, `5m`, `24h`.
#[derive(Debug, Clone, Args)]
pub struct MailConfig {
    /// SMTP server: `smtp://host:port` (plain; add `?tls=required` for STARTTLS),
    /// `smtps://host:port` (TLS), with `user:password@` for credentials. Without it,
    /// messages are written as `.eml` files into the mail directory.
    #[arg(long, env = "SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender of every message, also the ORGANIZER of its invitations.
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "Yhteistila <yhteistila@localhost>"
    )]
    pub mail_from: String,
    /// Where messages are written when no SMTP server is configured.
    #[arg(long, env = "MAIL_DIR", default_value = "mail")]
    pub mail_dir: PathBuf,
    /// Attempts in all before a message is parked as failed.
    #[arg(
        long = "mail-max-attempts",
        env = "MAIL_MAX_ATTEMPTS",
        default_value_t = 8
    )]
    pub max_attempts: u32,
    /// The wait after a first failed attempt; it doubles with each further one (with jitter).
    #[arg(long = "mail-retry-base", env = "MAIL_RETRY_BASE", default_value = "30s", value_parser = humantime::parse_duration)]
    pub retry_base: Duration,
    /// The longest wait between attempts.
    #[arg(long = "mail-retry-max", env = "MAIL_RETRY_MAX", default_value = "1h", value_parser = humantime::parse_duration)]
    pub retry_max: Duration,
    /// How often the worker looks for due messages.
    #[arg(long = "mail-poll", env = "MAIL_POLL", default_value = "1s", value_parser = humantime::parse_duration)]
    pub poll: Duration,
    /// How long a worker holds the messages it claimed; after that (a crash) another takes them.
    #[arg(long = "mail-lease", env = "MAIL_LEASE", default_value = "5m", value_parser = humantime::parse_duration)]
    pub lease: Duration,
    /// How long the worker waits for the SMTP server at each step.
    #[arg(long, env = "SMTP_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub smtp_timeout: Duration,
    /// How long before a confirmed booking its reminder is sent.
    #[arg(long = "mail-reminder-before", env = "MAIL_REMINDER_BEFORE", default_value = "24h", value_parser = humantime::parse_duration)]
    pub reminder_before: Duration,
    /// How many messages the worker claims at a time.
    #[arg(long = "mail-batch", env = "MAIL_BATCH", default_value_t = 20)]
    pub batch: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            mail_from: "Yhteistila <yhteistila@localhost>".into(),
            mail_dir: PathBuf::from("mail"),
            max_attempts: 8,
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(300),
            smtp_timeout: Duration::from_secs(30),
            reminder_before: Duration::from_secs(24 * 3600),
            batch: 20,
        }
    }
}

impl Config {
    /// A configuration with the defaults for `database_url`, as tests and tools use it.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_base_url: None,
            default_timezone: chrono_tz::Europe::Helsinki,
            max_body_bytes: 256 * 1024,
            database_max_connections: 16,
            feed_days_back: 90,
            feed_days_ahead: 548,
            feed_cancelled_days: 30,
            feed_refresh_minutes: 60,
            mail: MailConfig::default(),
        }
    }

    /// The public base URL, without a trailing slash.
    pub fn base_url(&self, bound: SocketAddr) -> String {
        self.public_base_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
            .trim_end_matches('/')
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use clap::{Args, FromArgMatches};

    use super::MailConfig;

    #[test]
    fn the_default_mail_configuration_is_the_command_lines() {
        let matches = MailConfig::augment_args(clap::Command::new("yhteistila"))
            .try_get_matches_from(["yhteistila"])
            .unwrap();
        let parsed = MailConfig::from_arg_matches(&matches).unwrap();
        assert_eq!(
            format!("{parsed:?}"),
            format!("{:?}", MailConfig::default())
        );
    }
}
