//! Where calls go (the simulator or a SIP trunk) and how media flows.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use app::api::live::IceServer;
use telephony::gateway::{MediaConfig, TrunkSrtp};

use super::{parsed, ConfigError, Secret};

/// Where the gateway's SIP leg sends calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trunk {
    /// The built-in PSTN simulator, started in-process (the embedded default).
    Simulator,
    /// A SIP trunk such as an Amazon Chime SDK Voice Connector.
    Sip {
        /// `host:port`, e.g. `abcdef.voiceconnector.chime.aws:5060`.
        target: String,
        transport: SipTransport,
        username: Option<String>,
        password: Option<Secret<String>>,
        /// SDES-SRTP toward the trunk (`SOFTPHONE_TRUNK_SRTP`).
        srtp: TrunkSrtp,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SipTransport {
    Udp,
    Tcp,
    /// TLS, trusting the certificates in this PEM file (`SOFTPHONE_TRUNK_CA_FILE`).
    Tls {
        ca_file: PathBuf,
    },
}

/// `SOFTPHONE_TELEPHONY`: what carries the calls (`docs/telephony.md`, `docs/chime.md`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TelephonyKind {
    /// Our media gateway: the browser's audio bridged to SOFTPHONE_TRUNK
    #[default]
    Gateway,
    /// Amazon Chime SDK PSTN Audio: a meeting per call bridged to the PSTN by a SIP media
    /// application (needs the SOFTPHONE_CHIME_* settings and AWS credentials)
    Chime,
    /// The Chime shape against the local Chime stand-in and the PSTN simulator, in this process
    /// (no AWS account)
    ChimeStandin,
}

#[derive(Clone, Debug)]
pub struct TelephonyConfig {
    pub kind: TelephonyKind,
    pub trunk: Trunk,
    /// E.164 caller ID in From.
    pub caller_id: String,
    /// Where the SIP leg listens.
    pub sip_addr: SocketAddr,
    pub media: MediaConfig,
    /// TURN servers carry credentials.
    pub ice_servers: Secret<Vec<IceServer>>,
    /// Where calls in may come from (`SOFTPHONE_TRUNK_INBOUND_SOURCES`); empty: calls in are
    /// refused, except from the simulator, which is always allowed when it is the trunk.
    pub inbound_sources: Vec<telephony::cidr::Cidr>,
    /// What a held caller hears (`SOFTPHONE_HOLD_MUSIC`); `None`: our own tune.
    pub hold_music: Option<PathBuf>,
    /// The TLS listener for calls in (`SOFTPHONE_SIP_TLS_*`), read at start.
    pub inbound_tls: Option<InboundTlsFiles>,
    /// Recorded messages for callers (`SOFTPHONE_CALLER_MESSAGES`), read at start.
    pub caller_messages: Option<PathBuf>,
}

/// Where the gateway takes SIP over TLS (an encrypted connector's origination) and the
/// certificate and key it presents, as files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundTlsFiles {
    pub addr: SocketAddr,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

/// `SOFTPHONE_TRUNK`: the simulator, or a trunk's `host:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrunkTarget {
    Simulator,
    Sip(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TransportName {
    Udp,
    Tcp,
    /// Needs SOFTPHONE_TRUNK_CA_FILE
    Tls,
}

/// `SOFTPHONE_TRUNK_SRTP`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SrtpName {
    /// Offer SRTP only (RTP/SAVP); a trunk answering plain RTP fails the call
    Required,
    /// Offer SRTP keys in RTP/AVP: SRTP if the trunk takes them, plain RTP if not
    Optional,
    /// Plain RTP
    Off,
}

/// A UDP port range, `low-high`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange(pub u16, pub u16);

#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Telephony")]
pub struct TelephonyArgs {
    /// What carries the calls
    #[arg(long, env = "SOFTPHONE_TELEPHONY", value_enum, default_value_t = TelephonyKind::Gateway)]
    telephony: TelephonyKind,
    /// Where calls go: `simulator` (the built-in PSTN simulator), or host:port of a SIP trunk
    /// such as abc.voiceconnector.chime.aws:5060
    #[arg(long, env = "SOFTPHONE_TRUNK", value_name = "HOST:PORT", default_value = "simulator", value_parser = trunk_target)]
    trunk: TrunkTarget,
    /// The SIP trunk's transport
    #[arg(long, env = "SOFTPHONE_TRUNK_TRANSPORT", value_enum, default_value_t = TransportName::Udp)]
    trunk_transport: TransportName,
    /// With tls: a PEM file of the trunk's root certificates (for a Voice Connector: the Chime
    /// root)
    #[arg(long, env = "SOFTPHONE_TRUNK_CA_FILE", value_name = "PEM")]
    trunk_ca_file: Option<PathBuf>,
    /// SRTP toward the trunk (SDES keys, which travel inside SIP: needs tls) [default: required
    /// with tls, off otherwise]
    #[arg(long, env = "SOFTPHONE_TRUNK_SRTP", value_enum)]
    trunk_srtp: Option<SrtpName>,
    /// Digest user name, if the trunk asks for one
    #[arg(long, env = "SOFTPHONE_TRUNK_USERNAME")]
    trunk_username: Option<String>,
    /// Digest password, if the trunk asks for one
    #[arg(long, env = "SOFTPHONE_TRUNK_PASSWORD", hide_env_values = true)]
    trunk_password: Option<Secret<String>>,
    /// The E.164 caller ID sent to the trunk
    #[arg(long, env = "SOFTPHONE_CALLER_ID", value_name = "E164", default_value = "+6560000000", value_parser = e164)]
    caller_id: String,
    /// Where the SIP leg listens (port 0: any free port)
    #[arg(long, env = "SOFTPHONE_SIP_ADDR", value_name = "ADDR:PORT", default_value = "127.0.0.1:0",
          value_parser = parsed::<SocketAddr>("an address and port such as 0.0.0.0:5060 (port 0: any free port)"))]
    sip_addr: SocketAddr,
    /// The IP address the media sockets bind to
    #[arg(long, env = "SOFTPHONE_MEDIA_IP", value_name = "IP", default_value = "127.0.0.1",
          value_parser = parsed::<IpAddr>("an IP address the media sockets bind to"))]
    media_ip: IpAddr,
    /// The IP address browsers and the trunk send media to [default: SOFTPHONE_MEDIA_IP]
    #[arg(long, env = "SOFTPHONE_MEDIA_PUBLIC_IP", value_name = "IP",
          value_parser = parsed::<IpAddr>("the IP address browsers and the trunk send media to"))]
    media_public_ip: Option<IpAddr>,
    /// The UDP port range for media (one port per call, plus one per core)
    #[arg(long, env = "SOFTPHONE_MEDIA_PORTS", value_name = "LOW-HIGH", default_value = "40000-40999", value_parser = port_range)]
    media_ports: PortRange,
    /// ICE servers for browsers, as JSON:
    /// [{"urls":["turn:turn.example.com:3478"],"username":"u","credential":"p"}]
    #[arg(long, env = "SOFTPHONE_ICE_SERVERS", value_name = "JSON", hide_env_values = true, value_parser = ice_servers)]
    ice_servers: Option<Secret<Vec<IceServer>>>,
    /// Networks calls in may come from, comma-separated (a Voice Connector's signalling ranges
    /// for its Region, e.g. 99.77.240.0/24 for Singapore); none: calls in are refused [default:
    /// the simulator's address with SOFTPHONE_TRUNK=simulator]
    #[arg(long, env = "SOFTPHONE_TRUNK_INBOUND_SOURCES", value_name = "CIDR,…", value_parser = cidrs)]
    trunk_inbound_sources: Option<Cidrs>,
    /// Music a held caller hears, looped (8 kHz mono 16-bit WAV) [default: our own tune]
    #[arg(long, env = "SOFTPHONE_HOLD_MUSIC", value_name = "WAV")]
    hold_music: Option<PathBuf>,
    /// Also take calls in over SIP TLS on this address (an encrypted Voice Connector's
    /// origination sends them to port 5061); needs the certificate and key below
    #[arg(long, env = "SOFTPHONE_SIP_TLS_ADDR", value_name = "ADDR:PORT",
          value_parser = parsed::<SocketAddr>("an address and port such as 0.0.0.0:5061"))]
    sip_tls_addr: Option<SocketAddr>,
    /// With SOFTPHONE_SIP_TLS_ADDR: the certificate chain the trunk verifies (PEM)
    #[arg(long, env = "SOFTPHONE_SIP_TLS_CERT_FILE", value_name = "PEM")]
    sip_tls_cert_file: Option<PathBuf>,
    /// With SOFTPHONE_SIP_TLS_ADDR: the certificate's private key (PEM)
    #[arg(long, env = "SOFTPHONE_SIP_TLS_KEY_FILE", value_name = "PEM")]
    sip_tls_key_file: Option<PathBuf>,
    /// A directory of recorded messages for callers nobody will answer: closed.wav,
    /// unassigned.wav, no-answer.wav (8 kHz mono 16-bit WAV); a missing one is the special
    /// information tone [default: the tone for all three]
    #[arg(long, env = "SOFTPHONE_CALLER_MESSAGES", value_name = "DIR")]
    caller_messages: Option<PathBuf>,
}

/// A list of networks in one value (clap would take a `Vec` for repeated values).
#[derive(Clone, Debug)]
struct Cidrs(Vec<telephony::cidr::Cidr>);

fn cidrs(text: &str) -> Result<Cidrs, String> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map(Cidrs)
}

fn trunk_target(text: &str) -> Result<TrunkTarget, &'static str> {
    if text == "simulator" {
        return Ok(TrunkTarget::Simulator);
    }
    let valid = text
        .rsplit_once(':')
        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
    if !valid || text.contains(char::is_whitespace) {
        return Err(
            "simulator, or host:port of a SIP trunk such as abc.voiceconnector.chime.aws:5060",
        );
    }
    Ok(TrunkTarget::Sip(text.into()))
}

pub(super) fn e164(text: &str) -> Result<String, &'static str> {
    let valid = text
        .strip_prefix('+')
        .is_some_and(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()));
    if valid {
        Ok(text.into())
    } else {
        Err("an E.164 number such as +6560000000")
    }
}

fn port_range(text: &str) -> Result<PortRange, &'static str> {
    text.split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?)))
        .filter(|(a, b)| *a > 0 && a < b)
        .map(|(a, b)| PortRange(a, b))
        .ok_or("a UDP port range such as 40000-40999 (one port per call, plus one per core)")
}

fn ice_servers(text: &str) -> Result<Secret<Vec<IceServer>>, &'static str> {
    serde_json::from_str(text).map(Secret::new).map_err(|_| {
        r#"a JSON list such as [{"urls":["turn:turn.example.com:3478"],"username":"u","credential":"p"}]"#
    })
}

impl TelephonyArgs {
    pub(super) fn resolve(self) -> Result<TelephonyConfig, ConfigError> {
        let tls = self.trunk_transport == TransportName::Tls;
        let srtp = match (self.trunk_srtp, tls) {
            (None, true) | (Some(SrtpName::Required), true) => TrunkSrtp::Required,
            (Some(SrtpName::Optional), true) => TrunkSrtp::Optional,
            (None, false) | (Some(SrtpName::Off), _) => TrunkSrtp::Off,
            (Some(name), false) => {
                let value = if name == SrtpName::Required {
                    "required"
                } else {
                    "optional"
                };
                return Err(ConfigError::invalid(
                    "SOFTPHONE_TRUNK_SRTP",
                    value,
                    "off unless SOFTPHONE_TRUNK_TRANSPORT=tls: SRTP's keys travel inside the SIP messages, which only TLS keeps secret",
                ));
            }
        };
        let trunk = match self.trunk {
            TrunkTarget::Simulator if self.trunk_srtp.is_some() => {
                return Err(ConfigError::invalid(
                    "SOFTPHONE_TRUNK_SRTP",
                    "",
                    "unset with SOFTPHONE_TRUNK=simulator (the built-in simulator takes plain RTP on loopback)",
                ));
            }
            TrunkTarget::Simulator => Trunk::Simulator,
            TrunkTarget::Sip(target) => Trunk::Sip {
                target,
                transport: match self.trunk_transport {
                    TransportName::Udp => SipTransport::Udp,
                    TransportName::Tcp => SipTransport::Tcp,
                    TransportName::Tls => SipTransport::Tls {
                        ca_file: self.trunk_ca_file.ok_or_else(|| {
                            ConfigError::invalid(
                                "SOFTPHONE_TRUNK_CA_FILE",
                                "",
                                "with SOFTPHONE_TRUNK_TRANSPORT=tls, a PEM file of the trunk's root certificates (for a Voice Connector: the Chime root)",
                            )
                        })?,
                    },
                },
                username: self.trunk_username,
                password: self.trunk_password,
                srtp,
            },
        };
        let inbound_tls = match (
            self.sip_tls_addr,
            self.sip_tls_cert_file,
            self.sip_tls_key_file,
        ) {
            (None, None, None) => None,
            (Some(addr), Some(cert_file), Some(key_file)) => Some(InboundTlsFiles {
                addr,
                cert_file,
                key_file,
            }),
            (None, _, _) => {
                return Err(ConfigError::invalid(
                    "SOFTPHONE_SIP_TLS_ADDR",
                    "",
                    "set it (such as 0.0.0.0:5061) to use SOFTPHONE_SIP_TLS_CERT_FILE and SOFTPHONE_SIP_TLS_KEY_FILE",
                ))
            }
            (Some(_), None, _) => {
                return Err(ConfigError::invalid(
                    "SOFTPHONE_SIP_TLS_CERT_FILE",
                    "",
                    "with SOFTPHONE_SIP_TLS_ADDR, the certificate chain (PEM) the trunk verifies",
                ))
            }
            (Some(_), Some(_), None) => {
                return Err(ConfigError::invalid(
                    "SOFTPHONE_SIP_TLS_KEY_FILE",
                    "",
                    "with SOFTPHONE_SIP_TLS_ADDR, the certificate's private key (PEM)",
                ))
            }
        };
        let public_ip = self.media_public_ip.unwrap_or(self.media_ip);
        Ok(TelephonyConfig {
            kind: self.telephony,
            trunk,
            caller_id: self.caller_id,
            sip_addr: self.sip_addr,
            media: MediaConfig {
                bind_ip: self.media_ip,
                public_ip,
                port_min: self.media_ports.0,
                port_max: self.media_ports.1,
                loopback_only: public_ip.is_loopback(),
            },
            ice_servers: self.ice_servers.unwrap_or_default(),
            inbound_sources: self.trunk_inbound_sources.map(|c| c.0).unwrap_or_default(),
            hold_music: self.hold_music,
            inbound_tls,
            caller_messages: self.caller_messages,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;
    use super::*;

    #[test]
    fn inbound_sources_are_networks_and_a_bad_one_is_named() {
        assert!(config(&[]).unwrap().telephony.inbound_sources.is_empty());
        let t = config(&[(
            "SOFTPHONE_TRUNK_INBOUND_SOURCES",
            "99.77.240.0/24, 3.80.16.0/23",
        )])
        .unwrap()
        .telephony;
        assert_eq!(t.inbound_sources.len(), 2);
        assert!(t.inbound_sources[0].contains("99.77.240.9".parse().unwrap()));
        let e = config(&[("SOFTPHONE_TRUNK_INBOUND_SOURCES", "99.77.240.0")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("SOFTPHONE_TRUNK_INBOUND_SOURCES"), "{e}");
        assert!(e.contains("is not a network"), "{e}");
    }

    #[test]
    fn the_tls_listener_for_calls_in_needs_all_three_settings() {
        assert_eq!(config(&[]).unwrap().telephony.inbound_tls, None);
        let all = [
            ("SOFTPHONE_SIP_TLS_ADDR", "0.0.0.0:5061"),
            ("SOFTPHONE_SIP_TLS_CERT_FILE", "/etc/softphone/sip.pem"),
            ("SOFTPHONE_SIP_TLS_KEY_FILE", "/etc/softphone/sip.key"),
        ];
        let t = config(&all).unwrap().telephony;
        assert_eq!(
            t.inbound_tls,
            Some(InboundTlsFiles {
                addr: "0.0.0.0:5061".parse().unwrap(),
                cert_file: "/etc/softphone/sip.pem".into(),
                key_file: "/etc/softphone/sip.key".into(),
            })
        );
        // Each one missing is named.
        for (i, (missing, _)) in all.iter().enumerate() {
            let rest: Vec<_> = all
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, v)| *v)
                .collect();
            let e = config(&rest).unwrap_err().to_string();
            assert!(e.contains(missing), "{missing}: {e}");
        }
        let e = config(&[("SOFTPHONE_SIP_TLS_ADDR", "5061")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("0.0.0.0:5061"), "{e}");
    }

    #[test]
    fn telephony_defaults_to_the_simulator_on_loopback() {
        let t = config(&[]).unwrap().telephony;
        assert_eq!(t.trunk, Trunk::Simulator);
        assert_eq!(t.media.bind_ip.to_string(), "127.0.0.1");
        assert_eq!(t.media.public_ip, t.media.bind_ip);
        assert!(t.media.loopback_only);
        assert_eq!((t.media.port_min, t.media.port_max), (40000, 40999));
        assert!(t.ice_servers.expose().is_empty());
    }

    #[test]
    fn a_voice_connector_trunk() {
        let t = config(&[
            ("SOFTPHONE_TRUNK", "abc.voiceconnector.chime.aws:5060"),
            ("SOFTPHONE_TRUNK_TRANSPORT", "tcp"),
            ("SOFTPHONE_TRUNK_USERNAME", "u"),
            ("SOFTPHONE_TRUNK_PASSWORD", "p"),
            ("SOFTPHONE_CALLER_ID", "+6561234567"),
            ("SOFTPHONE_MEDIA_IP", "0.0.0.0"),
            ("SOFTPHONE_MEDIA_PUBLIC_IP", "203.0.113.7"),
            (
                "SOFTPHONE_ICE_SERVERS",
                r#"[{"urls":["turn:t.example.com:3478"],"username":"a","credential":"b"}]"#,
            ),
        ])
        .unwrap()
        .telephony;
        assert_eq!(
            t.trunk,
            Trunk::Sip {
                target: "abc.voiceconnector.chime.aws:5060".into(),
                transport: SipTransport::Tcp,
                username: Some("u".into()),
                password: Some(Secret::new("p".into())),
                srtp: TrunkSrtp::Off,
            }
        );
        assert_eq!(t.media.public_ip.to_string(), "203.0.113.7");
        assert!(!t.media.loopback_only);
        assert_eq!(
            t.ice_servers.expose()[0].urls,
            vec!["turn:t.example.com:3478".to_string()]
        );
    }

    #[test]
    fn bad_telephony_values_name_the_variable() {
        for (name, value) in [
            ("SOFTPHONE_TRUNK", "voiceconnector"),
            ("SOFTPHONE_TRUNK", "host:0"),
            ("SOFTPHONE_CALLER_ID", "6561234567"),
            ("SOFTPHONE_SIP_ADDR", "anywhere"),
            ("SOFTPHONE_MEDIA_IP", "localhost"),
            ("SOFTPHONE_MEDIA_PORTS", "5000"),
            ("SOFTPHONE_MEDIA_PORTS", "6000-5000"),
            ("SOFTPHONE_ICE_SERVERS", "turn:x"),
        ] {
            let e = config(&[(name, value)]).unwrap_err();
            assert!(e.to_string().contains(name), "{name}={value}: {e}");
        }
        let e = config(&[
            ("SOFTPHONE_TRUNK", "h:5060"),
            ("SOFTPHONE_TRUNK_TRANSPORT", "sctp"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("udp, tcp or tls"), "{e}");
        let e = config(&[
            ("SOFTPHONE_TRUNK", "h:5061"),
            ("SOFTPHONE_TRUNK_TRANSPORT", "tls"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("SOFTPHONE_TRUNK_CA_FILE"));
        let t = config(&[
            ("SOFTPHONE_TRUNK", "h:5061"),
            ("SOFTPHONE_TRUNK_TRANSPORT", "tls"),
            ("SOFTPHONE_TRUNK_CA_FILE", "/etc/softphone/chime-root.pem"),
        ])
        .unwrap()
        .telephony;
        assert!(matches!(
            t.trunk,
            Trunk::Sip {
                transport: SipTransport::Tls { .. },
                srtp: TrunkSrtp::Required,
                ..
            }
        ));
    }

    #[test]
    fn srtp_defaults_to_required_with_tls_and_needs_tls() {
        let tls = [
            ("SOFTPHONE_TRUNK", "h:5061"),
            ("SOFTPHONE_TRUNK_TRANSPORT", "tls"),
            ("SOFTPHONE_TRUNK_CA_FILE", "/etc/softphone/chime-root.pem"),
        ];
        let srtp_of = |extra: &[(&str, &str)]| {
            let vars: Vec<_> = tls.iter().chain(extra).copied().collect();
            match config(&vars).unwrap().telephony.trunk {
                Trunk::Sip { srtp, .. } => srtp,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(srtp_of(&[]), TrunkSrtp::Required);
        assert_eq!(
            srtp_of(&[("SOFTPHONE_TRUNK_SRTP", "optional")]),
            TrunkSrtp::Optional
        );
        assert_eq!(srtp_of(&[("SOFTPHONE_TRUNK_SRTP", "off")]), TrunkSrtp::Off);
        for transport in ["udp", "tcp"] {
            let e = config(&[
                ("SOFTPHONE_TRUNK", "h:5060"),
                ("SOFTPHONE_TRUNK_TRANSPORT", transport),
                ("SOFTPHONE_TRUNK_SRTP", "required"),
            ])
            .unwrap_err()
            .to_string();
            assert!(
                e.contains("SOFTPHONE_TRUNK_SRTP") && e.contains("tls"),
                "{e}"
            );
        }
        let e = config(&[("SOFTPHONE_TRUNK_SRTP", "off")]).unwrap_err();
        assert!(e.to_string().contains("simulator"), "{e}");
        let e = config(&[("SOFTPHONE_TRUNK_SRTP", "maybe")]).unwrap_err();
        assert!(e.to_string().contains("SOFTPHONE_TRUNK_SRTP"), "{e}");
    }

    #[test]
    fn debug_does_not_show_the_trunk_password_or_turn_credentials() {
        let c = config(&[
            ("SOFTPHONE_TRUNK", "h:5060"),
            ("SOFTPHONE_TRUNK_PASSWORD", "hunter2-trunk"),
            (
                "SOFTPHONE_ICE_SERVERS",
                r#"[{"urls":["turn:t.example.com:3478"],"username":"a","credential":"turn-pass-9"}]"#,
            ),
        ])
        .unwrap();
        let debug = format!("{c:?}");
        assert!(debug.contains("h:5060"), "{debug}");
        assert!(!debug.contains("hunter2-trunk"), "{debug}");
        assert!(!debug.contains("turn-pass-9"), "{debug}");
    }
}
