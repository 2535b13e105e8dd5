-- The content hash a catalogue run (amt analyze FOLDER --store) stores with each analysis, so a re-run skips
-- files already stored (SPEC §10). Kept equal to backend/amt/api/models.py by tests/test_database.py; the app
-- adds the missing column and index itself at start.

ALTER TABLE analysis ADD COLUMN content_hash VARCHAR(64);

CREATE INDEX ix_analysis_content_hash ON analysis (content_hash);
