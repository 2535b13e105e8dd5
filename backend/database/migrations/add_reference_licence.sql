-- Adds the licence of a reference (corpus tracks, SPEC §6, §7).
-- Historic (frozen): api.database.init_db adds it to older databases; the current schema is database/schema.sql.

ALTER TABLE reference_tracks ADD COLUMN licence VARCHAR(64);
