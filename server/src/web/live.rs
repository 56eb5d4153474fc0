//! The live channel (`/api/live`): one WebSocket per open tab, carrying call state and
//! signalling both ways; see `app::api::live`.

use std::sync::Arc;

use app::api::live::{ClientMessage, ServerMessage};
use app::api::ports::Principal;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tokio::sync::broadcast::error::RecvError;

use super::csrf::same_origin;
use super::AppState;
use crate::calls::CallHub;

/// How often an idle channel is pinged, so proxies keep it open and a dead peer is noticed.
const PING_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

pub async fn live(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(Extension(me)) = principal else {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    };
    if !same_origin(&headers, &state.public_url) {
        tracing::warn!(user = %me.sub, "live channel refused: cross-origin request");
        return (StatusCode::FORBIDDEN, "cross-origin live channel refused").into_response();
    }
    let hub = state.calls.clone();
    ws.max_message_size(app::api::live::MAX_CLIENT_FRAME)
        .on_upgrade(move |socket| connection(socket, me, hub))
}

/// Sends one message; false once the socket is gone.
async fn send(socket: &mut WebSocket, m: &ServerMessage) -> bool {
    match serde_json::to_string(m) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => true,
    }
}

async fn connection(mut socket: WebSocket, me: Principal, hub: Arc<CallHub>) {
    let (connection, mut events, hello) = hub.connect(&me.sub);
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
            }
        }
    }
    hub.disconnect(&me.sub, connection);
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
                ws.on_upgrade(move |socket| connection(socket, me, hub))
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
