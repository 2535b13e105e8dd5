"""Deterministic synthesiser of genre archetypes (the built-in references, SPEC §6)."""

from amt.synth.archetypes import (
    GENRES,
    ReferenceSpec,
    Rendered,
    reference_seed,
    reference_specs,
    render,
    render_archetype,
)

__all__ = ["GENRES", "ReferenceSpec", "Rendered", "reference_seed", "reference_specs", "render", "render_archetype"]
