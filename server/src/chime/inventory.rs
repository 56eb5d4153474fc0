//! The account's phone number inventory, shared by `server chime provision` (the SIP media
//! application's caller ID) and `server chime voice-connector` (the trunk's numbers): each
//! command says in its own words what to do about a [`NumberProblem`].

use aws_sdk_chimesdkvoice as voice;
use voice::types::{PhoneNumber, PhoneNumberProductType, PhoneNumberStatus};

use super::error::sdk_error;
use super::ChimeError;

/// Every number in the inventory (all pages of `ListPhoneNumbers`).
pub(super) async fn phone_numbers(client: &voice::Client) -> Result<Vec<PhoneNumber>, ChimeError> {
    crate::chime::all_pages(|token| async move {
        let page = client
            .list_phone_numbers()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| sdk_error("ListPhoneNumbers", e))?;
        Ok((page.phone_numbers.unwrap_or_default(), page.next_token))
    })
    .await
}

/// A Panama (+507) or Singapore (+65) number: the only ones the dialling policy calls from.
pub(super) fn is_pa_or_sg(e164: &str) -> bool {
    e164.starts_with("+507") || e164.starts_with("+65")
}

/// Why a number cannot be used as asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum NumberProblem {
    /// Not in the inventory; the PA/SG numbers held, or "none".
    Missing { held: String },
    /// Held with another product type (or none).
    ProductType { product_type: String },
    /// An order or port not finished (or no status).
    Status { status: String },
}

/// The number `e164` in `numbers`, if it is held with `product` and usable (assigned or not).
pub(super) fn usable_number<'a>(
    numbers: &'a [PhoneNumber],
    e164: &str,
    product: &PhoneNumberProductType,
) -> Result<&'a PhoneNumber, NumberProblem> {
    let Some(number) = numbers
        .iter()
        .find(|n| n.e164_phone_number.as_deref() == Some(e164))
    else {
        let held: Vec<&str> = numbers
            .iter()
            .filter_map(|n| n.e164_phone_number.as_deref())
            .filter(|n| is_pa_or_sg(n))
            .collect();
        return Err(NumberProblem::Missing {
            held: if held.is_empty() {
                "none".into()
            } else {
                held.join(", ")
            },
        });
    };
    if number.product_type.as_ref() != Some(product) {
        return Err(NumberProblem::ProductType {
            product_type: number
                .product_type
                .as_ref()
                .map_or("none", |p| p.as_str())
                .into(),
        });
    }
    match &number.status {
        Some(PhoneNumberStatus::Assigned | PhoneNumberStatus::Unassigned) => Ok(number),
        other => Err(NumberProblem::Status {
            status: other
                .as_ref()
                .map_or("without a status", |s| s.as_str())
                .into(),
        }),
    }
}
