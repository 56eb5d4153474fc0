//! The Amazon Chime SDK PSTN Audio control plane (`docs/chime.md`): the meeting that carries a
//! call's audio, the agent's and the phone leg's attendees, and the SIP media application call
//! that bridges the meeting to the PSTN. Typed methods over the official SDK clients; every
//! failure is one [`ChimeError`] an operator can act on.

mod error;
mod inventory;
mod meetings;
pub mod provision;
mod voice;
pub mod voice_connector;

pub use error::ChimeError;

/// Every item of a listing, page after page: `page` fetches the page after `token` (the first
/// with `None`) and answers its items and the next token.
pub(crate) async fn all_pages<T, Page>(
    mut page: impl FnMut(Option<String>) -> Page,
) -> Result<Vec<T>, ChimeError>
where
    Page: std::future::Future<Output = Result<(Vec<T>, Option<String>), ChimeError>>,
{
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let (items, next) = page(token).await?;
        all.extend(items);
        token = next;
        if token.is_none() {
            return Ok(all);
        }
    }
}
pub use meetings::{Attendee, MediaPlacement, Meeting};
pub use voice::{CallUpdate, SmaCall, SmaCallArguments};

/// What the control plane needs from the configuration (`SOFTPHONE_CHIME_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChimeSettings {
    /// The Region that hosts the meetings' media, such as us-east-1.
    pub media_region: String,
    /// The SIP media application that places the calls.
    pub sip_media_application_id: String,
    /// The E.164 number the application calls from (one in the account's inventory).
    pub caller_id: String,
    /// The E.164 number that puts the application's call into the meeting.
    pub bridge_number: String,
}

/// The Chime SDK meetings and voice clients with the settings every call shares.
#[derive(Clone, Debug)]
pub struct ChimeControl {
    meetings: aws_sdk_chimesdkmeetings::Client,
    voice: aws_sdk_chimesdkvoice::Client,
    settings: ChimeSettings,
}

impl ChimeControl {
    /// Clients with the SDK's standard configuration (credential chain, `AWS_REGION`,
    /// `AWS_ENDPOINT_URL`, or `AWS_ENDPOINT_URL_CHIME_SDK_MEETINGS` and
    /// `AWS_ENDPOINT_URL_CHIME_SDK_VOICE` for one service).
    pub async fn connect(settings: ChimeSettings) -> Self {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let metrics = crate::metrics::aws::DependencyMetrics("chime");
        Self::with_clients(
            aws_sdk_chimesdkmeetings::Client::from_conf(
                aws_sdk_chimesdkmeetings::config::Builder::from(&shared)
                    .interceptor(metrics)
                    .build(),
            ),
            aws_sdk_chimesdkvoice::Client::from_conf(
                aws_sdk_chimesdkvoice::config::Builder::from(&shared)
                    .interceptor(metrics)
                    .build(),
            ),
            settings,
        )
    }

    /// Clients for a local endpoint (the Chime stand-in): test credentials, `us-east-1`, no
    /// retries (a local failure is not transient).
    pub fn at_endpoint(endpoint: &str, settings: ChimeSettings) -> Self {
        use aws_sdk_chimesdkmeetings as meetings;
        use aws_sdk_chimesdkvoice as voice;
        let meetings = meetings::Config::builder()
            .behavior_version(meetings::config::BehaviorVersion::latest())
            .region(meetings::config::Region::new("us-east-1"))
            .credentials_provider(meetings::config::Credentials::new(
                "local",
                "local",
                None,
                None,
                "chime-standin",
            ))
            .retry_config(meetings::config::retry::RetryConfig::disabled())
            .endpoint_url(endpoint)
            .interceptor(crate::metrics::aws::DependencyMetrics("chime"))
            .build();
        let voice = voice::Config::builder()
            .behavior_version(voice::config::BehaviorVersion::latest())
            .region(voice::config::Region::new("us-east-1"))
            .credentials_provider(voice::config::Credentials::new(
                "local",
                "local",
                None,
                None,
                "chime-standin",
            ))
            .retry_config(voice::config::retry::RetryConfig::disabled())
            .endpoint_url(endpoint)
            .interceptor(crate::metrics::aws::DependencyMetrics("chime"))
            .build();
        Self::with_clients(
            meetings::Client::from_conf(meetings),
            voice::Client::from_conf(voice),
            settings,
        )
    }

    pub fn with_clients(
        meetings: aws_sdk_chimesdkmeetings::Client,
        voice: aws_sdk_chimesdkvoice::Client,
        settings: ChimeSettings,
    ) -> Self {
        ChimeControl {
            meetings,
            voice,
            settings,
        }
    }

    pub fn settings(&self) -> &ChimeSettings {
        &self.settings
    }
}

/// `server chime provision`: a chime-sdk-voice client with the SDK's standard configuration,
/// in the Region of the handler's Lambda function (where the application must be).
pub async fn provision_cli(
    request: &provision::ProvisionRequest,
) -> Result<provision::ProvisionReport, provision::ProvisionError> {
    let client = voice_connector_client(request.region()?).await;
    provision::provision(&client, request).await
}

/// `server chime voice-connector provision|check` (and `server chime provision`): a
/// chime-sdk-voice client with the SDK's standard configuration in `region`.
pub async fn voice_connector_client(region: &str) -> aws_sdk_chimesdkvoice::Client {
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .load()
        .await;
    aws_sdk_chimesdkvoice::Client::new(&shared)
}
