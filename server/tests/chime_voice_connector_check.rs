//! `server chime voice-connector check`, and the service's errors on both commands, against
//! the canned account of `voice_connector_account`.

mod voice_connector_account;

use server::chime::ChimeError;
use voice_connector_account::*;

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
        "origination (calls in): Routes 198.51.100.9:5060/UDP 1/1 -> 203.0.113.7:5061/TCP 1/1",
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
    // No origination: calls in go nowhere.
    let mut account = Account::provisioned();
    account.origination = None;
    let (client, _) = account_client(account, vec![]);
    let report = check(&client, &request(), None).await.unwrap();
    assert_eq!(
        report.differences(),
        ["origination (calls in): no origination settings"]
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
    assert!(
        text.contains("ok: origination (calls in): to 203.0.113.7/32 over TLS"),
        "{text}"
    );
}
