//! Parsed queries kept by their text. Partner apps send the same few queries again and
//! again, and parsing one is a good part of a small request's work.
use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;

use crate::kept::Kept;

/// The longest query text kept, in bytes; longer ones are parsed every time.
const LONGEST_KEPT: usize = 8 * 1024;

/// How many queries are kept; past it, all are dropped and the cache fills again.
const MOST_KEPT: usize = 1_000;

/// The parsed queries seen so far.
pub struct ParsedQueries(Kept<String, ExecutableDocument>);

impl Default for ParsedQueries {
    fn default() -> Self {
        Self(Kept::new(MOST_KEPT))
    }
}

impl ParsedQueries {
    /// Gives `request` its query parsed: kept from an earlier request with the same
    /// text, or parsed now and kept. A query that does not parse is left to the schema,
    /// which reports it; the schema's limits apply to a kept query as to a new one.
    pub fn prepare(&self, mut request: Request) -> Request {
        if request.query.len() > LONGEST_KEPT {
            return request;
        }
        match self.0.get(request.query.as_str()) {
            Some(document) => request.set_parsed_query(document),
            None => {
                if let Ok(document) = request.parsed_query().cloned() {
                    self.0.put(request.query.clone(), document);
                }
            }
        }
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(cache: &ParsedQueries, query: &str) -> String {
        let mut request = cache.prepare(Request::new(query));
        format!("{:?}", request.parsed_query().expect("parsed"))
    }

    #[test]
    fn each_query_text_keeps_its_own_document() {
        let cache = ParsedQueries::default();
        let me = parsed(&cache, "{ me { user { id } } }");
        let other = parsed(&cache, "{ __typename }");
        assert_ne!(me, other);
        assert_eq!(parsed(&cache, "{ me { user { id } } }"), me);
        assert_eq!(parsed(&cache, "{ __typename }"), other);
        assert_eq!(cache.0.len(), 2);
    }

    #[test]
    fn a_query_that_does_not_parse_is_not_kept() {
        let cache = ParsedQueries::default();
        let mut request = cache.prepare(Request::new("{ me { "));
        assert!(request.parsed_query().is_err());
        assert_eq!(cache.0.len(), 0);
    }
}
