"""The operator's interface: the admin JSON API (``vtn.admin.routes``) and the CLI's client."""
