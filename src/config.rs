//! Configuration from command-line flags and the environment.
use std::net::SocketAddr;

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
