//! Calls in: INVITEs from the trunk (a Voice Connector's origination, or the simulator) to one of
//! the business's numbers. The gateway checks where each comes from, what number it is for and
//! what it offers, and hands the owner an [`IncomingCall`] to ring agents with. The owner then
//! answers it with an agent's browser offer ([`super::Gateway::answer`]) or refuses it; a call
//! the owner drops unanswered is refused (`480`), so a caller is never left hanging.

use std::net::IpAddr;
use std::sync::Arc;

use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{HeadersExt, StatusCode, ToTypedHeader};
use rsipstack::transaction::transaction::Transaction;
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

use super::TrunkSrtp;
use crate::cidr::Cidr;
use crate::sdp::AudioDescription;
use crate::sip::{source_ip, SipEndpoint};
use crate::tasks::redact_numbers;

/// Which calls in the gateway takes.
#[derive(Clone, Debug)]
pub struct InboundConfig {
    /// Where INVITEs may come from: the trunk's addresses (a Voice Connector's documented
    /// signalling ranges for its region). Anything else is refused before it is looked at.
    pub allowed_sources: Vec<Cidr>,
    /// Also take SIP over TLS (an encrypted connector's origination: TLS to 5061, SRTP media).
    pub tls: Option<InboundTls>,
}

/// The gateway's TLS listener for calls in: its address and the certificate the trunk checks.
#[derive(Clone)]
pub struct InboundTls {
    pub addr: std::net::SocketAddr,
    /// The certificate chain (PEM): a name or address the trunk verifies.
    pub cert_pem: Vec<u8>,
    /// Its private key (PEM).
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for InboundTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("InboundTls")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// How many calls in may wait for the owner at once; more are refused with `503`.
pub const INCOMING_QUEUE: usize = 64;

/// The codes calls in are refused with, in one place (docs/telephony.md, "Calls in").
pub mod refusal {
    use rsipstack::sip::StatusCode;
    /// A source outside [`super::InboundConfig::allowed_sources`].
    pub const SOURCE_NOT_ALLOWED: StatusCode = StatusCode::Forbidden;
    /// A Request-URI that is not an E.164 number.
    pub const NOT_A_NUMBER: StatusCode = StatusCode::NotFound;
    /// No SDP offer, no G.711, or media the SRTP setting refuses.
    pub const MEDIA: StatusCode = StatusCode::NotAcceptableHere;
    /// The owner is not keeping up, or takes no calls in.
    pub const BUSY: StatusCode = StatusCode::ServiceUnavailable;
    /// Nobody took the call (the owner dropped it unanswered).
    pub const NOT_TAKEN: StatusCode = StatusCode::TemporarilyUnavailable;
}

/// A call in, ringing on our side until it is answered, refused or given up.
pub struct IncomingCall {
    /// The caller's number (E.164); `None` when withheld or not a number.
    pub from: Option<String>,
    /// The number dialled (E.164): one of the business's numbers.
    pub to: String,
    /// Where the INVITE came from.
    pub source: IpAddr,
    pub(super) endpoint: Arc<SipEndpoint>,
    /// `None` once handed to a leg ([`super::Gateway::answer`]) or refused.
    pub(super) dialog: Option<InviteDialog>,
    pub(super) states: Option<DialogStateReceiver>,
    /// The trunk's SDP offer.
    pub(super) offer: Vec<u8>,
}

/// Why a call in ended before it was answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallerGone {
    /// The caller hung up (CANCEL).
    HungUp,
    /// The INVITE's transaction failed (the caller's side stopped answering).
    Lost,
}

impl IncomingCall {
    /// Tells the caller the call is ringing (`180 Ringing`).
    pub fn ring(&self) {
        if let Some(dialog) = &self.dialog {
            if let Err(e) = dialog.ringing(None, None) {
                tracing::warn!(error = %redact_numbers(&e.to_string()), "180 not sent");
            }
        }
    }

    /// Refuses the call with `status` (e.g. `480`, `486`, `603`).
    pub fn refuse(mut self, status: u16) {
        self.reject(StatusCode::from(status));
    }

    fn reject(&mut self, status: StatusCode) {
        let Some(dialog) = self.dialog.take() else {
            return;
        };
        if let Err(e) = dialog.reject(Some(status), None) {
            tracing::warn!(error = %redact_numbers(&e.to_string()), "refusal of a call in not sent");
        }
        self.endpoint.dialogs.remove_dialog(&dialog.id());
    }

    /// Resolves when the caller gives up before the call is answered.
    pub async fn gone(&mut self) -> CallerGone {
        let Some(states) = self.states.as_mut() else {
            return std::future::pending().await;
        };
        loop {
            match states.recv().await {
                Some(DialogState::Terminated(id, reason)) => {
                    self.endpoint.dialogs.remove_dialog(&id);
                    self.dialog = None;
                    self.states = None;
                    return match reason {
                        rsipstack::dialog::dialog::TerminatedReason::UacCancel => {
                            CallerGone::HungUp
                        }
                        _ => CallerGone::Lost,
                    };
                }
                Some(_) => {}
                None => {
                    self.states = None;
                    return CallerGone::Lost;
                }
            }
        }
    }
}

impl Drop for IncomingCall {
    fn drop(&mut self) {
        self.reject(refusal::NOT_TAKEN);
    }
}

/// Whether a string is an E.164 number (`+` and 8–15 digits).
fn e164(user: &str) -> Option<String> {
    let digits = user.strip_prefix('+')?;
    ((8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| user.to_string())
}

/// Why the gateway refuses a call in before the owner sees it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    SourceNotAllowed(Option<IpAddr>),
    NotANumber,
    Media(String),
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Refusal::SourceNotAllowed(_) => refusal::SOURCE_NOT_ALLOWED,
            Refusal::NotANumber => refusal::NOT_A_NUMBER,
            Refusal::Media(_) => refusal::MEDIA,
        }
    }
}

/// The checks before a call in reaches the owner: source, number, offer. Sans-IO apart from
/// reading the request.
pub(super) fn check(
    request: &rsipstack::sip::Request,
    config: &InboundConfig,
    srtp: TrunkSrtp,
) -> Result<(Option<String>, String, IpAddr), Refusal> {
    let source = source_ip(request);
    let source = match source {
        Some(ip) if config.allowed_sources.iter().any(|net| net.contains(ip)) => ip,
        other => return Err(Refusal::SourceNotAllowed(other)),
    };
    let to = request
        .uri
        .user()
        .and_then(e164)
        .ok_or(Refusal::NotANumber)?;
    let from = request
        .from_header()
        .ok()
        .and_then(|h| h.typed().ok())
        .and_then(|from| from.uri.user().and_then(e164));
    let offer = AudioDescription::parse(&request.body)
        .map_err(|e| Refusal::Media(format!("the offer is not SDP: {e}")))?;
    if offer.first_g711().is_none() {
        return Err(Refusal::Media("the offer has no G.711".into()));
    }
    match (srtp, offer.is_srtp()) {
        (TrunkSrtp::Required, false) => Err(Refusal::Media(
            "plain RTP offered, which SOFTPHONE_TRUNK_SRTP=required refuses".into(),
        )),
        (TrunkSrtp::Off, true) => Err(Refusal::Media(
            "SRTP offered, which SOFTPHONE_TRUNK_SRTP=off refuses".into(),
        )),
        _ => Ok((from, to, source)),
    }
}

/// Takes an INVITE outside a dialog: refused at once when a check fails, else a server dialog
/// is made (its transaction handled in `tasks`) and the call goes to the owner.
pub(super) fn take(
    mut tx: Transaction,
    config: &InboundConfig,
    srtp: TrunkSrtp,
    endpoint: &Arc<SipEndpoint>,
    owner: &mpsc::Sender<IncomingCall>,
    tasks: &TaskTracker,
) {
    let (from, to, source) = match check(&tx.original, config, srtp) {
        Ok(checked) => checked,
        Err(refusal) => {
            match &refusal {
                Refusal::SourceNotAllowed(source) => {
                    tracing::warn!(?source, "call in from a source not allowed: refused")
                }
                Refusal::NotANumber => tracing::info!("call in to something not a number: refused"),
                Refusal::Media(detail) => tracing::info!(%detail, "call in refused"),
            }
            let status = refusal.status();
            tasks.spawn(async move {
                if let Err(e) = tx.reply(status).await {
                    tracing::debug!(error = %e, "refusal of a call in not sent");
                }
            });
            return;
        }
    };
    let (states_tx, states) = endpoint.dialogs.new_dialog_state_channel();
    let dialog = match endpoint.dialogs.get_or_create_server_invite(
        &tx,
        states_tx,
        None,
        Some(endpoint.contact(None)),
    ) {
        Ok(dialog) => dialog,
        Err(e) => {
            tracing::warn!(error = %redact_numbers(&e.to_string()), "no dialog for a call in");
            tasks.spawn(async move {
                let _ = tx.reply(StatusCode::ServerInternalError).await;
            });
            return;
        }
    };
    let offer = tx.original.body.clone();
    let mut handled = dialog.clone();
    tasks.spawn(async move {
        if let Err(e) = handled.handle(&mut tx).await {
            tracing::debug!(error = %redact_numbers(&e.to_string()), "call in's INVITE transaction");
        }
    });
    let call = IncomingCall {
        from,
        to,
        source,
        endpoint: endpoint.clone(),
        dialog: Some(dialog),
        states: Some(states),
        offer,
    };
    if let Err(e) = owner.try_send(call) {
        tracing::warn!("call in refused: nobody is taking calls in, or too many wait");
        let mut call = e.into_inner();
        call.reject(refusal::BUSY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(source: &str, uri_user: &str, from_user: &str, sdp: &str) -> rsipstack::sip::Request {
        let text = format!(
            "INVITE sip:{uri_user}@127.0.0.1:5060 SIP/2.0\r\n\
             Via: SIP/2.0/UDP {source}:5070;branch=z9hG4bK1\r\n\
             From: <sip:{from_user}@{source}>;tag=1\r\n\
             To: <sip:{uri_user}@127.0.0.1>\r\n\
             Call-ID: a@b\r\n\
             CSeq: 1 INVITE\r\n\
             Content-Type: application/sdp\r\n\
             Content-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        );
        rsipstack::sip::Request::try_from(text.as_str()).expect("request parses")
    }

    const PCMU: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.9\r\ns=-\r\nc=IN IP4 127.0.0.9\r\nt=0 0\r\n\
                        m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
                        a=rtpmap:101 telephone-event/8000\r\n";

    fn config(allowed: &str) -> InboundConfig {
        InboundConfig {
            allowed_sources: vec![allowed.parse().unwrap()],
            tls: None,
        }
    }

    #[test]
    fn a_call_from_the_trunk_to_a_number_with_g711_is_taken() {
        let r = invite("127.0.0.9", "+6561234567", "+6598765432", PCMU);
        let (from, to, source) = check(&r, &config("127.0.0.0/8"), TrunkSrtp::Optional).unwrap();
        assert_eq!(from.as_deref(), Some("+6598765432"));
        assert_eq!(to, "+6561234567");
        assert_eq!(source.to_string(), "127.0.0.9");
    }

    #[test]
    fn a_withheld_caller_is_no_number() {
        let r = invite("127.0.0.9", "+6561234567", "anonymous", PCMU);
        let (from, ..) = check(&r, &config("127.0.0.0/8"), TrunkSrtp::Optional).unwrap();
        assert_eq!(from, None);
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let cfg = config("127.0.0.9/32");
        let r = invite("127.0.0.10", "+6561234567", "+6598765432", PCMU);
        assert_eq!(
            check(&r, &cfg, TrunkSrtp::Optional),
            Err(Refusal::SourceNotAllowed(Some(
                "127.0.0.10".parse().unwrap()
            )))
        );
        let r = invite("127.0.0.9", "reception", "+6598765432", PCMU);
        assert_eq!(
            check(&r, &cfg, TrunkSrtp::Optional),
            Err(Refusal::NotANumber)
        );
        let r = invite("127.0.0.9", "+6561234567", "+6598765432", "");
        assert!(matches!(
            check(&r, &cfg, TrunkSrtp::Optional),
            Err(Refusal::Media(_))
        ));
        let r = invite(
            "127.0.0.9",
            "+6561234567",
            "+6598765432",
            &PCMU.replace("RTP/AVP 0 101", "RTP/AVP 9 101"),
        );
        assert!(matches!(
            check(&r, &cfg, TrunkSrtp::Optional),
            Err(Refusal::Media(m)) if m.contains("G.711")
        ));
        let r = invite("127.0.0.9", "+6561234567", "+6598765432", PCMU);
        assert!(matches!(
            check(&r, &cfg, TrunkSrtp::Required),
            Err(Refusal::Media(m)) if m.contains("required")
        ));
        assert_eq!(Refusal::NotANumber.status(), StatusCode::NotFound);
        assert_eq!(
            Refusal::SourceNotAllowed(None).status(),
            StatusCode::Forbidden
        );
    }
}
