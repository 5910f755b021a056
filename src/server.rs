//! The HTTP server: GraphQL, GraphiQL, calendar feeds, health and metrics.
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::http::GraphiQLSource;
use async_graphql::{ErrorExtensions, ServerError};
use async_graphql_poem::GraphQLRequest;
use poem::http::{HeaderMap, StatusCode};
use poem::listener::{Acceptor, Listener, TcpAcceptor};
use poem::middleware::{SizeLimit, Tracing};
use poem::web::{Data, Html, Json, Redirect};
use poem::{Endpoint, EndpointExt, IntoResponse, Response, Route, get, handler};
use tokio::sync::watch;

use crate::config::Config;
use crate::domain::permissions::Access;
use crate::error::{AppError, AppResult};
use crate::graphql::context::{AppState, RequestData};
use crate::graphql::parsed::ParsedQueries;
use crate::graphql::{AppSchema, build_schema};
use crate::ical::feeds::{self, FeedSettings};
use crate::mail::worker::Worker;
use crate::metrics::Metrics;
use crate::service::{calendar, database, municipalities, search, users};

/// What the handlers share.
struct Shared {
    state: Arc<AppState>,
    pages: Arc<crate::http::event_page::Pages>,
    schema: AppSchema,
    parsed: ParsedQueries,
    metrics: Arc<Metrics>,
}

/// A built service: database migrated, port bound, ready to run.
pub struct Application {
    acceptor: TcpAcceptor,
    shared: Arc<Shared>,
    max_body_bytes: usize,
    feed_settings: FeedSettings,
    mail: Worker,
}

impl Application {
    /// Connects to the database, applies migrations and binds the listen address
    /// (port 0 picks a free port, as tests do).
    pub async fn build(config: &Config) -> AppResult<Self> {
        let metrics = Arc::new(Metrics::default());
        let db = database::connect(
            &config.database_url,
            config.database_max_connections,
            metrics.clone(),
        )
        .await?;
        database::migrate(&db).await?;
        let acceptor = poem::listener::TcpListener::bind(config.listen_addr)
            .into_acceptor()
            .await
            .map_err(AppError::internal)?;
        let bound = bound_addr(&acceptor)?;
        // The same pool, but the worker's statements stay out of the request metrics.
        let mut mail_db = db.clone();
        mail_db.set_metric_callback(|_| {});
        let mail = Worker::new(mail_db, &config.mail, config.base_url(bound))?;
        let state = Arc::new(AppState {
            municipalities: municipalities::load_directory(&db).await?,
            installation: calendar::installation(&db).await?,
            db,
            default_timezone: config.default_timezone,
            base_url: config.base_url(bound),
            open_horizon: Default::default(),
            facility_rules: Default::default(),
            facilities: Default::default(),
        });
        Ok(Self {
            acceptor,
            shared: Arc::new(Shared {
                pages: Arc::new(crate::http::event_page::Pages::new()?),
                schema: build_schema(Some(state.clone())),
                parsed: ParsedQueries::default(),
                state,
                metrics,
            }),
            max_body_bytes: config.max_body_bytes,
            feed_settings: FeedSettings::from_config(config),
            mail,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> AppResult<SocketAddr> {
        bound_addr(&self.acceptor)
    }

    /// The shared state (database, municipalities), for tools and tests.
    pub fn state(&self) -> Arc<AppState> {
        self.shared.state.clone()
    }

    /// Serves requests and sends mail until `shutdown` completes, then lets running
    /// requests and the message being sent finish. Dropping the future stops both at once.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send) -> std::io::Result<()> {
        let (stop, stopped) = watch::channel(false);
        let metrics = self.shared.metrics.clone();
        let upkeep = tokio::spawn(upkeep(self.shared.state.clone()));
        let app = Route::new()
            .at("/", get(root))
            .at(
                "/graphql",
                get(graphiql).post(graphql.with(SizeLimit::new(self.max_body_bytes))),
            )
            .at("/healthz", get(healthz))
            .at(
                "/reports/cooperation.csv",
                get(crate::http::reports::cooperation_csv),
            )
            .at("/metrics", get(metrics_text))
            .nest(
                "/ical",
                feeds::routes(self.shared.state.clone(), self.feed_settings),
            )
            .at("/events/:slug", get(crate::http::event_page::event_page))
            .data(self.shared.state.clone())
            .data(self.shared.pages.clone())
            .data(self.shared)
            .with(Tracing)
            .around(move |endpoint, request| {
                let metrics = metrics.clone();
                async move {
                    let route = route_label(request.uri().path());
                    let started = Instant::now();
                    let result = endpoint.call(request).await;
                    let status = match &result {
                        Ok(response) => response.status(),
                        Err(err) => err.status(),
                    };
                    metrics.observe_request(route, status.as_u16(), started.elapsed());
                    result
                }
            });
        let server = poem::Server::new_with_acceptor(self.acceptor).run_with_graceful_shutdown(
            app,
            async move {
                shutdown.await;
                let _ = stop.send(true);
            },
            Some(Duration::from_secs(10)),
        );
        let (served, ()) = tokio::join!(server, self.mail.run(stopped));
        upkeep.abort();
        served
    }
}

/// Keeps the materialised open hours of every facility ahead of searches and the
/// planner's statistics fresh: at start, then once a day.
async fn upkeep(state: Arc<AppState>) {
    let mut daily = tokio::time::interval(Duration::from_secs(24 * 60 * 60));
    loop {
        daily.tick().await;
        if let Err(err) = search::keep_open_ranges_ahead(&state.db, &state.open_horizon).await {
            tracing::warn!(error = %err, "could not top up the open hours of facilities");
        }
        if let Err(err) = database::refresh_statistics(&state.db).await {
            tracing::warn!(error = %err, "could not refresh the planner's statistics");
        }
    }
}

fn bound_addr(acceptor: &TcpAcceptor) -> AppResult<SocketAddr> {
    acceptor
        .local_addr()
        .first()
        .and_then(|addr| addr.as_socket_addr().copied())
        .ok_or_else(|| AppError::internal("the listener has no address"))
}

fn route_label(path: &str) -> &'static str {
    match path {
        "/graphql" => "/graphql",
        "/healthz" => "/healthz",
        "/metrics" => "/metrics",
        "/reports/cooperation.csv" => "/reports/cooperation.csv",
        "/" => "/",
        _ if path.starts_with("/ical/") => "/ical",
        _ if path.starts_with("/events/") => "/events/{slug}",
        _ => "other",
    }
}

#[handler]
fn root() -> Redirect {
    Redirect::see_other("/graphql")
}

#[handler]
fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("Yhteistila GraphQL")
            .finish(),
    )
}

fn error_code(error: &ServerError) -> Option<&'static str> {
    let code = error.extensions.as_ref()?.get("code")?;
    [
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "VALIDATION",
        "CONFLICT",
        "INTERNAL",
    ]
    .into_iter()
    .find(|known| matches!(code, async_graphql::Value::String(s) if s == known))
}

#[handler]
async fn graphql(
    shared: Data<&Arc<Shared>>,
    headers: &HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let access = match crate::http::bearer_token(headers) {
        None => Access::anonymous(),
        Some(token) => match users::authenticate(&shared.state.db, token).await {
            Ok(actor) => Access::user(actor),
            Err(err) => {
                shared.metrics.observe_error(err.code());
                let status = match err {
                    AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                let body = async_graphql::Response::from_errors(vec![
                    err.extend().into_server_error(Default::default()),
                ]);
                return (status, Json(body)).into_response();
            }
        },
    };
    let request = shared
        .parsed
        .prepare(request.0)
        .data(RequestData::new(&shared.state, access));
    let mut response = shared.schema.execute(request).await;
    for error in &mut response.errors {
        // Errors raised before any resolver ran (syntax, unknown fields, wrong
        // argument types, limits) are the client's: give them the VALIDATION code.
        let code = error_code(error).unwrap_or_else(|| {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", "VALIDATION");
            "VALIDATION"
        });
        shared.metrics.observe_error(code);
    }
    Json(response).into_response()
}

#[handler]
async fn healthz(shared: Data<&Arc<Shared>>) -> Response {
    match shared.state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(err) => {
            tracing::error!(error = %err, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

#[handler]
fn metrics_text(shared: Data<&Arc<Shared>>) -> Response {
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(shared.metrics.render())
}
