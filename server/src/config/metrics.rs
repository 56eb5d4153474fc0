//! `SOFTPHONE_METRICS_*`: where the Prometheus text is served, and the CloudWatch Embedded
//! Metric Format lines (docs/operating.md, "Metrics").

use std::net::SocketAddr;

/// The `/metrics` listener's address when none is set: loopback only, so it is never public.
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9464";

/// Where `/metrics` listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricsListen {
    /// Nothing set: [`DEFAULT_METRICS_ADDR`]. Another server on the same host may hold it, so
    /// a failure to listen there is a warning, not a start-up error.
    Default(SocketAddr),
    /// Set by the operator: failing to listen there stops the start-up.
    Set(SocketAddr),
    /// `off`: no listener (metrics are still recorded, for the EMF lines).
    Off,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsConfig {
    pub listen: MetricsListen,
    /// The CloudWatch namespace of the EMF lines written to stdout; none: no EMF lines, except
    /// in Lambda, where the namespace is `Softphone` unless set.
    pub emf_namespace: Option<String>,
}

#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Metrics")]
pub struct MetricsArgs {
    /// Where the Prometheus text is served at /metrics: an address and port, or off
    /// [default: 127.0.0.1:9464]
    #[arg(long, env = "SOFTPHONE_METRICS_ADDR", value_name = "ADDR:PORT|off", value_parser = listen)]
    metrics_addr: Option<MetricsListen>,
    /// Also write the metrics to stdout as CloudWatch Embedded Metric Format lines, in this
    /// namespace (on AWS, where CloudWatch Logs turns them into metrics) [default: none; in
    /// Lambda, Softphone]
    #[arg(long, env = "SOFTPHONE_METRICS_NAMESPACE", value_name = "NAMESPACE", value_parser = namespace)]
    metrics_namespace: Option<String>,
}

fn listen(text: &str) -> Result<MetricsListen, &'static str> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(MetricsListen::Off);
    }
    text.parse()
        .map(MetricsListen::Set)
        .map_err(|_| "an address and port such as 127.0.0.1:9464, or off")
}

/// CloudWatch's rule for namespaces: 1 to 255 of letters, digits and `.-_/#:`, not starting
/// with `AWS/`.
fn namespace(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_/#: ".contains(c);
    if (1..=255).contains(&text.len()) && text.chars().all(allowed) && !text.starts_with("AWS/") {
        Ok(text.into())
    } else {
        Err("1 to 255 letters, digits or .-_/#: (not starting with AWS/), such as Softphone")
    }
}

impl MetricsArgs {
    pub(super) fn resolve(self) -> MetricsConfig {
        MetricsConfig {
            listen: self.metrics_addr.unwrap_or_else(|| {
                MetricsListen::Default(
                    DEFAULT_METRICS_ADDR
                        .parse()
                        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 9464))),
                )
            }),
            emf_namespace: self.metrics_namespace,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;
    use super::*;

    #[test]
    fn the_listener_is_on_loopback_unless_set_or_off() {
        let c = config(&[]).unwrap();
        assert_eq!(
            c.metrics.listen,
            MetricsListen::Default("127.0.0.1:9464".parse().unwrap())
        );
        assert_eq!(c.metrics.emf_namespace, None);
        let c = config(&[("SOFTPHONE_METRICS_ADDR", " 0.0.0.0:9100 ")]).unwrap();
        assert_eq!(
            c.metrics.listen,
            MetricsListen::Set("0.0.0.0:9100".parse().unwrap())
        );
        let c = config(&[("SOFTPHONE_METRICS_ADDR", "OFF")]).unwrap();
        assert_eq!(c.metrics.listen, MetricsListen::Off);
        let e = config(&[("SOFTPHONE_METRICS_ADDR", "9464")]).unwrap_err();
        assert!(e.to_string().contains("SOFTPHONE_METRICS_ADDR"), "{e}");
    }

    #[test]
    fn namespaces_follow_cloudwatch_rules() {
        let c = config(&[("SOFTPHONE_METRICS_NAMESPACE", "Softphone/prod")]).unwrap();
        assert_eq!(c.metrics.emf_namespace.as_deref(), Some("Softphone/prod"));
        for bad in ["AWS/Chime", "bad{name}", &"x".repeat(256)] {
            let e = config(&[("SOFTPHONE_METRICS_NAMESPACE", bad)]).unwrap_err();
            assert!(
                e.to_string().contains("SOFTPHONE_METRICS_NAMESPACE"),
                "{bad}: {e}"
            );
        }
    }
}
