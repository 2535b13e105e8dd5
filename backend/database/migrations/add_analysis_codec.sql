-- Adds what the decoder records about lossy sources and the codec previews (SPEC §4 Decoding, §8).
-- Historic (frozen): api.database.init_db adds these columns to older databases itself; the current schema is
-- database/schema.sql, rendered from the ORM (tests/test_database.py replays this history and upgrades it).

ALTER TABLE analysis ADD COLUMN codec VARCHAR(16);
ALTER TABLE analysis ADD COLUMN lossy BOOLEAN;
ALTER TABLE analysis ADD COLUMN bit_rate_kbps FLOAT;
ALTER TABLE analysis ADD COLUMN lowpass_hz FLOAT;
ALTER TABLE analysis ADD COLUMN codec_preview TEXT;
