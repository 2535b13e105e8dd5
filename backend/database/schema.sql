-- Audio Mastering Tool: reference schema (SQLite dialect), rendered from backend/amt/api/models.py.
-- Do not edit: python -m amt.scripts.render_schema rewrites it (a test checks it is current).

PRAGMA foreign_keys = ON;

CREATE TABLE analysis (
	id VARCHAR(36) NOT NULL,
	filename VARCHAR(255) NOT NULL,
	file_format VARCHAR(16) NOT NULL,
	genre VARCHAR(64),
	recommendation_level VARCHAR(16) NOT NULL,
	stage VARCHAR(16) NOT NULL,
	"plan" TEXT,
	codec VARCHAR(16),
	lossy BOOLEAN,
	bit_rate_kbps FLOAT,
	lowpass_hz FLOAT,
	codec_preview TEXT,
	content_hash VARCHAR(64),
	sample_rate INTEGER NOT NULL,
	channels INTEGER NOT NULL,
	bit_depth INTEGER,
	duration_s FLOAT NOT NULL,
	engine_version VARCHAR(32) NOT NULL,
	feature_vector BLOB,
	feature_version VARCHAR(32),
	series BLOB,
	created_at DATETIME NOT NULL,
	PRIMARY KEY (id)
);

CREATE INDEX ix_analysis_content_hash ON analysis (content_hash);

CREATE INDEX ix_analysis_created_at ON analysis (created_at);

CREATE INDEX ix_analysis_genre ON analysis (genre);

CREATE TABLE reference_tracks (
	id VARCHAR(36) NOT NULL,
	name VARCHAR(255) NOT NULL,
	artist VARCHAR(255) NOT NULL,
	genre VARCHAR(64) NOT NULL,
	year INTEGER,
	is_builtin BOOLEAN NOT NULL,
	source VARCHAR(255),
	licence VARCHAR(64),
	sample_rate INTEGER NOT NULL,
	channels INTEGER NOT NULL,
	bit_depth INTEGER,
	duration_s FLOAT NOT NULL,
	engine_version VARCHAR(32) NOT NULL,
	feature_vector BLOB,
	feature_version VARCHAR(32),
	series BLOB,
	created_at DATETIME NOT NULL,
	PRIMARY KEY (id)
);

CREATE INDEX ix_reference_tracks_created_at ON reference_tracks (created_at);

CREATE INDEX ix_reference_tracks_genre ON reference_tracks (genre);

CREATE INDEX ix_reference_tracks_is_builtin ON reference_tracks (is_builtin);

CREATE TABLE user_settings (
	"key" VARCHAR(64) NOT NULL,
	value TEXT NOT NULL,
	updated_at DATETIME NOT NULL,
	PRIMARY KEY ("key")
);

CREATE TABLE band_metrics (
	id VARCHAR(36) NOT NULL,
	position INTEGER NOT NULL,
	band VARCHAR(16) NOT NULL,
	freq_low_hz FLOAT NOT NULL,
	freq_high_hz FLOAT NOT NULL,
	rms_db FLOAT,
	energy_ratio FLOAT,
	peak_db FLOAT,
	crest_factor_db FLOAT,
	level_range_db FLOAT,
	spectral_centroid_hz FLOAT,
	spectral_rolloff_hz FLOAT,
	spectral_flatness FLOAT,
	stereo_width FLOAT,
	phase_correlation FLOAT,
	analysis_id VARCHAR(36) NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_band_metrics_band UNIQUE (analysis_id, band),
	FOREIGN KEY(analysis_id) REFERENCES analysis (id) ON DELETE CASCADE
);

CREATE INDEX ix_band_metrics_analysis_id ON band_metrics (analysis_id);

CREATE TABLE overall_metrics (
	id VARCHAR(36) NOT NULL,
	integrated_lufs FLOAT,
	momentary_max_lufs FLOAT,
	short_term_max_lufs FLOAT,
	loudness_range_lu FLOAT,
	true_peak_dbtp FLOAT,
	sample_peak_dbfs FLOAT,
	rms_dbfs FLOAT,
	crest_factor_db FLOAT,
	plr_db FLOAT,
	dynamic_range_db FLOAT,
	dr_value INTEGER,
	stereo_width FLOAT,
	lr_balance_db FLOAT,
	phase_correlation FLOAT,
	phase_correlation_min FLOAT,
	negative_correlation_pct FLOAT,
	clipped_samples INTEGER NOT NULL,
	clip_events INTEGER NOT NULL,
	dc_offset FLOAT,
	mono_compatibility_db FLOAT,
	leading_silence_s FLOAT,
	trailing_silence_s FLOAT,
	spectral_centroid_hz FLOAT,
	spectral_rolloff_hz FLOAT,
	spectral_flatness FLOAT,
	sub_20hz_ratio FLOAT,
	thd_percent FLOAT,
	harmonic_ratio FLOAT,
	transient_preservation FLOAT,
	attack_time_ms FLOAT,
	onset_rate_hz FLOAT,
	spectral_flux FLOAT,
	tempo_bpm FLOAT,
	pulse_clarity FLOAT,
	analysis_id VARCHAR(36) NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_overall_metrics_analysis UNIQUE (analysis_id),
	FOREIGN KEY(analysis_id) REFERENCES analysis (id) ON DELETE CASCADE
);

CREATE INDEX ix_overall_metrics_analysis_id ON overall_metrics (analysis_id);

CREATE TABLE recommendations (
	id VARCHAR(36) NOT NULL,
	position INTEGER NOT NULL,
	band VARCHAR(16) NOT NULL,
	metric VARCHAR(64) NOT NULL,
	current FLOAT,
	target FLOAT,
	deviation FLOAT,
	severity VARCHAR(16) NOT NULL,
	message TEXT NOT NULL,
	tolerance FLOAT,
	suggested_change_db FLOAT,
	action TEXT,
	step INTEGER,
	analysis_id VARCHAR(36) NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(analysis_id) REFERENCES analysis (id) ON DELETE CASCADE
);

CREATE INDEX ix_recommendations_analysis_id ON recommendations (analysis_id);

CREATE TABLE reference_band_metrics (
	id VARCHAR(36) NOT NULL,
	position INTEGER NOT NULL,
	band VARCHAR(16) NOT NULL,
	freq_low_hz FLOAT NOT NULL,
	freq_high_hz FLOAT NOT NULL,
	rms_db FLOAT,
	energy_ratio FLOAT,
	peak_db FLOAT,
	crest_factor_db FLOAT,
	level_range_db FLOAT,
	spectral_centroid_hz FLOAT,
	spectral_rolloff_hz FLOAT,
	spectral_flatness FLOAT,
	stereo_width FLOAT,
	phase_correlation FLOAT,
	reference_id VARCHAR(36) NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_reference_band_metrics_band UNIQUE (reference_id, band),
	FOREIGN KEY(reference_id) REFERENCES reference_tracks (id) ON DELETE CASCADE
);

CREATE INDEX ix_reference_band_metrics_reference_id ON reference_band_metrics (reference_id);

CREATE TABLE reference_overall_metrics (
	id VARCHAR(36) NOT NULL,
	spectrum_db BLOB,
	band_figures BLOB,
	integrated_lufs FLOAT,
	momentary_max_lufs FLOAT,
	short_term_max_lufs FLOAT,
	loudness_range_lu FLOAT,
	true_peak_dbtp FLOAT,
	sample_peak_dbfs FLOAT,
	rms_dbfs FLOAT,
	crest_factor_db FLOAT,
	plr_db FLOAT,
	dynamic_range_db FLOAT,
	dr_value INTEGER,
	stereo_width FLOAT,
	lr_balance_db FLOAT,
	phase_correlation FLOAT,
	phase_correlation_min FLOAT,
	negative_correlation_pct FLOAT,
	clipped_samples INTEGER NOT NULL,
	clip_events INTEGER NOT NULL,
	dc_offset FLOAT,
	mono_compatibility_db FLOAT,
	leading_silence_s FLOAT,
	trailing_silence_s FLOAT,
	spectral_centroid_hz FLOAT,
	spectral_rolloff_hz FLOAT,
	spectral_flatness FLOAT,
	sub_20hz_ratio FLOAT,
	thd_percent FLOAT,
	harmonic_ratio FLOAT,
	transient_preservation FLOAT,
	attack_time_ms FLOAT,
	onset_rate_hz FLOAT,
	spectral_flux FLOAT,
	tempo_bpm FLOAT,
	pulse_clarity FLOAT,
	reference_id VARCHAR(36) NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_reference_overall_metrics_reference UNIQUE (reference_id),
	FOREIGN KEY(reference_id) REFERENCES reference_tracks (id) ON DELETE CASCADE
);

CREATE INDEX ix_reference_overall_metrics_reference_id ON reference_overall_metrics (reference_id);
