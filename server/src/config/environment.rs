//! The variables the configuration is read from: the process environment over an optional
//! `.env` file, as dotenv files work elsewhere (a variable already set wins; nothing is
//! written back to the environment).

use std::collections::HashMap;
use std::path::Path;

use super::ConfigError;

/// Variable names to values. An empty value counts as not set.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    vars: HashMap<String, String>,
}

impl Environment {
    /// The process environment over `./.env` (if there is one).
    pub fn from_process() -> Result<Environment, ConfigError> {
        let mut environment = Environment::from_dotenv_file(Path::new(".env"))?;
        environment.overlay(std::env::vars_os().filter_map(|(name, value)| {
            // Not UTF-8: not one of ours, and not readable as one of ours either.
            Some((name.into_string().ok()?, value.into_string().ok()?))
        }));
        Ok(environment)
    }

    /// The pairs of a `.env` file; no file is an empty environment.
    pub fn from_dotenv_file(path: &Path) -> Result<Environment, ConfigError> {
        match std::fs::File::open(path) {
            Ok(file) => Environment::from_dotenv(file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Environment::default()),
            Err(e) => Err(ConfigError::DotEnv(format!("{}: {e}", path.display()))),
        }
    }

    /// The pairs of `.env` text (comments, `export`, quotes and `${VAR}` as dotenvy reads them).
    pub fn from_dotenv(reader: impl std::io::Read) -> Result<Environment, ConfigError> {
        let mut vars = HashMap::new();
        for item in dotenvy::from_read_iter(reader) {
            let (name, value) = item.map_err(|e| ConfigError::DotEnv(e.to_string()))?;
            vars.insert(name, value);
        }
        Ok(Environment { vars })
    }

    /// Sets each pair, replacing what was there (the real environment over `.env`).
    pub fn overlay(&mut self, pairs: impl IntoIterator<Item = (String, String)>) {
        self.vars.extend(pairs);
    }

    /// Just these pairs (tests).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Environment {
        let mut environment = Environment::default();
        environment.overlay(pairs.into_iter().map(|(k, v)| (k.into(), v.into())));
        environment
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_comments_export_and_quotes() {
        let text = "# a comment\nA=1\nexport B=\"two words\" # trailing comment\n\nC='x # not a comment'\nD=\"line\\nbreak\"\nE=\n";
        let env = Environment::from_dotenv(text.as_bytes()).unwrap();
        assert_eq!(env.get("A"), Some("1"));
        assert_eq!(env.get("B"), Some("two words"));
        assert_eq!(env.get("C"), Some("x # not a comment"));
        assert_eq!(env.get("D"), Some("line\nbreak"));
        assert_eq!(env.get("E"), None, "empty is not set");
    }

    #[test]
    fn the_real_environment_wins_over_dotenv() {
        let mut env =
            Environment::from_dotenv("A=from-file\nB=kept\nC=dropped\n".as_bytes()).unwrap();
        env.overlay([("A".into(), "real".into()), ("C".into(), String::new())]);
        assert_eq!(env.get("A"), Some("real"));
        assert_eq!(env.get("B"), Some("kept"));
        assert_eq!(env.get("C"), None, "set empty in the environment: not set");
    }

    #[test]
    fn a_bad_line_is_an_error_that_shows_it() {
        let e = Environment::from_dotenv("A=1\noops\n".as_bytes()).unwrap_err();
        assert!(matches!(e, ConfigError::DotEnv(_)));
        assert!(e.to_string().contains("oops"), "{e}");
    }

    #[test]
    fn no_file_is_an_empty_environment() {
        let env = Environment::from_dotenv_file(Path::new("/nonexistent/.env")).unwrap();
        assert_eq!(env.get("PATH"), None);
    }
}
