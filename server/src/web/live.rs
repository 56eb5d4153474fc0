//! The live channel (`/api/live`): one WebSocket per open tab, carrying call state and
//! signalling both ways; see `app::api::live`.

use std::sync::Arc;

use app::api::live::{ClientMessage, ServerMessage};
use app::api::ports::Principal;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use crate::calls::CallHub;

/// How often an idle channel is pinged, so proxies keep it open and a dead peer is noticed.
const PING_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

/// Whether a browser request comes from our own pages: its `Origin` names the host it was sent
/// to (or the configured public URL). Stops other sites from opening the live channel with the
/// user's cookies (cross-site WebSocket hijacking).
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if origin == public_url {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((origin_host, host), (Some(o), Some(h)) if o == h)
}

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
    use axum::http::HeaderValue;

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
