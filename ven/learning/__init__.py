"""Models learned from the building's history: fitted zone RC models and load/PV forecasts."""
