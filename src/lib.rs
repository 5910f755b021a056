//! Yhteistila: space and event cooperation for the Päijät-Häme welfare region,
//! its municipalities and its NGOs, as a GraphQL service.
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod ical;
pub mod kept;
pub mod mail;
pub mod metrics;
pub mod server;
pub mod service;
