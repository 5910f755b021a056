//! Integration tests: each test starts the real server on a free port with a
//! fresh database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set) and
//! speaks HTTP to it.
mod helpers;

mod bookings;
mod cli;
mod cooperation;
mod demo;
mod events;
mod facilities;
mod feeds;
mod mail;
mod organisations;
mod report;
mod search;
mod series;
mod server;
mod smtp;
