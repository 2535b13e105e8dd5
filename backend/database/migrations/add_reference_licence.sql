-- Adds the licence of a reference (corpus tracks, SPEC §6, §7).
-- Kept equal to backend/api/models.py by tests/test_database.py; api.database.init_db adds it to older databases.

ALTER TABLE reference_tracks ADD COLUMN licence VARCHAR(64);
