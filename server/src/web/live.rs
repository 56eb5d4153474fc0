//! The live channel (`/api/live`): one WebSocket per open tab, carrying call state and
//! signalling both ways; see `app::api::live`.

use std::sync::Arc;

use app::api::live::{ClientMessage, ServerMessage};
use app::api::ports::{AccessToken, Principal};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tokio::sync::broadcast::error::RecvError;

use super::csrf::same_origin;
use super::live_session::{SessionCheck, Verdict, SESSION_ENDED, TOKEN_EXPIRED};
use super::AppState;
use crate::calls::CallHub;

/// How often an idle channel is pinged, so proxies keep it open and a dead peer is noticed.
const PING_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

pub async fn live(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    token: Option<Extension<AccessToken>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let (Some(Extension(me)), Some(Extension(token))) = (principal, token) else {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    };
    let services = &state.services;
    let Some(check) = SessionCheck::new(
        services.identity.clone(),
        services.store.clone(),
        services.clock.clone(),
        token.0,
    ) else {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    };
    if !same_origin(&headers, &state.public_url) {
        tracing::warn!(user = %me.sub, "live channel refused: cross-origin request");
        return (StatusCode::FORBIDDEN, "cross-origin live channel refused").into_response();
    }
    let hub = state.calls.clone();
    let session = Session {
        check,
        every: state.session_recheck,
    };
    ws.max_message_size(app::api::live::MAX_CLIENT_FRAME)
        .on_upgrade(move |socket| connection(socket, me, hub, Some(session)))
}

/// The channel's session and how often it is checked.
struct Session {
    check: SessionCheck,
    every: std::time::Duration,
}

/// The WebSocket close code for "Service Restart" (RFC 6455 registry): the tab reconnects.
const SERVER_STOPPING: u16 = 1012;

/// Closes the channel with `code` and a reason the tab (and a person reading its console) can
/// read.
async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// Sends one message; false once the socket is gone.
async fn send(socket: &mut WebSocket, m: &ServerMessage) -> bool {
    match serde_json::to_string(m) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => true,
    }
}

async fn connection(
    mut socket: WebSocket,
    me: Principal,
    hub: Arc<CallHub>,
    session: Option<Session>,
) {
    let (connection, mut events, hello) = hub.connect_as(&me.sub, &me.email);
    let mut revocations = hub.session_revocations();
    let closing = hub.closing();
    // The periodic check (for revocations on other servers of the same store), and one at the
    // access token's expiry.
    let recheck_every = session.as_ref().map_or(PING_EVERY, |s| s.every);
    let mut recheck = tokio::time::interval(recheck_every);
    recheck.tick().await;
    let expiry = tokio::time::sleep(
        session
            .as_ref()
            .map_or(std::time::Duration::MAX / 4, |s| s.check.until_expiry()),
    );
    tokio::pin!(expiry);
    let mut expiry_passed = false;
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    // TURN credentials made per user expire: new ones reach the tab before they do.
    let renew_every = hub.renew_ice_servers_every();
    let mut renew = tokio::time::interval(renew_every.unwrap_or(PING_EVERY));
    renew.tick().await;
    if send(&mut socket, &hello).await {
        loop {
            tokio::select! {
                m = socket.recv() => match m {
                    Some(Ok(Message::Text(text))) => {
                        let reply = match serde_json::from_str::<ClientMessage>(&text) {
                            Ok(message) => hub.handle(&me.sub, connection, message).await,
                            Err(e) => Some(ServerMessage::Error {
                                call_id: None,
                                message: format!("not a live-channel message: {e}"),
                            }),
                        };
                        if let Some(reply) = reply {
                            if !send(&mut socket, &reply).await {
                                break;
                            }
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        let e = ServerMessage::Error { call_id: None, message: "the live channel takes JSON text frames".into() };
                        if !send(&mut socket, &e).await {
                            break;
                        }
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                },
                e = events.recv() => match e {
                    Ok(m) => {
                        if !send(&mut socket, &m).await {
                            break;
                        }
                    }
                    // Fell behind: the tab reconnects and gets a fresh snapshot.
                    Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => break,
                },
                _ = closing.cancelled() => {
                    // The server is stopping and its calls are over: the tab reconnects, to
                    // another server behind the load balancer.
                    close(&mut socket, SERVER_STOPPING, "the server is restarting: reconnecting").await;
                    break;
                }
                _ = renew.tick(), if renew_every.is_some() => {
                    if !send(&mut socket, &hub.renewed_ice_servers(&me.sub)).await {
                        break;
                    }
                }
                _ = ping.tick() => {
                    if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                        break;
                    }
                }
                _ = recheck.tick(), if session.is_some() => {
                    if !session_stands(&mut socket, session.as_ref(), &hub, &me, connection).await {
                        break;
                    }
                }
                _ = &mut expiry, if session.is_some() && !expiry_passed => {
                    expiry_passed = true;
                    if !session_stands(&mut socket, session.as_ref(), &hub, &me, connection).await {
                        break;
                    }
                }
                r = revocations.recv(), if session.is_some() => {
                    let (concerns_me, signed_out) = match &r {
                        Ok(Some(sub)) => (*sub == me.sub, *sub == me.sub),
                        // Anyone's, or some were missed.
                        Ok(None) | Err(RecvError::Lagged(_)) => (true, false),
                        Err(RecvError::Closed) => (false, false),
                    };
                    let looks_up = session.as_ref().is_some_and(|s| s.check.looks_up_sessions());
                    if signed_out && !looks_up {
                        // This user signed out everywhere; the provider's token would verify
                        // until it expires.
                        tracing::info!(user = %me.sub, "live channel closed: its user signed out everywhere");
                        close(&mut socket, SESSION_ENDED, "session ended: sign in again").await;
                        break;
                    }
                    if concerns_me && !session_stands(&mut socket, session.as_ref(), &hub, &me, connection).await {
                        break;
                    }
                }
            }
        }
    }
    hub.disconnect(&me.sub, connection);
}

/// Checks the channel's session; false once the channel has been closed for it.
async fn session_stands(
    socket: &mut WebSocket,
    session: Option<&Session>,
    hub: &CallHub,
    me: &Principal,
    connection: u64,
) -> bool {
    let Some(session) = session else {
        return true;
    };
    match session.check.check().await {
        Verdict::Stands => true,
        Verdict::Unknown => {
            tracing::warn!(user = %me.sub, "live channel's session not checked: the store or identity provider did not answer");
            true
        }
        Verdict::Ended => {
            tracing::info!(user = %me.sub, "live channel closed: its session ended");
            close(socket, SESSION_ENDED, "session ended: sign in again").await;
            false
        }
        // A call's audio is not cut at the hour: its channel goes once the call has ended.
        Verdict::TokenExpired if hub.holds_call_audio(&me.sub, connection) => true,
        Verdict::TokenExpired => {
            tracing::info!(user = %me.sub, "live channel closed: its access token expired");
            close(socket, TOKEN_EXPIRED, "access token expired: reconnect").await;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header, HeaderValue};
    use std::time::Duration;

    use app::api::live::IceServer;
    use futures_util::StreamExt;
    use serde_json::Value;
    use tokio_tungstenite::tungstenite::Message as WsMessage;

    use crate::calls::{rest_credential, IceServers, Provider, TurnRest};
    use crate::config::Secret;

    type Client = tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >;

    const TURN_SECRET: &str = "a7f3c9e1b5d24680a7f3c9e1b5d24680-turn";

    /// A live channel of "alice-sub" over a hub giving `ice`, and the client's socket.
    async fn channel(ice: IceServers) -> Client {
        let store = Arc::new(crate::store::SqliteStore::in_memory().await.unwrap());
        let hub = Arc::new(CallHub::new(
            Provider::None,
            store,
            Arc::new(crate::clock::SystemClock),
            ice,
            None,
        ));
        let me = Principal {
            sub: "alice-sub".into(),
            email: "alice@example.com".into(),
            groups: Vec::new(),
        };
        let app = axum::Router::new().route(
            "/live",
            axum::routing::get(move |ws: WebSocketUpgrade| async move {
                ws.on_upgrade(move |socket| connection(socket, me, hub, None))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/live"))
            .await
            .unwrap();
        ws
    }

    /// The next JSON message (pings skipped), or `None` if none came within `within`.
    async fn next_json(ws: &mut Client, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, ws.next()).await {
                Ok(Some(Ok(WsMessage::Text(text)))) => {
                    return Some(serde_json::from_str(&text).unwrap())
                }
                Ok(Some(Ok(_))) => continue,
                Ok(other) => panic!("the channel closed: {other:?}"),
                Err(_) => return None,
            }
        }
    }

    /// The TURN entry's expiry and user id; its credential checked against the secret.
    fn turn_entry(message: &Value) -> (u64, String) {
        let servers = message["ice_servers"].as_array().unwrap();
        let turn = servers.last().unwrap();
        let username = turn["username"].as_str().unwrap();
        assert_eq!(
            turn["credential"].as_str().unwrap(),
            rest_credential(TURN_SECRET, username)
        );
        let (expiry, id) = username.split_once(':').unwrap();
        (expiry.parse().unwrap(), id.to_string())
    }

    #[tokio::test]
    async fn an_open_channel_gets_new_turn_credentials_at_half_their_life() {
        // A life of 2 s (the configuration allows 10 minutes or more) keeps the test short.
        let turn = TurnRest {
            urls: vec!["turn:turn.example.com:3478".into()],
            secret: Secret::new(TURN_SECRET.into()),
            ttl: Duration::from_secs(2),
        };
        let mut ws = channel(IceServers::new(Vec::new(), Some(turn))).await;
        let wait = Duration::from_secs(10);
        let hello = next_json(&mut ws, wait).await.unwrap();
        assert_eq!(hello["type"], "hello");
        let (first, id) = turn_entry(&hello);
        assert_eq!(id, "alice-sub");
        // Renewed every second (half the life), each expiring 2 s after it was made, so the
        // tab never holds credentials with less than half their life left.
        let started = std::time::Instant::now();
        let mut last = first;
        for _ in 0..2 {
            let renewed = next_json(&mut ws, wait).await.unwrap();
            assert_eq!(renewed["type"], "ice_servers", "{renewed}");
            let (expiry, id) = turn_entry(&renewed);
            assert_eq!(id, "alice-sub");
            assert!((last..=last + 2).contains(&expiry), "{last} then {expiry}");
            last = expiry;
        }
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(1900) && took < Duration::from_secs(4),
            "{took:?}"
        );
        assert!(last > first);
    }

    #[tokio::test]
    async fn fixed_ice_servers_are_sent_once() {
        let stun = IceServer {
            urls: vec!["stun:stun.example.com:3478".into()],
            username: None,
            credential: None,
        };
        let mut ws = channel(IceServers::from(vec![stun])).await;
        let hello = next_json(&mut ws, Duration::from_secs(3600)).await.unwrap();
        assert_eq!(
            hello["ice_servers"],
            serde_json::json!([{"urls": ["stun:stun.example.com:3478"], "username": null, "credential": null}])
        );
        assert_eq!(next_json(&mut ws, Duration::from_secs(2)).await, None);
    }

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static(host));
        if let Some(origin) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_static(origin));
        }
        h
    }

    #[test]
    fn only_our_own_pages_may_open_the_live_channel() {
        let public = "https://phone.example.com";
        let ours = headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000");
        assert!(same_origin(&ours, public));
        let behind_proxy = headers(Some("https://phone.example.com"), "10.0.0.5:3000");
        assert!(same_origin(&behind_proxy, public));
        let other_site = headers(Some("https://evil.example"), "127.0.0.1:3000");
        assert!(!same_origin(&other_site, public));
        assert!(!same_origin(&headers(None, "127.0.0.1:3000"), public));
    }
}
