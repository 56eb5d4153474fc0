//! Missed-call push notifications, the Settings side: the server's VAPID public key and the
//! user's devices and quiet hours, subscribing this device (the subscription the browser made,
//! checked strictly: `crate::domain::push`), unsubscribing, and a test notification. Sending is
//! the server's (`Services::push`, `server/src/push/`).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::ApiError;
use crate::domain::push::{DeviceInfo, PushOutcome, PushSettings, PushState, SubscribeRequest};

#[cfg(feature = "ssr")]
pub mod ops {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::api::ports::{write_audit, Principal, Services};
    use crate::domain::push::{PushSubscription, MAX_PER_USER};

    /// A subscription's id: the SHA-256 of its endpoint, base64url (what logs and Settings use;
    /// the endpoint itself is a capability).
    pub fn subscription_id(endpoint: &str) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(endpoint.as_bytes()))
    }

    fn device(s: &PushSubscription) -> DeviceInfo {
        DeviceInfo {
            id: s.id.clone(),
            label: s.label.clone(),
            created_at: s.created_at,
        }
    }

    pub async fn state(services: &Services, me: &Principal) -> Result<PushState, ApiError> {
        let devices = services.store.push_subscriptions(&me.sub).await?;
        Ok(PushState {
            public_key: services.push.public_key(),
            devices: devices.iter().map(device).collect(),
            settings: services.store.push_settings(&me.sub).await?,
        })
    }

    pub async fn subscribe(
        services: &Services,
        me: &Principal,
        request: &SubscribeRequest,
    ) -> Result<DeviceInfo, ApiError> {
        if services.push.public_key().is_none() {
            return Err(ApiError::PushUnavailable);
        }
        let request = request
            .validated(services.push.endpoints())
            .map_err(ApiError::PushSubscriptionInvalid)?;
        let now = services.clock.now_ms();
        let subscription = PushSubscription {
            id: subscription_id(&request.endpoint),
            owner: me.sub.clone(),
            endpoint: request.endpoint,
            p256dh: request.p256dh,
            auth: request.auth,
            label: request.label,
            created_at: now,
        };
        services
            .store
            .put_push_subscription(&subscription, MAX_PER_USER)
            .await?;
        write_audit(
            services.store.as_ref(),
            &me.sub,
            now,
            "push_subscribed",
            format!("device {} \"{}\"", subscription.id, subscription.label),
        )
        .await;
        Ok(device(&subscription))
    }

    /// Removes one of the caller's devices, named by its id or, from the device itself, by its
    /// endpoint. Removing one that is not there is not an error (it may have gone already).
    pub async fn unsubscribe(
        services: &Services,
        me: &Principal,
        id_or_endpoint: &str,
    ) -> Result<(), ApiError> {
        let id = if id_or_endpoint.contains("://") {
            subscription_id(id_or_endpoint.trim())
        } else {
            id_or_endpoint.to_string()
        };
        if services
            .store
            .delete_push_subscription(&me.sub, &id)
            .await?
        {
            write_audit(
                services.store.as_ref(),
                &me.sub,
                services.clock.now_ms(),
                "push_unsubscribed",
                format!("device {id}"),
            )
            .await;
        }
        Ok(())
    }

    pub async fn save_settings(
        services: &Services,
        me: &Principal,
        settings: &PushSettings,
    ) -> Result<PushSettings, ApiError> {
        let settings = PushSettings {
            quiet_hours: settings
                .quiet_hours
                .as_ref()
                .map(|q| q.validated())
                .transpose()
                .map_err(ApiError::QuietHoursInvalid)?,
        };
        services.store.set_push_settings(&me.sub, &settings).await?;
        Ok(settings)
    }

    pub async fn test(services: &Services, me: &Principal) -> Result<PushOutcome, ApiError> {
        if services.push.public_key().is_none() {
            return Err(ApiError::PushUnavailable);
        }
        Ok(services.push.send_test(&me.sub).await?)
    }
}

/// The server's VAPID public key (none: push is off here), the caller's devices and settings.
#[server(endpoint = "push/state", input = Json)]
pub async fn load_push_state() -> Result<PushState, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::state(&services, &me).await
}

/// Keeps this device's subscription (what `pushManager.subscribe` gave the page).
#[server(endpoint = "push/subscribe", input = Json)]
pub async fn subscribe_push(request: SubscribeRequest) -> Result<DeviceInfo, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::subscribe(&services, &me, &request).await
}

/// Forgets one of the caller's devices: its id (Settings' list) or its endpoint (the device).
#[server(endpoint = "push/unsubscribe", input = Json)]
pub async fn unsubscribe_push(device: String) -> Result<(), ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::unsubscribe(&services, &me, &device).await
}

#[server(endpoint = "push/settings", input = Json)]
pub async fn save_push_settings(settings: PushSettings) -> Result<PushSettings, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::save_settings(&services, &me, &settings).await
}

/// One test notification to each of the caller's devices.
#[server(endpoint = "push/test", input = Json)]
pub async fn send_test_push() -> Result<PushOutcome, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::test(&services, &me).await
}
