//! `server chime voice-connector provision|check` (`server::chime::voice_connector`) against a
//! chime-sdk-voice client whose responses are canned (aws-smithy-mocks): an account as the read
//! calls show it, and the exact input of every call that changes something. A second run is
//! made against the account with the first run's changes applied. Any other request fails the
//! test (the mock panics on a request no rule matches).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use aws_sdk_chimesdkvoice as voice;
use aws_smithy_mocks::{create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode};
use server::chime::provision::Change;
use server::chime::voice_connector::{
    check, provision, CredentialsFile, Options, VoiceConnectorError, VoiceConnectorRequest,
};
use server::chime::ChimeError;
use voice::operation as op;
use voice::types::{
    LoggingConfiguration, PhoneNumber, PhoneNumberAssociation, PhoneNumberAssociationName,
    PhoneNumberProductType, PhoneNumberStatus, Termination, VoiceConnector,
    VoiceConnectorAwsRegion,
};

const CALLER_ID: &str = "+6531590000";
const OTHER_NUMBER: &str = "+50720001234";
const GATEWAY: &str = "203.0.113.7";
const VC_ID: &str = "abcdef1ghij2klmno3pqr4";

fn request() -> VoiceConnectorRequest {
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
fn credentials_path() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("softphone-vc-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(".env")
}

fn options(path: &PathBuf, dry_run: bool) -> Options {
    Options {
        dry_run,
        rotate_credentials: false,
        credentials_file: CredentialsFile::new(path),
    }
}

fn number(e164: &str, product: PhoneNumberProductType, connector: Option<&str>) -> PhoneNumber {
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

fn connector(id: &str, encryption: bool) -> VoiceConnector {
    VoiceConnector::builder()
        .voice_connector_id(id)
        .name("softphone")
        .aws_region(VoiceConnectorAwsRegion::UsEast1)
        .outbound_host_name(format!("{id}.voiceconnector.chime.aws"))
        .require_encryption(encryption)
        .build()
}

fn good_termination() -> Termination {
    Termination::builder()
        .cps_limit(1)
        .default_phone_number(CALLER_ID)
        .calling_regions("SG")
        .calling_regions("PA")
        .cidr_allowed_list(format!("{GATEWAY}/32"))
        .disabled(false)
        .build()
}

fn logging(on: bool) -> LoggingConfiguration {
    LoggingConfiguration::builder()
        .enable_sip_logs(on)
        .enable_media_metric_logs(on)
        .build()
}

/// The account as the read calls show it.
#[derive(Clone)]
struct Account {
    numbers: Vec<PhoneNumber>,
    connectors: Vec<VoiceConnector>,
    termination: Option<Termination>,
    usernames: Vec<String>,
    logging: LoggingConfiguration,
}

impl Account {
    fn fresh() -> Account {
        Account {
            numbers: vec![number(
                CALLER_ID,
                PhoneNumberProductType::VoiceConnector,
                None,
            )],
            connectors: vec![],
            termination: None,
            usernames: vec![],
            logging: LoggingConfiguration::builder().build(),
        }
    }

    fn provisioned() -> Account {
        Account {
            numbers: vec![number(
                CALLER_ID,
                PhoneNumberProductType::VoiceConnector,
                Some(VC_ID),
            )],
            connectors: vec![connector(VC_ID, true)],
            termination: Some(good_termination()),
            usernames: vec!["softphone".into()],
            logging: logging(true),
        }
    }

    /// The account after `changes` (what the service would show next).
    fn after(&self, changes: &Changes) -> Account {
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
struct Changes {
    create: Mutex<Vec<op::create_voice_connector::CreateVoiceConnectorInput>>,
    update: Mutex<Vec<op::update_voice_connector::UpdateVoiceConnectorInput>>,
    associate: Mutex<
        Vec<op::associate_phone_numbers_with_voice_connector::AssociatePhoneNumbersWithVoiceConnectorInput>,
    >,
    termination: Mutex<Vec<op::put_voice_connector_termination::PutVoiceConnectorTerminationInput>>,
    credentials: Mutex<
        Vec<op::put_voice_connector_termination_credentials::PutVoiceConnectorTerminationCredentialsInput>,
    >,
    logging: Mutex<
        Vec<op::put_voice_connector_logging_configuration::PutVoiceConnectorLoggingConfigurationInput>,
    >,
}

impl Changes {
    fn count(&self) -> usize {
        self.create.lock().unwrap().len()
            + self.update.lock().unwrap().len()
            + self.associate.lock().unwrap().len()
            + self.termination.lock().unwrap().len()
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

fn meta(code: &str) -> voice::error::ErrorMetadata {
    voice::error::ErrorMetadata::builder()
        .code(code)
        .message("canned")
        .build()
}

/// A client answering from `account` (after the `first` rules, such as canned errors),
/// recording into the returned `Changes`.
fn account_client(account: Account, first: Vec<Rule>) -> (voice::Client, Arc<Changes>) {
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
        list_credentials,
        get_logging,
        create,
        update,
        associate,
        put_termination,
        put_credentials,
        put_logging,
    ];
    let interceptor = first.iter().chain(rules.iter()).fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
        |i, rule| i.with_rule(rule),
    );
    let config = voice::Config::builder()
        .behavior_version(voice::config::BehaviorVersion::latest())
        .region(voice::config::Region::new("us-east-1"))
        .credentials_provider(voice::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .retry_config(voice::config::retry::RetryConfig::disabled())
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .build();
    (voice::Client::from_conf(config), changes)
}

fn changes_of(report: &server::chime::voice_connector::ProvisionReport) -> Vec<Change> {
    report.steps.iter().map(|s| s.change.clone()).collect()
}

/// The password the file holds.
fn stored_password(path: &PathBuf) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("SOFTPHONE_TRUNK_PASSWORD="))
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_fresh_account_gets_the_connector_and_everything_on_it() {
    let path = credentials_path();
    let (client, changes) = account_client(Account::fresh(), vec![]);
    let report = provision(&client, &request(), &options(&path, false))
        .await
        .unwrap();

    let created = changes.create.lock().unwrap().clone();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].name(), Some("softphone"));
    assert_eq!(
        created[0].aws_region(),
        Some(&VoiceConnectorAwsRegion::UsEast1)
    );
    assert_eq!(created[0].require_encryption(), Some(true));
    assert_eq!(created[0].tags(), &[] as &[voice::types::Tag]);

    let associated = changes.associate.lock().unwrap().clone();
    assert_eq!(associated.len(), 1);
    assert_eq!(associated[0].voice_connector_id(), Some("vc-new"));
    assert_eq!(associated[0].e164_phone_numbers(), [CALLER_ID]);
    assert_eq!(associated[0].force_associate(), Some(false));

    let terminations = changes.termination.lock().unwrap().clone();
    assert_eq!(terminations.len(), 1);
    assert_eq!(terminations[0].voice_connector_id(), Some("vc-new"));
    let t = terminations[0].termination().unwrap();
    assert_eq!(t.calling_regions(), ["PA", "SG"]);
    assert_eq!(t.cidr_allowed_list(), ["203.0.113.7/32"]);
    assert_eq!(t.cps_limit(), Some(1));
    assert_eq!(t.default_phone_number(), Some(CALLER_ID));
    assert_eq!(t.disabled(), Some(false));

    let credentials = changes.credentials.lock().unwrap().clone();
    assert_eq!(credentials.len(), 1);
    assert_eq!(credentials[0].voice_connector_id(), Some("vc-new"));
    let sent = &credentials[0].credentials()[0];
    assert_eq!(sent.username(), Some("softphone"));
    let password = sent.password().unwrap().to_string();
    assert_eq!(password.len(), 40);
    assert!(password.bytes().all(|b| b.is_ascii_alphanumeric()));
    // The server reads what was sent.
    assert_eq!(stored_password(&path), password);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("SOFTPHONE_TRUNK_USERNAME=softphone\n"),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let logging = changes.logging.lock().unwrap().clone();
    assert_eq!(logging.len(), 1);
    assert_eq!(logging[0].voice_connector_id(), Some("vc-new"));
    let config = logging[0].logging_configuration().unwrap();
    assert_eq!(config.enable_sip_logs(), Some(true));
    assert_eq!(config.enable_media_metric_logs(), Some(true));
    assert_eq!(changes.count(), 5);

    assert_eq!(
        changes_of(&report),
        [
            Change::Unchanged,
            Change::Created,
            Change::Updated,
            Change::Created,
            Change::Created,
            Change::Updated,
        ]
    );
    assert_eq!(report.voice_connector_id.as_deref(), Some("vc-new"));
    let text = report.to_string();
    assert!(
        text.ends_with(
            "SOFTPHONE_TRUNK=vc-new.voiceconnector.chime.aws:5061 SOFTPHONE_TRUNK_TRANSPORT=tls"
        ),
        "{text}"
    );
    // Never shown: not in the report, its Debug, or the requests' Debug.
    assert!(!text.contains(&password), "{text}");
    assert!(!format!("{report:?}").contains(&password));
    assert!(!format!("{credentials:?}").contains(&password));
    assert!(!format!("{:?}", options(&path, false)).contains(&password));
}

#[tokio::test]
async fn a_second_run_changes_nothing_and_keeps_the_password() {
    let path = credentials_path();
    let (client, first) = account_client(Account::fresh(), vec![]);
    provision(&client, &request(), &options(&path, false))
        .await
        .unwrap();
    let password = stored_password(&path);
    let after = Account::fresh().after(&first);

    let (client, changes) = account_client(after, vec![]);
    let report = provision(&client, &request(), &options(&path, false))
        .await
        .unwrap();
    assert_eq!(changes.count(), 0);
    assert!(!report.changed(), "{report}");
    assert_eq!(stored_password(&path), password);
    let text = report.to_string();
    assert!(
        text.ends_with("nothing to change; SOFTPHONE_TRUNK=vc-new.voiceconnector.chime.aws:5061 SOFTPHONE_TRUNK_TRANSPORT=tls"),
        "{text}"
    );
    assert_eq!(text.lines().filter(|l| l.starts_with("ok: ")).count(), 6);
}

/// A connector someone set up by hand: encryption off, wider regions, another source, no
/// default number, logging off, the number not associated; credentials the file has.
fn drifted() -> Account {
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
        usernames: vec!["softphone".into()],
        logging: LoggingConfiguration::builder()
            .enable_sip_logs(true)
            .enable_media_metric_logs(false)
            .build(),
    }
}

fn file_with_credentials() -> PathBuf {
    let path = credentials_path();
    std::fs::write(
        &path,
        "SOFTPHONE_TRUNK_USERNAME=softphone\nSOFTPHONE_TRUNK_PASSWORD=Kept0123456789Kept0123456789Kept01234567\n",
    )
    .unwrap();
    path
}

#[tokio::test]
async fn a_drifted_connector_is_brought_back() {
    let path = file_with_credentials();
    let (client, changes) = account_client(drifted(), vec![]);
    let report = provision(&client, &request(), &options(&path, false))
        .await
        .unwrap();
    let updates = changes.update.lock().unwrap().clone();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].voice_connector_id(), Some(VC_ID));
    assert_eq!(updates[0].name(), Some("softphone"));
    assert_eq!(updates[0].require_encryption(), Some(true));
    let associated = changes.associate.lock().unwrap().clone();
    assert_eq!(associated[0].voice_connector_id(), Some(VC_ID));
    assert_eq!(associated[0].e164_phone_numbers(), [CALLER_ID]);
    let t = changes.termination.lock().unwrap()[0]
        .termination()
        .cloned()
        .unwrap();
    assert_eq!(t, good_termination_sorted());
    assert_eq!(changes.logging.lock().unwrap().len(), 1);
    // The connector and the file agree on the credentials: nothing sent.
    assert_eq!(changes.credentials.lock().unwrap().len(), 0);
    assert_eq!(changes.count(), 4);
    let text = report.to_string();
    for says in [
        "updated: Voice Connector \"softphone\" (abcdef1ghij2klmno3pqr4): encryption off -> required",
        "CallingRegions PA, SG, US -> PA, SG",
        "CidrAllowedList 198.51.100.0/24 -> 203.0.113.7/32",
        "CpsLimit 5 -> 1",
        "DefaultPhoneNumber none -> +6531590000",
        "ok: termination credentials for \"softphone\"",
    ] {
        assert!(text.contains(says), "{says}: {text}");
    }
    assert!(!text.contains("Kept0123"), "{text}");
}

fn good_termination_sorted() -> Termination {
    Termination::builder()
        .cps_limit(1)
        .default_phone_number(CALLER_ID)
        .calling_regions("PA")
        .calling_regions("SG")
        .cidr_allowed_list(format!("{GATEWAY}/32"))
        .disabled(false)
        .build()
}

#[tokio::test]
async fn a_dry_run_sends_no_changing_request_and_writes_no_file() {
    let path = credentials_path();
    let (client, changes) = account_client(Account::fresh(), vec![]);
    let report = provision(&client, &request(), &options(&path, true))
        .await
        .unwrap();
    assert_eq!(changes.count(), 0);
    assert!(!path.exists());
    assert_eq!(
        changes_of(&report),
        [
            Change::Unchanged,
            Change::WouldCreate,
            Change::WouldUpdate,
            Change::WouldCreate,
            Change::WouldCreate,
            Change::WouldUpdate,
        ]
    );
    let text = report.to_string();
    assert!(
        text.contains(
            "would create: Voice Connector \"softphone\" in us-east-1, encryption required"
        ),
        "{text}"
    );
    assert!(text.ends_with("dry run: nothing changed"), "{text}");

    let path = file_with_credentials();
    let before = std::fs::read_to_string(&path).unwrap();
    let (client, changes) = account_client(drifted(), vec![]);
    let report = provision(&client, &request(), &options(&path, true))
        .await
        .unwrap();
    assert_eq!(changes.count(), 0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert_eq!(
        changes_of(&report),
        [
            Change::Unchanged,
            Change::WouldUpdate,
            Change::WouldUpdate,
            Change::WouldUpdate,
            Change::Unchanged,
            Change::WouldUpdate,
        ]
    );
}

#[tokio::test]
async fn credentials_are_rotated_only_when_asked() {
    let path = file_with_credentials();
    let (client, changes) = account_client(Account::provisioned(), vec![]);
    let mut asked = options(&path, false);
    asked.rotate_credentials = true;
    let report = provision(&client, &request(), &asked).await.unwrap();
    let sent = changes.credentials.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let password = sent[0].credentials()[0].password().unwrap().to_string();
    assert_ne!(password, "Kept0123456789Kept0123456789Kept01234567");
    assert_eq!(stored_password(&path), password);
    assert_eq!(changes.count(), 1);
    assert!(!report.to_string().contains(&password));

    // Without the flag, the file's credentials are put on a connector that lacks them.
    let path = file_with_credentials();
    let mut account = Account::provisioned();
    account.usernames.clear();
    let (client, changes) = account_client(account, vec![]);
    provision(&client, &request(), &options(&path, false))
        .await
        .unwrap();
    let sent = changes.credentials.lock().unwrap().clone();
    assert_eq!(
        sent[0].credentials()[0].password(),
        Some("Kept0123456789Kept0123456789Kept01234567")
    );
    assert_eq!(changes.count(), 1);
}

#[tokio::test]
async fn credentials_the_file_has_lost_are_not_guessed() {
    let path = credentials_path();
    let (client, changes) = account_client(Account::provisioned(), vec![]);
    let error = provision(&client, &request(), &options(&path, false))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, VoiceConnectorError::CredentialsLost { username, .. } if username == "softphone"),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("--rotate-credentials"),
        "{error}"
    );
    assert_eq!(changes.count(), 0);
    assert!(!path.exists());
}

#[tokio::test]
async fn bad_requests_are_refused_before_any_request() {
    // No rules at all: any request would panic the mock.
    let config = voice::Config::builder()
        .behavior_version(voice::config::BehaviorVersion::latest())
        .region(voice::config::Region::new("us-east-1"))
        .credentials_provider(voice::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .http_client(create_mock_http_client())
        .interceptor(MockResponseInterceptor::new())
        .build();
    let client = voice::Client::from_conf(config);
    let path = credentials_path();
    let mut wider = request();
    wider.calling_regions = vec!["PA".into(), "SG".into(), "US".into()];
    let error = provision(&client, &wider, &options(&path, false))
        .await
        .unwrap_err();
    assert_eq!(error, VoiceConnectorError::CallingRegionWider("US".into()));
    assert!(error.to_string().contains("never allowed wider"), "{error}");
    assert_eq!(
        check(&client, &wider, None).await.unwrap_err(),
        VoiceConnectorError::CallingRegionWider("US".into())
    );

    let mut private = request();
    private.gateway_addresses = vec!["10.0.0.5".into()];
    let error = provision(&client, &private, &options(&path, false))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "--gateway-address \"10.0.0.5\": not a public address: the connector sees the gateway's public (Elastic) IP, not a private or local one"
    );
    let mut none = request();
    none.gateway_addresses = vec![];
    let error = provision(&client, &none, &options(&path, false))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("--gateway-address or SOFTPHONE_VOICE_CONNECTOR_GATEWAY_ADDRESS"),
        "{error}"
    );
}

#[tokio::test]
async fn service_errors_keep_the_shared_words() {
    let throttled = mock!(voice::Client::list_voice_connectors).then_error(|| {
        op::list_voice_connectors::ListVoiceConnectorsError::ThrottledClientException(
            voice::types::error::ThrottledClientException::builder()
                .meta(meta("ThrottledClientException"))
                .build(),
        )
    });
    let path = credentials_path();
    let (client, changes) = account_client(Account::fresh(), vec![throttled]);
    let error = provision(&client, &request(), &options(&path, false))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            VoiceConnectorError::Chime(ChimeError::Throttled {
                operation: "ListVoiceConnectors",
                ..
            })
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("throttled or over a quota"),
        "{error}"
    );
    assert_eq!(changes.count(), 0);

    let denied = mock!(voice::Client::put_voice_connector_termination).then_error(|| {
        op::put_voice_connector_termination::PutVoiceConnectorTerminationError::ForbiddenException(
            voice::types::error::ForbiddenException::builder()
                .meta(meta("ForbiddenException"))
                .build(),
        )
    });
    let path = file_with_credentials();
    let (client, _) = account_client(drifted(), vec![denied]);
    let error = provision(&client, &request(), &options(&path, false))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            VoiceConnectorError::Chime(ChimeError::AccessDenied {
                operation: "PutVoiceConnectorTermination",
                ..
            })
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("access denied"), "{error}");
    assert!(!error.to_string().contains("Kept0123"));

    let denied = mock!(voice::Client::get_voice_connector_logging_configuration).then_error(|| {
        op::get_voice_connector_logging_configuration::GetVoiceConnectorLoggingConfigurationError::UnauthorizedClientException(
            voice::types::error::UnauthorizedClientException::builder()
                .meta(meta("UnauthorizedClientException"))
                .build(),
        )
    });
    let (client, _) = account_client(Account::provisioned(), vec![denied]);
    let error = check(&client, &request(), None).await.unwrap_err();
    assert!(
        matches!(
            &error,
            VoiceConnectorError::Chime(ChimeError::AccessDenied { .. })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn numbers_that_cannot_be_used_stop_before_any_change() {
    let path = credentials_path();
    let mut account = Account::fresh();
    account.numbers = vec![number(
        OTHER_NUMBER,
        PhoneNumberProductType::VoiceConnector,
        None,
    )];
    let (client, changes) = account_client(account, vec![]);
    let error = provision(&client, &request(), &options(&path, false))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        VoiceConnectorError::NumberMissing {
            number: CALLER_ID.into(),
            region: "us-east-1".into(),
            held: OTHER_NUMBER.into(),
        }
    );
    assert!(error.to_string().contains("SOFTPHONE_CALLER_ID"), "{error}");
    assert_eq!(changes.count(), 0);

    let mut account = Account::fresh();
    account.numbers = vec![number(
        CALLER_ID,
        PhoneNumberProductType::SipMediaApplicationDialIn,
        None,
    )];
    let (client, changes) = account_client(account, vec![]);
    let error = provision(&client, &request(), &options(&path, false))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("--product-type VoiceConnector"),
        "{error}"
    );
    assert_eq!(changes.count(), 0);

    // Already another connector's: left to the operator.
    let mut account = Account::provisioned();
    account.numbers = vec![number(
        CALLER_ID,
        PhoneNumberProductType::VoiceConnector,
        Some("someone-elses"),
    )];
    let (client, changes) = account_client(account, vec![]);
    let error = provision(&client, &request(), &options(&path, false))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        VoiceConnectorError::NumberTaken {
            number: CALLER_ID.into(),
            with: "VoiceConnectorId someone-elses".into(),
        }
    );
    assert_eq!(changes.count(), 0);
}

#[tokio::test]
async fn further_numbers_are_associated_too() {
    let path = file_with_credentials();
    let mut account = Account::provisioned();
    account.numbers.push(number(
        OTHER_NUMBER,
        PhoneNumberProductType::VoiceConnector,
        None,
    ));
    let (client, changes) = account_client(account, vec![]);
    let mut both = request();
    both.numbers = vec![OTHER_NUMBER.into()];
    provision(&client, &both, &options(&path, false))
        .await
        .unwrap();
    let associated = changes.associate.lock().unwrap().clone();
    assert_eq!(associated.len(), 1);
    assert_eq!(associated[0].e164_phone_numbers(), [OTHER_NUMBER]);
    assert_eq!(changes.count(), 1);
}

#[tokio::test]
async fn check_reports_every_difference() {
    let (client, changes) = account_client(drifted(), vec![]);
    let report = check(&client, &request(), Some("softphone")).await.unwrap();
    assert_eq!(changes.count(), 0);
    assert!(!report.all_ok());
    let differences = report.differences();
    for says in [
        "encryption off",
        "calling regions wider than the dialling policy: US",
        "the gateway address 203.0.113.7/32 is not in the allow-list",
        "no default phone number (caller ID)",
        "termination: CpsLimit 5 -> 1",
        "logging: SIP message logs on, media metric logs off",
        "number +6531590000 is not associated with the connector",
    ] {
        assert!(
            differences.iter().any(|d| d.contains(says)),
            "{says}: {report}"
        );
    }
    let text = report.to_string();
    assert!(text.contains("differs: encryption off"), "{text}");
    assert!(
        text.ends_with("`server chime voice-connector provision` sets them"),
        "{text}"
    );

    // No credentials, or none for the server's user name.
    let mut account = Account::provisioned();
    account.usernames.clear();
    let (client, _) = account_client(account, vec![]);
    let report = check(&client, &request(), None).await.unwrap();
    assert_eq!(
        report.differences(),
        ["no termination credentials: any host in the allow-list can call through it"]
    );
    let (client, _) = account_client(Account::provisioned(), vec![]);
    let report = check(&client, &request(), Some("office")).await.unwrap();
    assert_eq!(report.differences().len(), 1);
    assert!(report.differences()[0].contains("\"office\""), "{report}");

    // No termination at all, no connector at all.
    let mut account = Account::provisioned();
    account.termination = None;
    let (client, _) = account_client(account, vec![]);
    let report = check(&client, &request(), None).await.unwrap();
    assert_eq!(
        report.differences(),
        ["termination: no termination settings"]
    );
    let (client, _) = account_client(Account::fresh(), vec![]);
    let report = check(&client, &request(), None).await.unwrap();
    assert_eq!(
        report.differences(),
        ["no Voice Connector named \"softphone\" in us-east-1"]
    );
}

#[tokio::test]
async fn check_passes_a_connector_as_the_app_needs_it() {
    let (client, changes) = account_client(Account::provisioned(), vec![]);
    let report = check(&client, &request(), Some("softphone")).await.unwrap();
    assert_eq!(changes.count(), 0);
    assert!(report.all_ok(), "{report}");
    let text = report.to_string();
    assert!(
        text.ends_with("the Voice Connector is as the app needs it"),
        "{text}"
    );
    assert!(text.contains("ok: encryption required"), "{text}");
}
