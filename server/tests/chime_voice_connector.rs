//! `server chime voice-connector provision` (`server::chime::voice_connector`) against the
//! canned account of `voice_connector_account`: the exact input of every call that changes
//! something. A second run is made against the account with the first run's changes applied.

mod voice_connector_account;

use voice_connector_account::*;

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
    // Calls in come to the gateway over TLS.
    let origination = changes.origination.lock().unwrap().clone();
    assert_eq!(origination.len(), 1);
    assert_eq!(origination[0].voice_connector_id(), Some("vc-new"));
    assert_eq!(origination[0].origination(), Some(&good_origination()));
    assert_eq!(changes.count(), 6);

    assert_eq!(
        changes_of(&report),
        [
            Change::Unchanged,
            Change::Created,
            Change::Updated,
            Change::Created,
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
    assert_eq!(text.lines().filter(|l| l.starts_with("ok: ")).count(), 7);
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
    let origination = changes.origination.lock().unwrap()[0]
        .origination()
        .cloned()
        .unwrap();
    assert_eq!(origination, good_origination());
    assert_eq!(changes.count(), 5);
    let text = report.to_string();
    for says in [
        "updated: Voice Connector \"softphone\" (abcdef1ghij2klmno3pqr4): encryption off -> required",
        "CallingRegions PA, SG, US -> PA, SG",
        "CidrAllowedList 198.51.100.0/24 -> 203.0.113.7/32",
        "CpsLimit 5 -> 1",
        "DefaultPhoneNumber none -> +6531590000",
        "ok: termination credentials for \"softphone\"",
        "origination (calls in): Routes 198.51.100.9:5060/UDP 1/1 -> 203.0.113.7:5061/TCP 1/1",
    ] {
        assert!(text.contains(says), "{says}: {text}");
    }
    assert!(!text.contains("Kept0123"), "{text}");
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
    let client = mocked_voice_client([]);
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
