"""Answers with one audio block."""

from __future__ import annotations

from conformance._generated import models, runtime
from conformance.fixtures import WAV_BASE64


async def test_audio_content(ctx: runtime.Context, args: models.Empty) -> runtime.ToolReturn:
    return runtime.AudioContent(data=WAV_BASE64, mime_type="audio/wav")
