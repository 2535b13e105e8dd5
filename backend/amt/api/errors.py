"""Where the engine's errors become HTTP statuses: the one mapping (STYLE §7, SPEC §7).

The engine (:mod:`amt.analysis.errors`) says what is wrong with the audio; this table says
which status a client gets for it. The services' own errors (:class:`amt.utils.errors.AppError`)
carry theirs.
"""

from __future__ import annotations

from amt.analysis.errors import AudioError, UnreadableAudioError, UnsupportedEncodingError, UnsupportedFormatError

AUDIO_ERROR_STATUS: dict[type[AudioError], int] = {
    UnsupportedFormatError: 415,  # Unsupported Media Type: a container that is not read
    UnsupportedEncodingError: 415,  # a known container, an encoding that is not read
    UnreadableAudioError: 400,  # the file is damaged, truncated, empty or too long
    AudioError: 400,
}


def audio_error_status(exc: AudioError) -> int:
    """The HTTP status of an engine error: that of its nearest class in :data:`AUDIO_ERROR_STATUS`."""
    return next(AUDIO_ERROR_STATUS[cls] for cls in type(exc).__mro__ if cls in AUDIO_ERROR_STATUS)
