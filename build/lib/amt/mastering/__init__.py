"""The reference mastering chain (SPEC §5 "Applying the plan"): pure DSP, numpy in, numpy out.

RBJ Audio-EQ-Cookbook biquads, mid/side gain on band signals, and a look-ahead
true-peak limiter with oversampling. The plan renderer (``cli master``) and the
archetype synthesiser (``synth.master``) use these same functions.
"""
