"""Audio Mastering Tool: measures a master against finished masters of its genre and plans its mastering.

Sub-packages: :mod:`amt.analysis` (the measuring engine), :mod:`amt.mastering` (the processing chain),
:mod:`amt.ml` (feature vectors and similarity), :mod:`amt.synth` (archetype renderer), :mod:`amt.api`
(the web service), :mod:`amt.cli` (the ``amt`` command), :mod:`amt.scripts` (reference library tools),
:mod:`amt.config` and :mod:`amt.utils`.
"""
