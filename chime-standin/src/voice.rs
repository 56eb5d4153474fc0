//! chime-sdk-voice: `CreateSipMediaApplicationCall`, `UpdateSipMediaApplicationCall`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::error::AwsError;
use crate::request::{is_e164, Members};
use crate::sma_runtime::{self, NewCall};
use crate::state::SmaCallRecord;
use crate::StandIn;

/// `Arguments` of an update: 0-20 pairs (the SDK's documentation).
const MAX_UPDATE_ARGUMENTS: usize = 20;
/// `ArgumentsMap` and `SipHeaders` of a new call: no documented limit; the update's is assumed.
const MAX_CALL_ARGUMENTS: usize = 20;

/// `POST /sip-media-applications/{SipMediaApplicationId}/calls`: 201.
pub async fn create_sma_call(
    State(stand_in): State<StandIn>,
    Path(sma_id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), AwsError> {
    let members = Members::parse(
        "CreateSipMediaApplicationCall",
        &body,
        &[
            "FromPhoneNumber",
            "ToPhoneNumber",
            "SipHeaders",
            "ArgumentsMap",
        ],
    )?;
    let from = members.required("FromPhoneNumber", 1, 16)?;
    let to = members.required("ToPhoneNumber", 1, 16)?;
    let sip_headers = members.string_map("SipHeaders", MAX_CALL_ARGUMENTS)?;
    let arguments_map = members.string_map("ArgumentsMap", MAX_CALL_ARGUMENTS)?;
    for (name, number) in [("FromPhoneNumber", &from), ("ToPhoneNumber", &to)] {
        if !is_e164(number) {
            return Err(AwsError::bad_request(format!(
                "CreateSipMediaApplicationCall: {name} must be an E.164 number"
            )));
        }
    }
    let config = stand_in.config();
    if !config.sip_media_applications.contains(&sma_id) {
        return Err(sma_not_found(&sma_id));
    }
    if !config.phone_numbers.is_empty() && !config.phone_numbers.contains(&from) {
        return Err(AwsError::bad_request(format!(
            "CreateSipMediaApplicationCall: {from} is not in the account's phone number inventory"
        )));
    }
    let transaction_id = Uuid::new_v4().to_string();
    stand_in.state().calls.insert(
        transaction_id.clone(),
        SmaCallRecord {
            sip_media_application_id: sma_id.clone(),
            from_phone_number: from.clone(),
            to_phone_number: to.clone(),
            sip_headers,
            arguments_map: arguments_map.clone(),
            updates: Vec::new(),
            events: Vec::new(),
            ended: false,
        },
    );
    let updates = sma_runtime::start(
        stand_in.clone(),
        NewCall {
            transaction_id: transaction_id.clone(),
            sma_id,
            from,
            to,
            arguments: arguments_map,
        },
    );
    stand_in
        .state()
        .runtimes
        .insert(transaction_id.clone(), updates);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "SipMediaApplicationCall": { "TransactionId": transaction_id } })),
    ))
}

/// `POST /sip-media-applications/{SipMediaApplicationId}/calls/{TransactionId}`: 202 (the
/// update is handed on, not done).
pub async fn update_sma_call(
    State(stand_in): State<StandIn>,
    Path((sma_id, transaction_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), AwsError> {
    let members = Members::parse("UpdateSipMediaApplicationCall", &body, &["Arguments"])?;
    if !members.has("Arguments") {
        return Err(AwsError::bad_request(
            "UpdateSipMediaApplicationCall: Arguments is required",
        ));
    }
    let arguments = members.string_map("Arguments", MAX_UPDATE_ARGUMENTS)?;
    if !stand_in.config().sip_media_applications.contains(&sma_id) {
        return Err(sma_not_found(&sma_id));
    }
    let mut state = stand_in.state();
    let call = state
        .calls
        .get_mut(&transaction_id)
        .filter(|call| call.sip_media_application_id == sma_id)
        .ok_or_else(|| {
            AwsError::not_found(format!("The transaction {transaction_id} is not found"))
        })?;
    call.updates.push(arguments.clone());
    // The runtime invokes the handler with CALL_UPDATE_REQUESTED; once the call has ended
    // nobody listens and the update is only recorded.
    if let Some(runtime) = state.runtimes.get(&transaction_id) {
        let _ = runtime.send(arguments.into_iter().collect());
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "SipMediaApplicationCall": { "TransactionId": transaction_id } })),
    ))
}

fn sma_not_found(sma_id: &str) -> AwsError {
    AwsError::not_found(format!("The SIP media application {sma_id} is not found"))
}
