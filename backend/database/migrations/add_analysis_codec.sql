-- Adds what the decoder records about lossy sources and the codec previews (SPEC §4 Decoding, §8).
-- Kept equal to backend/api/models.py by tests/test_database.py; the app adds missing columns itself at start.

ALTER TABLE analysis ADD COLUMN codec VARCHAR(16);
ALTER TABLE analysis ADD COLUMN lossy BOOLEAN;
ALTER TABLE analysis ADD COLUMN bit_rate_kbps FLOAT;
ALTER TABLE analysis ADD COLUMN lowpass_hz FLOAT;
ALTER TABLE analysis ADD COLUMN codec_preview TEXT;
