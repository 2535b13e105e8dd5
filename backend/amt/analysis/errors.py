"""The engine's own errors: what is wrong with the audio, in words a person understands.

Like librosa's ``ParameterError`` they know nothing of HTTP: the API maps each to a
status in one place (``amt.api.errors``); the command line prints the message. A message
never names a server path, since it can reach an HTTP client.
"""

from __future__ import annotations


class AudioError(Exception):
    """Any problem with the audio a user supplied; ``message`` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnreadableAudioError(AudioError):
    """Audio that cannot be decoded: truncated, empty, NaN/Inf, too long, damaged."""


class UnsupportedFormatError(AudioError):
    """The bytes are not in a container that is read (SPEC §4: WAV, AIFF, FLAC, MP3, Ogg, M4A)."""


class UnsupportedEncodingError(AudioError):
    """A known container holding an encoding that is not read (ADPCM, µ-law, Speex…)."""
