-- Adds what genre targets read of a reference beside its overall metrics: its long-term spectrum and the band
-- figures targets use (SPEC §5 targets, §7 /api/genres), so deriving them reads one row per reference.
-- Kept equal to backend/amt/api/models.py by tests/test_database.py; api.database.init_db adds them to older
-- databases, and the first target derivation fills them from each reference's stored series and band rows.

ALTER TABLE reference_overall_metrics ADD COLUMN spectrum_db BLOB;
ALTER TABLE reference_overall_metrics ADD COLUMN band_figures BLOB;
