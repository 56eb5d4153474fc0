//! Request shapes of the Chime control-plane calls (`server::chime::ChimeControl`), on SDK
//! clients whose responses are canned (aws-smithy-mocks): the exact operation input each
//! method sends, and how each service error maps to a `ChimeError`.

#[path = "common/mocked_voice.rs"]
mod mocked_voice;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_chimesdkmeetings as meetings;
use aws_sdk_chimesdkvoice as voice;
use aws_smithy_mocks::{create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode};
use mocked_voice::mocked_voice_client;
use server::chime::{CallUpdate, ChimeControl, ChimeError, ChimeSettings, SmaCallArguments};
use server::config::Secret;

const SMA_ID: &str = "0b9e2fe2-2d16-4f6b-9a0f-7a3e2b0f5c11";

fn settings() -> ChimeSettings {
    ChimeSettings {
        media_region: "ap-southeast-1".into(),
        sip_media_application_id: SMA_ID.into(),
        caller_id: "+6531590000".into(),
        bridge_number: "+17035550122".into(),
    }
}

fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
    rules.iter().fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
        |i, rule| i.with_rule(rule),
    )
}

/// Test credentials, no retries (a canned throttling error is answered once).
fn control(meeting_rules: &[&Rule], voice_rules: &[&Rule]) -> ChimeControl {
    let meetings = meetings::Config::builder()
        .behavior_version(meetings::config::BehaviorVersion::latest())
        .region(meetings::config::Region::new("us-east-1"))
        .credentials_provider(meetings::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .retry_config(meetings::config::retry::RetryConfig::disabled())
        .http_client(create_mock_http_client())
        .interceptor(interceptor(meeting_rules))
        .build();
    ChimeControl::with_clients(
        meetings::Client::from_conf(meetings),
        mocked_voice_client(voice_rules.iter().copied()),
        settings(),
    )
}

/// The inputs a rule saw.
type Seen<I> = Arc<Mutex<Vec<I>>>;

/// A canned error, and the kind of `ChimeError` it must become.
type Case<E> = (fn() -> E, &'static str);

/// Every input a rule saw, and the filter that records them.
fn recorder<I: Clone + Send + 'static>() -> (Seen<I>, impl Fn(&I) -> bool + Send + Sync) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (seen, move |input: &I| {
        sink.lock().unwrap().push(input.clone());
        true
    })
}

/// What a real response's error carries: the service's code (the SDK picks the variant by it).
fn meta(code: &str) -> meetings::error::ErrorMetadata {
    meetings::error::ErrorMetadata::builder()
        .code(code)
        .message("canned")
        .build()
}

fn canned_meeting() -> meetings::types::Meeting {
    meetings::types::Meeting::builder()
        .meeting_id("m-1")
        .external_meeting_id("call-1")
        .media_region("ap-southeast-1")
        .media_placement(
            meetings::types::MediaPlacement::builder()
                .audio_host_url("h.k.m1.as1.app.chime.aws:3478")
                .signaling_url("wss://signal.m1.as1.app.chime.aws/control/m-1")
                .turn_control_url("https://turn.example/v2/turn_sessions")
                .build(),
        )
        .build()
}

fn arguments() -> SmaCallArguments {
    SmaCallArguments {
        meeting_id: "m-1".into(),
        join_token: Secret::new("phone-token".into()),
        target: "+50760001234".into(),
        call_id: "call-1".into(),
        caller_id: "+6531590000".into(),
        ringback_tone: Some("tones/ringback.wav".into()),
    }
}

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn create_meeting_names_our_call_and_the_media_region() {
    let (seen, filter) = recorder();
    let rule = mock!(meetings::Client::create_meeting)
        .match_requests(filter)
        .then_output(|| {
            meetings::operation::create_meeting::CreateMeetingOutput::builder()
                .meeting(canned_meeting())
                .build()
        });
    let meeting = control(&[&rule], &[])
        .create_meeting("call-1")
        .await
        .unwrap();
    let inputs = seen.lock().unwrap().clone();
    assert_eq!(inputs.len(), 1);
    let input = &inputs[0];
    assert_eq!(input.external_meeting_id(), Some("call-1"));
    assert_eq!(input.media_region(), Some("ap-southeast-1"));
    assert_eq!(input.meeting_host_id(), None);
    assert_eq!(input.notifications_configuration(), None);
    assert_eq!(meeting.meeting_id, "m-1");
    assert_eq!(meeting.external_meeting_id, "call-1");
    assert_eq!(
        meeting.media_placement.signaling_url,
        "wss://signal.m1.as1.app.chime.aws/control/m-1"
    );
    assert_eq!(
        meeting.media_placement.audio_host_url,
        "h.k.m1.as1.app.chime.aws:3478"
    );
}

#[tokio::test]
async fn create_attendee_names_the_meeting_and_the_user() {
    let (seen, filter) = recorder();
    let rule = mock!(meetings::Client::create_attendee)
        .match_requests(filter)
        .then_output(|| {
            meetings::operation::create_attendee::CreateAttendeeOutput::builder()
                .attendee(
                    meetings::types::Attendee::builder()
                        .attendee_id("a-1")
                        .external_user_id("agent-7")
                        .join_token("tok")
                        .build(),
                )
                .build()
        });
    let attendee = control(&[&rule], &[])
        .create_attendee("m-1", "agent-7")
        .await
        .unwrap();
    let inputs = seen.lock().unwrap().clone();
    assert_eq!(inputs.len(), 1);
    assert_eq!(inputs[0].meeting_id(), Some("m-1"));
    assert_eq!(inputs[0].external_user_id(), Some("agent-7"));
    assert_eq!(inputs[0].capabilities(), None);
    assert_eq!(attendee.attendee_id, "a-1");
    assert_eq!(attendee.join_token.expose(), "tok");
    assert!(!format!("{attendee:?}").contains("tok\""), "{attendee:?}");
}

#[tokio::test]
async fn delete_meeting_names_the_meeting() {
    let (seen, filter) = recorder();
    let rule = mock!(meetings::Client::delete_meeting)
        .match_requests(filter)
        .then_output(|| {
            meetings::operation::delete_meeting::DeleteMeetingOutput::builder().build()
        });
    control(&[&rule], &[]).delete_meeting("m-1").await.unwrap();
    let inputs = seen.lock().unwrap().clone();
    assert_eq!(inputs.len(), 1);
    assert_eq!(inputs[0].meeting_id(), Some("m-1"));
}

#[tokio::test]
async fn create_sma_call_calls_the_bridge_from_our_number_with_the_arguments() {
    let (seen, filter) = recorder();
    let rule = mock!(voice::Client::create_sip_media_application_call)
        .match_requests(filter)
        .then_output(|| {
            voice::operation::create_sip_media_application_call::CreateSipMediaApplicationCallOutput::builder()
                .sip_media_application_call(
                    voice::types::SipMediaApplicationCall::builder()
                        .transaction_id("tx-1")
                        .build(),
                )
                .build()
        });
    let call = control(&[], &[&rule])
        .create_sma_call(&arguments())
        .await
        .unwrap();
    assert_eq!(call.transaction_id, "tx-1");
    let inputs = seen.lock().unwrap().clone();
    assert_eq!(inputs.len(), 1);
    let input = &inputs[0];
    assert_eq!(input.sip_media_application_id(), Some(SMA_ID));
    assert_eq!(input.from_phone_number(), Some("+6531590000"));
    assert_eq!(input.to_phone_number(), Some("+17035550122"));
    assert_eq!(input.sip_headers(), None);
    assert_eq!(
        input.arguments_map(),
        Some(&map(&[
            ("MeetingId", "m-1"),
            ("JoinToken", "phone-token"),
            ("Target", "+50760001234"),
            ("CallId", "call-1"),
            ("CallerId", "+6531590000"),
            ("RingbackTone", "tones/ringback.wav"),
        ]))
    );
}

#[tokio::test]
async fn update_sma_call_sends_each_update_as_the_handler_reads_it() {
    let (seen, filter) = recorder();
    let rule = mock!(voice::Client::update_sip_media_application_call)
        .match_requests(filter)
        .then_output(|| {
            voice::operation::update_sip_media_application_call::UpdateSipMediaApplicationCallOutput::builder().build()
        });
    let control = control(&[], &[&rule]);
    let updates = [
        (
            CallUpdate::Digits("12#".into()),
            map(&[("Action", "digits"), ("Digits", "12#")]),
        ),
        (CallUpdate::Hangup, map(&[("Action", "hangup")])),
        (
            CallUpdate::RecordStart {
                destination: "recordings/calls".into(),
                consent_tone: Some("tones/consent.wav".into()),
            },
            map(&[
                ("Action", "record_start"),
                ("Destination", "recordings/calls"),
                ("ConsentTone", "tones/consent.wav"),
            ]),
        ),
        (
            CallUpdate::RecordStart {
                destination: "recordings".into(),
                consent_tone: None,
            },
            map(&[("Action", "record_start"), ("Destination", "recordings")]),
        ),
        (CallUpdate::RecordPause, map(&[("Action", "record_pause")])),
        (
            CallUpdate::RecordResume,
            map(&[("Action", "record_resume")]),
        ),
        (CallUpdate::RecordStop, map(&[("Action", "record_stop")])),
    ];
    for (update, _) in &updates {
        control.update_sma_call("tx-1", update).await.unwrap();
    }
    let inputs = seen.lock().unwrap().clone();
    assert_eq!(inputs.len(), updates.len());
    for (input, (update, expected)) in inputs.iter().zip(&updates) {
        assert_eq!(input.sip_media_application_id(), Some(SMA_ID), "{update:?}");
        assert_eq!(input.transaction_id(), Some("tx-1"), "{update:?}");
        assert_eq!(input.arguments(), Some(expected), "{update:?}");
    }
}

/// The variant's name, so tables can say what they expect.
fn kind(error: &ChimeError) -> &'static str {
    match error {
        ChimeError::NotFound { .. } => "not found",
        ChimeError::Throttled { .. } => "throttled",
        ChimeError::AccessDenied { .. } => "access denied",
        ChimeError::InvalidRequest { .. } => "invalid request",
        ChimeError::Unavailable { .. } => "unavailable",
    }
}

#[tokio::test]
async fn meetings_errors_map_to_what_an_operator_can_do() {
    use meetings::operation::create_attendee::CreateAttendeeError as Attendee;
    use meetings::operation::create_meeting::CreateMeetingError as Create;
    use meetings::operation::delete_meeting::DeleteMeetingError as Delete;
    use meetings::types::error as e;
    let create = |error: fn() -> Create| {
        let rule = mock!(meetings::Client::create_meeting).then_error(error);
        async move { control(&[&rule], &[]).create_meeting("call-1").await }
    };
    let cases: [Case<Create>; 6] = [
        (
            || {
                Create::ThrottlingException(
                    e::ThrottlingException::builder()
                        .meta(meta("ThrottlingException"))
                        .build(),
                )
            },
            "throttled",
        ),
        (
            || {
                Create::LimitExceededException(
                    e::LimitExceededException::builder()
                        .meta(meta("LimitExceededException"))
                        .build(),
                )
            },
            "throttled",
        ),
        (
            || {
                Create::ForbiddenException(
                    e::ForbiddenException::builder()
                        .meta(meta("ForbiddenException"))
                        .build(),
                )
            },
            "access denied",
        ),
        (
            || {
                Create::UnauthorizedException(
                    e::UnauthorizedException::builder()
                        .meta(meta("UnauthorizedException"))
                        .build(),
                )
            },
            "access denied",
        ),
        (
            || {
                Create::BadRequestException(
                    e::BadRequestException::builder()
                        .meta(meta("BadRequestException"))
                        .build(),
                )
            },
            "invalid request",
        ),
        (
            || {
                Create::ServiceUnavailableException(
                    e::ServiceUnavailableException::builder()
                        .meta(meta("ServiceUnavailableException"))
                        .build(),
                )
            },
            "unavailable",
        ),
    ];
    for (error, expected) in cases {
        let got = create(error).await.unwrap_err();
        assert_eq!(kind(&got), expected, "{got}");
        assert!(got.to_string().contains("CreateMeeting"), "{got}");
    }

    let rule = mock!(meetings::Client::create_attendee).then_error(|| {
        Attendee::NotFoundException(
            e::NotFoundException::builder()
                .meta(meta("NotFoundException"))
                .build(),
        )
    });
    let got = control(&[&rule], &[])
        .create_attendee("gone", "agent-7")
        .await
        .unwrap_err();
    assert_eq!(kind(&got), "not found", "{got}");

    let rule = mock!(meetings::Client::delete_meeting).then_error(|| {
        Delete::NotFoundException(
            e::NotFoundException::builder()
                .meta(meta("NotFoundException"))
                .build(),
        )
    });
    let got = control(&[&rule], &[])
        .delete_meeting("gone")
        .await
        .unwrap_err();
    assert_eq!(kind(&got), "not found", "{got}");
    assert!(got.to_string().contains("DeleteMeeting"), "{got}");

    let rule = mock!(meetings::Client::delete_meeting).then_error(|| {
        Delete::ServiceFailureException(
            e::ServiceFailureException::builder()
                .meta(meta("ServiceFailureException"))
                .build(),
        )
    });
    let got = control(&[&rule], &[])
        .delete_meeting("m-1")
        .await
        .unwrap_err();
    assert_eq!(kind(&got), "unavailable", "{got}");
}

#[tokio::test]
async fn voice_errors_map_to_what_an_operator_can_do() {
    use voice::operation::create_sip_media_application_call::CreateSipMediaApplicationCallError as Create;
    use voice::operation::update_sip_media_application_call::UpdateSipMediaApplicationCallError as Update;
    use voice::types::error as e;
    let cases: [Case<Create>; 5] = [
        (
            || {
                Create::ThrottledClientException(
                    e::ThrottledClientException::builder()
                        .meta(meta("ThrottledClientException"))
                        .build(),
                )
            },
            "throttled",
        ),
        (
            || {
                Create::AccessDeniedException(
                    e::AccessDeniedException::builder()
                        .meta(meta("AccessDeniedException"))
                        .build(),
                )
            },
            "access denied",
        ),
        (
            || {
                Create::UnauthorizedClientException(
                    e::UnauthorizedClientException::builder()
                        .meta(meta("UnauthorizedClientException"))
                        .build(),
                )
            },
            "access denied",
        ),
        (
            || {
                Create::BadRequestException(
                    e::BadRequestException::builder()
                        .meta(meta("BadRequestException"))
                        .build(),
                )
            },
            "invalid request",
        ),
        (
            || {
                Create::ServiceFailureException(
                    e::ServiceFailureException::builder()
                        .meta(meta("ServiceFailureException"))
                        .build(),
                )
            },
            "unavailable",
        ),
    ];
    for (error, expected) in cases {
        let rule = mock!(voice::Client::create_sip_media_application_call).then_error(error);
        let got = control(&[], &[&rule])
            .create_sma_call(&arguments())
            .await
            .unwrap_err();
        assert_eq!(kind(&got), expected, "{got}");
        assert!(
            got.to_string().contains("CreateSipMediaApplicationCall"),
            "{got}"
        );
    }

    let cases: [Case<Update>; 3] = [
        (
            || {
                Update::NotFoundException(
                    e::NotFoundException::builder()
                        .meta(meta("NotFoundException"))
                        .build(),
                )
            },
            "not found",
        ),
        (
            || {
                Update::ResourceLimitExceededException(
                    e::ResourceLimitExceededException::builder()
                        .meta(meta("ResourceLimitExceededException"))
                        .build(),
                )
            },
            "throttled",
        ),
        (
            || {
                Update::ForbiddenException(
                    e::ForbiddenException::builder()
                        .meta(meta("ForbiddenException"))
                        .build(),
                )
            },
            "access denied",
        ),
    ];
    for (error, expected) in cases {
        let rule = mock!(voice::Client::update_sip_media_application_call).then_error(error);
        let got = control(&[], &[&rule])
            .update_sma_call("tx-1", &CallUpdate::Hangup)
            .await
            .unwrap_err();
        assert_eq!(kind(&got), expected, "{got}");
    }
}

#[tokio::test]
async fn a_response_without_what_the_call_needs_is_unavailable() {
    let rule = mock!(voice::Client::create_sip_media_application_call).then_output(|| {
        voice::operation::create_sip_media_application_call::CreateSipMediaApplicationCallOutput::builder().build()
    });
    let got = control(&[], &[&rule])
        .create_sma_call(&arguments())
        .await
        .unwrap_err();
    assert_eq!(kind(&got), "unavailable", "{got}");
}

#[tokio::test]
async fn numbers_the_service_quotes_are_masked_in_the_error() {
    use voice::operation::create_sip_media_application_call::CreateSipMediaApplicationCallError as Create;
    let rule = mock!(voice::Client::create_sip_media_application_call).then_error(|| {
        Create::BadRequestException(
            voice::types::error::BadRequestException::builder()
                .meta(
                    meetings::error::ErrorMetadata::builder()
                        .code("BadRequestException")
                        .message("FromPhoneNumber +6531590000 is not in the phone number inventory")
                        .build(),
                )
                .build(),
        )
    });
    let got = control(&[], &[&rule])
        .create_sma_call(&arguments())
        .await
        .unwrap_err();
    let text = got.to_string();
    assert!(!text.contains("6531590000"), "{text}");
    assert!(
        text.contains("FromPhoneNumber <number> is not in"),
        "{text}"
    );
}
