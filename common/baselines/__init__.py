"""Baseline math shared by the VTN and the VEN: the day-of adjustment and the presets' rules.

Modules: `adjustment` (rule, computation, application, wording), `presets` (the programme
presets' adjustment rules by name and by readingType slug).
"""
