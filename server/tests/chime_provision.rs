//! `server chime provision` (`server::chime::provision`) against a chime-sdk-voice client whose
//! responses are canned (aws-smithy-mocks): an account as the list calls show it, and the exact
//! input of every call that changes something. Any other request fails the test (the mock
//! panics on a request no rule matches).

#[path = "common/mocked_voice.rs"]
mod mocked_voice;

use std::sync::{Arc, Mutex};

use aws_sdk_chimesdkvoice as voice;
use aws_smithy_mocks::{mock, Rule};
use mocked_voice::mocked_voice_client;
use server::chime::provision::{provision, Change, ProvisionError, ProvisionRequest};
use voice::operation::create_sip_media_application::CreateSipMediaApplicationInput;
use voice::operation::create_sip_rule::CreateSipRuleInput;
use voice::operation::update_sip_media_application::UpdateSipMediaApplicationInput;
use voice::operation::update_sip_rule::UpdateSipRuleInput;
use voice::types::{
    PhoneNumber, PhoneNumberProductType, PhoneNumberStatus, SipMediaApplication,
    SipMediaApplicationEndpoint, SipRule, SipRuleTargetApplication, SipRuleTriggerType,
};

const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:softphone-sma";
const OLD_LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:old-sma";
const CALLER_ID: &str = "+6531590000";
const SMA_ID: &str = "0b9e2fe2-2d16-4f6b-9a0f-7a3e2b0f5c11";

fn request(dry_run: bool) -> ProvisionRequest {
    ProvisionRequest {
        name: "softphone".into(),
        lambda_arn: LAMBDA.into(),
        caller_id: CALLER_ID.into(),
        dry_run,
    }
}

fn number(e164: &str, product: PhoneNumberProductType, status: PhoneNumberStatus) -> PhoneNumber {
    PhoneNumber::builder()
        .phone_number_id(e164)
        .e164_phone_number(e164)
        .product_type(product)
        .status(status)
        .build()
}

fn our_number() -> PhoneNumber {
    number(
        CALLER_ID,
        PhoneNumberProductType::SipMediaApplicationDialIn,
        PhoneNumberStatus::Unassigned,
    )
}

fn application(lambda: &str) -> SipMediaApplication {
    SipMediaApplication::builder()
        .sip_media_application_id(SMA_ID)
        .name("softphone")
        .aws_region("us-east-1")
        .endpoints(
            SipMediaApplicationEndpoint::builder()
                .lambda_arn(lambda)
                .build(),
        )
        .build()
}

fn rule(target: &str, disabled: bool) -> SipRule {
    SipRule::builder()
        .sip_rule_id("rule-1")
        .name("softphone-6531590000")
        .disabled(disabled)
        .trigger_type(SipRuleTriggerType::ToPhoneNumber)
        .trigger_value(CALLER_ID)
        .target_applications(
            SipRuleTargetApplication::builder()
                .sip_media_application_id(target)
                .priority(1)
                .aws_region("us-east-1")
                .build(),
        )
        .build()
}

/// The account as the list calls show it.
#[derive(Clone, Default)]
struct Account {
    numbers: Vec<PhoneNumber>,
    applications: Vec<SipMediaApplication>,
    rules: Vec<SipRule>,
}

/// The inputs of every call that changes something.
#[derive(Default)]
struct Changes {
    create_application: Mutex<Vec<CreateSipMediaApplicationInput>>,
    update_application: Mutex<Vec<UpdateSipMediaApplicationInput>>,
    create_rule: Mutex<Vec<CreateSipRuleInput>>,
    update_rule: Mutex<Vec<UpdateSipRuleInput>>,
}

impl Changes {
    fn count(&self) -> usize {
        self.create_application.lock().unwrap().len()
            + self.update_application.lock().unwrap().len()
            + self.create_rule.lock().unwrap().len()
            + self.update_rule.lock().unwrap().len()
    }
}

/// A client answering from `account`, recording into the returned `Changes`.
fn account_client(account: Account) -> (voice::Client, Arc<Changes>) {
    use voice::operation as op;
    let changes = Arc::new(Changes::default());
    let (numbers, applications, rules) = (
        account.numbers.clone(),
        account.applications.clone(),
        account.rules.clone(),
    );
    let list_numbers = mock!(voice::Client::list_phone_numbers).then_output(move || {
        op::list_phone_numbers::ListPhoneNumbersOutput::builder()
            .set_phone_numbers(Some(numbers.clone()))
            .build()
    });
    let list_applications =
        mock!(voice::Client::list_sip_media_applications).then_output(move || {
            op::list_sip_media_applications::ListSipMediaApplicationsOutput::builder()
                .set_sip_media_applications(Some(applications.clone()))
                .build()
        });
    let list_rules = mock!(voice::Client::list_sip_rules).then_output(move || {
        op::list_sip_rules::ListSipRulesOutput::builder()
            .set_sip_rules(Some(rules.clone()))
            .build()
    });
    let sink = changes.clone();
    let create_application = mock!(voice::Client::create_sip_media_application)
        .match_requests(move |input| {
            sink.create_application.lock().unwrap().push(input.clone());
            true
        })
        .then_output(|| {
            op::create_sip_media_application::CreateSipMediaApplicationOutput::builder()
                .sip_media_application(
                    SipMediaApplication::builder()
                        .sip_media_application_id("sma-new")
                        .build(),
                )
                .build()
        });
    let sink = changes.clone();
    let update_application = mock!(voice::Client::update_sip_media_application)
        .match_requests(move |input| {
            sink.update_application.lock().unwrap().push(input.clone());
            true
        })
        .then_output(|| {
            op::update_sip_media_application::UpdateSipMediaApplicationOutput::builder().build()
        });
    let sink = changes.clone();
    let create_rule = mock!(voice::Client::create_sip_rule)
        .match_requests(move |input| {
            sink.create_rule.lock().unwrap().push(input.clone());
            true
        })
        .then_output(|| op::create_sip_rule::CreateSipRuleOutput::builder().build());
    let sink = changes.clone();
    let update_rule = mock!(voice::Client::update_sip_rule)
        .match_requests(move |input| {
            sink.update_rule.lock().unwrap().push(input.clone());
            true
        })
        .then_output(|| op::update_sip_rule::UpdateSipRuleOutput::builder().build());
    let rules: [&Rule; 7] = [
        &list_numbers,
        &list_applications,
        &list_rules,
        &create_application,
        &update_application,
        &create_rule,
        &update_rule,
    ];
    (mocked_voice_client(rules), changes)
}

fn provisioned() -> Account {
    Account {
        numbers: vec![our_number()],
        applications: vec![application(LAMBDA)],
        rules: vec![rule(SMA_ID, false)],
    }
}

#[tokio::test]
async fn a_fresh_account_gets_the_application_and_the_rule() {
    let (client, changes) = account_client(Account {
        numbers: vec![our_number()],
        ..Account::default()
    });
    let report = provision(&client, &request(false)).await.unwrap();

    let created = changes.create_application.lock().unwrap().clone();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].name(), Some("softphone"));
    assert_eq!(created[0].aws_region(), Some("us-east-1"));
    let endpoints: Vec<_> = created[0]
        .endpoints()
        .iter()
        .map(|e| e.lambda_arn())
        .collect();
    assert_eq!(endpoints, [Some(LAMBDA)]);
    assert_eq!(created[0].tags(), &[] as &[voice::types::Tag]);

    let rules = changes.create_rule.lock().unwrap().clone();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].name(), Some("softphone-6531590000"));
    assert_eq!(
        rules[0].trigger_type(),
        Some(&SipRuleTriggerType::ToPhoneNumber)
    );
    assert_eq!(rules[0].trigger_value(), Some(CALLER_ID));
    assert_eq!(rules[0].disabled(), None);
    let targets = rules[0].target_applications();
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].sip_media_application_id(), Some("sma-new"));
    assert_eq!(targets[0].priority(), Some(1));
    assert_eq!(targets[0].aws_region(), Some("us-east-1"));
    assert_eq!(changes.count(), 2);

    let steps: Vec<_> = report.steps.iter().map(|s| s.change.clone()).collect();
    assert_eq!(steps, [Change::Unchanged, Change::Created, Change::Created]);
    assert_eq!(report.sip_media_application_id.as_deref(), Some("sma-new"));
    assert!(report.changed());
    assert!(report
        .to_string()
        .ends_with("SOFTPHONE_CHIME_SMA_ID=sma-new"));
}

#[tokio::test]
async fn a_second_run_changes_nothing_and_says_so() {
    let (client, changes) = account_client(provisioned());
    let report = provision(&client, &request(false)).await.unwrap();
    assert_eq!(changes.count(), 0);
    assert!(report.steps.iter().all(|s| s.change == Change::Unchanged));
    assert!(!report.changed());
    let text = report.to_string();
    assert!(
        text.ends_with(&format!(
            "nothing to change; SOFTPHONE_CHIME_SMA_ID={SMA_ID}"
        )),
        "{text}"
    );
    assert_eq!(text.lines().filter(|l| l.starts_with("ok: ")).count(), 3);
}

#[tokio::test]
async fn a_drifted_endpoint_is_brought_back_to_the_handler() {
    let mut account = provisioned();
    account.applications = vec![application(OLD_LAMBDA)];
    let (client, changes) = account_client(account);
    let report = provision(&client, &request(false)).await.unwrap();
    let updates = changes.update_application.lock().unwrap().clone();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].sip_media_application_id(), Some(SMA_ID));
    // The name stays as it is (only the endpoint is sent).
    assert_eq!(updates[0].name(), None);
    let endpoints: Vec<_> = updates[0]
        .endpoints()
        .iter()
        .map(|e| e.lambda_arn())
        .collect();
    assert_eq!(endpoints, [Some(LAMBDA)]);
    assert_eq!(changes.count(), 1);
    assert_eq!(report.steps[1].change, Change::Updated);
    assert!(report.steps[1].detail.contains(OLD_LAMBDA), "{report}");
}

#[tokio::test]
async fn a_disabled_rule_is_enabled() {
    let mut account = provisioned();
    account.rules = vec![rule(SMA_ID, true)];
    let (client, changes) = account_client(account);
    let report = provision(&client, &request(false)).await.unwrap();
    let updates = changes.update_rule.lock().unwrap().clone();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].sip_rule_id(), Some("rule-1"));
    assert_eq!(updates[0].name(), Some("softphone-6531590000"));
    assert_eq!(updates[0].disabled(), Some(false));
    assert_eq!(changes.count(), 1);
    assert_eq!(report.steps[2].change, Change::Updated);
}

#[tokio::test]
async fn a_caller_id_missing_from_the_inventory_stops_before_any_change() {
    let (client, changes) = account_client(Account {
        numbers: vec![
            number(
                "+50720001234",
                PhoneNumberProductType::SipMediaApplicationDialIn,
                PhoneNumberStatus::Assigned,
            ),
            number(
                "+17035550100",
                PhoneNumberProductType::VoiceConnector,
                PhoneNumberStatus::Assigned,
            ),
        ],
        ..Account::default()
    });
    let error = provision(&client, &request(false)).await.unwrap_err();
    assert_eq!(
        error,
        ProvisionError::CallerIdMissing {
            number: CALLER_ID.into(),
            region: "us-east-1".into(),
            held: "+50720001234".into(),
        }
    );
    let text = error.to_string();
    assert!(text.contains("SOFTPHONE_CHIME_CALLER_ID"), "{text}");
    assert!(text.contains("SipMediaApplicationDialIn"), "{text}");
    assert_eq!(changes.count(), 0);
}

#[tokio::test]
async fn a_caller_id_of_the_wrong_kind_or_state_says_what_to_change() {
    let wrong_product = number(
        CALLER_ID,
        PhoneNumberProductType::VoiceConnector,
        PhoneNumberStatus::Assigned,
    );
    let (client, changes) = account_client(Account {
        numbers: vec![wrong_product],
        ..Account::default()
    });
    let error = provision(&client, &request(false)).await.unwrap_err();
    assert!(
        matches!(&error, ProvisionError::CallerIdProductType { product_type, .. } if product_type == "VoiceConnector"),
        "{error:?}"
    );
    assert!(error.to_string().contains("update-phone-number"), "{error}");
    assert_eq!(changes.count(), 0);

    let ordering = number(
        CALLER_ID,
        PhoneNumberProductType::SipMediaApplicationDialIn,
        PhoneNumberStatus::AcquireInProgress,
    );
    let (client, changes) = account_client(Account {
        numbers: vec![ordering],
        ..Account::default()
    });
    let error = provision(&client, &request(false)).await.unwrap_err();
    assert_eq!(
        error,
        ProvisionError::CallerIdStatus {
            number: CALLER_ID.into(),
            status: "AcquireInProgress".into(),
        }
    );
    assert_eq!(changes.count(), 0);
}

#[tokio::test]
async fn a_dry_run_makes_no_change() {
    // A fresh account: both would be created.
    let (client, changes) = account_client(Account {
        numbers: vec![our_number()],
        ..Account::default()
    });
    let report = provision(&client, &request(true)).await.unwrap();
    assert_eq!(changes.count(), 0);
    let steps: Vec<_> = report.steps.iter().map(|s| s.change.clone()).collect();
    assert_eq!(
        steps,
        [Change::Unchanged, Change::WouldCreate, Change::WouldCreate]
    );
    assert_eq!(report.sip_media_application_id, None);
    let text = report.to_string();
    assert!(
        text.contains("would create: SIP media application \"softphone\" in us-east-1"),
        "{text}"
    );
    assert!(text.ends_with("dry run: nothing changed"), "{text}");

    // Drifted and disabled: both would be updated.
    let account = Account {
        numbers: vec![our_number()],
        applications: vec![application(OLD_LAMBDA)],
        rules: vec![rule(SMA_ID, true)],
    };
    let (client, changes) = account_client(account);
    let report = provision(&client, &request(true)).await.unwrap();
    assert_eq!(changes.count(), 0);
    let steps: Vec<_> = report.steps.iter().map(|s| s.change.clone()).collect();
    assert_eq!(
        steps,
        [Change::Unchanged, Change::WouldUpdate, Change::WouldUpdate]
    );
}

#[tokio::test]
async fn a_rule_for_the_number_that_names_another_application_is_left_to_the_operator() {
    let mut account = provisioned();
    account.rules = vec![rule("someone-elses-sma", false)];
    let (client, changes) = account_client(account);
    let error = provision(&client, &request(false)).await.unwrap_err();
    assert_eq!(
        error,
        ProvisionError::RuleTaken {
            rule: "softphone-6531590000".into(),
            number: CALLER_ID.into(),
            targets: "someone-elses-sma".into(),
            name: "softphone".into(),
        }
    );
    assert_eq!(changes.count(), 0);
}

#[tokio::test]
async fn two_applications_of_the_name_are_not_guessed_between() {
    let mut account = provisioned();
    account.applications = vec![application(LAMBDA), application(OLD_LAMBDA)];
    let (client, changes) = account_client(account);
    let error = provision(&client, &request(false)).await.unwrap_err();
    assert!(
        matches!(error, ProvisionError::AmbiguousName { count: 2, .. }),
        "{error:?}"
    );
    assert_eq!(changes.count(), 0);
}

#[tokio::test]
async fn bad_inputs_are_refused_before_any_request() {
    // Checked before the first request: nothing is listed, nothing changes.
    let (client, changes) = account_client(Account::default());
    let with = |edit: fn(&mut ProvisionRequest)| {
        let mut r = request(false);
        edit(&mut r);
        r
    };
    for (bad, expected) in [
        (
            with(|r| r.lambda_arn = "softphone-sma".into()),
            ProvisionError::LambdaArn("softphone-sma".into()),
        ),
        (
            with(|r| r.lambda_arn = "arn:aws:s3:::bucket".into()),
            ProvisionError::LambdaArn("arn:aws:s3:::bucket".into()),
        ),
        (
            with(|r| r.name = "soft/phone".into()),
            ProvisionError::Name("soft/phone".into()),
        ),
        (
            with(|r| r.caller_id = "+17035550100".into()),
            ProvisionError::CallerIdCountry("+17035550100".into()),
        ),
    ] {
        assert_eq!(provision(&client, &bad).await.unwrap_err(), expected);
    }
    assert_eq!(changes.count(), 0);
    let qualified = with(|r| r.lambda_arn = format!("{LAMBDA}:live"));
    assert_eq!(qualified.region(), Ok("us-east-1"));
    let singapore =
        with(|r| r.lambda_arn = "arn:aws:lambda:ap-southeast-1:123456789012:function:sma".into());
    assert_eq!(singapore.region(), Ok("ap-southeast-1"));
}
