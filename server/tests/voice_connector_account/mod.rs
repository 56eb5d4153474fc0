//! The chime-sdk-voice account behind `server/tests/chime_voice_connector*.rs`: canned read
//! responses (aws-smithy-mocks) and the recorded input of every call that changes something.
//! Any other request fails the test (the mock panics on a request no rule matches).
#![allow(dead_code)]

#[path = "../common/mocked_voice.rs"]
mod mocked_voice;

pub use std::path::PathBuf;
pub use std::sync::{Arc, Mutex};

pub use aws_sdk_chimesdkvoice as voice;
pub use aws_smithy_mocks::{mock, Rule};
pub use mocked_voice::mocked_voice_client;
pub use server::chime::provision::Change;
pub use server::chime::voice_connector::{
    check, provision, CredentialsFile, Options, VoiceConnectorError, VoiceConnectorRequest,
};
pub use voice::operation as op;
pub use voice::types::{
    LoggingConfiguration, Origination, OriginationRoute, OriginationRouteProtocol, PhoneNumber,
    PhoneNumberAssociation, PhoneNumberAssociationName, PhoneNumberProductType, PhoneNumberStatus,
    Termination, VoiceConnector, VoiceConnectorAwsRegion,
};

pub const CALLER_ID: &str = "+6531590000";
pub const OTHER_NUMBER: &str = "+50720001234";
pub const GATEWAY: &str = "203.0.113.7";
pub const VC_ID: &str = "abcdef1ghij2klmno3pqr4";

pub fn request() -> VoiceConnectorRequest {
    VoiceConnectorRequest {
        name: "softphone".into(),
        region: "us-east-1".into(),
        gateway_addresses: vec![GATEWAY.into()],
        calling_regions: vec!["PA".into(), "SG".into()],
        cps_limit: 1,
        caller_id: CALLER_ID.into(),
        numbers: vec![],
    }
}

/// A fresh directory for the credentials file (the file is not made).
pub fn credentials_path() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("softphone-vc-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(".env")
}

pub fn options(path: &PathBuf, dry_run: bool) -> Options {
    Options {
        dry_run,
        rotate_credentials: false,
        credentials_file: CredentialsFile::new(path),
    }
}

pub fn number(e164: &str, product: PhoneNumberProductType, connector: Option<&str>) -> PhoneNumber {
    let builder = PhoneNumber::builder()
        .phone_number_id(e164)
        .e164_phone_number(e164)
        .product_type(product)
        .status(if connector.is_some() {
            PhoneNumberStatus::Assigned
        } else {
            PhoneNumberStatus::Unassigned
        });
    match connector {
        Some(id) => builder
            .associations(
                PhoneNumberAssociation::builder()
                    .name(PhoneNumberAssociationName::VoiceConnectorId)
                    .value(id)
                    .build(),
            )
            .build(),
        None => builder.build(),
    }
}

pub fn connector(id: &str, encryption: bool) -> VoiceConnector {
    VoiceConnector::builder()
        .voice_connector_id(id)
        .name("softphone")
        .aws_region(VoiceConnectorAwsRegion::UsEast1)
        .outbound_host_name(format!("{id}.voiceconnector.chime.aws"))
        .require_encryption(encryption)
        .build()
}

pub fn good_termination() -> Termination {
    Termination::builder()
        .cps_limit(1)
        .default_phone_number(CALLER_ID)
        .calling_regions("SG")
        .calling_regions("PA")
        .cidr_allowed_list(format!("{GATEWAY}/32"))
        .disabled(false)
        .build()
}

/// Calls in to the gateway over TLS.
pub fn good_origination() -> Origination {
    Origination::builder()
        .routes(
            OriginationRoute::builder()
                .host(GATEWAY)
                .port(5061)
                .protocol(OriginationRouteProtocol::Tcp)
                .priority(1)
                .weight(1)
                .build(),
        )
        .disabled(false)
        .build()
}

pub fn logging(on: bool) -> LoggingConfiguration {
    LoggingConfiguration::builder()
        .enable_sip_logs(on)
        .enable_media_metric_logs(on)
        .build()
}

/// The account as the read calls show it.
#[derive(Clone)]
pub struct Account {
    pub numbers: Vec<PhoneNumber>,
    pub connectors: Vec<VoiceConnector>,
    pub termination: Option<Termination>,
    pub origination: Option<Origination>,
    pub usernames: Vec<String>,
    pub logging: LoggingConfiguration,
}

impl Account {
    pub fn fresh() -> Account {
        Account {
            numbers: vec![number(
                CALLER_ID,
                PhoneNumberProductType::VoiceConnector,
                None,
            )],
            connectors: vec![],
            termination: None,
            origination: None,
            usernames: vec![],
            logging: LoggingConfiguration::builder().build(),
        }
    }

    pub fn provisioned() -> Account {
        Account {
            numbers: vec![number(
                CALLER_ID,
                PhoneNumberProductType::VoiceConnector,
                Some(VC_ID),
            )],
            connectors: vec![connector(VC_ID, true)],
            termination: Some(good_termination()),
            origination: Some(good_origination()),
            usernames: vec!["softphone".into()],
            logging: logging(true),
        }
    }

    /// The account after `changes` (what the service would show next).
    pub fn after(&self, changes: &Changes) -> Account {
        let mut next = self.clone();
        if !changes.create.lock().unwrap().is_empty() {
            next.connectors.push(connector("vc-new", true));
        }
        for update in changes.update.lock().unwrap().iter() {
            for c in &mut next.connectors {
                if c.voice_connector_id.as_deref() == update.voice_connector_id() {
                    c.require_encryption = update.require_encryption();
                }
            }
        }
        for associate in changes.associate.lock().unwrap().iter() {
            for n in &mut next.numbers {
                if associate
                    .e164_phone_numbers()
                    .iter()
                    .any(|e| Some(e.as_str()) == n.e164_phone_number.as_deref())
                {
                    *n = number(
                        n.e164_phone_number.as_deref().unwrap(),
                        PhoneNumberProductType::VoiceConnector,
                        associate.voice_connector_id(),
                    );
                }
            }
        }
        if let Some(put) = changes.termination.lock().unwrap().last() {
            next.termination = put.termination().cloned();
        }
        if let Some(put) = changes.origination.lock().unwrap().last() {
            next.origination = put.origination().cloned();
        }
        for put in changes.credentials.lock().unwrap().iter() {
            for c in put.credentials() {
                let name = c.username().unwrap().to_string();
                if !next.usernames.contains(&name) {
                    next.usernames.push(name);
                }
            }
        }
        if let Some(put) = changes.logging.lock().unwrap().last() {
            next.logging = put.logging_configuration().cloned().unwrap();
        }
        next
    }
}

/// The inputs of every call that changes something.
#[derive(Default)]
pub struct Changes {
    pub create: Mutex<Vec<op::create_voice_connector::CreateVoiceConnectorInput>>,
    pub update: Mutex<Vec<op::update_voice_connector::UpdateVoiceConnectorInput>>,
    pub associate: Mutex<
        Vec<op::associate_phone_numbers_with_voice_connector::AssociatePhoneNumbersWithVoiceConnectorInput>,
    >,
    pub termination: Mutex<Vec<op::put_voice_connector_termination::PutVoiceConnectorTerminationInput>>,
    pub origination: Mutex<Vec<op::put_voice_connector_origination::PutVoiceConnectorOriginationInput>>,
    pub credentials: Mutex<
        Vec<op::put_voice_connector_termination_credentials::PutVoiceConnectorTerminationCredentialsInput>,
    >,
    pub logging: Mutex<
        Vec<op::put_voice_connector_logging_configuration::PutVoiceConnectorLoggingConfigurationInput>,
    >,
}

impl Changes {
    pub fn count(&self) -> usize {
        self.create.lock().unwrap().len()
            + self.update.lock().unwrap().len()
            + self.associate.lock().unwrap().len()
            + self.termination.lock().unwrap().len()
            + self.origination.lock().unwrap().len()
            + self.credentials.lock().unwrap().len()
            + self.logging.lock().unwrap().len()
    }
}

/// Records the input into `sink`, matching every request.
macro_rules! recording {
    ($changes:expr, $field:ident) => {{
        let sink = $changes.clone();
        move |input: &_| {
            sink.$field.lock().unwrap().push(input.clone());
            true
        }
    }};
}

pub fn meta(code: &str) -> voice::error::ErrorMetadata {
    voice::error::ErrorMetadata::builder()
        .code(code)
        .message("canned")
        .build()
}

/// A client answering from `account` (after the `first` rules, such as canned errors),
/// recording into the returned `Changes`.
pub fn account_client(account: Account, first: Vec<Rule>) -> (voice::Client, Arc<Changes>) {
    let changes = Arc::new(Changes::default());
    let a = account.clone();
    let list_numbers = mock!(voice::Client::list_phone_numbers).then_output(move || {
        op::list_phone_numbers::ListPhoneNumbersOutput::builder()
            .set_phone_numbers(Some(a.numbers.clone()))
            .build()
    });
    let a = account.clone();
    let list_connectors = mock!(voice::Client::list_voice_connectors).then_output(move || {
        op::list_voice_connectors::ListVoiceConnectorsOutput::builder()
            .set_voice_connectors(Some(a.connectors.clone()))
            .build()
    });
    let get_termination = match account.termination.clone() {
        Some(t) => mock!(voice::Client::get_voice_connector_termination).then_output(move || {
            op::get_voice_connector_termination::GetVoiceConnectorTerminationOutput::builder()
                .termination(t.clone())
                .build()
        }),
        None => mock!(voice::Client::get_voice_connector_termination).then_error(|| {
            op::get_voice_connector_termination::GetVoiceConnectorTerminationError::NotFoundException(
                voice::types::error::NotFoundException::builder()
                    .meta(meta("NotFoundException"))
                    .build(),
            )
        }),
    };
    let get_origination = match account.origination.clone() {
        Some(o) => mock!(voice::Client::get_voice_connector_origination).then_output(move || {
            op::get_voice_connector_origination::GetVoiceConnectorOriginationOutput::builder()
                .origination(o.clone())
                .build()
        }),
        None => mock!(voice::Client::get_voice_connector_origination).then_error(|| {
            op::get_voice_connector_origination::GetVoiceConnectorOriginationError::NotFoundException(
                voice::types::error::NotFoundException::builder()
                    .meta(meta("NotFoundException"))
                    .build(),
            )
        }),
    };
    let usernames = account.usernames.clone();
    let list_credentials = mock!(voice::Client::list_voice_connector_termination_credentials)
        .then_output(move || {
            op::list_voice_connector_termination_credentials::ListVoiceConnectorTerminationCredentialsOutput::builder()
                .set_usernames(Some(usernames.clone()))
                .build()
        });
    let current_logging = account.logging.clone();
    let get_logging = mock!(voice::Client::get_voice_connector_logging_configuration)
        .then_output(move || {
            op::get_voice_connector_logging_configuration::GetVoiceConnectorLoggingConfigurationOutput::builder()
                .logging_configuration(current_logging.clone())
                .build()
        });
    let create = mock!(voice::Client::create_voice_connector)
        .match_requests(recording!(changes, create))
        .then_output(|| {
            op::create_voice_connector::CreateVoiceConnectorOutput::builder()
                .voice_connector(connector("vc-new", true))
                .build()
        });
    let update = mock!(voice::Client::update_voice_connector)
        .match_requests(recording!(changes, update))
        .then_output(|| op::update_voice_connector::UpdateVoiceConnectorOutput::builder().build());
    let associate = mock!(voice::Client::associate_phone_numbers_with_voice_connector)
        .match_requests(recording!(changes, associate))
        .then_output(|| {
            op::associate_phone_numbers_with_voice_connector::AssociatePhoneNumbersWithVoiceConnectorOutput::builder().build()
        });
    let put_termination = mock!(voice::Client::put_voice_connector_termination)
        .match_requests(recording!(changes, termination))
        .then_output(|| {
            op::put_voice_connector_termination::PutVoiceConnectorTerminationOutput::builder()
                .build()
        });
    let put_origination = mock!(voice::Client::put_voice_connector_origination)
        .match_requests(recording!(changes, origination))
        .then_output(|| {
            op::put_voice_connector_origination::PutVoiceConnectorOriginationOutput::builder()
                .build()
        });
    let put_credentials = mock!(voice::Client::put_voice_connector_termination_credentials)
        .match_requests(recording!(changes, credentials))
        .then_output(|| {
            op::put_voice_connector_termination_credentials::PutVoiceConnectorTerminationCredentialsOutput::builder().build()
        });
    let put_logging = mock!(voice::Client::put_voice_connector_logging_configuration)
        .match_requests(recording!(changes, logging))
        .then_output(|| {
            op::put_voice_connector_logging_configuration::PutVoiceConnectorLoggingConfigurationOutput::builder().build()
        });
    let rules = [
        list_numbers,
        list_connectors,
        get_termination,
        get_origination,
        list_credentials,
        get_logging,
        create,
        update,
        associate,
        put_termination,
        put_origination,
        put_credentials,
        put_logging,
    ];
    (
        mocked_voice_client(first.iter().chain(rules.iter())),
        changes,
    )
}

pub fn changes_of(report: &server::chime::voice_connector::ProvisionReport) -> Vec<Change> {
    report.steps.iter().map(|s| s.change.clone()).collect()
}

/// The password the file holds.
pub fn stored_password(path: &PathBuf) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("SOFTPHONE_TRUNK_PASSWORD="))
        .unwrap()
        .to_string()
}

/// A connector someone set up by hand: encryption off, wider regions, another source, no
/// default number, logging off, the number not associated; credentials the file has.
pub fn drifted() -> Account {
    Account {
        numbers: vec![number(
            CALLER_ID,
            PhoneNumberProductType::VoiceConnector,
            None,
        )],
        connectors: vec![connector(VC_ID, false)],
        termination: Some(
            Termination::builder()
                .cps_limit(5)
                .calling_regions("US")
                .calling_regions("PA")
                .calling_regions("SG")
                .cidr_allowed_list("198.51.100.0/24")
                .disabled(false)
                .build(),
        ),
        // Calls in to an old host over plain UDP.
        origination: Some(
            Origination::builder()
                .routes(
                    OriginationRoute::builder()
                        .host("198.51.100.9")
                        .port(5060)
                        .protocol(OriginationRouteProtocol::Udp)
                        .priority(1)
                        .weight(1)
                        .build(),
                )
                .disabled(false)
                .build(),
        ),
        usernames: vec!["softphone".into()],
        logging: LoggingConfiguration::builder()
            .enable_sip_logs(true)
            .enable_media_metric_logs(false)
            .build(),
    }
}

pub fn file_with_credentials() -> PathBuf {
    let path = credentials_path();
    std::fs::write(
        &path,
        "SOFTPHONE_TRUNK_USERNAME=softphone\nSOFTPHONE_TRUNK_PASSWORD=Kept0123456789Kept0123456789Kept01234567\n",
    )
    .unwrap();
    path
}

pub fn good_termination_sorted() -> Termination {
    Termination::builder()
        .cps_limit(1)
        .default_phone_number(CALLER_ID)
        .calling_regions("PA")
        .calling_regions("SG")
        .cidr_allowed_list(format!("{GATEWAY}/32"))
        .disabled(false)
        .build()
}
