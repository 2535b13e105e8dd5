"""The DSP engine (SPEC §4): float32 blocks in, :class:`amt.analysis.result.AnalysisResult` out.

Importing it changes nothing in the process: the thread and allocator settings the engine runs
best with are made by the entry points (:func:`amt.utils.process.tune_process`).
"""
