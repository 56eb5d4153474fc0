//! Contacts: list and search, view, create, edit, delete with undo, favourites, import, export.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::domain::contacts::{Contact, ContactDraft, ImportSkip};
use crate::domain::numbers::Country;

pub const PAGE_SIZE: usize = 50;
/// Largest import file accepted (about 10 000 contacts).
pub const IMPORT_MAX_BYTES: usize = 2 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPage {
    pub items: Vec<Contact>,
    pub next: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileFormat {
    VCard,
    Csv,
}

/// What an import did, row by row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ImportReport {
    pub imported: usize,
    /// Rows not imported at all, and numbers left out, with the reasons.
    pub skipped: Vec<ImportSkip>,
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::api::ports::Services;
    use crate::domain::contacts::ValidContact;

    pub fn new_contact(valid: ValidContact, id: String, now: u64) -> Contact {
        Contact {
            id,
            name: valid.name,
            company: valid.company,
            notes: valid.notes,
            favourite: valid.favourite,
            numbers: valid.numbers,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    pub fn validate(
        services: &Services,
        draft: &ContactDraft,
        country: Option<Country>,
    ) -> Result<ValidContact, ApiError> {
        draft
            .validate(country, services.numbers.as_ref())
            .map_err(ApiError::ContactInvalid)
    }

    pub fn is_contact_id(id: &str) -> bool {
        id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
    }
}

/// What the server functions and the REST API do with contacts: one implementation each.
#[cfg(feature = "ssr")]
pub mod ops {
    use super::*;
    use crate::api::ports::{ContactQuery, Principal, Services};

    pub async fn list(
        services: &Services,
        me: &Principal,
        search: &str,
        favourites_only: bool,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<ContactPage, ApiError> {
        let query = ContactQuery {
            search: search.chars().take(100).collect(),
            favourites_only,
        };
        let page = services
            .store
            .list_contacts(&me.sub, &query, cursor, limit)
            .await?;
        Ok(ContactPage {
            items: page.items,
            next: page.next,
        })
    }

    pub async fn get(services: &Services, me: &Principal, id: &str) -> Result<Contact, ApiError> {
        services
            .store
            .get_contact(&me.sub, id)
            .await?
            .ok_or(ApiError::NotFound)
    }

    /// Creates a contact (`id` = None) or replaces one, if it is still at `expected_version`
    /// (any version when `None`).
    pub async fn save(
        services: &Services,
        me: &Principal,
        id: Option<&str>,
        expected_version: Option<u64>,
        draft: &ContactDraft,
        default_country: Option<Country>,
    ) -> Result<Contact, ApiError> {
        let valid = ssr::validate(services, draft, default_country)?;
        let now = services.clock.now_ms();
        match id {
            None => {
                let contact = ssr::new_contact(valid, uuid::Uuid::new_v4().to_string(), now);
                services.store.insert_contact(&me.sub, &contact).await?;
                crate::api::ssr::audit(services, &me.sub, "contact_created", contact.id.clone())
                    .await;
                Ok(contact)
            }
            Some(id) => {
                let current = get(services, me, id).await?;
                let expected = expected_version.unwrap_or(current.version);
                let contact = Contact {
                    id: current.id,
                    name: valid.name,
                    company: valid.company,
                    notes: valid.notes,
                    favourite: valid.favourite,
                    numbers: valid.numbers,
                    created_at: current.created_at,
                    updated_at: now,
                    version: expected + 1,
                };
                services
                    .store
                    .update_contact(&me.sub, &contact, expected)
                    .await?;
                crate::api::ssr::audit(services, &me.sub, "contact_updated", contact.id.clone())
                    .await;
                Ok(contact)
            }
        }
    }

    pub async fn delete(
        services: &Services,
        me: &Principal,
        id: &str,
    ) -> Result<Contact, ApiError> {
        let contact = services.store.delete_contact(&me.sub, id).await?;
        crate::api::ssr::audit(services, &me.sub, "contact_deleted", id.to_string()).await;
        Ok(contact)
    }
}

#[server(endpoint = "contacts/list", input = Json)]
pub async fn list_contacts(
    search: String,
    favourites_only: bool,
    cursor: Option<String>,
) -> Result<ContactPage, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::list(
        &services,
        &me,
        &search,
        favourites_only,
        cursor.as_deref(),
        PAGE_SIZE,
    )
    .await
}

#[server(endpoint = "contacts/get", input = Json)]
pub async fn get_contact(id: String) -> Result<Contact, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::get(&services, &me, &id).await
}

/// Creates a contact (`id` = None) or replaces one, if it is still at `expected_version`.
#[server(endpoint = "contacts/save", input = Json)]
pub async fn save_contact(
    id: Option<String>,
    expected_version: Option<u64>,
    draft: ContactDraft,
    default_country: Option<Country>,
) -> Result<Contact, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::save(
        &services,
        &me,
        id.as_deref(),
        expected_version,
        &draft,
        default_country,
    )
    .await
}

#[server(endpoint = "contacts/favourite", input = Json)]
pub async fn set_favourite(id: String, favourite: bool) -> Result<Contact, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    let mut contact = services
        .store
        .get_contact(&me.sub, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let expected = contact.version;
    contact.favourite = favourite;
    contact.version += 1;
    contact.updated_at = services.clock.now_ms();
    services
        .store
        .update_contact(&me.sub, &contact, expected)
        .await?;
    Ok(contact)
}

/// Deletes a contact and returns it, so the UI can offer to undo.
#[server(endpoint = "contacts/delete", input = Json)]
pub async fn delete_contact(id: String) -> Result<Contact, ApiError> {
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    ops::delete(&services, &me, &id).await
}

/// Undo of a delete: puts the contact back under its old id (re-validated; idempotent).
#[server(endpoint = "contacts/restore", input = Json)]
pub async fn restore_contact(contact: Contact) -> Result<Contact, ApiError> {
    use crate::api::ports::StoreError;
    use crate::api::ssr::{principal, services};
    let (me, services) = (principal()?, services()?);
    if !ssr::is_contact_id(&contact.id) {
        return Err(ApiError::NotFound);
    }
    let valid = ssr::validate(&services, &ContactDraft::from(&contact), None)?;
    let mut restored = ssr::new_contact(valid, contact.id.clone(), contact.created_at);
    restored.updated_at = services.clock.now_ms();
    match services.store.insert_contact(&me.sub, &restored).await {
        Ok(()) | Err(StoreError::AlreadyExists) => {}
        Err(e) => return Err(e.into()),
    }
    crate::api::ssr::audit(&services, &me.sub, "contact_restored", restored.id.clone()).await;
    Ok(restored)
}

#[server(endpoint = "contacts/import", input = Json)]
pub async fn import_contacts(
    format: FileFormat,
    text: String,
    default_country: Option<Country>,
) -> Result<ImportReport, ApiError> {
    use crate::api::ssr::{principal, services};
    use crate::domain::contacts::{parse_csv, parse_vcards, ContactProblems, DraftNumber};
    let (me, services) = (principal()?, services()?);
    if text.len() > IMPORT_MAX_BYTES {
        return Err(ApiError::FileTooLarge {
            limit_bytes: IMPORT_MAX_BYTES,
        });
    }
    let (rows, mut skipped) = match format {
        FileFormat::VCard => parse_vcards(&text),
        FileFormat::Csv => parse_csv(&text),
    };
    if rows.is_empty() && skipped.is_empty() {
        return Err(ApiError::FileUnreadable(match format {
            FileFormat::VCard => "no BEGIN:VCARD … END:VCARD cards found".into(),
            FileFormat::Csv => "no rows found".into(),
        }));
    }
    let mut imported = 0;
    let now = services.clock.now_ms();
    for row in rows {
        // Keep the dialable numbers; report the refused ones with the reason for each.
        let mut draft = row.draft.clone();
        let mut kept: Vec<DraftNumber> = Vec::new();
        let mut refused = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for number in &row.draft.numbers {
            match crate::domain::numbers::dialable(
                &number.input,
                default_country,
                services.numbers.as_ref(),
            ) {
                // The same number twice in one card (e.g. as CELL and as pref) is kept once.
                Ok(n) if !seen.insert(n.e164().to_string()) => {}
                Ok(_) => kept.push(number.clone()),
                Err(reason) => refused.push((number.input.clone(), reason)),
            }
        }
        let no_number_left = kept.is_empty();
        if !refused.is_empty() {
            skipped.push(ImportSkip {
                row: row.row,
                reason: draft.name.clone(),
                refused,
            });
        }
        if no_number_left {
            continue;
        }
        draft.numbers = kept;
        match draft.validate(default_country, services.numbers.as_ref()) {
            Ok(valid) => {
                // Importing the same file twice must not double the address book: a contact
                // with the same name and one of the same numbers is already there.
                let mut existing = None;
                for number in &valid.numbers {
                    if let Some(c) = services
                        .store
                        .contact_by_number(&me.sub, &number.e164)
                        .await?
                    {
                        if c.name.to_lowercase() == valid.name.to_lowercase() {
                            existing = Some(c);
                            break;
                        }
                    }
                }
                if existing.is_some() {
                    skipped.push(ImportSkip::new(
                        row.row,
                        format!("{}: already in your contacts", valid.name),
                    ));
                    continue;
                }
                let contact = ssr::new_contact(valid, uuid::Uuid::new_v4().to_string(), now);
                services.store.insert_contact(&me.sub, &contact).await?;
                imported += 1;
            }
            Err(problems) => {
                let ContactProblems {
                    name_too_long,
                    company_too_long,
                    notes_too_long,
                    too_many_numbers,
                    ..
                } = problems;
                let what = [
                    (name_too_long, "name too long"),
                    (company_too_long, "company too long"),
                    (notes_too_long, "notes too long"),
                    (too_many_numbers, "too many numbers"),
                ]
                .iter()
                .filter(|(bad, _)| *bad)
                .map(|(_, text)| *text)
                .collect::<Vec<_>>()
                .join(", ");
                skipped.push(ImportSkip::new(
                    row.row,
                    format!(
                        "{}: {}",
                        draft.name,
                        if what.is_empty() { "invalid" } else { &what }
                    ),
                ));
            }
        }
    }
    skipped.sort_by_key(|s| s.row);
    crate::api::ssr::audit(
        &services,
        &me.sub,
        "contacts_imported",
        format!("{imported} imported, {} skipped", skipped.len()),
    )
    .await;
    Ok(ImportReport { imported, skipped })
}

#[server(endpoint = "contacts/export", input = Json)]
pub async fn export_contacts(format: FileFormat) -> Result<String, ApiError> {
    use crate::api::ports::ContactQuery;
    use crate::api::ssr::{principal, services};
    use crate::domain::contacts::{write_csv, write_vcards};
    let (me, services) = (principal()?, services()?);
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = services
            .store
            .list_contacts(&me.sub, &ContactQuery::default(), cursor.as_deref(), 500)
            .await?;
        all.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(match format {
        FileFormat::VCard => write_vcards(&all),
        FileFormat::Csv => write_csv(&all),
    })
}
