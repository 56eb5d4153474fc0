//! Several servers on one store (`docs/architecture.md`, "Several servers"): this process's
//! server id and how long its lease on its calls lasts.

use std::time::Duration;

#[derive(clap::Args, Debug)]
pub(super) struct ClusterArgs {
    /// This server process's id, written on the calls it carries [default: kept in
    /// <SOFTPHONE_DATA_DIR>/server-id, made at the first start; give each server on one store
    /// its own]
    #[arg(long, env = "SOFTPHONE_SERVER_ID", value_name = "ID", value_parser = server_id)]
    server_id: Option<String>,
    /// Seconds a server's calls stay its own without a renewal (renewed every third of it);
    /// after that another server closes them as interrupted
    #[arg(long, env = "SOFTPHONE_SERVER_LEASE_SECS", value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(3..=3600))]
    server_lease_secs: u64,
}

fn server_id(text: &str) -> Result<String, &'static str> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(text.into())
    } else {
        Err("1 to 64 letters, digits, '-', '_' or '.'")
    }
}

/// This server's place among the servers on the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    /// `SOFTPHONE_SERVER_ID`; none: the one kept in the data folder.
    pub server_id: Option<String>,
    pub lease: Duration,
}

impl ClusterArgs {
    pub(super) fn resolve(self) -> ClusterConfig {
        ClusterConfig {
            server_id: self.server_id,
            lease: Duration::from_secs(self.server_lease_secs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::server_id;

    #[test]
    fn a_server_id_is_a_short_plain_word() {
        assert_eq!(server_id("gw-1.eu_west").as_deref(), Ok("gw-1.eu_west"));
        for bad in ["", "a b", "a/b", &"x".repeat(65)] {
            assert!(server_id(bad).is_err(), "{bad:?}");
        }
    }
}
