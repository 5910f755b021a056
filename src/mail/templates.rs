//! The mail templates of `templates/mail/`, compiled into the binary: a layout for text
//! and one for HTML, labels per language (`<lang>/common.txt`), and per language one
//! template for each message kind with its `subject` and `intro` blocks (plain text:
//! the HTML layout escapes everything it is given).
use minijinja::Environment;
use minijinja::syntax::SyntaxConfig;

macro_rules! files {
    ($($name:expr),* $(,)?) => {
        &[$(($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/mail/", $name)))),*]
    };
}

macro_rules! language {
    ($lang:literal) => {
        files!(
            concat!($lang, "/common.txt"),
            concat!($lang, "/booking_received.txt"),
            concat!($lang, "/booking_confirmed.txt"),
            concat!($lang, "/booking_rejected.txt"),
            concat!($lang, "/booking_cancelled.txt"),
            concat!($lang, "/booking_moved.txt"),
            concat!($lang, "/series_booked.txt"),
            concat!($lang, "/booking_reminder.txt"),
            concat!($lang, "/approval_requested.txt"),
            concat!($lang, "/cancellation_notice.txt"),
            concat!($lang, "/cohost_invited.txt"),
            concat!($lang, "/event_changed.txt"),
            concat!($lang, "/event_cancelled.txt"),
        )
    };
}

const LAYOUTS: &[(&str, &str)] = files!("layout.txt", "layout.html");
const FINNISH: &[(&str, &str)] = language!("fi");
const SWEDISH: &[(&str, &str)] = language!("sv");
const ENGLISH: &[(&str, &str)] = language!("en");

/// The template environment: `.html` templates escape HTML, the others nothing.
pub fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()?,
    );
    env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
    for (name, source) in [LAYOUTS, FINNISH, SWEDISH, ENGLISH].concat() {
        env.add_template(name, source)?;
    }
    Ok(env)
}
