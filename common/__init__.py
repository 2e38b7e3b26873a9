"""Wire layer shared by the VTN and the VEN: typed 2.0b messages, XML codec, security."""
