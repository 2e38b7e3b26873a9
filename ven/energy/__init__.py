"""The always-on energy manager: tariffs, strategies and the rolling-horizon MPC (LP on HiGHS)."""
