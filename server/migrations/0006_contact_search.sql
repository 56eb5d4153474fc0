-- Contact search by any part of a name, company or number through a trigram index (FTS5):
-- one row per contact, its rowid the contact's, kept current by the triggers below. A search of
-- three characters or more is an index look-up instead of a walk over the owner's contacts
-- (docs/bench.md, "API under load"); shorter ones still scan. The owner and id are kept too,
-- for the check the store makes when it opens: it rebuilds the index if they disagree with the
-- contacts under those rowids (a VACUUM may renumber them; run it with the server stopped).
CREATE VIRTUAL TABLE contact_search USING fts5(
    owner UNINDEXED, id UNINDEXED, name, company, numbers,
    tokenize = 'trigram'
);

-- What a contact is found by: its name key, its company in lower case, its numbers' digits.
CREATE VIEW contact_search_text AS
SELECT c.rowid AS rowid,
       c.owner AS owner,
       c.id AS id,
       c.name_key AS name,
       lower(c.company) AS company,
       coalesce((SELECT group_concat(substr(n.e164, 2), ' ') FROM contact_numbers n
                 WHERE n.owner = c.owner AND n.contact_id = c.id), '') AS numbers
FROM contacts c;

CREATE TRIGGER contact_search_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contact_search (rowid, owner, id, name, company, numbers)
    SELECT rowid, owner, id, name, company, numbers FROM contact_search_text WHERE rowid = new.rowid;
END;

CREATE TRIGGER contact_search_update AFTER UPDATE ON contacts BEGIN
    DELETE FROM contact_search WHERE rowid = old.rowid;
    INSERT INTO contact_search (rowid, owner, id, name, company, numbers)
    SELECT rowid, owner, id, name, company, numbers FROM contact_search_text WHERE rowid = new.rowid;
END;

CREATE TRIGGER contact_search_delete AFTER DELETE ON contacts BEGIN
    DELETE FROM contact_search WHERE rowid = old.rowid;
END;

CREATE TRIGGER contact_search_number_insert AFTER INSERT ON contact_numbers BEGIN
    DELETE FROM contact_search
    WHERE rowid = (SELECT rowid FROM contacts WHERE owner = new.owner AND id = new.contact_id);
    INSERT INTO contact_search (rowid, owner, id, name, company, numbers)
    SELECT t.rowid, t.owner, t.id, t.name, t.company, t.numbers FROM contact_search_text t
    WHERE t.rowid = (SELECT rowid FROM contacts WHERE owner = new.owner AND id = new.contact_id);
END;

CREATE TRIGGER contact_search_number_delete AFTER DELETE ON contact_numbers BEGIN
    DELETE FROM contact_search
    WHERE rowid = (SELECT rowid FROM contacts WHERE owner = old.owner AND id = old.contact_id);
    INSERT INTO contact_search (rowid, owner, id, name, company, numbers)
    SELECT t.rowid, t.owner, t.id, t.name, t.company, t.numbers FROM contact_search_text t
    WHERE t.rowid = (SELECT rowid FROM contacts WHERE owner = old.owner AND id = old.contact_id);
END;

-- The contacts already there.
INSERT INTO contact_search (rowid, owner, id, name, company, numbers)
SELECT rowid, owner, id, name, company, numbers FROM contact_search_text;
