//! One SIP endpoint (rsipstack) on UDP and TCP, shared by every call of a gateway or of the
//! simulator: the transport, the transaction layer, the dialog registry and the pump for
//! requests that arrive inside a dialog (BYE, re-INVITE, OPTIONS…).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::sip::{HeadersExt, Host, HostWithPort, Scheme, Uri};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::tcp_listener::TcpListenerConnection;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{SipAddr, TlsConfig, TlsListenerConnection, TransportLayer};
use rsipstack::EndpointBuilder;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum SipError {
    #[error("cannot listen for SIP on {addr}: {detail}")]
    Bind { addr: SocketAddr, detail: String },
    #[error("SIP stack: {0}")]
    Stack(String),
    /// A certificate or key that does not parse, or no TLS listener to give it to; the one in
    /// use stays.
    #[error("TLS certificate not reloaded: {0}")]
    TlsReload(String),
}

impl From<rsipstack::Error> for SipError {
    fn from(e: rsipstack::Error) -> Self {
        SipError::Stack(e.to_string())
    }
}

/// TLS for an endpoint: as a client (toward a trunk on 5061), as a server (the simulator; the
/// gateway taking a connector's calls in), or both.
#[derive(Clone, Debug)]
pub enum SipTls {
    /// Trust anchors (PEM) for the trunk's certificate, and the name to verify it against.
    Client {
        ca_pem: Vec<u8>,
        server_name: Option<String>,
    },
    /// Listen for SIP over TLS on `addr` with this certificate chain and key (PEM).
    Server {
        addr: SocketAddr,
        cert_pem: Vec<u8>,
        key_pem: Vec<u8>,
    },
}

fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A running SIP endpoint. Dropping it does not stop it; call [`SipEndpoint::stop`].
pub struct SipEndpoint {
    pub dialogs: Arc<DialogLayer>,
    pub local: SocketAddr,
    /// The address in our Contact: the public one when given, else the bound one.
    contact_ip: IpAddr,
    cancel: CancellationToken,
    /// The TLS listener (calls in over TLS), whose certificate [`SipEndpoint::reload_tls`]
    /// replaces.
    tls_listener: Option<TlsListenerConnection>,
    // Owned so it lives as long as the endpoint (dropping it shuts the transports down).
    _endpoint: rsipstack::transaction::Endpoint,
}

/// Requests that start a new dialog or stand alone (INVITE, OPTIONS outside a dialog…), for the
/// owner to answer. In-dialog requests are handled by the endpoint.
pub type NewRequests = mpsc::Receiver<Transaction>;

impl SipEndpoint {
    /// Listens on UDP `addr` and, with `tcp`, on TCP at the same address.
    pub async fn bind(
        addr: SocketAddr,
        tcp: bool,
        user_agent: &str,
    ) -> Result<(Arc<SipEndpoint>, NewRequests), SipError> {
        Self::bind_with_tls(addr, tcp, Vec::new(), None, user_agent).await
    }

    /// Like [`SipEndpoint::bind`], with TLS as a client, a server or both. `public_ip`: the address
    /// the far end reaches us at when it is not the one bound (a 1:1 NAT such as an Elastic
    /// IP, or a bind to 0.0.0.0): it goes into our Contact, and into the Via of UDP requests.
    pub async fn bind_with_tls(
        addr: SocketAddr,
        tcp: bool,
        tls: Vec<SipTls>,
        public_ip: Option<IpAddr>,
        user_agent: &str,
    ) -> Result<(Arc<SipEndpoint>, NewRequests), SipError> {
        let cancel = CancellationToken::new();
        let transport = TransportLayer::new(cancel.child_token());
        // A port picked at bind time cannot be announced before it is known.
        let external = public_ip
            .filter(|_| addr.port() != 0)
            .map(|ip| SocketAddr::new(ip, addr.port()));
        let udp = UdpConnection::create_connection(addr, external, Some(cancel.child_token()))
            .await
            .map_err(|e| SipError::Bind {
                addr,
                detail: e.to_string(),
            })?;
        let local = udp_local_addr(&udp).unwrap_or(addr);
        transport.add_transport(udp.into());
        if tcp {
            let listener =
                TcpListenerConnection::new(local, None)
                    .await
                    .map_err(|e| SipError::Bind {
                        addr: local,
                        detail: e.to_string(),
                    })?;
            transport.add_transport(listener.into());
        }
        let mut tls_listener = None;
        for tls in tls {
            match tls {
                SipTls::Client {
                    ca_pem,
                    server_name,
                } => {
                    install_tls_provider();
                    transport.set_tls_config(TlsConfig {
                        ca_certs: Some(ca_pem),
                        sni_hostname: server_name,
                        ..Default::default()
                    });
                }
                SipTls::Server {
                    addr,
                    cert_pem,
                    key_pem,
                } => {
                    install_tls_provider();
                    let config = TlsConfig {
                        cert: Some(cert_pem),
                        key: Some(key_pem),
                        ..Default::default()
                    };
                    let listener = TlsListenerConnection::new(addr, None, config)
                        .await
                        .map_err(|e| SipError::Bind {
                            addr,
                            detail: e.to_string(),
                        })?;
                    tls_listener = Some(listener.clone());
                    transport.add_transport(listener.into());
                }
            }
        }
        let endpoint = EndpointBuilder::new()
            .with_cancel_token(cancel.clone())
            .with_transport_layer(transport)
            .with_user_agent(user_agent)
            .build();
        let mut incoming = endpoint.incoming_transactions()?;
        let dialogs = Arc::new(DialogLayer::new(endpoint.inner.clone()));
        let serving = endpoint.inner.clone();
        tokio::spawn(async move {
            if let Err(e) = serving.serve().await {
                tracing::warn!(error = %e, "SIP endpoint stopped");
            }
        });
        let (new_tx, new_rx) = mpsc::channel(256);
        let pump_dialogs = dialogs.clone();
        let pump_cancel = cancel.clone();
        tokio::spawn(async move {
            loop {
                let tx = tokio::select! {
                    _ = pump_cancel.cancelled() => break,
                    tx = incoming.recv() => match tx { Some(tx) => tx, None => break },
                };
                dispatch(&pump_dialogs, &new_tx, tx).await;
            }
        });
        Ok((
            Arc::new(SipEndpoint {
                dialogs,
                contact_ip: public_ip.unwrap_or(local.ip()),
                local,
                cancel,
                tls_listener,
                _endpoint: endpoint,
            }),
            new_rx,
        ))
    }

    /// Replaces the TLS listener's certificate chain and key (PEM): handshakes from now on
    /// present the new one; connections already up, and the calls on them, go on unchanged.
    /// A chain or key that does not parse is refused and the one in use stays.
    pub fn reload_tls(&self, cert_pem: &[u8], key_pem: &[u8]) -> Result<(), SipError> {
        let listener = self
            .tls_listener
            .as_ref()
            .ok_or_else(|| SipError::TlsReload("no TLS listener".into()))?;
        let resolver = listener
            .inner
            .cert_resolver
            .lock()
            .clone()
            .ok_or_else(|| SipError::TlsReload("the TLS listener has not started".into()))?;
        resolver
            .reload(cert_pem, key_pem)
            .map_err(|e| SipError::TlsReload(e.to_string()))
    }

    /// Our contact URI (`sip:user@local`).
    pub fn contact(&self, user: Option<&str>) -> Uri {
        Uri {
            scheme: Some(Scheme::Sip),
            auth: user.map(|u| rsipstack::sip::Auth {
                user: u.to_string(),
                password: None,
            }),
            host_with_port: HostWithPort {
                host: Host::IpAddr(self.contact_ip),
                port: Some(self.local.port().into()),
            },
            params: vec![],
            headers: vec![],
        }
    }

    pub fn stop(&self) {
        self.cancel.cancel();
    }

    /// Sends an out-of-dialog OPTIONS (a keepalive probe) to `destination` and returns the
    /// final status. Any final answer, even a challenge, means the far end is up.
    pub async fn ping(
        &self,
        request_uri: Uri,
        destination: SipAddr,
        from_user: &str,
    ) -> Result<u16, SipError> {
        use rsipstack::sip::{typed, Method, SipMessage, StatusCodeKind};
        use rsipstack::transaction::key::{TransactionKey, TransactionRole};
        use rsipstack::transaction::make_tag;
        let endpoint = &self._endpoint.inner;
        let via = endpoint.get_via(None, None)?;
        let from = typed::From {
            display_name: None,
            uri: self.contact(Some(from_user)),
            params: vec![],
        }
        .with_tag(make_tag());
        let to = typed::To {
            display_name: None,
            uri: request_uri.clone(),
            params: vec![],
        };
        let request = endpoint.make_request(Method::Options, request_uri, via, from, to, 1, None);
        let key = TransactionKey::from_request(&request, TransactionRole::Client)?;
        let mut tx = Transaction::new_client(key, request, endpoint.clone(), None);
        tx.destination = Some(destination);
        tx.send().await?;
        while let Some(message) = tx.receive().await {
            if let SipMessage::Response(r) = message {
                if r.status_code.kind() != StatusCodeKind::Provisional {
                    return Ok(r.status_code.code());
                }
            }
        }
        Err(SipError::Stack("no answer to OPTIONS".into()))
    }
}

impl Drop for SipEndpoint {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Where a request came from: the top Via's `received` (what the transport saw, added when it
/// differs from what the sender wrote), else the Via's own address.
pub fn source_ip(request: &rsipstack::sip::Request) -> Option<std::net::IpAddr> {
    use rsipstack::sip::{uri::Param, HeadersExt, Host, ToTypedHeader};
    let via = request.via_header().ok()?.typed().ok()?;
    let received = via.params.iter().find_map(|p| match p {
        Param::Received(r) => r.parse().ok(),
        _ => None,
    });
    received.or(match via.uri.host_with_port.host {
        Host::IpAddr(ip) => Some(ip),
        Host::Domain(_) => None,
    })
}

fn udp_local_addr(udp: &UdpConnection) -> Option<SocketAddr> {
    let a = udp.get_addr();
    let ip = match &a.addr.host {
        Host::IpAddr(ip) => *ip,
        Host::Domain(_) => return None,
    };
    let port: u16 = a.addr.port.as_ref().map(|p| p.value())?;
    Some(SocketAddr::new(ip, port))
}

/// In-dialog requests go to their dialog (it answers BYE with 200 and reports the state);
/// everything else goes to the owner.
async fn dispatch(
    dialogs: &Arc<DialogLayer>,
    new: &mpsc::Sender<Transaction>,
    mut tx: Transaction,
) {
    let in_dialog = tx
        .original
        .to_header()
        .ok()
        .and_then(|to| to.tag().ok().flatten())
        .is_some();
    if in_dialog {
        if let Some(mut dialog) = dialogs.match_dialog(&tx) {
            tokio::spawn(async move {
                if let Err(e) = dialog.handle(&mut tx).await {
                    tracing::debug!(error = %e, "in-dialog request failed");
                }
            });
            return;
        }
        if tx.original.method != rsipstack::sip::Method::Ack {
            let status = rsipstack::sip::StatusCode::CallTransactionDoesNotExist;
            if let Err(e) = tx.reply(status).await {
                tracing::debug!(error = %e, "481 for an unknown dialog not sent");
            }
        }
        return;
    }
    if new.try_send(tx).is_err() {
        tracing::warn!("SIP request dropped: the owner is not keeping up");
    }
}
